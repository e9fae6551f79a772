"""Every write on bookings: book, cancel, offer freed seats to the waiting list, accept or decline
an offer, expire offers, cancel a session, check in.

Capacity holds whatever the concurrency because every function that changes who holds seats runs
in one transaction and first locks the session rows it counts (`SELECT ... FOR UPDATE`, in id
order so two transactions never wait on each other crosswise); the seats held are counted only
after the lock, so two bookings for the last seat are serialised and the second one waits.
A booking of a session holds seats on that session; a booking of a series (session empty) holds
them on every scheduled session of its event. Messages are queued in the same transaction (the
outbox row) and sent after commit."""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, F, IntegerField, Q, Sum, Value, When
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from aipim.core import audit, ratelimit
from associations.models import (
    ACTIVE_STATUSES,
    Booking,
    BookingMessage,
    BookingMode,
    BookingStatus,
    CheckIn,
    Event,
    EventStatus,
    Session,
    contact_key,
)
from associations.services import messages

# Booking codes: no 0/O, 1/I/L, so that a code read out on the phone cannot be misheard.
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
REFERENCE_LENGTH = 8

ERROR_MESSAGES: dict[str, Promise] = {
    "closed": _("This event is not open for booking."),
    "past": _("This session has already started: it can no longer be booked or changed."),
    "too_many_seats": _("You can book from 1 to %(max)s seats."),
    "duplicate": _(
        "There is already a booking with this email or phone for this session. "
        "Use the link in your confirmation email to see or change it."
    ),
    "session_cancelled": _("This session has been cancelled."),
    "not_offered": _("There is no seat offer to answer for this booking: it may have expired."),
    "no_contact": _("Give an email address or a phone number, so that we can tell you about your booking."),
    "not_booked": _("This booking is not confirmed for this session."),
    "rate_limited": _("Too many booking attempts. Please wait an hour and try again."),
}


