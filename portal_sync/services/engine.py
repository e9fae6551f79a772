"""The pull engine: one run of one endpoint, from the remote's records to ContentItems.

A run holds a PostgreSQL advisory lock on its endpoint, so two runs of one endpoint never overlap;
a run still marked RUNNING when the lock is free was left by a dead worker and is marked ABANDONED.
Each record is upserted in its own transaction, keyed by (endpoint, external id) and a content
hash: an unchanged record writes nothing, so a run killed half-way is simply redone by the next one
from the same cursor (the cursor moves only when a run finishes)."""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import DatabaseError, connection, transaction
from django.db.models import JSONField, Model, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from aipim.accounts.models import Role, users_with_role
from aipim.core import audit
from aipim.core.models import Organisation, Service
from portal_sync.adapters import pull_adapter
from portal_sync.adapters.base import Incoming, PullBatch, Rejection, RemoteError
from portal_sync.http import client_for
from portal_sync.models import (
    ContentItem,
    ContentVersion,
    Direction,
    Endpoint,
    ItemState,
    RejectedRecord,
    SyncRun,
)
from portal_sync.sanitize import clean_html, plain_text

if TYPE_CHECKING:
    from aipim.accounts.models import User

logger = logging.getLogger(__name__)

# First key of the two-key advisory lock: "portal_sync" runs, so other apps' locks on the same
# numbers cannot collide with ours. The second key is the endpoint id.
LOCK_NAMESPACE = zlib.crc32(b"portal_sync.run") & 0x7FFFFFFF

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
# New items created per transaction: big enough to be fast, small enough that a killed run loses little.
CHUNK = 500


class AlreadyRunning(Exception):
    """Another run of this endpoint holds its lock."""


def due_endpoints(now: datetime.datetime | None = None) -> QuerySet[Endpoint]:
    """Enabled pull endpoints whose next run is due (or never planned)."""
    now = now or timezone.now()
    return (
        Endpoint.objects.enabled()
        .filter(direction=Direction.PULL)
        .filter(Q(next_run_at__isnull=True) | Q(next_run_at__lte=now))
    )


@contextmanager
def endpoint_lock(endpoint_id: int) -> Iterator[bool]:
    """A session-level advisory lock on the endpoint: yields False when another session holds it.
    A killed worker's connection closes and PostgreSQL frees its lock."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_NAMESPACE, endpoint_id])
        acquired = bool(cursor.fetchone()[0])
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, endpoint_id])


def run_endpoint(endpoint: Endpoint, *, trigger: str = SyncRun.Trigger.SCHEDULE, by: User | None = None) -> SyncRun:
    """Pull `endpoint` once and record the run. Raises AlreadyRunning when a run of it is under way.
    A remote failure or any unexpected error ends the run FAILED (recorded, logged, editors told
    once per streak of failures); it is never raised to the caller."""
    with locked_run(endpoint, Direction.PULL, trigger=trigger, by=by) as run:
        try:
            with client_for(endpoint) as client:
                batch = pull_adapter(endpoint.adapter).pull(endpoint, client, cursor=endpoint.cursor)
            apply_batch(endpoint, batch, run)
        except RemoteError as error:
            logger.warning("portal_sync run %s of %s failed: %s", run.pk, endpoint.name, error)
            _fail(endpoint, run, str(error))
        except Exception as error:
            logger.exception("portal_sync run %s of %s failed", run.pk, endpoint.name)
            _fail(endpoint, run, f"{type(error).__name__}: {error}")
        else:
            _succeed(endpoint, run, batch)
        audit.record(
            by,
            "portal_sync.run",
            run,
            status=run.status,
            seen=run.seen,
            created=run.created,
            updated=run.updated,
            unchanged=run.unchanged,
            withdrawn=run.withdrawn,
            failed=run.failed,
        )
        return run


@contextmanager
def locked_run(endpoint: Endpoint, direction: str, *, trigger: str, by: User | None) -> Iterator[SyncRun]:
    """Hold the endpoint's lock (AlreadyRunning when another run has it), mark the runs a dead
    worker left ABANDONED, and yield a new RUNNING run of `direction`: a pull or an outbox drain."""
    if endpoint.direction != direction:
        raise ValueError(f"{endpoint.name} is not a {direction} endpoint.")
    with endpoint_lock(endpoint.pk) as acquired:
        if not acquired:
            raise AlreadyRunning(_("A run of %(name)s is already under way.") % {"name": endpoint.name})
        abandon_dead_runs(endpoint)
        yield SyncRun.objects.create(
            endpoint=endpoint, direction=direction, trigger=trigger, started_by=by, status=SyncRun.Status.RUNNING
        )


def abandon_dead_runs(endpoint: Endpoint) -> int:
    """Called with the endpoint's lock held: a RUNNING run now belongs to no living worker."""
    return SyncRun.objects.filter(endpoint=endpoint, status=SyncRun.Status.RUNNING).update(
        status=SyncRun.Status.ABANDONED,
        finished_at=timezone.now(),
        error=_("The worker stopped during the run; the next run redid its work."),
    )


