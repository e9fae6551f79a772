"""Report builders of Action 4 (registered with aipim.reports, discovered at start-up).

"Action 4 – associations: results per period and municipality": active associations and networks,
events and workshops held, migrant-led labs, bookings by status, seats, attendance (check-ins),
no-shows and participants by audience, in aggregates only, with the core's small-number suppression
on the counts of people and bookings. Every figure is counted by one of the querysets below, which
are the same filters as the pages (the public catalogue's `selectors.public_events` for the events
held, the managers' bookings and check-in lists for the rest: the tests name each), so an official
can explain every number.

A session is *held* when it was scheduled (not cancelled), its event was published, and it started
within the period, before the report was built; the municipality is the session's. A series booking
(no session) counts on every session of its series."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from aipim.accounts.models import Role
from aipim.core.models import Municipality
from aipim.reports.figures import SMALL_NUMBER_THRESHOLD, suppress
from aipim.reports.forms import PeriodForm
from aipim.reports.registry import Progress, ReportBuilder, register
from associations.models import (
    Association,
    Audience,
    Booking,
    BookingStatus,
    CheckIn,
    Event,
    EventCategory,
    EventKind,
    EventStatus,
    Network,
    NetworkMembership,
    Session,
)

NOT_SAID = ""


class Action4Form(PeriodForm):
    municipality = forms.ModelChoiceField(
        label=_("Municipality"),
        queryset=Municipality.objects.order_by("name"),
        required=False,
        empty_label=_("All municipalities"),
        help_text=_("Where the sessions took place."),
    )


def _midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def period_bounds(date_from: datetime.date, date_to: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """[start, end) in local time, both days included."""
    return _midnight(date_from), _midnight(date_to + datetime.timedelta(days=1))


# --- the querysets behind the figures ------------------------------------------------------------


def sessions_in(
    date_from: datetime.date, date_to: datetime.date, municipality: Municipality | None = None
) -> QuerySet[Session]:
    """Sessions of published (or since cancelled) events that start in the period, whatever their
    status: their bookings are the bookings of the period."""
    start, end = period_bounds(date_from, date_to)
    sessions = Session.objects.filter(starts_at__gte=start, starts_at__lt=end).exclude(event__status=EventStatus.DRAFT)
    if municipality is not None:
        sessions = sessions.filter(municipality=municipality)
    return sessions


def sessions_held(
    date_from: datetime.date,
    date_to: datetime.date,
    municipality: Municipality | None = None,
    *,
    now: datetime.datetime | None = None,
) -> QuerySet[Session]:
    """Sessions that took place: scheduled, of a published event, started in the period and by now."""
    return sessions_in(date_from, date_to, municipality).filter(
        status=Session.Status.SCHEDULED, event__status=EventStatus.PUBLISHED, starts_at__lt=now or timezone.now()
    )


def events_with(sessions: QuerySet[Session]) -> QuerySet[Event]:
    return Event.objects.filter(Exists(sessions.filter(event=OuterRef("pk"))))


def active_associations(sessions: QuerySet[Session]) -> QuerySet[Association]:
    """Associations that held at least one session (partner institutions' events have none)."""
    return Association.objects.filter(Exists(sessions.filter(event__association=OuterRef("pk"))))


def active_networks(
    date_from: datetime.date, date_to: datetime.date, municipality: Municipality | None = None
) -> QuerySet[Network]:
    """Networks marked active with at least one member during the period (in the municipality: a
    member association based there). Membership dates, not the record's creation, say when: a
    network may be entered in the portal long after it began."""
    members = NetworkMembership.objects.filter(network=OuterRef("pk"), joined_on__lte=date_to).filter(
        Q(left_on__isnull=True) | Q(left_on__gte=date_from)
    )
    if municipality is not None:
        members = members.filter(association__organisation__municipality=municipality)
    return Network.objects.filter(is_active=True).filter(Exists(members))


def bookings_for(sessions: QuerySet[Session]) -> QuerySet[Booking]:
    """Bookings of the sessions, and series bookings of their events (once each)."""
    return Booking.objects.filter(Q(session__in=sessions) | Q(session__isnull=True, event__in=sessions.values("event")))


def check_ins_at(sessions: QuerySet[Session]) -> QuerySet[CheckIn]:
    return CheckIn.objects.filter(session__in=sessions)


def _series_bookings(**filters: Any) -> QuerySet[Booking]:
    """Confirmed series bookings of the event of the outer session."""
    return Booking.objects.filter(
        event=OuterRef("event"), session__isnull=True, status=BookingStatus.CONFIRMED, **filters
    ).order_by()


def _sum_subquery(queryset: QuerySet[Booking], expression: Any) -> Coalesce:
    rows = queryset.values("event").annotate(total=expression).values("total")
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def seats_confirmed(sessions: QuerySet[Session]) -> int:
    """Seats of confirmed bookings, session by session (a series booking on each of its sessions)."""
    own = Booking.objects.filter(session__in=sessions, status=BookingStatus.CONFIRMED).aggregate(n=Sum("seats"))["n"]
    series = sessions.annotate(series=_sum_subquery(_series_bookings(), Sum("seats"))).aggregate(n=Sum("series"))["n"]
    return (own or 0) + (series or 0)


def expected_attendances(sessions: QuerySet[Session]) -> int:
    """Confirmed bookings expected at the sessions, session by session (what a check-in list shows)."""
    own = Booking.objects.filter(session__in=sessions, status=BookingStatus.CONFIRMED).count()
    series = sessions.annotate(series=_sum_subquery(_series_bookings(), Count("pk"))).aggregate(n=Sum("series"))["n"]
    return own + (series or 0)


def no_shows(sessions: QuerySet[Session]) -> int:
    """Confirmed bookings of ended sessions with no check-in at that session."""
    ended = sessions.filter(ends_at__lt=timezone.now())
    ticked = CheckIn.objects.filter(booking=OuterRef("pk"), session=OuterRef("session"))
    own = Booking.objects.filter(session__in=ended, status=BookingStatus.CONFIRMED).exclude(Exists(ticked)).count()
    series_ticked = CheckIn.objects.filter(booking=OuterRef("pk"), session=OuterRef(OuterRef("pk")))
    missing = _series_bookings().exclude(Exists(series_ticked))
    series = ended.annotate(series=_sum_subquery(missing, Count("pk"))).aggregate(n=Sum("series"))["n"]
    return own + (series or 0)


@dataclass
class Action4Figures:
    """The report's counts, before suppression (the tests compare them with the lists)."""

    associations: int = 0
    migrant_led_associations: int = 0
    networks: int = 0
    events: int = 0
    sessions: int = 0
    migrant_led_workshops: int = 0
    migrant_led_workshop_sessions: int = 0
    partner_events: int = 0
    capacity: int = 0
    seats_confirmed: int = 0
    bookings: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    by_kind: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    by_category: dict[str, int] = field(default_factory=dict)
    expected: int = 0
    checked_in: int = 0
    present: int = 0
    no_shows: int = 0
    booked_by_audience: dict[str, int] = field(default_factory=dict)
    present_by_audience: dict[str, int] = field(default_factory=dict)


def action4_figures(
    date_from: datetime.date,
    date_to: datetime.date,
    municipality: Municipality | None = None,
    *,
    progress: Progress = lambda percent: None,
) -> Action4Figures:
    held = sessions_held(date_from, date_to, municipality)
    figures = Action4Figures()
    associations = active_associations(held)
    figures.associations = associations.count()
    figures.migrant_led_associations = associations.filter(is_migrant_led=True).count()
    figures.networks = active_networks(date_from, date_to, municipality).count()
    progress(15)

    events = events_with(held)
    figures.events = events.count()
    figures.sessions = held.count()
    labs = events.filter(kind=EventKind.WORKSHOP, is_migrant_led=True)
    figures.migrant_led_workshops = labs.count()
    figures.migrant_led_workshop_sessions = held.filter(event__in=labs).count()
    figures.partner_events = events.filter(association__isnull=True).count()
    sessions_by_kind = {row["event__kind"]: row["n"] for row in held.values("event__kind").annotate(n=Count("pk"))}
    for row in events.order_by().values("kind").annotate(n=Count("pk"), led=Count("pk", filter=Q(is_migrant_led=True))):
        figures.by_kind[row["kind"]] = (row["n"], sessions_by_kind.get(row["kind"], 0), row["led"])
    figures.by_category = {
        row["category"]: row["n"] for row in events.order_by().values("category").annotate(n=Count("pk"))
    }
    progress(35)

    figures.capacity = held.aggregate(n=Sum("capacity"))["n"] or 0
    figures.seats_confirmed = seats_confirmed(held)
    bookings = bookings_for(sessions_in(date_from, date_to, municipality))
    figures.by_status = {
        row["status"]: row["n"] for row in bookings.order_by().values("status").annotate(n=Count("pk"))
    }
    figures.bookings = sum(figures.by_status.values())
    progress(55)

    figures.expected = expected_attendances(held)
    check_ins = check_ins_at(held)
    totals = check_ins.aggregate(n=Count("pk"), people=Sum("seats"))
    figures.checked_in = totals["n"]
    figures.present = totals["people"] or 0
    figures.no_shows = no_shows(held)
    progress(75)

    confirmed = bookings_for(held).filter(status=BookingStatus.CONFIRMED)
    figures.booked_by_audience = {
        row["audience"]: row["n"] for row in confirmed.order_by().values("audience").annotate(n=Count("pk"))
    }
    figures.present_by_audience = {
        row["booking__audience"]: row["people"]
        for row in check_ins.order_by().values("booking__audience").annotate(people=Sum("seats"))
    }
    progress(90)
    return figures


@register
class Action4Report(ReportBuilder):
    slug = "associations-results"
    title = _("Action 4 – associations: results per period and municipality")
    description = _(
        "Active associations and networks, events and workshops held, migrant-led workshops, bookings by "
        "status, seats, attendance and no-shows, participants by audience. Aggregates only."
    )
    roles = (Role.REGIONAL_OFFICIAL, Role.ADMINISTRATOR)
    form_class = Action4Form
    template_name = "reports/associations/results.html"

    def build(self, params: Mapping[str, Any], *, progress: Progress) -> dict[str, Any]:
        date_from: datetime.date = params["date_from"]
        date_to: datetime.date = params["date_to"]
        municipality: Municipality | None = params.get("municipality")
        figures = action4_figures(date_from, date_to, municipality, progress=progress)
        audiences = [*Audience.choices, (NOT_SAID, _("Not said"))]
        return {
            "date_from": date_from,
            "date_to": date_to,
            "municipality_name": municipality.name if municipality else "",
            "threshold": SMALL_NUMBER_THRESHOLD,
            # Isolated left to right, so that "<5" does not turn into "5>" in an Arabic sentence.
            "suppressed_marker": format_html('<bdi dir="ltr">{}</bdi>', suppress(1)),
            "figures": figures,
            "kind_rows": [
                {"label": label, "cells": list(figures.by_kind.get(value, (0, 0, 0)))}
                for value, label in EventKind.choices
            ],
            "category_rows": [
                (label, figures.by_category.get(value, 0))
                for value, label in EventCategory.choices
                if figures.by_category.get(value)
            ],
            "bookings_total": suppress(figures.bookings),
            "status_rows": [
                (label, suppress(figures.by_status.get(value, 0))) for value, label in BookingStatus.choices
            ],
            # Tables of one figure a row (reports/_counts.html), as (label, value).
            "association_rows": [
                (_("Associations that held at least one session"), figures.associations),
                (_("of which run by migrants"), figures.migrant_led_associations),
                (_("Active networks of associations"), figures.networks),
            ],
            "seat_rows": [
                (_("Seats available"), figures.capacity),
                (_("Seats booked and confirmed"), suppress(figures.seats_confirmed)),
                (_("Seats taken"), _share(figures.seats_confirmed, figures.capacity)),
            ],
            "attendance_rows": [
                (_("Confirmed bookings expected"), suppress(figures.expected)),
                (_("Bookings checked in"), suppress(figures.checked_in)),
                (_("People present"), suppress(figures.present)),
                (_("No-shows"), suppress(figures.no_shows)),
            ],
            "present": suppress(figures.present),
            "audience_rows": [
                {
                    "label": label,
                    "booked": suppress(figures.booked_by_audience.get(value, 0)),
                    "present": suppress(figures.present_by_audience.get(value, 0)),
                }
                for value, label in audiences
            ],
            "booked_total": suppress(sum(figures.booked_by_audience.values())),
        }


def _share(part: int, whole: int) -> str:
    """A percentage, or "–" when the whole is too small to share without giving a person away."""
    if whole < SMALL_NUMBER_THRESHOLD or part < SMALL_NUMBER_THRESHOLD:
        return "–"
    return f"{round(100 * part / whole)} %"
