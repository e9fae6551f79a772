"""Celery tasks: referrals."""
