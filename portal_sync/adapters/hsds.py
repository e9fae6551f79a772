"""Pull services from a remote Open Referral HSDS 3.0 API (the national portal's directory, another
Region's), the way the HSDS OpenAPI describes it.

- `GET {url}/services?full=true&page=N[&modified_after=<cursor>][&per_page=..]`, every page until
  `total_pages` (or an empty page): `{"contents": [...], "total_pages": .., "page_number": ..}`.
  Each service is checked against the official compiled schema (aipim.core.hsds.validation_errors):
  a valid one becomes Incoming(kind=service, external_id=id, title=name, summary=description,
  url, updated_at=last_modified, payload=the service document); an invalid one a Rejection
  (reason "schema") with the first errors.
- Deletions: `GET {url}/services?minimal=true&page=N` (all pages) lists every id the remote holds
  now → `present_ids`. It also reconciles: pages shift when the remote changes while we read them,
  so a service of the listing that the pages did not bring — any, on a first run; one modified
  since the cursor, on a later run — is asked for on its own (`GET {url}/services/{id}`; a 404
  means it is gone meanwhile). The same id twice in one run is that drift too: the later copy wins.
- The new cursor is the time the run started, less a safety margin for clocks that disagree
  (an item sent twice costs nothing: its content hash is unchanged), so the next run asks only
  for what changed since.

A page that is not JSON, not in UTF-8 or not a page of services stops the reading: the services
read so far are kept, one Rejection says what happened, the cursor stays where it was (the next run
asks again from the same point) and nothing is withdrawn. Transport failures are RemoteError
(portal_sync.http.fetch).

Options (Endpoint.options): `per_page`, `full` (default true), `detect_deletions` (default true),
`cursor_overlap_seconds` (default 300), `max_pages` (default 1000), `max_refetch` (services asked
for one by one in a run, default 200; past it the cursor does not move), `max_bytes` (per page).
"""

from __future__ import annotations

import datetime
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from aipim.core.hsds import validation_errors
from portal_sync.adapters import register
from portal_sync.adapters.base import Incoming, PullBatch, Rejection, RemoteError
from portal_sync.adapters.feed import MAX_EXTERNAL_ID, MAX_TITLE, excerpt, web_url
from portal_sync.http import fetch
from portal_sync.models import Adapter, Direction, ItemKind, RejectedRecord

if TYPE_CHECKING:
    import httpx

    from portal_sync.models import Endpoint

Reason = RejectedRecord.Reason


class PageError(Exception):
    """A listing page that cannot be read; `reason` is a RejectedRecord.Reason."""

    def __init__(self, reason: str, detail: str, raw: bytes) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.raw = raw


def services_url(url: str) -> str:
    url = url.rstrip("/")
    return url if url.endswith("/services") else f"{url}/services"