def apply_batch(endpoint: Endpoint, batch: PullBatch, run: SyncRun) -> None:
    """Every record of `batch` into the database, then withdrawals. One query reads the hashes the
    endpoint's items have, so an unchanged record costs no query at all; new records are created
    in chunks (one transaction each), changed ones one by one."""
    known = {
        external_id: (digest, state == ItemState.WITHDRAWN and removed is not None)
        for external_id, digest, state, removed in ContentItem.objects.filter(endpoint=endpoint).values_list(
            "external_id", "content_hash", "state", "removed_at_source_at"
        )
    }
    new: dict[str, Prepared] = {}
    for record in batch.records:
        run.seen += 1
        if isinstance(record, Rejection):
            _reject(endpoint, run, record)
            continue
        try:
            prepared = prepare(record)
        except ValueError as error:
            _reject_record(endpoint, run, record, error)
            continue
        seen = known.get(prepared.external_id)
        if seen is None and prepared.external_id not in new:
            new[prepared.external_id] = prepared
            if len(new) >= CHUNK:
                _create_chunk(endpoint, list(new.values()), run)
                known.update((p.external_id, (p.digest, False)) for p in new.values())
                new.clear()
                _save_progress(run)
        elif seen is not None and seen == (prepared.digest, False):
            run.unchanged += 1
        else:
            if prepared.external_id in new:  # the remote sent the same record twice
                _create_chunk(endpoint, list(new.values()), run)
                known.update((p.external_id, (p.digest, False)) for p in new.values())
                new.clear()
            _upsert_one(endpoint, prepared, run, record)
            known[prepared.external_id] = (prepared.digest, False)
    if new:
        _create_chunk(endpoint, list(new.values()), run)
    if batch.present_ids is not None:
        if not batch.present_ids and run.failed:
            # An empty listing alongside rejected records is more likely an unreadable document
            # than a remote that removed everything: withdraw nothing on that evidence.
            logger.warning("portal_sync: %s listed nothing and rejected records; nothing withdrawn", endpoint.name)
        else:
            run.withdrawn += withdraw_missing(endpoint, batch.present_ids)


def _save_progress(run: SyncRun) -> None:
    """The counts so far, for the dashboard while a long run goes on (and for a run that dies)."""
    counts = ("seen", "created", "updated", "unchanged", "failed")
    SyncRun.objects.filter(pk=run.pk).update(**{name: getattr(run, name) for name in counts})


