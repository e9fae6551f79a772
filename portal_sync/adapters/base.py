"""The one interface every adapter speaks, whatever its protocol.

A pull adapter reads a remote system and hands the engine plain records (`Incoming`) and, for
records it could not read, `Rejection`s with a reason; it never writes to the database and never
raises for one bad record. Transport failures (timeouts, 5xx after retries, refused connections)
raise `RemoteError`: the run fails as a whole and nothing past the last finished item is lost,
because every item is upserted on its own and the cursor moves only when a run finishes.

A push adapter renders one of our records as the remote's document and sends it (see
`PushAdapter`); it raises `RemoteError` (the message is retried with backoff) or `PermanentError`
(the remote refused the record itself, e.g. 400/422: retrying cannot help, the message goes dead at
once).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import httpx

    from portal_sync.models import Endpoint, OutboxMessage, RemoteRecord


class RemoteError(Exception):
    """The remote could not be read or written now (network, timeout, 5xx, 429). `retry_after` in
    seconds when the remote said so."""

    def __init__(self, message: str, *, retry_after: float | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status


class PermanentError(Exception):
    """The remote refused this record for good (e.g. 400, 404 on delete is NOT one: that is done)."""


@dataclass
class Incoming:
    """One remote record, normalised. `body` and `summary` may hold the remote's HTML: the engine
    sanitises them before they are stored. `payload` keeps the remote's own document (for a
    service: its HSDS JSON), part of the content hash."""

    external_id: str
    kind: str  # portal_sync.models.ItemKind
    title: str
    summary: str = ""
    body: str = ""
    url: str = ""
    language: str = ""
    published_at: datetime.datetime | None = None
    updated_at: datetime.datetime | None = None
    starts_at: datetime.datetime | None = None
    ends_at: datetime.datetime | None = None
    location: str = ""
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass
class Rejection:
    """A record the adapter could not take. `reason` is a RejectedRecord.Reason value; `detail` plain
    words for the editor; `excerpt` at most 2,000 characters of the raw record (stored as text)."""

    external_id: str
    reason: str
    detail: str
    excerpt: str = ""


@dataclass
class PullBatch:
    """What one pull found. `present_ids`: every id the remote holds now, when the adapter can tell
    (a full feed, an HSDS `minimal` listing), so the engine withdraws items gone from the remote;
    None when it cannot (then nothing is withdrawn). `cursor`: the watermark to store once the run
    has finished (e.g. the time to ask `modified_after` next time); None keeps the old one."""

    records: list[Incoming | Rejection]
    present_ids: set[str] | None = None
    cursor: str | None = None


class PullAdapter(Protocol):
    def pull(self, endpoint: Endpoint, client: httpx.Client, *, cursor: str) -> PullBatch: ...


class PushAdapter(Protocol):
    """Sends our records to a push endpoint. An outbox message only says "this record changed"
    (`object_type`, `object_id`); the adapter reads the record as it is when the message is sent,
    so a message that waited sends the latest state, and a record gone since is deleted remotely.

    `render` gives the document to send, or None when the record no longer exists (or is no longer
    public): the drain then calls `delete` if the remote holds it. The drain hashes the document and
    skips the call when the remote already holds that hash (`RemoteRecord.content_hash`), so an
    unchanged record is never sent twice. `send` creates or updates the record at the remote: with
    `remote.remote_id` when the remote already holds it, else with an idempotency key that belongs to
    the record (not to the message: see `hsds_push.creation_key`), so a record sent twice (a timeout
    after the remote had saved it, then a later message about it) still makes one record there. It returns
    the remote's id of the record. Both raise `RemoteError` (retried with backoff) or
    `PermanentError` (dead at once)."""

    object_types: tuple[str, ...]  # what this adapter sends, e.g. ("service",) or ("dataset",)

    def render(self, endpoint: Endpoint, message: OutboxMessage) -> dict[str, Any] | None: ...

    def send(
        self,
        endpoint: Endpoint,
        message: OutboxMessage,
        document: dict[str, Any],
        client: httpx.Client,
        *,
        remote: RemoteRecord | None,
    ) -> str: ...

    def delete(
        self, endpoint: Endpoint, message: OutboxMessage, client: httpx.Client, *, remote: RemoteRecord
    ) -> None: ...
