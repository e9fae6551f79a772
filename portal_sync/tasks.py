"""Celery tasks of portal sync (thin: portal_sync.services.engine does the work)."""

from __future__ import annotations

import datetime
import logging

from celery import shared_task
from django.utils import timezone

from aipim.accounts.models import User
from portal_sync.models import Endpoint, SyncRun
from portal_sync.services import engine

logger = logging.getLogger(__name__)


# No autoretry: a failed run is recorded and the next scheduled run is the retry. acks_late: a
# worker killed mid-run gives the message back, and the redelivered run finishes the work (its
# upserts are idempotent and the dead run is marked abandoned).
@shared_task(acks_late=True)
def run_endpoint_task(
    endpoint_id: int, trigger: str = SyncRun.Trigger.SCHEDULE, user_id: int | None = None
) -> int | None:
    """Pull one endpoint; returns the run's id, or None when it is gone, disabled or already running."""
    endpoint = Endpoint.objects.filter(pk=endpoint_id).first()
    if endpoint is None:
        logger.warning("portal_sync: endpoint %s no longer exists", endpoint_id)
        return None
    if not endpoint.enabled and trigger == SyncRun.Trigger.SCHEDULE:
        return None
    by = User.objects.filter(pk=user_id).first() if user_id else None
    try:
        run = engine.run_endpoint(endpoint, trigger=trigger, by=by)
    except engine.AlreadyRunning:
        logger.info("portal_sync: %s is already running; this request is dropped", endpoint.name)
        return None
    return run.pk


@shared_task(acks_late=True)
def run_due_endpoints() -> list[int]:
    """Every minute (beat): send a run for each enabled pull endpoint that is due. The next run time
    is moved forward at once, so a run longer than a minute is not sent again on the next tick."""
    now = timezone.now()
    sent = []
    for endpoint in engine.due_endpoints(now):
        claimed = (
            engine.due_endpoints(now)
            .filter(pk=endpoint.pk)
            .update(next_run_at=now + datetime.timedelta(minutes=endpoint.interval_minutes))
        )
        if claimed:
            run_endpoint_task.delay(endpoint.pk)
            sent.append(endpoint.pk)
    return sent
