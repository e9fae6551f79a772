"""Background jobs of the core: the nightly retention clean-up (scheduled in CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

# Importing privacy and retention registers the core's erasers and policies.
from aipim.core import privacy, retention  # noqa: F401


@shared_task(
    acks_late=True,
    autoretry_for=(retention.RetentionError, OperationalError),
    retry_backoff=60,
    retry_backoff_max=60 * 60,
    max_retries=5,
)
def apply_retention_policies() -> dict[str, int]:
    """Apply every registered retention policy; safe to run twice (what is done is no longer due)."""
    return {outcome.policy.key: outcome.count for outcome in retention.apply_retention(timezone.now())}
