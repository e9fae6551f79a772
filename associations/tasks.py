"""Celery tasks of Action 4 (thin: take ids, call a service): sending the messages to bookers,
with retries, and expiring seat offers whose claim window has closed (beat)."""

from __future__ import annotations

import random
import smtplib

from celery import shared_task
from django.db import OperationalError

from associations.services import booking, messages

MAX_RETRIES = 8
# Backoff between tries: 1, 2, 4 ... minutes, never beyond 30 (under the broker's visibility timeout).
FIRST_DELAY = 60
LONGEST_DELAY = 30 * 60


def retry_delay(retries: int) -> int:
    delay = min(FIRST_DELAY * 2**retries, LONGEST_DELAY)
    return delay + random.randint(0, delay // 10)  # noqa: S311 - spreading retries, not a secret


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def send_booking_message(self, message_id: int) -> str:  # type: ignore[no-untyped-def]
    """Send one message to a booker; on a mail server error try again later, and after the last
    try leave it FAILED (kept, shown to managers, who can resend it)."""
    try:
        return "sent" if messages.deliver(message_id) else "skipped"
    except (OSError, smtplib.SMTPException, OperationalError) as error:
        if self.request.retries >= self.max_retries:
            messages.mark_failed(message_id)
            return "failed"
        raise self.retry(exc=error, countdown=retry_delay(self.request.retries)) from error


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=60, max_retries=3)
def expire_offers_task() -> int:
    """Every few minutes (beat): offers past their claim window expire and go to the next in line."""
    return booking.expire_offers()
