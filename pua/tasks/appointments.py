"""Celery tasks: appointments."""
