"""Celery tasks: sharing."""
