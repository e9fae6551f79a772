"""iCalendar (RFC 5545) files of Action 4: the public feeds of sessions (all events, one event, one
association) and the calendar file of a booking. Times are written in UTC, so every calendar app
shows them in its own time zone; the event title is the one of the active language."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from associations.models import Booking, Event, EventStatus, Session

PRODID = "-//Regione Basilicata//AIPIM Associations//IT"


def event_url(event: Event) -> str:
    """The absolute address of the event's public page."""
    return settings.SITE_URL.rstrip("/") + reverse("events:event", args=[event.slug])


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    return calendar


def _location(session: Session) -> str:
    parts = [session.venue, session.address, session.municipality.name]
    return ", ".join(part for part in parts if part)


def _vevent(session: Session, *, stamp: datetime.datetime, description: str = "") -> CalendarEvent:
    event = session.event
    vevent = CalendarEvent()
    vevent.add("uid", f"{session.public_id}@aipim")
    vevent.add("dtstamp", stamp)
    vevent.add("dtstart", session.starts_at.astimezone(datetime.UTC))
    vevent.add("dtend", session.ends_at.astimezone(datetime.UTC))
    vevent.add("summary", event.title)
    vevent.add("location", _location(session))
    vevent.add("url", event_url(event))
    cancelled = session.status == Session.Status.CANCELLED or event.status == EventStatus.CANCELLED
    vevent.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    text = description or event.summary
    if text:
        vevent.add("description", text)
    return vevent


def session_calendar(sessions: Iterable[Session], *, name: str) -> bytes:
    """A calendar with one VEVENT per session. Pass sessions with `event`, `event__association__organisation`
    and `municipality` selected, so that writing the file runs no query."""
    calendar = _calendar(name)
    stamp = timezone.now().astimezone(datetime.UTC)
    for session in sessions:
        calendar.add_component(_vevent(session, stamp=stamp))
    return calendar.to_ical()


def booking_sessions(booking: Booking) -> list[Session]:
    """The sessions a booking is for: its session, or every session of its series."""
    if booking.session_id is not None:
        return list(Session.objects.filter(pk=booking.session_id).select_related("municipality", "event"))
    return list(booking.event.sessions.select_related("municipality", "event").order_by("starts_at", "id"))


def booking_calendar(booking: Booking, *, manage_url: str) -> bytes:
    """The booked session(s) (every session of a series booking), each with the booking code and the
    link to view or cancel the booking in its description."""
    calendar = _calendar(booking.event.title)
    stamp = timezone.now().astimezone(datetime.UTC)
    description = "\n".join(
        [
            _("Booking code: %(reference)s") % {"reference": booking.reference},
            _("Seats: %(seats)s") % {"seats": booking.seats},
            _("View or cancel your booking: %(url)s") % {"url": manage_url},
        ]
    )
    for session in booking_sessions(booking):
        calendar.add_component(_vevent(session, stamp=stamp, description=description))
    return calendar.to_ical()
