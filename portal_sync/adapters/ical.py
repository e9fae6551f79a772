"""Pull events from a remote iCalendar (RFC 5545) feed: an association network's workshops, a
municipality's information days.

Each VEVENT becomes Incoming(kind=event, external_id=UID, title=SUMMARY, body=DESCRIPTION,
starts_at=DTSTART, ends_at=DTEND (or DTSTART + DURATION), location=LOCATION, url=URL (http/https
only), updated_at=LAST-MODIFIED). A date without a time (an all-day event) starts at midnight,
Europe/Rome; a time without a zone ("floating") is read in Europe/Rome too. A changed occurrence of
a recurring event (RECURRENCE-ID) is its own item, `UID#<recurrence date>`; the recurrence rule itself
is kept in the payload, not expanded. DTSTAMP is left out on purpose: many servers stamp the time the
file was generated, and it would make every event look changed at every run.

A VEVENT with no UID, no DTSTART or no SUMMARY, or a DTSTART that cannot be read, is a Rejection;
one with STATUS:CANCELLED is not taken and does not count as present, so a published event that
is cancelled at the source is withdrawn. A file that is not an iCalendar, or not UTF-8 (RFC 5545)
nor in the charset the server names, is one Rejection and nothing is withdrawn. present_ids = every
UID of the file.

Options (Endpoint.options): `kind` (when the endpoint has no item kind; default event), `max_bytes`.
"""

from __future__ import annotations

import codecs
import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import icalendar
from django.utils.translation import gettext as _

from portal_sync.adapters import register
from portal_sync.adapters.base import Incoming, PullBatch, Rejection
from portal_sync.adapters.feed import (
    MAX_EXTERNAL_ID,
    MAX_TITLE,
    charset_of,
    decode_document,
    endpoint_kind,
    excerpt,
    language_code,
    web_url,
)
from portal_sync.http import fetch
from portal_sync.models import Adapter, ContentItem, Direction, ItemKind, RejectedRecord

if TYPE_CHECKING:
    import httpx

    from portal_sync.models import Endpoint

Reason = RejectedRecord.Reason
ROME = ZoneInfo("Europe/Rome")
MAX_LOCATION = ContentItem._meta.get_field("location").max_length or 500


def _moment(value: Any) -> datetime.datetime | None:
    """An iCalendar DATE or DATE-TIME as an aware datetime (dates and floating times in Europe/Rome)."""
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=ROME)
    if isinstance(value, datetime.date):
        return datetime.datetime.combine(value, datetime.time.min, tzinfo=ROME)
    return None


def _value(event: icalendar.cal.Component, name: str) -> Any:
    """The decoded date, date-time or duration of property `name`; None when absent or unreadable."""
    prop = event.get(name)
    if isinstance(prop, list):
        prop = prop[0] if prop else None
    return getattr(prop, "dt", None)


def _text(event: icalendar.cal.Component, name: str) -> str:
    prop = event.get(name)
    if prop is None or isinstance(prop, list):
        prop = prop[0] if prop else None
    return str(prop).strip() if prop is not None else ""


def _raw(event: icalendar.cal.Component) -> str:
    try:
        return excerpt(event.to_ical().decode("utf-8", errors="replace"))
    except Exception:
        return ""


def _categories(event: icalendar.cal.Component) -> list[str]:
    found: set[str] = set()
    props = event.get("CATEGORIES")
    for prop in props if isinstance(props, list) else [props] if props is not None else []:
        for category in getattr(prop, "cats", []) or []:
            if str(category).strip():
                found.add(str(category).strip())
    return sorted(found)


