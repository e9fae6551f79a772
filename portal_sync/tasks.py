"""Celery tasks of portal sync (thin: portal_sync.services.engine pulls, portal_sync.services.outbox
drains the push endpoints' outboxes)."""

from __future__ import annotations

import datetime
import logging

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from aipim.accounts.models import User
from portal_sync.models import Direction, Endpoint, OutboxMessage, SyncRun
from portal_sync.services import engine, opendata, outbox

logger = logging.getLogger(__name__)


# No autoretry: a failed run is recorded and the next scheduled run is the retry. acks_late: a
# worker killed mid-run gives the message back, and the redelivered run finishes the work (its
# upserts are idempotent and the dead run is marked abandoned).
@shared_task(acks_late=True)
def run_endpoint_task(
    endpoint_id: int, trigger: str = SyncRun.Trigger.SCHEDULE, user_id: int | None = None
) -> int | None:
    """Pull one endpoint (drain it, for a push endpoint); returns the run's id, or None when it is
    gone, disabled or already running."""
    endpoint = Endpoint.objects.filter(pk=endpoint_id).first()
    if endpoint is None:
        logger.warning("portal_sync: endpoint %s no longer exists", endpoint_id)
        return None
    if not endpoint.enabled and trigger == SyncRun.Trigger.SCHEDULE:
        return None
    by = User.objects.filter(pk=user_id).first() if user_id else None
    try:
        if endpoint.direction == Direction.PUSH:
            run = outbox.drain(endpoint, trigger=trigger, by=by)
        else:
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


@shared_task(acks_late=True)
def drain_outbox_task(
    endpoint_id: int, trigger: str = SyncRun.Trigger.SCHEDULE, user_id: int | None = None
) -> int | None:
    """Drain one push endpoint's outbox; returns the run's id, or None when the endpoint is gone,
    not a push endpoint, disabled (unless started by hand) or already draining. No autoretry: the
    messages keep their own retry times, and the next drain sends what is due."""
    endpoint = Endpoint.objects.filter(pk=endpoint_id, direction=Direction.PUSH).first()
    if endpoint is None:
        logger.warning("portal_sync: push endpoint %s no longer exists", endpoint_id)
        return None
    if not endpoint.enabled and trigger == SyncRun.Trigger.SCHEDULE:
        return None
    by = User.objects.filter(pk=user_id).first() if user_id else None
    try:
        run = outbox.drain(endpoint, trigger=trigger, by=by)
    except engine.AlreadyRunning:
        logger.info("portal_sync: %s is already draining; this request is dropped", endpoint.name)
        return None
    return run.pk


@shared_task(acks_late=True)
def drain_due_outboxes() -> list[int]:
    """Every minute (beat): a drain for each enabled push endpoint with messages due and no drain
    under way, so a drain longer than a minute does not pile tasks up behind it. A RUNNING run older
    than the task time limit belongs to a killed worker: it does not hold the endpoint back (the
    next drain marks it abandoned)."""
    now = timezone.now()
    due = OutboxMessage.objects.due(now).values("endpoint_id")
    alive = now - datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT or 3600)
    running = SyncRun.objects.filter(status=SyncRun.Status.RUNNING, started_at__gt=alive).values("endpoint_id")
    endpoints = (
        Endpoint.objects.enabled()
        .filter(direction=Direction.PUSH, pk__in=due)
        .exclude(pk__in=running)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    sent = []
    for endpoint_id in endpoints:
        drain_outbox_task.delay(endpoint_id)
        sent.append(endpoint_id)
    return sent


# Safe to run twice: a message still waiting for its first try is reused, and a month sent twice
# replaces its own file at the portal (the drain skips it when the figures have not changed).
@shared_task(acks_late=True)
def publish_open_data_task() -> int:
    """Monthly (beat): put the open datasets of the month just ended in the outbox
    (portal_sync.services.opendata); the drain sends them to the CKAN endpoints. Returns how many
    messages were written."""
    return len(opendata.publish_month())
