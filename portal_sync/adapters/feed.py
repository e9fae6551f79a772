"""Pull news and opportunities from an Atom or RSS 2.0 feed (the Portale Integrazione Migranti's
"Notizie" and "Bandi e opportunità" feeds, a Region's press office...).

`parse_feed(bytes) -> PullBatch` does all the reading, so it is tested on documents directly; the
adapter only fetches the body (portal_sync.http.fetch: retries, size limit) and hands it over.
feedparser only ever sees bytes, never a URL, so it never fetches anything itself.

Each entry becomes an `Incoming`: external id = the entry's id (Atom <id>, RSS <guid>), else its
link; title; summary and body as the feed gives them, HTML included — the engine sanitises them
before anything is stored, in one place with one allow-list; dates; the link (http/https only);
the language of the entry or of the feed. An entry that cannot be taken (no title, neither id nor
link, an unreadable date, an id seen twice) is a `Rejection` with the reason, and its id still
counts as present, so a record that is broken for one run is not withdrawn.

A document that is not a feed at all, or whose bytes are not in the encoding it declares, is one
`Rejection` and no record; a malformed one whose entries the lenient parser could still read gives
those entries and one `Rejection`. In both cases `present_ids` is None: nothing is withdrawn on
the strength of a document we could not read whole.

Options (Endpoint.options): `kind` (when the endpoint has no item kind; default news),
`complete_feed` (default true: the feed lists everything the source holds, so an entry gone from
it is withdrawn; set false for a feed of the latest N entries), `opportunity_categories` (entries
with one of these categories are opportunities, e.g. ["Bandi", "Avvisi"]), `conditional_get` (default
true: the cursor keeps the feed's ETag and Last-Modified, the next run sends If-None-Match /
If-Modified-Since and a 304 reads nothing), `max_bytes`.
"""

from __future__ import annotations

import calendar
import codecs
import datetime
import json
import re
import time
from typing import TYPE_CHECKING, Any

import feedparser
from django.utils.translation import gettext as _

from portal_sync.adapters import register
from portal_sync.adapters.base import Incoming, PullBatch, Rejection
from portal_sync.http import fetch
from portal_sync.models import Adapter, ContentItem, Direction, Endpoint, ItemKind, RejectedRecord

if TYPE_CHECKING:
    import httpx


Reason = RejectedRecord.Reason

EXCERPT_CHARS = 2000
MAX_EXTERNAL_ID = ContentItem._meta.get_field("external_id").max_length or 300
MAX_TITLE = ContentItem._meta.get_field("title").max_length or 500
MAX_URL = ContentItem._meta.get_field("url").max_length or 1000
MAX_CURSOR = Endpoint._meta.get_field("cursor").max_length or 200

# feedparser's "bozo" exceptions that say the encoding was wrong or unknown; NonXMLContentType only
# says the server sent a feed as text/html or the like, which is harmless.
_ENCODING_PROBLEMS = (feedparser.CharacterEncodingOverride, feedparser.CharacterEncodingUnknown)
_HARMLESS = (feedparser.NonXMLContentType,)


