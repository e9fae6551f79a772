"""Reads of Action 4 that pages, the API and the booking service share: seats left on sessions, and
the public catalogue of events (what anyone may see, no personal data)."""

from __future__ import annotations

import datetime
import logging
import uuid
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Exists, F, Func, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from aipim.core.models import Municipality, Organisation
from associations.models import (
    ACTIVE_STATUSES,
    Association,
    Booking,
    BookingStatus,
    Event,
    EventStatus,
    Network,
    Session,
)


@dataclass(frozen=True)
class Availability:
    """Seats of a session: `held` by confirmed and offered bookings, `free` what is left (never
    negative), `waiting` the seats asked for on the waiting list."""

    capacity: int
    held: int
    free: int
    waiting: int

    @property
    def is_full(self) -> bool:
        return self.free <= 0


def availability(sessions: Iterable[Session]) -> dict[int, Availability]:
    """Availability of each session by id, in ONE query whatever the number of sessions. A session's
    seats are held by its own bookings and by the series bookings of its event (session empty)."""
    sessions = list(sessions)
    if not sessions:
        return {}
    rows = (
        Booking.objects.filter(
            Q(session_id__in=[s.pk for s in sessions])
            | Q(session__isnull=True, event_id__in={s.event_id for s in sessions})
        )
        .filter(status__in=ACTIVE_STATUSES)
        .order_by()
        .values_list("session_id", "event_id", "status")
        .annotate(seats=Sum("seats"), offered=Sum("seats_offered"))
    )
    held: dict[tuple[str, int], int] = {}
    waiting: dict[tuple[str, int], int] = {}
    for session_id, event_id, status, seats, offered in rows:
        key = ("session", session_id) if session_id is not None else ("event", event_id)
        if status == BookingStatus.CONFIRMED:
            held[key] = held.get(key, 0) + seats
        elif status == BookingStatus.OFFERED:
            held[key] = held.get(key, 0) + offered
        else:
            waiting[key] = waiting.get(key, 0) + seats
    result = {}
    for session in sessions:
        own, series = ("session", session.pk), ("event", session.event_id)
        taken = held.get(own, 0) + held.get(series, 0)
        result[session.pk] = Availability(
            capacity=session.capacity,
            held=taken,
            free=max(session.capacity - taken, 0),
            waiting=waiting.get(own, 0) + waiting.get(series, 0),
        )
    return result


def series_availability(sessions: Iterable[Session], seats: dict[int, Availability]) -> Availability | None:
    """What a series booking can take: the fewest free seats over the series' scheduled sessions."""
    scheduled = [seats[s.pk] for s in sessions if s.status == Session.Status.SCHEDULED and s.pk in seats]
    if not scheduled:
        return None
    return min(scheduled, key=lambda a: (a.free, -a.waiting))


# --- The public catalogue ---------------------------------------------------------------------


