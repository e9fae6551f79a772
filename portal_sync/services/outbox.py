"""The outbox: every push to a remote system starts as an `OutboxMessage` written in the same
database transaction as the change that causes it, so a change is never saved without its message
nor a message written for a change that was rolled back.

A message only says "this record changed" (object type and id); the push adapter reads the record
when the message is sent (see `portal_sync.adapters.base.PushAdapter`). So several changes to one
record before the message is first tried are one message, and a record deleted since is deleted at
the remote.

`drain` sends an endpoint's due messages (one drain per endpoint at a time, recorded as a push
`SyncRun`); a message that fails is tried again later with exponential backoff and jitter, and after
`Endpoint.max_attempts` failures (or at once when the remote refuses the record for good) it is a
dead letter that an editor `retry`s or `discard`s.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import random
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aipim.core import audit
from portal_sync.adapters import push_adapter
from portal_sync.adapters.base import PermanentError, PushAdapter, RemoteError
from portal_sync.http import client_for
from portal_sync.models import Direction, Endpoint, OutboxMessage, RemoteRecord, SyncRun
from portal_sync.services.engine import locked_run, notify_editors_of_failure

if TYPE_CHECKING:
    import httpx

    from aipim.accounts.models import User

logger = logging.getLogger(__name__)

SENT, UNCHANGED, DELETED = "sent", "unchanged", "deleted"
# Due messages read per query while draining (each is then locked and sent in its own transaction).
BATCH = 100
# Remote failures in a row after which a drain stops: the remote is down, and trying every other
# message now would only spend their attempts (and a timeout each). The next drain goes on.
STOP_AFTER_REMOTE_ERRORS = 3


def push_endpoints_for(object_type: str) -> list[Endpoint]:
    """Enabled push endpoints whose adapter sends records of `object_type`."""
    endpoints = []
    for endpoint in Endpoint.objects.enabled().filter(direction=Direction.PUSH).defer("credentials"):
        try:
            adapter = push_adapter(endpoint.adapter)
        except (LookupError, ImportError):
            logger.error("portal_sync: endpoint %s has no push adapter %r", endpoint.name, endpoint.adapter)
            continue
        if object_type in adapter.object_types:
            endpoints.append(endpoint)
    return endpoints


def enqueue(
    object_type: str,
    object_id: str,
    *,
    operation: str = OutboxMessage.Operation.UPSERT,
    endpoints: list[Endpoint] | None = None,
) -> list[OutboxMessage]:
    """Write "record `object_type` `object_id` changed" for each enabled push endpoint that sends
    that type (or for `endpoints`), in the caller's transaction. A message for the same record that
    is still waiting for its first try is reused instead of writing a second one."""
    if not connection.in_atomic_block:
        # Called outside a transaction the message would commit apart from the change: refuse,
        # so the mistake shows in tests rather than as a lost push in production.
        raise transaction.TransactionManagementError(
            "portal_sync.outbox.enqueue must run inside the change's transaction."
        )
    targets = push_endpoints_for(object_type) if endpoints is None else endpoints
    messages = []
    object_id = str(object_id)
    for endpoint in targets:
        waiting = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(
                endpoint=endpoint,
                object_type=object_type,
                object_id=object_id,
                operation=operation,
                status=OutboxMessage.Status.PENDING,
                attempts=0,
            )
            .first()
        )
        if waiting is None:
            waiting = OutboxMessage.objects.create(
                endpoint=endpoint, object_type=object_type, object_id=object_id, operation=operation
            )
        messages.append(waiting)
    return messages


class NotDeadLetter(ValidationError):
    """The message is no longer a dead letter (someone retried or discarded it first)."""


def document_hash(document: dict[str, Any]) -> str:
    """The sha256 of the document as sorted-keys JSON: equal documents, equal hashes."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def backoff_seconds(attempts: int, retry_after: float | None = None) -> float:
    """The wait before try number `attempts` + 1: base·2^(attempts−1), at most the cap, times a
    random factor in [0.5, 1.0] so that messages failed together are not all retried together; the
    remote's Retry-After when it asks for longer (never past the cap)."""
    base = float(settings.PORTAL_SYNC_OUTBOX_BACKOFF_SECONDS)
    cap = float(settings.PORTAL_SYNC_OUTBOX_BACKOFF_CAP_SECONDS)
    delay = min(cap, base * 2 ** max(0, attempts - 1)) * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not crypto
    if retry_after is not None and retry_after > delay:
        delay = min(retry_after, cap)
    return delay