def _create_chunk(endpoint: Endpoint, chunk: list[Prepared], run: SyncRun) -> None:
    """New items and their first versions in one transaction; if the chunk fails (a value the
    database refuses), each record is tried on its own so only the bad one is rejected."""
    now = timezone.now()
    main_language = settings.MODELTRANSLATION_DEFAULT_LANGUAGE
    try:
        # The item and its first version hold the same payload: serialised once for both.
        payloads = [JSONText(json.dumps(p.payload)) for p in chunk]
        items = []
        for p, payload in zip(chunk, payloads, strict=True):
            items.append(
                {
                    **p.fields,
                    # The remote's texts are in the site's main language (modeltranslation's columns).
                    f"title_{main_language}": p.fields["title"],
                    f"summary_{main_language}": p.fields["summary"],
                    "public_id": uuid.uuid4(),
                    "endpoint_id": endpoint.pk,
                    "external_id": p.external_id,
                    "payload": payload,
                    "content_hash": p.digest,
                    "version": 1,
                    "state": ItemState.RECEIVED,
                    "state_changed_at": now,
                    "received_at": now,
                    "updated_at": now,
                }
            )
        with transaction.atomic():
            ids = insert_rows(ContentItem, items)
            insert_rows(
                ContentVersion,
                [
                    {
                        "item_id": item_id,
                        "version": 1,
                        "content_hash": p.digest,
                        "title": p.fields["title"],
                        "summary": p.fields["summary"],
                        "body": p.fields["body"],
                        "payload": payload,
                        "run_id": run.pk,
                        "received_at": now,
                    }
                    for item_id, p, payload in zip(ids, chunk, payloads, strict=True)
                ],
            )
    except (DatabaseError, ValueError, TypeError):
        for prepared in chunk:
            _upsert_one(endpoint, prepared, run, prepared)
        return
    run.created += len(ids)


class JSONText(str):
    """A JSON field's value already serialised (insert_rows sends it as it is)."""


_MISSING = object()


def insert_rows(model: type[Model], rows: list[dict[str, Any]]) -> list[int]:
    """INSERT many rows of `model` in one statement and return their ids. Rows are dicts by
    attname; a column a row leaves out gets the field's default, worked out once for the whole
    statement (so give unique values, such as a public_id, in every row); a JSON field's value may
    come serialised, as JSONText. The ORM's bulk_create builds a model instance per row (with
    modeltranslation, most of a first pull's time): this does not."""
    if not rows:
        return []
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    defaults = {f.attname: f.get_default() for f in fields if f.attname not in rows[0]}
    placeholders = "(" + ", ".join("%s::jsonb" if isinstance(f, JSONField) else "%s" for f in fields) + ")"
    # Per column, worked out once: its name, its default when rows leave it out, its JSON encoder.
    columns_plan = [
        (f.attname, defaults.get(f.attname, _MISSING), isinstance(f, JSONField), getattr(f, "encoder", None))
        for f in fields
    ]
    params: list[Any] = []
    append = params.append
    for row in rows:
        for attname, default, is_json, encoder in columns_plan:
            value = row.get(attname, default)
            if value is _MISSING:
                raise KeyError(attname)
            if is_json:
                if not isinstance(value, JSONText):
                    value = json.dumps(value, cls=encoder)
            elif isinstance(value, uuid.UUID):
                value = str(value)
            append(value)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    pk = model._meta.pk
    assert pk is not None
    # Only names from the model's own metadata go into the text; every value is a parameter.
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "  # noqa: S608
        f"VALUES {', '.join([placeholders] * len(rows))} RETURNING {quote(str(pk.column))}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _upsert_one(endpoint: Endpoint, prepared: Prepared, run: SyncRun, record: Any) -> None:
    try:
        outcome = _upsert(endpoint, prepared, run)
    except Exception as error:  # one record the database refuses must not stop the others
        _reject_record(endpoint, run, record, error)
        return
    setattr(run, outcome, getattr(run, outcome) + 1)


def _reject_record(endpoint: Endpoint, run: SyncRun, record: Any, error: Exception) -> None:
    external_id = str(getattr(record, "external_id", ""))[:300]
    logger.warning("portal_sync: record %r of %s refused: %s", external_id, endpoint.name, error)
    rejection = Rejection(external_id, RejectedRecord.Reason.BAD_VALUE, str(error)[:500], repr(record)[:2000])
    _reject(endpoint, run, rejection)