def excerpt(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text[:EXCERPT_CHARS]


def web_url(value: Any) -> str:
    """`value` when it is an http(s) address that fits the model, else "" (never a javascript: link)."""
    if not isinstance(value, str):
        return ""
    value = value.strip()
    if not value.lower().startswith(("http://", "https://")) or len(value) > MAX_URL:
        return ""
    return value


def language_code(value: Any) -> str:
    """'it-IT' → 'it'; '' when unknown."""
    if not isinstance(value, str) or not value.strip():
        return ""
    return value.strip().replace("_", "-").split("-")[0].lower()[:8]


def _when(entry: Any, field: str) -> tuple[datetime.datetime | None, bool]:
    """The entry's date `field` (published/updated) as an aware UTC datetime, and whether the entry
    carried a value that could not be read."""
    # dict.get: feedparser's own get() maps a missing "updated" to "published" (with a warning).
    parsed: time.struct_time | None = dict.get(entry, f"{field}_parsed")
    if parsed:
        return datetime.datetime.fromtimestamp(calendar.timegm(parsed), tz=datetime.UTC), False
    raw = dict.get(entry, field)
    return None, bool(raw and str(raw).strip())


def _raw_entry(entry: Any) -> str:
    keys = ("id", "link", "title", "published", "updated", "summary")
    return excerpt({key: dict.get(entry, key) for key in keys if dict.get(entry, key)})


def _entry_kind(entry: Any, default: str, opportunity_categories: set[str]) -> str:
    if opportunity_categories and default == ItemKind.NEWS:
        terms = {str(tag.get("term", "")).strip().casefold() for tag in entry.get("tags") or []}
        if terms & opportunity_categories:
            return ItemKind.OPPORTUNITY
    return default


def _read_entry(entry: Any, *, kind: str, feed_language: str, opportunity_categories: set[str]) -> Incoming | Rejection:
    link = web_url(entry.get("link"))
    external_id = str(entry.get("id") or "").strip() or link
    if not external_id:
        return Rejection("", Reason.MISSING_FIELD, _("The entry has neither an id nor a link."), _raw_entry(entry))
    if len(external_id) > MAX_EXTERNAL_ID:
        return Rejection(
            external_id[:MAX_EXTERNAL_ID],
            Reason.BAD_VALUE,
            _("The entry's id is longer than %(limit)d characters.") % {"limit": MAX_EXTERNAL_ID},
            _raw_entry(entry),
        )
    title = " ".join(str(entry.get("title") or "").split())
    if not title:
        return Rejection(external_id, Reason.MISSING_FIELD, _("The entry has no title."), _raw_entry(entry))
    published_at, bad_published = _when(entry, "published")
    updated_at, bad_updated = _when(entry, "updated")
    if bad_published or bad_updated:
        if bad_published:
            detail = _("The publication date cannot be read: %(value)s.") % {"value": dict.get(entry, "published")}
        else:
            detail = _("The update date cannot be read: %(value)s.") % {"value": dict.get(entry, "updated")}
        return Rejection(external_id, Reason.BAD_VALUE, detail[:500], _raw_entry(entry))
    contents = entry.get("content") or []
    body = "\n".join(str(part.get("value") or "") for part in contents).strip()
    summary = str(entry.get("summary") or "").strip()
    if summary == body:  # RSS readers often repeat the description as the content
        body = ""
    language = ""
    for part in (entry.get("title_detail"), contents[0] if contents else None):
        language = language or language_code((part or {}).get("language"))
    tags = sorted({str(tag.get("term", "")).strip() for tag in entry.get("tags") or []} - {""})
    payload: dict[str, Any] = {}
    if tags:
        payload["categories"] = tags
    if entry.get("author"):
        payload["author"] = str(entry.get("author"))
    enclosures = [web_url(link.get("href")) for link in entry.get("links") or [] if link.get("rel") == "enclosure"]
    if any(enclosures):
        payload["enclosures"] = [href for href in enclosures if href]
    return Incoming(
        external_id=external_id,
        kind=_entry_kind(entry, kind, opportunity_categories),
        title=title[:MAX_TITLE],
        summary=summary,
        body=body,
        url=link,
        language=language or feed_language,
        published_at=published_at or updated_at,
        updated_at=updated_at,
        payload=payload,
    )


_DECLARATION = re.compile(r"""^(\s*<\?xml[^>]*?\bencoding\s*=\s*["'])([A-Za-z0-9._:-]+)(["'])""")
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def charset_of(content_type: str | None) -> str | None:
    for part in (content_type or "").split(";")[1:]:
        key, _sep, value = part.strip().partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'").lower()
    return None


def decode_document(content: bytes, http_charset: str | None) -> str | None:
    """The document's text, or None when its bytes are in none of the encodings it could be in.

    Servers and documents often disagree (text/xml with no charset, a server-wide latin-1 default
    on a UTF-8 file), so rather than trusting one, each encoding named — by a byte-order mark, the
    XML declaration (UTF-8 when none), the HTTP charset — is tried strictly, UTF-8 first when any
    names it: bytes that decode as UTF-8 are UTF-8. Latin-1 bytes in a document that says UTF-8,
    with nothing else naming latin-1, are refused rather than guessed."""
    for bom, encoding in _BOMS:
        if content.startswith(bom):
            try:
                return content.decode(encoding)
            except UnicodeDecodeError:
                return None
    match = _DECLARATION.match(content[:200].decode("ascii", errors="replace"))
    named = [match.group(2).lower() if match else "utf-8", http_charset]
    candidates = [name for name in named if name]
    if any(codecs.lookup(name).name == "utf-8" for name in candidates if _known(name)):
        candidates.insert(0, "utf-8")
    for encoding in dict.fromkeys(candidates):
        if not _known(encoding):
            continue
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _known(encoding: str) -> bool:
    try:
        codecs.lookup(encoding)
    except LookupError:
        return False
    return True


def parse_feed(
    content: bytes,
    *,
    kind: str = ItemKind.NEWS,
    complete: bool = True,
    content_type: str | None = None,
    opportunity_categories: list[str] | None = None,
) -> PullBatch:
    """Read an Atom or RSS document (bytes as received) into a PullBatch; never raises for bad data."""
    head = excerpt(content[:EXCERPT_CHARS].decode("utf-8", errors="replace"))
    text = decode_document(content, charset_of(content_type))
    if text is None:
        detail = _("The feed's bytes are not in the encoding it declares.")
        return PullBatch([Rejection("", Reason.ENCODING, detail, head)])
    # feedparser gets the text again as UTF-8, declared so, whatever the server and the document said.
    utf8 = _DECLARATION.sub(r"\g<1>utf-8\g<3>", text, count=1).encode("utf-8")
    try:
        # sanitize_html=False: HTML passes through as given, the engine sanitises (portal_sync.sanitize).
        parsed = feedparser.parse(
            utf8,
            response_headers={"content-type": "application/xml; charset=utf-8"},
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except Exception as error:
        return PullBatch(
            [
                Rejection(
                    "", Reason.INVALID_DOCUMENT, _("The feed cannot be read: %(error)s") % {"error": error}, excerpt("")
                )
            ]
        )
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if isinstance(problem, _ENCODING_PROBLEMS):
        detail = _("The feed's bytes are not in the encoding it declares (%(error)s).") % {"error": problem}
        return PullBatch([Rejection("", Reason.ENCODING, detail[:500], head)])
    if isinstance(problem, _HARMLESS):
        problem = None
    if not parsed.get("version") and not parsed.entries:
        detail = (
            _("Not an Atom or RSS feed (%(error)s).") % {"error": problem} if problem else _("Not an Atom or RSS feed.")
        )
        return PullBatch([Rejection("", Reason.INVALID_DOCUMENT, detail[:500], head)])
    if problem is not None and not parsed.entries:
        return PullBatch(
            [
                Rejection(
                    "",
                    Reason.INVALID_DOCUMENT,
                    (_("The feed is not valid XML: %(error)s.") % {"error": problem})[:500],
                    head,
                )
            ]
        )

    feed_language = language_code(parsed.feed.get("language"))
    categories = {str(term).strip().casefold() for term in opportunity_categories or []}
    records: list[Incoming | Rejection] = []
    present: set[str] = set()
    for entry in parsed.entries:
        record = _read_entry(entry, kind=kind, feed_language=feed_language, opportunity_categories=categories)
        if record.external_id in present:
            records.append(
                Rejection(
                    record.external_id,
                    Reason.BAD_VALUE,
                    _("Another entry of the feed has the same id."),
                    _raw_entry(entry),
                )
            )
            continue
        if record.external_id:
            present.add(record.external_id)
        records.append(record)
    if problem is not None:
        # Malformed, but the lenient parser read entries: take them, say so, and withdraw nothing
        # (the end of the document may be missing).
        detail = _("The feed is not valid XML (%(error)s); its readable entries were taken, nothing was withdrawn.") % {
            "error": problem
        }
        records.append(Rejection("", Reason.INVALID_DOCUMENT, detail[:500], head))
        return PullBatch(records)
    return PullBatch(records, present_ids=present if complete else None)


def endpoint_kind(endpoint: Endpoint, default: str = ItemKind.NEWS) -> str:
    """The endpoint's item kind, else options["kind"], else `default`."""
    for value in (endpoint.item_kind, (endpoint.options or {}).get("kind")):
        if value in ItemKind.values:
            return str(value)
    return default


def validators(cursor: str) -> dict[str, str]:
    """The conditional-request headers kept in the cursor by the last run (ETag, Last-Modified)."""
    try:
        saved = json.loads(cursor) if cursor else {}
    except ValueError:
        return {}
    if not isinstance(saved, dict):
        return {}
    headers = {}
    if isinstance(saved.get("etag"), str):
        headers["If-None-Match"] = saved["etag"]
    if isinstance(saved.get("last_modified"), str):
        headers["If-Modified-Since"] = saved["last_modified"]
    return headers


def cursor_of(headers: Any) -> str | None:
    """The response's ETag and Last-Modified as a cursor, None when it sent neither (or too long)."""
    saved = {key: headers.get(name) for key, name in (("etag", "etag"), ("last_modified", "last-modified"))}
    saved = {key: value for key, value in saved.items() if value}
    cursor = json.dumps(saved, sort_keys=True) if saved else None
    return cursor if cursor and len(cursor) <= MAX_CURSOR else None


class FeedAdapter:
    """Fetches the feed, asking only for a changed one (If-None-Match / If-Modified-Since from the
    cursor; option `conditional_get`, default true): a 304 is an empty batch that withdraws nothing."""

    def pull(self, endpoint: Endpoint, client: httpx.Client, *, cursor: str) -> PullBatch:
        options = endpoint.options or {}
        conditional = bool(options.get("conditional_get", True))
        if conditional:
            # The client is this run's own (portal_sync.http.client_for), and the feed is one request.
            client.headers.update(validators(cursor))
        response = fetch(client, endpoint.url, max_bytes=options.get("max_bytes"))
        if response.status_code == 304:
            return PullBatch([])  # not modified: nothing to read, nothing withdrawn, cursor kept
        batch = parse_feed(
            response.content,
            kind=endpoint_kind(endpoint),
            complete=bool(options.get("complete_feed", True)),
            content_type=response.headers.get("content-type"),
            opportunity_categories=options.get("opportunity_categories"),
        )
        whole_document = (Reason.INVALID_DOCUMENT, Reason.ENCODING)
        unreadable = any(isinstance(r, Rejection) and r.reason in whole_document for r in batch.records)
        if conditional and not unreadable:
            # Keep the validators only for a document read whole, so a broken one is fetched again.
            batch.cursor = cursor_of(response.headers)
        return batch


register(Adapter.FEED, Direction.PULL, FeedAdapter())