def drain(endpoint: Endpoint, *, trigger: str = SyncRun.Trigger.SCHEDULE, by: User | None = None) -> SyncRun:
    """Send the due messages of push endpoint `endpoint`, in id order, and record the drain as a
    push SyncRun (pushed, unchanged, failed). Raises AlreadyRunning when a run of it is under way.
    A failing message never stops the drain with an exception: it is counted, retried later or
    dead. The drain is FAILED (endpoint unhealthy, editors told once per streak) when the remote
    failed every message it was given; PARTIAL when some went and some failed."""
    with locked_run(endpoint, Direction.PUSH, trigger=trigger, by=by) as run:
        remote_failures = 0
        error = ""
        try:
            adapter = push_adapter(endpoint.adapter)
            with client_for(endpoint) as client:
                remote_failures, error = _send_due(endpoint, adapter, client, run)
        except Exception as failure:  # no adapter, the database gone: a failed drain, never a crash
            logger.exception("portal_sync drain %s of %s failed", run.pk, endpoint.name)
            error = f"{type(failure).__name__}: {failure}"
            _finish(endpoint, run, SyncRun.Status.FAILED, error)
        else:
            if remote_failures and not (run.pushed or run.unchanged):
                status = SyncRun.Status.FAILED
            elif run.failed:
                status = SyncRun.Status.PARTIAL
            else:
                status = SyncRun.Status.SUCCEEDED
            _finish(endpoint, run, status, error)
        audit.record(
            by,
            "portal_sync.drain",
            run,
            status=run.status,
            pushed=run.pushed,
            unchanged=run.unchanged,
            failed=run.failed,
        )
        return run


def _send_due(endpoint: Endpoint, adapter: PushAdapter, client: httpx.Client, run: SyncRun) -> tuple[int, str]:
    """Every message of `endpoint` due when the drain started, in id order; returns the number of
    remote failures and the last error."""
    started = timezone.now()
    last_id = 0
    remote_failures = in_a_row = 0
    error = ""
    while True:
        ids = list(
            OutboxMessage.objects.due(started)
            .filter(endpoint=endpoint, pk__gt=last_id)
            .order_by("pk")
            .values_list("pk", flat=True)[:BATCH]
        )
        if not ids:
            return remote_failures, error
        for message_id in ids:
            last_id = message_id
            outcome, failure, stop = _send_one(endpoint, adapter, client, message_id, started)
            if outcome is None:
                continue  # taken by someone else, or waiting behind an earlier message
            if failure is None:
                in_a_row = 0
                if outcome == UNCHANGED:
                    run.unchanged += 1
                else:
                    run.pushed += 1
                continue
            run.failed += 1
            error = failure
            if outcome == "remote":
                remote_failures += 1
                in_a_row += 1
            if stop or in_a_row >= STOP_AFTER_REMOTE_ERRORS:
                logger.warning("portal_sync drain of %s stopped: the remote is failing (%s)", endpoint.name, error)
                return remote_failures, error


def _send_one(
    endpoint: Endpoint, adapter: PushAdapter, client: httpx.Client, message_id: int, now: datetime.datetime
) -> tuple[str | None, str | None, bool]:
    """Lock one message and send it, in its own transaction. Returns (outcome, error, stop):
    outcome None when it was skipped; error None when it went (SENT, UNCHANGED or DELETED) and the
    outcome "remote", "permanent" or "error" when it failed; stop when the remote asked us to wait."""
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update(skip_locked=True).filter(pk=message_id).due(now).first()
        if message is None:
            return None, None, False
        message.endpoint = endpoint
        earlier = OutboxMessage.objects.filter(
            endpoint=endpoint,
            object_type=message.object_type,
            object_id=message.object_id,
            status=OutboxMessage.Status.PENDING,
            pk__lt=message.pk,
        )
        if earlier.exists():
            # Messages about one record go in order: this one waits for the earlier one's retry.
            return None, None, False
        try:
            # A savepoint: an adapter's database error must not break the transaction that records it.
            with transaction.atomic():
                outcome = _deliver(endpoint, adapter, client, message)
        except PermanentError as failure:
            _failed(endpoint, message, str(failure), dead=True)
            return "permanent", message.last_error, False
        except RemoteError as failure:
            _failed(endpoint, message, str(failure), retry_after=failure.retry_after)
            return "remote", message.last_error, failure.status == 429
        except Exception as failure:  # a bug in one message must not stop the others
            logger.exception("portal_sync: message %s to %s failed", message.pk, endpoint.name)
            _failed(endpoint, message, f"{type(failure).__name__}: {failure}")
            return "error", message.last_error, False
        message.status = OutboxMessage.Status.SENT
        message.sent_at = timezone.now()
        message.last_error = ""
        message.save(update_fields=["status", "sent_at", "remote_id", "last_error"])
        return outcome, None, False