def _reject(endpoint: Endpoint, run: SyncRun, rejection: Rejection) -> None:
    run.failed += 1
    RejectedRecord.objects.create(
        run=run,
        endpoint=endpoint,
        external_id=(rejection.external_id or "")[:300],
        reason=rejection.reason,
        detail=(rejection.detail or "")[:500],
        excerpt=(rejection.excerpt or "")[:2000],
    )


def normalise(incoming: Incoming) -> dict[str, Any]:
    """The fields an item gets from a remote record, sanitised: titles, summaries and places are
    plain text, the body is allow-listed HTML, links are http(s) only."""
    url = incoming.url.strip() if incoming.url else ""
    if not url.lower().startswith(("http://", "https://")) or len(url) > 1000:
        url = ""
    return {
        "kind": incoming.kind,
        "title": plain_text(incoming.title, 500),
        "summary": plain_text(incoming.summary),
        "body": clean_html(incoming.body),
        "url": url,
        "language": (incoming.language or "")[:8],
        "source_published_at": incoming.published_at,
        "source_updated_at": incoming.updated_at,
        "starts_at": incoming.starts_at,
        "ends_at": incoming.ends_at,
        "location": plain_text(incoming.location, 500),
    }


def content_hash(fields: dict[str, Any], payload: dict[str, Any]) -> str:
    canonical = json.dumps(
        {"fields": fields, "payload": payload},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=_json_default,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _json_default(value: Any) -> str:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return str(value)


@dataclass
class Prepared:
    """A record ready to store: its id, sanitised fields, payload and content hash."""

    external_id: str
    fields: dict[str, Any]
    payload: dict[str, Any]
    digest: str


def prepare(incoming: Incoming) -> Prepared:
    """Sanitise and hash `incoming`; ValueError (in words for the editor) if it cannot be stored."""
    external_id = (incoming.external_id or "").strip()
    if not external_id:
        raise ValueError("The record has no id.")
    if len(external_id) > 300:
        raise ValueError("The record's id is longer than 300 characters.")
    fields = normalise(incoming)
    if not fields["title"]:
        raise ValueError("The record has no title.")
    payload = incoming.payload or {}
    return Prepared(external_id, fields, payload, content_hash(fields, payload))


def upsert(endpoint: Endpoint, incoming: Incoming, run: SyncRun | None = None) -> str:
    """One remote record into its ContentItem; returns "created", "updated" or "unchanged".
    Unchanged writes nothing at all (not even updated_at)."""
    return _upsert(endpoint, prepare(incoming), run)


def _upsert(endpoint: Endpoint, prepared: Prepared, run: SyncRun | None) -> str:
    external_id, fields, payload, digest = prepared.external_id, prepared.fields, prepared.payload, prepared.digest
    now = timezone.now()
    # The remote's texts are in the site's main language: the editors' translations stay theirs.
    with translation.override(settings.MODELTRANSLATION_DEFAULT_LANGUAGE), transaction.atomic():
        item = ContentItem.objects.select_for_update().filter(endpoint=endpoint, external_id=external_id).first()
        if item is None:
            item = ContentItem.objects.create(
                endpoint=endpoint,
                external_id=external_id,
                payload=payload,
                content_hash=digest,
                version=1,
                state=ItemState.RECEIVED,
                state_changed_at=now,
                received_at=now,
                **fields,
            )
            _keep_version(item, run, now)
            return CREATED
        back_at_source = item.state == ItemState.WITHDRAWN and item.removed_at_source_at is not None
        if item.content_hash == digest and not back_at_source:
            return UNCHANGED
        if item.content_hash != digest:
            for name, value in fields.items():
                setattr(item, name, value)
            item.payload = payload
            item.content_hash = digest
            item.version += 1
            _keep_version(item, run, now)
            if item.state in (ItemState.PUBLISHED, ItemState.APPROVED):
                item.state = ItemState.IN_REVIEW
                item.changed_after_publishing = True
                item.state_changed_at, item.state_changed_by = now, None
        if back_at_source:
            # Withdrawn because the source had removed it, and now it is back: review it again.
            item.state = ItemState.IN_REVIEW if item.published_at else ItemState.RECEIVED
            item.removed_at_source_at = None
            item.state_changed_at, item.state_changed_by = now, None
        item.save()
        return UPDATED


def _keep_version(item: ContentItem, run: SyncRun | None, now: datetime.datetime) -> None:
    _version(item, run, now).save()


def _version(item: ContentItem, run: SyncRun | None, now: datetime.datetime) -> ContentVersion:
    return ContentVersion(
        item=item,
        version=item.version,
        content_hash=item.content_hash,
        title=item.title,
        summary=item.summary,
        body=item.body,
        payload=item.payload,
        run=run,
        received_at=now,
    )


def withdraw_missing(endpoint: Endpoint, present_ids: set[str]) -> int:
    """Items the remote no longer holds are withdrawn (and their directory service set inactive)."""
    now = timezone.now()
    gone = ContentItem.objects.filter(endpoint=endpoint).exclude(state=ItemState.WITHDRAWN)
    gone = gone.exclude(external_id__in=list(present_ids))
    with transaction.atomic():
        items = list(gone.select_for_update())
        service_ids = [item.service_id for item in items if item.service_id]
        if service_ids:
            Service.objects.filter(pk__in=service_ids).update(status=Service.Status.INACTIVE)
        return ContentItem.objects.filter(pk__in=[item.pk for item in items]).update(
            state=ItemState.WITHDRAWN,
            removed_at_source_at=now,
            state_changed_at=now,
            state_changed_by=None,
            updated_at=now,
        )


def _succeed(endpoint: Endpoint, run: SyncRun, batch: PullBatch) -> None:
    now = timezone.now()
    run.status = SyncRun.Status.PARTIAL if run.failed else SyncRun.Status.SUCCEEDED
    run.finished_at = now
    run.save()
    health: dict[str, Any] = {
        "last_run_at": now,
        "last_success_at": now,
        "last_error": "",
        "consecutive_failures": 0,
        "next_run_at": now + datetime.timedelta(minutes=endpoint.interval_minutes),
    }
    if batch.cursor is not None:
        health["cursor"] = batch.cursor
    Endpoint.objects.filter(pk=endpoint.pk).update(**health)
    for name, value in health.items():
        setattr(endpoint, name, value)


def _fail(endpoint: Endpoint, run: SyncRun, error: str) -> None:
    now = timezone.now()
    run.status = SyncRun.Status.FAILED
    run.finished_at = now
    run.error = error
    run.save()
    endpoint.refresh_from_db(fields=["consecutive_failures"])
    endpoint.consecutive_failures += 1
    endpoint.last_run_at = now
    endpoint.last_error = error
    endpoint.next_run_at = now + datetime.timedelta(minutes=endpoint.interval_minutes)
    Endpoint.objects.filter(pk=endpoint.pk).update(
        consecutive_failures=endpoint.consecutive_failures,
        last_run_at=now,
        last_error=error,
        next_run_at=endpoint.next_run_at,
    )
    if endpoint.consecutive_failures == 1:
        notify_editors_of_failure(endpoint, run)


def notify_editors_of_failure(endpoint: Endpoint, run: SyncRun) -> int:
    """Email the editors that an endpoint started failing (once per streak: the next emails would
    say the same). A mail server down must not turn a recorded failure into a crash."""
    editors = users_with_role(Role.EDITOR, Organisation.objects.values_list("pk", flat=True))
    recipients = sorted({user.email for user in editors if user.email})
    if not recipients:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Portal sync: %(endpoint)s is failing") % {"endpoint": endpoint}
        body = _(
            "The run of %(endpoint)s started at %(started)s failed:\n\n%(error)s\n\n"
            "The next runs will try again. The operations page shows the health of every endpoint."
        ) % {
            "endpoint": endpoint,
            "started": timezone.localtime(run.started_at).strftime("%Y-%m-%d %H:%M"),
            "error": run.error,
        }
    try:
        send_mail(subject, body, None, recipients)
    except Exception:
        logger.exception("portal_sync: could not email editors about %s", endpoint.name)
        return 0
    return len(recipients)