class BookingError(Exception):
    """A booking rule said no. `code` is stable (forms, API, tests); `message` is for people,
    translated when shown."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(code)

    @property
    def message(self) -> str:
        text = str(ERROR_MESSAGES[self.code])
        return text % self.params if self.params else text

    def __str__(self) -> str:
        return self.message


# --- Locks and counts ------------------------------------------------------------------------


def _target_sessions(event: Event, session: Session | None) -> Q:
    """The sessions a booking of (event, session) takes seats on."""
    if session is not None:
        return Q(pk=session.pk)
    return Q(event_id=event.pk, status=Session.Status.SCHEDULED)


def _lock(event: Event, session: Session | None) -> list[Session]:
    # Lock the session rows before counting: two bookings for the last seat must not both see it free.
    return list(
        Session.objects.select_for_update(of=("self",))
        .select_related("event")
        .filter(_target_sessions(event, session))
        .order_by("id")
    )


def _held_seats(event: Event, sessions: Sequence[Session]) -> dict[int, int]:
    """Seats held on each session: its own bookings plus the series bookings of its event."""
    seats_held = Sum(
        Case(
            When(status=BookingStatus.CONFIRMED, then=F("seats")),
            When(status=BookingStatus.OFFERED, then=F("seats_offered")),
            default=Value(0),
            output_field=IntegerField(),
        )
    )
    rows = (
        Booking.objects.filter(Q(session__in=sessions) | Q(event_id=event.pk, session__isnull=True))
        .filter(status__in=(BookingStatus.CONFIRMED, BookingStatus.OFFERED))
        .order_by()
        .values("session_id")
        .annotate(held=seats_held)
    )
    by_session: dict[int | None, int] = {row["session_id"]: row["held"] or 0 for row in rows}
    series = by_session.get(None, 0)
    return {s.pk: by_session.get(s.pk, 0) + series for s in sessions}


def _free(event: Event, sessions: Sequence[Session]) -> int:
    """Seats free on all of `sessions` at once (what one more booking of them can take)."""
    if not sessions:
        return 0
    held = _held_seats(event, sessions)
    return max(min(s.capacity - held[s.pk] for s in sessions), 0)


def _starts_at(sessions: Sequence[Session]) -> datetime.datetime | None:
    """When the booked sessions start: the first of them (a series is booked before it begins)."""
    return min((s.starts_at for s in sessions), default=None)


def _organisation(event: Event) -> Any:
    return event.association.organisation if event.association_id else None  # type: ignore[union-attr]


def _new_reference() -> str:
    while True:
        reference = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))
        if not Booking.objects.filter(reference=reference).exists():
            return reference


def _reload(booking: Booking) -> Booking:
    """The booking re-read under the lock of its sessions (its status may have changed meanwhile)."""
    return Booking.objects.select_for_update(of=("self",)).select_related("event", "session").get(pk=booking.pk)


def _lock_booking(booking: Booking) -> tuple[Booking, list[Session]]:
    sessions = _lock(booking.event, booking.session)
    return _reload(booking), sessions


# --- Booking ---------------------------------------------------------------------------------------

RATE_WINDOW_SECONDS = 3600


def check_rate(*, ip: str | None, email: str = "", phone: str = "") -> None:
    """Count one booking attempt from `ip` and for the contact (email, else phone); raises
    BookingError("rate_limited") past ASSOCIATIONS_BOOKING_RATE_PER_IP attempts per hour from one
    address, or ASSOCIATIONS_BOOKING_RATE_PER_EMAIL per hour for one contact. The form and the
    API call it before `book`."""
    per_ip = getattr(settings, "ASSOCIATIONS_BOOKING_RATE_PER_IP", 30)
    per_contact = getattr(settings, "ASSOCIATIONS_BOOKING_RATE_PER_EMAIL", 5)
    if ip and not ratelimit.allow("booking-ip", ip, limit=per_ip, window_seconds=RATE_WINDOW_SECONDS):
        raise BookingError("rate_limited")
    key = contact_key(email, phone)
    if key and not ratelimit.allow("booking-contact", key, limit=per_contact, window_seconds=RATE_WINDOW_SECONDS):
        raise BookingError("rate_limited")


def _check_open(event: Event, session: Session | None) -> None:
    if event.status == EventStatus.CANCELLED:
        raise BookingError("session_cancelled")
    if not event.is_bookable:
        raise BookingError("closed")
    if (event.booking_mode == BookingMode.SERIES) != (session is None):
        raise BookingError("closed")
    if session is not None:
        if session.event_id != event.pk:
            raise BookingError("closed")
        if session.status == Session.Status.CANCELLED:
            raise BookingError("session_cancelled")


def book(
    *,
    event: Event,
    session: Session | None,
    name: str,
    email: str,
    phone: str,
    seats: int,
    language: str,
    audience: str = "",
    user: Any = None,
) -> Booking:
    """Book `seats` on `session` (None for a SERIES event: every session of it). CONFIRMED when the
    seats are free, else on the waiting list; when only some are free, the booker is offered those
    at once (an offer for fewer seats, which they accept or decline). Raises BookingError."""
    email, phone, name = email.strip(), phone.strip(), name.strip()
    key = contact_key(email, phone)
    if not key:
        raise BookingError("no_contact")
    _check_open(event, session)
    if not 1 <= seats <= event.max_seats_per_booking:
        raise BookingError("too_many_seats", max=event.max_seats_per_booking)
    with transaction.atomic():
        sessions = _lock(event, session)
        if not sessions:
            raise BookingError("closed")
        session = next((s for s in sessions if session is not None and s.pk == session.pk), None)
        if session is not None and session.status == Session.Status.CANCELLED:
            raise BookingError("session_cancelled")
        starts_at = _starts_at(sessions)
        if starts_at is None or starts_at <= timezone.now():
            raise BookingError("past")
        if seats > min(s.capacity for s in sessions):
            raise BookingError("too_many_seats", max=min(event.max_seats_per_booking, *(s.capacity for s in sessions)))
        duplicate = Booking.objects.filter(contact_key=key, status__in=ACTIVE_STATUSES)
        duplicate = (
            duplicate.filter(session=session) if session is not None else duplicate.filter(event=event, session=None)
        )
        if duplicate.exists():
            raise BookingError("duplicate")
        now = timezone.now()
        confirmed = _free(event, sessions) >= seats
        try:
            # A savepoint: a concurrent duplicate that slipped past the check fails alone.
            with transaction.atomic():
                booking = Booking.objects.create(
                    reference=_new_reference(),
                    event=event,
                    session=session,
                    status=BookingStatus.CONFIRMED if confirmed else BookingStatus.WAITING,
                    seats=seats,
                    name=name,
                    email=email,
                    phone=phone,
                    contact_key=key,
                    language=language,
                    audience=audience,
                    consent_at=now,
                    user=user if getattr(user, "is_authenticated", False) else None,
                    confirmed_at=now if confirmed else None,
                    created_at=now,
                )
        except IntegrityError as error:
            if "booking_one_active" in str(error):
                raise BookingError("duplicate") from error
            raise
        audit.record(
            user,
            "booking.create",
            booking,
            organisation=_organisation(event),
            event_id=event.pk,
            session_id=session.pk if session else None,
            seats=seats,
            status=booking.status,
        )
        if confirmed:
            messages.queue(booking, BookingMessage.Kind.CONFIRMATION)
        else:
            # Seats may be free, only fewer than asked: offer them now rather than leave them idle.
            offered = _offer(event, session, sessions)
            if any(b.pk == booking.pk for b in offered):
                booking.refresh_from_db()
            else:
                messages.queue(booking, BookingMessage.Kind.WAITING)
    return booking


# --- Waiting list and offers -----------------------------------------------------------------------


def _offer(event: Event, session: Session | None, sessions: Sequence[Session]) -> list[Booking]:
    """Offer the free seats of (locked) `sessions` to the waiting list, in order of booking: each
    waiting booking is offered all its seats, or the ones left (a partial offer), until none is free."""
    now = timezone.now()
    starts_at = _starts_at(sessions)
    if starts_at is None or starts_at <= now:
        return []  # too late to offer anything
    free = _free(event, sessions)
    if free <= 0:
        return []
    # The claim window ends before the session starts, so an offer can still be used.
    expires_at = min(now + datetime.timedelta(hours=event.offer_hours), starts_at)
    # In line: the waiting, and those offered fewer seats than they asked for (topped up first
    # when they came first; their claim window stays as it was).
    in_line = Booking.objects.select_for_update(of=("self",)).filter(
        Q(status=BookingStatus.WAITING) | Q(status=BookingStatus.OFFERED, seats_offered__lt=F("seats")),
        event=event,
        session=session,
    )
    offered = []
    for booking in in_line.order_by("created_at", "id"):
        if free <= 0:
            break
        more = min(free, booking.seats - booking.seats_offered)
        if booking.status == BookingStatus.WAITING:
            booking.status = BookingStatus.OFFERED
            booking.offered_at = now
            booking.offer_expires_at = expires_at
        booking.seats_offered += more
        booking.save(update_fields=["status", "seats_offered", "offered_at", "offer_expires_at"])
        free -= more
        audit.record(
            None,
            "booking.offer",
            booking,
            organisation=_organisation(event),
            seats=booking.seats,
            seats_offered=booking.seats_offered,
        )
        messages.queue(booking, BookingMessage.Kind.OFFER)
        offered.append(booking)
    return offered


def offer_seats(*, session: Session | None, event: Event) -> list[Booking]:
    """Offer the seats now free on `session` (None: the series of `event`) to its waiting list.
    Returns the bookings offered seats."""
    with transaction.atomic():
        sessions = _lock(event, session)
        return _offer(event, session, sessions)


def cancel(booking: Booking, *, by: Any = None) -> Booking:
    """Cancel a booking (its booker through the signed link, or a manager): its seats go to the
    waiting list at once. Cancelling a booking already ended changes nothing."""
    with transaction.atomic():
        booking, sessions = _lock_booking(booking)
        if booking.status not in ACTIVE_STATUSES:
            return booking
        starts_at = _starts_at(sessions)
        if starts_at is not None and starts_at <= timezone.now():
            raise BookingError("past")
        held = booking.seats_held
        booking.status = BookingStatus.CANCELLED
        booking.cancelled_at = timezone.now()
        booking.save(update_fields=["status", "cancelled_at"])
        audit.record(by, "booking.cancel", booking, organisation=_organisation(booking.event), seats_freed=held)
        messages.queue(booking, BookingMessage.Kind.CANCELLED)
        if held:
            _offer(booking.event, booking.session, sessions)
    return booking


def accept_offer(booking: Booking, *, seats: int | None = None) -> Booking:
    """Take the offered seats (or fewer: `seats`); the booking is CONFIRMED for them and the seats
    not taken go to the next in line."""
    with transaction.atomic():
        booking, sessions = _lock_booking(booking)
        if booking.status != BookingStatus.OFFERED or (
            booking.offer_expires_at is not None and booking.offer_expires_at <= timezone.now()
        ):
            raise BookingError("not_offered")
        taken = booking.seats_offered if seats is None else seats
        if not 1 <= taken <= booking.seats_offered:
            raise BookingError("too_many_seats", max=booking.seats_offered)
        returned = booking.seats_offered - taken
        booking.status = BookingStatus.CONFIRMED
        booking.seats = taken
        booking.seats_offered = 0
        booking.confirmed_at = timezone.now()
        booking.save(update_fields=["status", "seats", "seats_offered", "confirmed_at"])
        audit.record(None, "booking.accept", booking, organisation=_organisation(booking.event), seats=taken)
        messages.queue(booking, BookingMessage.Kind.CONFIRMATION)
        if returned:
            _offer(booking.event, booking.session, sessions)
    return booking


def decline_offer(booking: Booking) -> Booking:
    """Say no to an offer: the booking leaves the waiting list and the seats go to the next in line."""
    with transaction.atomic():
        booking, sessions = _lock_booking(booking)
        if booking.status != BookingStatus.OFFERED:
            raise BookingError("not_offered")
        booking.status = BookingStatus.DECLINED
        booking.save(update_fields=["status"])
        audit.record(
            None, "booking.decline", booking, organisation=_organisation(booking.event), seats=booking.seats_offered
        )
        _offer(booking.event, booking.session, sessions)
    return booking


def expire_offers(now: datetime.datetime | None = None) -> int:
    """Offers whose claim window has closed expire (the booker is told) and their seats go to the
    next in line. Each offer in its own transaction. Returns how many expired."""
    now = now or timezone.now()
    due = Booking.objects.filter(status=BookingStatus.OFFERED, offer_expires_at__lte=now).order_by("offer_expires_at")
    expired = 0
    for booking in due.select_related("event", "session"):
        with transaction.atomic():
            booking, sessions = _lock_booking(booking)
            if booking.status != BookingStatus.OFFERED or booking.offer_expires_at is None:
                continue
            if booking.offer_expires_at > now:
                continue
            booking.status = BookingStatus.EXPIRED
            booking.save(update_fields=["status"])
            audit.record(
                None, "booking.expire", booking, organisation=_organisation(booking.event), seats=booking.seats_offered
            )
            messages.queue(booking, BookingMessage.Kind.OFFER_EXPIRED)
            _offer(booking.event, booking.session, sessions)
            expired += 1
    return expired


# --- Managers: cancelling a session, check-in ------------------------------------------------------


def cancel_session(session: Session, *, by: Any, message: str) -> int:
    """Cancel a session and tell everyone booked on it, with the organiser's `message`. Its own
    bookings are cancelled; the bookings of a series are told but stay confirmed for the other
    sessions. Returns the number of bookings told (0 when it was already cancelled)."""
    with transaction.atomic():
        event = session.event
        series = event.booking_mode == BookingMode.SERIES
        # A series' bookings hold seats on all its sessions: lock them all, in id order like `book`.
        scope = Q(event_id=event.pk) if series else Q(pk=session.pk)
        locked = list(Session.objects.select_for_update(of=("self",)).filter(scope).order_by("id"))
        session = next(s for s in locked if s.pk == session.pk)
        if session.status == Session.Status.CANCELLED:
            return 0
        session.status = Session.Status.CANCELLED
        session.cancelled_at = timezone.now()
        session.cancelled_reason = message
        session.save(update_fields=["status", "cancelled_at", "cancelled_reason"])
        bookings = Booking.objects.select_for_update(of=("self",)).filter(status__in=ACTIVE_STATUSES)
        bookings = bookings.filter(event=event, session=None) if series else bookings.filter(session=session)
        told = 0
        for booking in bookings.order_by("created_at", "id"):
            if not series:
                booking.status = BookingStatus.CANCELLED
                booking.cancelled_at = session.cancelled_at
                booking.save(update_fields=["status", "cancelled_at"])
            messages.queue(booking, BookingMessage.Kind.SESSION_CANCELLED, extra=message, session=session)
            told += 1
        audit.record(by, "session.cancel", session, organisation=_organisation(event), bookings_told=told)
        if series:
            # The cancelled session no longer counts: if it was the smallest, seats may free up.
            _offer(event, None, [s for s in locked if s.status == Session.Status.SCHEDULED])
    return told


def _attends(booking: Booking, session: Session) -> bool:
    if booking.session_id is not None:
        return booking.session_id == session.pk
    return session.event_id == booking.event_id


def check_in(booking: Booking, session: Session, *, by: Any, seats: int | None = None) -> CheckIn:
    """Tick a confirmed booking as present at `session` (`seats` people, all of them by default).
    Ticking again updates the number."""
    if booking.status != BookingStatus.CONFIRMED or not _attends(booking, session):
        raise BookingError("not_booked")
    present = booking.seats if seats is None else seats
    if not 1 <= present <= booking.seats:
        raise BookingError("too_many_seats", max=booking.seats)
    with transaction.atomic():
        check, created = CheckIn.objects.update_or_create(
            booking=booking, session=session, defaults={"seats": present, "checked_in_by": by}
        )
        if not created:
            check.checked_in_at = timezone.now()
            check.save(update_fields=["checked_in_at"])
        audit.record(
            by,
            "booking.check_in",
            booking,
            organisation=_organisation(booking.event),
            session_id=session.pk,
            seats=present,
        )
    return check


def undo_check_in(booking: Booking, session: Session, *, by: Any) -> bool:
    """Untick a booking ticked by mistake. Returns whether there was a tick."""
    with transaction.atomic():
        deleted, _ = CheckIn.objects.filter(booking=booking, session=session).delete()
        if deleted:
            audit.record(
                by, "booking.check_in_undo", booking, organisation=_organisation(booking.event), session_id=session.pk
            )
    return bool(deleted)