def _deliver(endpoint: Endpoint, adapter: PushAdapter, client: httpx.Client, message: OutboxMessage) -> str:
    """Render the record and make the remote hold it (or not hold it, when it is gone)."""
    remote = (
        RemoteRecord.objects.select_for_update()
        .filter(endpoint=endpoint, object_type=message.object_type, object_id=message.object_id)
        .first()
    )
    held = remote if remote is not None and remote.deleted_at is None else None
    deleting = message.operation == OutboxMessage.Operation.DELETE
    document = None if deleting else adapter.render(endpoint, message)
    now = timezone.now()
    if document is None:
        if held is None:
            return UNCHANGED  # gone here, not there: nothing to do
        adapter.delete(endpoint, message, client, remote=held)
        held.deleted_at = now
        held.save(update_fields=["deleted_at"])
        message.remote_id = held.remote_id
        return DELETED
    digest = document_hash(document)
    if held is not None and held.content_hash == digest:
        message.remote_id = held.remote_id
        return UNCHANGED
    remote_id = adapter.send(endpoint, message, document, client, remote=held)
    RemoteRecord.objects.update_or_create(
        endpoint=endpoint,
        object_type=message.object_type,
        object_id=message.object_id,
        defaults={"remote_id": remote_id, "content_hash": digest, "pushed_at": now, "deleted_at": None},
    )
    message.remote_id = remote_id
    return SENT


def _failed(
    endpoint: Endpoint, message: OutboxMessage, error: str, *, dead: bool = False, retry_after: float | None = None
) -> None:
    now = timezone.now()
    message.attempts += 1
    message.last_error = error[:2000]
    if dead or message.attempts >= endpoint.max_attempts:
        message.status = OutboxMessage.Status.DEAD
        message.dead_at = now
    else:
        message.next_attempt_at = now + datetime.timedelta(seconds=backoff_seconds(message.attempts, retry_after))
    message.save(update_fields=["attempts", "last_error", "status", "dead_at", "next_attempt_at"])


def _finish(endpoint: Endpoint, run: SyncRun, status: str, error: str) -> None:
    """Close the run and keep the endpoint's health as the pull engine does."""
    now = timezone.now()
    run.status = status
    run.finished_at = now
    run.error = error if status != SyncRun.Status.SUCCEEDED else ""
    run.save()
    endpoint.last_run_at = now
    if status == SyncRun.Status.FAILED:
        endpoint.refresh_from_db(fields=["consecutive_failures"])
        endpoint.consecutive_failures += 1
        endpoint.last_error = error
        health: dict[str, Any] = {"consecutive_failures": endpoint.consecutive_failures, "last_error": error}
    else:
        endpoint.last_success_at = now
        endpoint.last_error = ""
        endpoint.consecutive_failures = 0
        health = {"last_success_at": now, "last_error": "", "consecutive_failures": 0}
    Endpoint.objects.filter(pk=endpoint.pk).update(last_run_at=now, **health)
    if status == SyncRun.Status.FAILED and endpoint.consecutive_failures == 1:
        notify_editors_of_failure(endpoint, run)


def _dead_letter(message: OutboxMessage) -> OutboxMessage:
    locked = OutboxMessage.objects.select_for_update().get(pk=message.pk)
    if locked.status != OutboxMessage.Status.DEAD:
        raise NotDeadLetter(
            _("This message is now “%(status)s”: someone dealt with it first.")
            % {"status": locked.get_status_display()}
        )
    return locked


@transaction.atomic
def retry(message: OutboxMessage, by: User) -> OutboxMessage:
    """A dead letter back in the queue, due now, with its attempts counted from zero."""
    locked = _dead_letter(message)
    now = timezone.now()
    locked.status = OutboxMessage.Status.PENDING
    locked.attempts = 0
    locked.next_attempt_at = now
    locked.resolved_at = now
    locked.resolved_by = by
    locked.save(update_fields=["status", "attempts", "next_attempt_at", "resolved_at", "resolved_by"])
    audit.record(by, "outbox_message.retry", locked, endpoint=locked.endpoint_id)
    return locked


@transaction.atomic
def discard(message: OutboxMessage, by: User) -> OutboxMessage:
    """A dead letter given up for good (e.g. the record was fixed and sent by a later message)."""
    locked = _dead_letter(message)
    locked.status = OutboxMessage.Status.DISCARDED
    locked.resolved_at = timezone.now()
    locked.resolved_by = by
    locked.save(update_fields=["status", "resolved_at", "resolved_by"])
    audit.record(by, "outbox_message.discard", locked, endpoint=locked.endpoint_id)
    return locked