def read_page(content: bytes) -> tuple[list[Any], int]:
    """The `contents` and `total_pages` of one HSDS page; PageError when it is not one."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise PageError(
            Reason.ENCODING, _("The page is not UTF-8 text (%(error)s).") % {"error": error}, content
        ) from None
    try:
        data = json.loads(text)
    except ValueError as error:
        raise PageError(
            Reason.INVALID_DOCUMENT, _("The page is not valid JSON (%(error)s).") % {"error": error}, content
        ) from None
    if isinstance(data, list):  # a bare list: one page holding everything
        return data, 1
    if not isinstance(data, dict) or not isinstance(data.get("contents"), list):
        raise PageError(Reason.INVALID_DOCUMENT, _("The page has no list of services (contents)."), content)
    total_pages = data.get("total_pages")
    if total_pages is None:
        total_pages = 1
    if not isinstance(total_pages, int) or isinstance(total_pages, bool) or total_pages < 0:
        raise PageError(
            Reason.INVALID_DOCUMENT,
            _("The page's total_pages is not a number: %(value)s.") % {"value": total_pages},
            content,
        )
    return data["contents"], total_pages


def read_service(service: Any) -> Incoming | Rejection:
    """One service of a listing, checked against the HSDS 3.0 schema."""
    if not isinstance(service, dict):
        return Rejection("", Reason.INVALID_DOCUMENT, _("A listed service is not a JSON object."), excerpt(service))
    raw_id = service.get("id")
    external_id = str(raw_id).strip() if isinstance(raw_id, str | int) else ""
    errors = validation_errors(service)
    if errors:
        detail = _("Does not follow the HSDS 3.0 schema: %(errors)s") % {"errors": "; ".join(errors[:3])}
        return Rejection(external_id[:MAX_EXTERNAL_ID], Reason.SCHEMA, detail[:500], excerpt(service))
    if not external_id or len(external_id) > MAX_EXTERNAL_ID:
        return Rejection(
            external_id[:MAX_EXTERNAL_ID], Reason.BAD_VALUE, _("The service's id is unusable."), excerpt(service)
        )
    name = " ".join(str(service.get("name") or "").split())
    if not name:
        return Rejection(external_id, Reason.MISSING_FIELD, _("The service has no name."), excerpt(service))
    last_modified = service.get("last_modified")
    updated_at = _aware(parse_datetime(last_modified)) if isinstance(last_modified, str) else None
    return Incoming(
        external_id=external_id,
        kind=ItemKind.SERVICE,
        title=name[:MAX_TITLE],
        summary=str(service.get("description") or ""),
        url=web_url(service.get("url")),
        updated_at=updated_at,
        payload=service,
    )


class HSDSAdapter:
    def pull(self, endpoint: Endpoint, client: httpx.Client, *, cursor: str) -> PullBatch:
        options = endpoint.options or {}
        started = timezone.now()
        url = services_url(endpoint.url)
        max_pages = int(options.get("max_pages", 1000))
        max_bytes = options.get("max_bytes")

        def pages(params: dict[str, Any]) -> Any:
            """Each page's contents, following total_pages (PageError when one cannot be read)."""
            page, total_pages = 1, 1
            while page <= total_pages:
                if page > max_pages:
                    detail = _("The listing has more than %(pages)d pages (option max_pages).") % {"pages": max_pages}
                    raise PageError(Reason.TOO_LARGE, detail, b"")
                response = fetch(client, url, params={**params, "page": page}, max_bytes=max_bytes)
                contents, total_pages = read_page(response.content)
                if not contents:
                    return
                yield contents
                page += 1

        params: dict[str, Any] = {}
        if options.get("full", True):
            params["full"] = "true"
        if options.get("per_page"):
            params["per_page"] = int(options["per_page"])
        if cursor:
            params["modified_after"] = cursor

        records: list[Incoming | Rejection] = []
        position: dict[str, int] = {}  # id → index in records

        def take(record: Incoming | Rejection) -> None:
            # The same id twice in one run is pagination drifting under a remote that changed
            # during the run: the later copy is the newer one.
            if record.external_id and record.external_id in position:
                records[position[record.external_id]] = record
                return
            if record.external_id:
                position[record.external_id] = len(records)
            records.append(record)

        try:
            for contents in pages(params):
                for service in contents:
                    take(read_service(service))
        except PageError as error:
            records.append(
                Rejection("", error.reason, error.detail[:500], excerpt(error.raw.decode("utf-8", "replace")))
            )
            return PullBatch(records)

        overlap = datetime.timedelta(seconds=int(options.get("cursor_overlap_seconds", 300)))
        new_cursor: str | None = (started - overlap).isoformat()
        if not options.get("detect_deletions", True):
            return PullBatch(records, cursor=new_cursor)
        minimal = {k: v for k, v in params.items() if k not in ("full", "modified_after")}
        try:
            listing = read_listing(pages({**minimal, "minimal": "true"}))
        except PageError as error:
            detail = _("The minimal listing cannot be read, nothing was withdrawn: %(error)s") % {"error": error.detail}
            records.append(Rejection("", error.reason, detail[:500], excerpt(error.raw.decode("utf-8", "replace"))))
            return PullBatch(records, cursor=new_cursor)

        # Reconcile: a service the listing holds, changed since the cursor (any, on a first run), that
        # the pages did not bring (they shifted while we read them) is asked for on its own.
        since = _aware(parse_datetime(cursor)) if cursor else None
        missed = [
            service_id
            for service_id, modified in listing.items()
            if service_id not in position and (since is None or (modified is not None and modified >= since))
        ]
        max_refetch = int(options.get("max_refetch", 200))
        for service_id in missed[:max_refetch]:
            record = fetch_service(client, url, service_id, max_bytes=max_bytes)
            if record is None:  # gone meanwhile
                listing.pop(service_id)
            else:
                take(record)
        if len(missed) > max_refetch:
            new_cursor = None  # the rest is asked for again from the same point next time
        return PullBatch(records, present_ids=set(listing), cursor=new_cursor)


def _aware(value: datetime.datetime | None) -> datetime.datetime | None:
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value, datetime.UTC)
    return value


def read_listing(pages: Any) -> dict[str, datetime.datetime | None]:
    """A minimal listing's ids with their modification time when given (last_modified or modified_date)."""
    listing: dict[str, datetime.datetime | None] = {}
    for contents in pages:
        for service in contents:
            raw_id = service.get("id") if isinstance(service, dict) else service
            if not isinstance(raw_id, str | int) or not str(raw_id).strip():
                continue
            modified = None
            if isinstance(service, dict):
                raw = service.get("last_modified") or service.get("modified_date")
                try:
                    modified = _aware(parse_datetime(raw)) if isinstance(raw, str) else None
                except ValueError:
                    modified = None
            listing[str(raw_id).strip()] = modified
    return listing


def fetch_service(
    client: httpx.Client, url: str, service_id: str, *, max_bytes: int | None
) -> Incoming | Rejection | None:
    """GET {url}/{id}: the one service, None when the remote no longer has it (404)."""
    try:
        response = fetch(client, f"{url}/{quote(service_id, safe='')}", params={"full": "true"}, max_bytes=max_bytes)
    except RemoteError as error:
        if error.status in (404, 410):
            return None
        raise
    try:
        service = json.loads(response.content.decode("utf-8-sig"))
    except ValueError as error:  # UnicodeDecodeError is a ValueError too
        detail = _("The service cannot be read (%(error)s).") % {"error": error}
        return Rejection(service_id[:MAX_EXTERNAL_ID], Reason.INVALID_DOCUMENT, detail[:500], excerpt(response.text))
    return read_service(service)


register(Adapter.HSDS, Direction.PULL, HSDSAdapter())

import portal_sync.adapters.hsds_push  # noqa: E402, F401  (registers the push adapter of this protocol)