def read_event(event: icalendar.cal.Component, *, kind: str) -> Incoming | Rejection:
    uid = _text(event, "UID")
    raw = _raw(event)
    if not uid:
        return Rejection("", Reason.MISSING_FIELD, _("The event has no UID."), raw)
    recurrence = _moment(_value(event, "RECURRENCE-ID"))
    external_id = f"{uid}#{recurrence.isoformat()}" if recurrence else uid
    if len(external_id) > MAX_EXTERNAL_ID:
        return Rejection(external_id[:MAX_EXTERNAL_ID], Reason.BAD_VALUE, _("The event's UID is too long."), raw)
    if event.get("DTSTART") is None:
        return Rejection(external_id, Reason.MISSING_FIELD, _("The event has no start (DTSTART)."), raw)
    starts_at = _moment(_value(event, "DTSTART"))
    if starts_at is None:
        detail = _("The event's start cannot be read: %(value)s.") % {"value": str(event.get("DTSTART"))[:100]}
        return Rejection(external_id, Reason.BAD_VALUE, detail, raw)
    title = " ".join(_text(event, "SUMMARY").split())
    if not title:
        return Rejection(external_id, Reason.MISSING_FIELD, _("The event has no title (SUMMARY)."), raw)
    ends_at = _moment(_value(event, "DTEND"))
    duration = _value(event, "DURATION")
    if ends_at is None and isinstance(duration, datetime.timedelta):
        ends_at = starts_at + duration
    if ends_at is not None and ends_at < starts_at:
        ends_at = None  # an end before the start is a mistake at the source; the start stands
    language = ""
    summary_prop = event.get("SUMMARY")
    if summary_prop is not None and hasattr(summary_prop, "params"):
        language = language_code(summary_prop.params.get("LANGUAGE"))
    payload: dict[str, Any] = {}
    if event.get("RRULE") is not None:
        rrule = event["RRULE"].to_ical()
        payload["rrule"] = rrule.decode() if isinstance(rrule, bytes) else str(rrule)
    if categories := _categories(event):
        payload["categories"] = categories
    if organizer := _text(event, "ORGANIZER"):
        payload["organizer"] = organizer
    return Incoming(
        external_id=external_id,
        kind=kind,
        title=title[:MAX_TITLE],
        body=_text(event, "DESCRIPTION"),
        url=web_url(_text(event, "URL")),
        language=language,
        updated_at=_moment(_value(event, "LAST-MODIFIED")),
        starts_at=starts_at,
        ends_at=ends_at,
        location=" ".join(_text(event, "LOCATION").split())[:MAX_LOCATION],
        payload=payload,
    )


def parse_calendar(content: bytes, *, kind: str = ItemKind.EVENT, charset: str | None = None) -> PullBatch:
    """Read an .ics file (bytes as received) into a PullBatch; never raises for bad data. The text is
    UTF-8 (RFC 5545), or else in the `charset` the server named."""
    text = decode_document(content.removeprefix(codecs.BOM_UTF8), charset)
    if text is None:
        head = excerpt(content[:2000].decode("utf-8", errors="replace"))
        return PullBatch([Rejection("", Reason.ENCODING, _("The calendar is not UTF-8 text."), head)])
    try:
        calendar = icalendar.Calendar.from_ical(text)
        events = calendar.walk("VEVENT")
    except Exception as error:
        return PullBatch(
            [
                Rejection(
                    "",
                    Reason.INVALID_DOCUMENT,
                    (_("Not an iCalendar file: %(error)s") % {"error": error})[:500],
                    excerpt(text),
                )
            ]
        )
    if calendar.name != "VCALENDAR":
        return PullBatch(
            [Rejection("", Reason.INVALID_DOCUMENT, _("Not an iCalendar file (no VCALENDAR)."), excerpt(text))]
        )
    records: list[Incoming | Rejection] = []
    present: set[str] = set()
    for event in events:
        try:
            record = read_event(event, kind=kind)
        except Exception as error:
            uid = _text(event, "UID")[:MAX_EXTERNAL_ID]
            records.append(
                Rejection(
                    uid,
                    Reason.BAD_VALUE,
                    (_("The event cannot be read: %(error)s") % {"error": error})[:500],
                    _raw(event),
                )
            )
            if uid:
                present.add(uid)
            continue
        if isinstance(record, Incoming) and _text(event, "STATUS").upper() == "CANCELLED":
            continue  # cancelled: not present, so the engine withdraws it
        if record.external_id in present:
            records.append(
                Rejection(record.external_id, Reason.BAD_VALUE, _("Another event has the same UID."), _raw(event))
            )
            continue
        if record.external_id:
            present.add(record.external_id)
        records.append(record)
    return PullBatch(records, present_ids=present)


class ICalAdapter:
    def pull(self, endpoint: Endpoint, client: httpx.Client, *, cursor: str) -> PullBatch:
        options = endpoint.options or {}
        response = fetch(client, endpoint.url, max_bytes=options.get("max_bytes"))
        return parse_calendar(
            response.content,
            kind=endpoint_kind(endpoint, default=ItemKind.EVENT),
            charset=charset_of(response.headers.get("content-type")),
        )


register(Adapter.ICAL, Direction.PULL, ICalAdapter())
