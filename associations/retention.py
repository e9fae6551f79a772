"""Retention policy of Action 4 (aipim.core.retention registry); the reasons are in docs/privacy.md §3.

Bookers' names and contacts serve the event: the attendee list, the messages, the check-in at the
door, a last word after it (a lost item, a change for the next date). ASSOCIATIONS_ATTENDEE_RETENTION_DAYS
(default 180) after the booked session ended (for a series booking, the last session of the series),
each booking is anonymised as an erasure would (associations.privacy.anonymise_bookings): what the
Action 4 report counts stays (status, seats, audience, language, dates, check-ins)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aipim.core.retention import RetentionPolicy, register_policy
from associations.models import Booking, Session
from associations.privacy import anonymise_bookings

DEFAULT_ATTENDEE_RETENTION_DAYS = 180


def attendees_keep_for() -> timedelta:
    return timedelta(days=getattr(settings, "ASSOCIATIONS_ATTENDEE_RETENTION_DAYS", DEFAULT_ATTENDEE_RETENTION_DAYS))


def attendees_due(now: datetime) -> QuerySet[Booking]:
    """Bookings not yet anonymised whose session (or whole series) ended before the period."""
    last_end = Session.objects.filter(event=OuterRef("event")).order_by().values("event").annotate(last=Max("ends_at"))
    return (
        Booking.objects.filter(anonymised_at__isnull=True)
        .annotate(ended_at=Coalesce("session__ends_at", Subquery(last_end.values("last"))))
        .filter(ended_at__lt=now - attendees_keep_for())
    )


def anonymise_attendees(bookings: QuerySet[Booking]) -> int:
    """Anonymise the bookings, then mark the attendee list of each of their sessions that has ended
    and has no booker's data left (its own bookings and its series' bookings)."""
    now = timezone.now()
    sessions = list(
        Session.objects.filter(
            Q(pk__in=bookings.exclude(session=None).values("session"))
            | Q(event__in=bookings.filter(session=None).values("event"))
        ).values_list("pk", flat=True)
    )
    count = anonymise_bookings(bookings, now=now)
    identified = Booking.objects.filter(anonymised_at__isnull=True)
    Session.objects.filter(pk__in=sessions, ends_at__lt=now, attendees_anonymised_at__isnull=True).exclude(
        Exists(identified.filter(session=OuterRef("pk")))
        | Exists(identified.filter(session=None, event=OuterRef("event")))
    ).update(attendees_anonymised_at=now)
    return count


register_policy(
    RetentionPolicy(
        key="associations.attendees",
        label=_("Names and contacts of people who booked an event, and the messages sent to them"),
        keep_for=attendees_keep_for,
        due=attendees_due,
        apply=anonymise_attendees,
        action="anonymise",
    )
)
