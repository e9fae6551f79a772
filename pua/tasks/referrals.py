"""Celery tasks: referrals (thin: the services in pua.services.referrals do the work)."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from pua.services import referrals


@shared_task(acks_late=True, autoretry_for=(OSError, OperationalError), retry_backoff=60, max_retries=5)
def email_referral_to_service(referral_id: int) -> bool:
    """Email the service its signed link (queued after the referral is sent)."""
    return referrals.email_service(referral_id)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=60, max_retries=3)
def escalate_overdue_referrals() -> int:
    """Hourly (beat): escalate sent referrals past their acknowledgement deadline, once each."""
    return referrals.escalate_overdue_referrals()
