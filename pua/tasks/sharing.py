"""Celery tasks: sharing (thin: load ids, call pua.services.sharing)."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=8)
def notify_break_glass(grant_id: int) -> int:
    # Imported here: the services module queues this task, so a top-level import would be circular.
    from pua.services.sharing import notify_break_glass as notify

    return notify(grant_id=grant_id)