@dataclass(frozen=True)
class EventFilters:
    """The catalogue's filters; every one optional. Dates are days in the portal's time zone."""

    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    municipality: Municipality | None = None
    category: str = ""
    language: str = ""
    audience: str = ""
    association: Association | None = None


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def matching_sessions(filters: EventFilters, *, now: datetime.datetime | None = None) -> QuerySet[Session]:
    """Scheduled sessions still to end (or to start within the dates asked) that meet the filters."""
    sessions = Session.objects.filter(status=Session.Status.SCHEDULED, ends_at__gte=now or timezone.now())
    if filters.date_from:
        sessions = sessions.filter(starts_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        sessions = sessions.filter(starts_at__lt=_day_start(filters.date_to + datetime.timedelta(days=1)))
    if filters.municipality:
        sessions = sessions.filter(municipality=filters.municipality)
    return sessions


def public_events(filters: EventFilters | None = None, *, now: datetime.datetime | None = None) -> QuerySet[Event]:
    """Published events of public associations and partner events with an upcoming session that
    meets the filters, soonest first. Each event carries `next_start` and, prefetched,
    `upcoming_sessions` (the matching sessions with their municipality), so a page of them costs
    the same number of queries whatever its size."""
    filters = filters or EventFilters()
    sessions = matching_sessions(filters, now=now)
    events = (
        Event.objects.public()
        .filter(status=EventStatus.PUBLISHED)
        .filter(Exists(sessions.filter(event=OuterRef("pk"))))
        .annotate(
            next_start=Subquery(sessions.filter(event=OuterRef("pk")).order_by("starts_at").values("starts_at")[:1])
        )
    )
    if filters.category:
        events = events.filter(category=filters.category)
    if filters.language:
        events = events.filter(languages__contains=[filters.language])
    if filters.audience:
        events = events.filter(audiences__contains=[filters.audience])
    if filters.association:
        events = events.filter(association=filters.association)
    return (
        events.select_related("association__organisation")
        .prefetch_related(
            Prefetch(
                "sessions",
                queryset=sessions.select_related("municipality").order_by("starts_at", "id"),
                to_attr="upcoming_sessions",
            )
        )
        .order_by("next_start", "id")
    )


def catalogue_cards(events: Iterable[Event]) -> list[Event]:
    """Events of a catalogue page, each with `first_session` and `seats` (the Availability a booker
    meets: of the next session, or of the whole series), in ONE query for the page."""
    events = list(events)
    seats = availability(s for event in events for s in event.upcoming_sessions)  # type: ignore[attr-defined]
    for event in events:
        upcoming = event.upcoming_sessions  # type: ignore[attr-defined]
        event.first_session = upcoming[0] if upcoming else None  # type: ignore[attr-defined]
        if event.booking_mode == "series":
            event.seats = series_availability(upcoming, seats)  # type: ignore[attr-defined]
        else:
            event.seats = seats.get(upcoming[0].pk) if upcoming else None  # type: ignore[attr-defined]
    return events


def catalogue_municipalities() -> QuerySet[Municipality]:
    """Municipalities with an upcoming session of a public event, for the catalogue's filter."""
    return Municipality.objects.filter(
        pk__in=Session.objects.public()
        .filter(status=Session.Status.SCHEDULED, ends_at__gte=timezone.now(), event__status=EventStatus.PUBLISHED)
        .values("municipality_id")
    ).order_by("name")


def catalogue_languages() -> list[str]:
    """Languages spoken at published public events (codes), for the catalogue's filter."""
    codes = (
        Event.objects.public()
        .filter(status=EventStatus.PUBLISHED)
        .annotate(code=Func(F("languages"), function="unnest"))
        .order_by()
        .values_list("code", flat=True)
        .distinct()
    )
    return sorted(codes)


def public_event(slug: str) -> Event:
    """A public event (published or cancelled) by slug, with its organiser; raises Event.DoesNotExist."""
    return Event.objects.public().select_related("association__organisation__municipality").get(slug=slug)


def public_networks() -> QuerySet[Network]:
    return Network.objects.public().select_related("lead__organisation", "service__organisation").order_by("name")


logger = logging.getLogger(__name__)

# --- Kept public pages ----------------------------------------------------------------------------

# A token that changes whenever something a public event page shows is saved: the kept pages
# (views.public.EventDetailView) check themselves against the database once it changed.
PUBLIC_PAGES_VERSION = "events:pages:version"


def _new_pages_version() -> None:
    try:
        cache.set(PUBLIC_PAGES_VERSION, uuid.uuid4().hex, None)
    except Exception:  # a cache that is down must not undo a booking; the pages recheck by themselves
        logger.warning("events: the public pages' version could not be changed in the cache", exc_info=True)


def public_pages_changed(**_kwargs: Any) -> None:
    """Signal receiver: kept pages check themselves again, now (for this transaction's own reads)
    and once the change is committed (for a page checked meanwhile against the data before it)."""
    _new_pages_version()
    transaction.on_commit(_new_pages_version)


for _model in (Event, Session, Booking, Association, Organisation):
    post_save.connect(public_pages_changed, sender=_model, dispatch_uid=f"events-pages-{_model.__name__}")
    post_delete.connect(public_pages_changed, sender=_model, dispatch_uid=f"events-pages-del-{_model.__name__}")


# The state an event's public page shows, as one digest: the event, its organiser, its sessions,
# the seats held and asked for on each, and which sessions have started or ended. It runs on every
# anonymous view of the page, to decide whether the page rendered before is still true, so it is one
# round trip with no ORM compilation, prepared once per database connection (planning it cost three
# times as much as running it).
_EVENT_PAGE_STATE = "associations_event_page_state"
_EVENT_PAGE_STATE_SQL = """
SELECT md5(concat_ws('|', e::text, a::text, o::text,
    (SELECT string_agg(s::text, ',' ORDER BY s.id) FROM {session} s WHERE s.event_id = e.id),
    (SELECT count(*) FILTER (WHERE s.starts_at <= $2) || ':' || count(*) FILTER (WHERE s.ends_at < $2)
       FROM {session} s WHERE s.event_id = e.id),
    (SELECT string_agg(t.seats, ',' ORDER BY t.seats) FROM (
        SELECT concat_ws(':', b.session_id, b.status, sum(b.seats), sum(b.seats_offered)) AS seats
          FROM {booking} b WHERE b.event_id = e.id AND b.status = ANY($3)
         GROUP BY b.session_id, b.status) t)))
  FROM {event} e
  LEFT JOIN {association} a ON a.organisation_id = e.association_id
  LEFT JOIN {organisation} o ON o.id = a.organisation_id
 WHERE e.slug = $1 AND e.status = ANY($4)
   AND (e.association_id IS NULL OR (a.is_public AND o.is_active))
"""
# Raw connections on which the statement is prepared (a prepared statement lives as long as its
# connection, whatever the transactions do).
_prepared: weakref.WeakSet[Any] = weakref.WeakSet()


def event_page_state(slug: str, *, now: datetime.datetime | None = None) -> str | None:
    """A digest of everything the public page of event `slug` shows (None when no public event has
    that slug): equal digests, equal pages (in one language, for one address)."""
    with connection.cursor() as cursor:
        raw = connection.connection
        if raw not in _prepared:
            sql = _EVENT_PAGE_STATE_SQL.format(
                event=Event._meta.db_table,
                session=Session._meta.db_table,
                booking=Booking._meta.db_table,
                association=Association._meta.db_table,
                organisation=Organisation._meta.db_table,
            )
            cursor.execute(f"PREPARE {_EVENT_PAGE_STATE}(text, timestamptz, text[], text[]) AS {sql}")
            _prepared.add(raw)
        cursor.execute(
            f"EXECUTE {_EVENT_PAGE_STATE}(%s, %s, %s, %s)",
            [slug, now or timezone.now(), list(ACTIVE_STATUSES), [EventStatus.PUBLISHED, EventStatus.CANCELLED]],
        )
        row = cursor.fetchone()
    return row[0] if row else None
