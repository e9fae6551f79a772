"""Action 4's part of access and erasure requests (aipim.core.privacy registry), and the anonymising
of attendees that erasure and retention share.

People book without an account, so a booking is tied to a Person only by their contacts: the
person's email (as typed, any case) or phone (the same last ten digits) matches the booking's email,
phone or contact key. Export: every matching booking with its check-ins and the messages as sent.

Erase: a matching booking still to come is cancelled first through the booking service (its seats go
to the waiting list, and the message that would tell the person is not sent: its address is gone);
then every matching booking is anonymised: name "Anonymised", email and phone cleared, the contact
key replaced by an opaque value unique to the booking, the light account unlinked, and its messages
lose their text, address and last error. What the reports count stays: event, session, status,
seats, audience, language, dates, check-ins."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import CharField, F, Func, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat, Right
from django.utils import timezone

from aipim.core.models import Person
from aipim.core.privacy import ANONYMISED, register_person_data
from associations.models import ACTIVE_STATUSES, Booking, BookingMessage, contact_key
from associations.services import booking as booking_service

# The contact key an anonymised booking gets: unique (its public id), matching no one.
ANONYMISED_KEY_PREFIX = "anonymised:"
MIN_PHONE_DIGITS = 6


def _digits(phone: str) -> str:
    return "".join(ch for ch in phone if ch.isdigit())[-10:]


def bookings_of(person: Person) -> QuerySet[Booking]:
    """The bookings made with the person's email or phone (not yet anonymised)."""
    match = Q()
    email = (person.email or "").strip()
    if email:
        match |= Q(contact_key=contact_key(email, "")) | Q(email__iexact=email)
    digits = _digits(person.phone or "")
    bookings = Booking.objects.filter(anonymised_at__isnull=True)
    # Too few digits would match strangers' numbers (the form asks for at least six).
    if len(digits) >= MIN_PHONE_DIGITS:
        match |= Q(contact_key=f"tel:{digits}") | Q(phone_digits=digits)
        bookings = bookings.annotate(
            phone_digits=Right(
                Func(F("phone"), Value(r"\D"), Value(""), Value("g"), function="regexp_replace"), len(digits)
            )
        )
    if not match:
        return Booking.objects.none()
    return bookings.filter(match)


def _iso(value: datetime.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def export_bookings(person: Person) -> dict[str, Any]:
    bookings = (
        bookings_of(person)
        .select_related("event", "session__municipality")
        .prefetch_related("check_ins__session", "messages")
        .order_by("created_at", "pk")
    )
    return {
        "bookings": [
            {
                "reference": booking.reference,
                "event": booking.event.title,
                "organiser": booking.event.organiser_name,
                "session": None
                if booking.session is None
                else {
                    "starts_at": _iso(booking.session.starts_at),
                    "venue": booking.session.venue,
                    "address": booking.session.address,
                    "municipality": booking.session.municipality.name,
                },
                "whole_series": booking.session_id is None,
                "status": booking.status,
                "seats": booking.seats,
                "seats_offered": booking.seats_offered,
                "name": booking.name,
                "email": booking.email,
                "phone": booking.phone,
                "language": booking.language,
                "audience": booking.audience,
                "privacy_notice_accepted_at": _iso(booking.consent_at),
                "booked_at": _iso(booking.created_at),
                "confirmed_at": _iso(booking.confirmed_at),
                "offered_at": _iso(booking.offered_at),
                "offer_expires_at": _iso(booking.offer_expires_at),
                "cancelled_at": _iso(booking.cancelled_at),
                "check_ins": [
                    {"session_starts_at": _iso(check.session.starts_at), "people": check.seats}
                    for check in booking.check_ins.all()
                ],
                "messages": [
                    {
                        "kind": message.kind,
                        "language": message.language,
                        "to": message.recipient,
                        "subject": message.subject,
                        "body": message.body,
                        "status": message.status,
                        "written_at": _iso(message.created_at),
                        "sent_at": _iso(message.sent_at),
                    }
                    for message in booking.messages.all()
                ],
            }
            for booking in bookings
        ]
    }


def anonymise_bookings(bookings: QuerySet[Booking], *, now: datetime.datetime | None = None) -> int:
    """Anonymise `bookings` and their messages. Returns how many bookings changed (already
    anonymised ones are left alone)."""
    now = now or timezone.now()
    ids = list(bookings.filter(anonymised_at__isnull=True).values_list("pk", flat=True))
    if not ids:
        return 0
    BookingMessage.objects.filter(booking__in=ids).update(body="", recipient="", last_error="")
    return Booking.objects.filter(pk__in=ids).update(
        name=ANONYMISED,
        email="",
        phone="",
        contact_key=Concat(Value(ANONYMISED_KEY_PREFIX), Cast("public_id", output_field=CharField())),
        user=None,
        anonymised_at=now,
    )


def erase_bookings(person: Person, *, by: Any) -> dict[str, int]:
    bookings = bookings_of(person)
    now = timezone.now()
    cancelled = 0
    upcoming = bookings.filter(status__in=ACTIVE_STATUSES).filter(
        Q(session__starts_at__gt=now) | Q(session__isnull=True, event__sessions__starts_at__gt=now)
    )
    for booking in upcoming.distinct().select_related("event", "session"):
        try:
            booking_service.cancel(booking, by=by)
        except booking_service.BookingError:
            continue  # started meanwhile: it is anonymised like the past ones
        cancelled += 1
    return {"bookings_cancelled": cancelled, "bookings_anonymised": anonymise_bookings(bookings_of(person), now=now)}


register_person_data("associations", export=export_bookings, erase=erase_bookings)
