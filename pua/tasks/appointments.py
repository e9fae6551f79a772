"""Celery tasks: appointments (thin: the services in pua.services.appointments do the work)."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from pua.services import appointments


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=60, max_retries=3)
def send_appointment_reminders() -> int:
    """Every 15 minutes (beat): remind people, once, of appointments in the next 24 hours."""
    return appointments.send_appointment_reminders()
