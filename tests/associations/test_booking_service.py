"""The booking rules, through associations.services.booking: seats, waiting list, offers (whole or
partial, accept fewer, decline, expire), series, cancelling a session, check-in."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from aipim.core.models import AuditEvent
from associations.models import (
    Booking,
    BookingMessage,
    BookingMode,
    BookingStatus,
    CheckIn,
    EventStatus,
    Session,
)
from associations.services import booking as service
from associations.services.booking import BookingError

pytestmark = pytest.mark.django_db


def book(target, *, email: str = "", seats: int = 1, **fields) -> Booking:
    session = target if isinstance(target, Session) else None
    event = target.event if session else target
    fields.setdefault("name", "Amina")
    fields.setdefault("phone", "")
    fields.setdefault("language", "en")
    return service.book(event=event, session=session, email=email, seats=seats, **fields)


def kinds(booking: Booking) -> list[str]:
    return list(booking.messages.order_by("id").values_list("kind", flat=True))


def error_code(call, *args, **kwargs) -> str:
    with pytest.raises(BookingError) as raised:
        call(*args, **kwargs)
    return raised.value.code


# --- Booking ---------------------------------------------------------------------------------------


def test_booking_with_free_seats_is_confirmed_with_a_code_an_audit_record_and_a_message(workshop_session) -> None:
    booking = book(workshop_session, email="amina@example.org", seats=3, language="ar")

    assert booking.status == BookingStatus.CONFIRMED
    assert booking.confirmed_at is not None
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{8}", booking.reference)
    assert booking.contact_key == "amina@example.org"
    assert AuditEvent.objects.filter(action="booking.create", object_id=str(booking.pk)).exists()
    message = booking.messages.get()
    assert message.kind == BookingMessage.Kind.CONFIRMATION
    assert message.language == "ar"
    assert "المطبخ السوري للجميع" in message.subject  # the event's title in the booker's language
    assert booking.reference in message.body


def test_booking_codes_are_unique(workshop_session) -> None:
    codes = {book(workshop_session, email=f"p{i}@example.org").reference for i in range(8)}
    assert len(codes) == 8


def test_booking_when_full_goes_on_the_waiting_list(workshop_session) -> None:
    book(workshop_session, email="a@example.org", seats=4)
    book(workshop_session, email="b@example.org", seats=4)
    book(workshop_session, email="c@example.org", seats=2)
    waiting = book(workshop_session, email="d@example.org", seats=1)

    assert waiting.status == BookingStatus.WAITING
    assert kinds(waiting) == [BookingMessage.Kind.WAITING]


def test_booking_more_seats_than_free_is_offered_the_free_ones_at_once(workshop_session) -> None:
    book(workshop_session, email="a@example.org", seats=4)
    book(workshop_session, email="b@example.org", seats=4)
    partly = book(workshop_session, email="c@example.org", seats=3)

    assert partly.status == BookingStatus.OFFERED
    assert (partly.seats, partly.seats_offered) == (3, 2)
    assert kinds(partly) == [BookingMessage.Kind.OFFER]


def test_same_email_cannot_hold_two_active_bookings_for_a_session(workshop_session) -> None:
    first = book(workshop_session, email="Amina@example.org")
    assert error_code(book, workshop_session, email="amina@EXAMPLE.org ") == "duplicate"
    # Nor with a phone written another way, when there is no email.
    book(workshop_session, phone="+39 333 123 4567")
    assert error_code(book, workshop_session, phone="333-1234567") == "duplicate"
    # Once cancelled, the same person can book again.
    service.cancel(first)
    assert book(workshop_session, email="amina@example.org").status == BookingStatus.CONFIRMED


def test_the_duplicate_rule_holds_on_the_waiting_list_too(workshop_session) -> None:
    workshop_session.capacity = 1
    workshop_session.save()
    book(workshop_session, email="a@example.org")
    book(workshop_session, email="b@example.org")
    assert error_code(book, workshop_session, email="b@example.org") == "duplicate"


@pytest.mark.parametrize("seats", [0, 5])
def test_seats_are_limited_per_booking(workshop_session, seats) -> None:
    with pytest.raises(BookingError) as raised:
        book(workshop_session, email="a@example.org", seats=seats)
    assert raised.value.code == "too_many_seats"
    assert "4" in raised.value.message


def test_a_booking_needs_an_email_or_a_phone(workshop_session) -> None:
    assert error_code(book, workshop_session, email=" ", phone="") == "no_contact"


def test_closed_events_and_cancelled_or_past_sessions_refuse_bookings(
    workshop, workshop_session, make_session, series
) -> None:
    past = make_session(workshop, starts_at=timezone.now() - datetime.timedelta(hours=1))
    assert error_code(book, past, email="a@example.org") == "past"
    # A series is booked as a whole, a session event session by session.
    assert (
        error_code(
            service.book,
            event=series,
            session=series.sessions.first(),
            name="A",
            email="a@x.org",
            phone="",
            seats=1,
            language="it",
        )
        == "closed"
    )
    assert (
        error_code(
            service.book, event=workshop, session=None, name="A", email="a@x.org", phone="", seats=1, language="it"
        )
        == "closed"
    )
    service.cancel_session(workshop_session, by=None, message="")
    assert error_code(book, workshop_session, email="a@example.org") == "session_cancelled"
    workshop.status = EventStatus.DRAFT
    workshop.save()
    assert error_code(book, past, email="a@example.org") == "closed"
    workshop.status = EventStatus.PUBLISHED
    workshop.booking_mode = BookingMode.NONE
    workshop.save()
    assert error_code(book, past, email="a@example.org") == "closed"


# --- Cancelling and offers ------------------------------------------------------------------------


def test_cancelling_offers_the_seats_to_the_first_waiting_with_accept_and_decline_links(workshop_session) -> None:
    workshop_session.capacity = 2
    workshop_session.save()
    confirmed = book(workshop_session, email="a@example.org", seats=2)
    first = book(workshop_session, email="b@example.org", seats=2)
    second = book(workshop_session, email="c@example.org", seats=1)

    service.cancel(confirmed)

    confirmed.refresh_from_db()
    first.refresh_from_db()
    second.refresh_from_db()
    assert confirmed.status == BookingStatus.CANCELLED
    assert kinds(confirmed)[-1] == BookingMessage.Kind.CANCELLED
    assert first.status == BookingStatus.OFFERED
    assert first.seats_offered == 2
    assert first.offer_expires_at is not None
    assert abs(first.offer_expires_at - (timezone.now() + datetime.timedelta(hours=24))) < datetime.timedelta(minutes=1)
    assert second.status == BookingStatus.WAITING
    offer = first.messages.get(kind=BookingMessage.Kind.OFFER)
    assert "/accept/" in offer.body
    assert "/decline/" in offer.body
    assert AuditEvent.objects.filter(action="booking.cancel").count() == 1
    assert AuditEvent.objects.filter(action="booking.offer", object_id=str(first.pk)).exists()
    # Cancelling again changes nothing.
    assert service.cancel(confirmed).status == BookingStatus.CANCELLED
    assert kinds(confirmed).count(BookingMessage.Kind.CANCELLED) == 1


def test_freed_seats_are_offered_in_part_and_the_rest_goes_to_the_next(workshop_session) -> None:
    workshop_session.capacity = 3
    workshop_session.save()
    small = book(workshop_session, email="a@example.org", seats=1)
    book(workshop_session, email="b@example.org", seats=2)
    big = book(workshop_session, email="c@example.org", seats=3)
    after = book(workshop_session, email="d@example.org", seats=1)

    service.cancel(small)  # one seat frees: offered to the first in line, in part

    big.refresh_from_db()
    after.refresh_from_db()
    assert (big.status, big.seats_offered) == (BookingStatus.OFFERED, 1)
    assert after.status == BookingStatus.WAITING


def test_accepting_fewer_seats_confirms_them_and_offers_the_rest_to_the_next(workshop_session) -> None:
    workshop_session.capacity = 4
    workshop_session.save()
    holder = book(workshop_session, email="a@example.org", seats=4)
    first = book(workshop_session, email="b@example.org", seats=3)
    second = book(workshop_session, email="c@example.org", seats=2)
    service.cancel(holder)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.seats_offered, second.seats_offered) == (3, 1)

    assert error_code(service.accept_offer, first, seats=4) == "too_many_seats"
    accepted = service.accept_offer(first, seats=1)

    assert (accepted.status, accepted.seats, accepted.seats_offered) == (BookingStatus.CONFIRMED, 1, 0)
    assert kinds(accepted)[-1] == BookingMessage.Kind.CONFIRMATION
    second.refresh_from_db()
    assert (second.status, second.seats_offered) == (BookingStatus.OFFERED, 2)
    assert second.messages.filter(kind=BookingMessage.Kind.OFFER).count() == 2  # told again, with more seats
    # Accepting twice is refused.
    assert error_code(service.accept_offer, accepted) == "not_offered"


def test_declining_passes_the_offer_to_the_next(workshop_session) -> None:
    workshop_session.capacity = 1
    workshop_session.save()
    holder = book(workshop_session, email="a@example.org")
    first = book(workshop_session, email="b@example.org")
    second = book(workshop_session, email="c@example.org")
    service.cancel(holder)

    declined = service.decline_offer(first)

    assert declined.status == BookingStatus.DECLINED
    second.refresh_from_db()
    assert second.status == BookingStatus.OFFERED
    assert error_code(service.decline_offer, declined) == "not_offered"


def test_offers_expire_after_the_claim_window_and_go_to_the_next(workshop, workshop_session) -> None:
    workshop.offer_hours = 2
    workshop.save()
    workshop_session.capacity = 1
    workshop_session.save()
    holder = book(workshop_session, email="a@example.org")
    first = book(workshop_session, email="b@example.org")
    second = book(workshop_session, email="c@example.org")
    service.cancel(holder)
    first.refresh_from_db()

    assert service.expire_offers(now=timezone.now() + datetime.timedelta(hours=1)) == 0
    later = timezone.now() + datetime.timedelta(hours=2, minutes=1)
    assert service.expire_offers(now=later) == 1

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == BookingStatus.EXPIRED
    assert kinds(first)[-1] == BookingMessage.Kind.OFFER_EXPIRED
    assert second.status == BookingStatus.OFFERED
    assert AuditEvent.objects.filter(action="booking.expire", object_id=str(first.pk)).exists()


def test_an_offer_past_its_window_cannot_be_accepted(workshop_session, make_booking) -> None:
    offered = make_booking(
        workshop_session,
        status=BookingStatus.OFFERED,
        seats=1,
        seats_offered=1,
        offer_expires_at=timezone.now() - datetime.timedelta(minutes=1),
    )
    assert error_code(service.accept_offer, offered) == "not_offered"


def test_the_claim_window_ends_when_the_session_starts(workshop, make_session) -> None:
    soon = make_session(workshop, starts_at=timezone.now() + datetime.timedelta(hours=3), capacity=1)
    holder = book(soon, email="a@example.org")
    waiting = book(soon, email="b@example.org")
    service.cancel(holder)
    waiting.refresh_from_db()
    assert waiting.offer_expires_at == soon.starts_at


# --- Series ----------------------------------------------------------------------------------------


def test_a_series_is_booked_as_a_whole_with_one_waiting_list(series, make_session) -> None:
    # The smallest session decides: one of four seats.
    make_session(series, starts_at=timezone.now() + datetime.timedelta(days=30), capacity=4)
    confirmed = [book(series, email=f"p{i}@example.org") for i in range(4)]
    waiting = book(series, email="w@example.org")

    assert all(b.status == BookingStatus.CONFIRMED and b.session_id is None for b in confirmed)
    assert waiting.status == BookingStatus.WAITING
    assert error_code(book, series, email="p0@example.org") == "duplicate"

    service.cancel(confirmed[0])
    waiting.refresh_from_db()
    assert waiting.status == BookingStatus.OFFERED
    confirmation = confirmed[1].messages.get()
    assert confirmation.body.count("Centro interculturale") == 4  # every session of the series


def test_a_series_that_has_begun_cannot_be_booked(series) -> None:
    first = series.sessions.order_by("starts_at").first()
    first.starts_at = timezone.now() - datetime.timedelta(hours=1)
    first.ends_at = timezone.now() + datetime.timedelta(hours=1)
    first.save()
    assert error_code(book, series, email="a@example.org") == "past"


# --- Cancelling a session ----------------------------------------------------------------------------


def test_cancelling_a_session_cancels_its_bookings_and_tells_everyone(workshop_session, manager_association) -> None:
    workshop_session.capacity = 1
    workshop_session.save()
    confirmed = book(workshop_session, email="a@example.org")
    waiting = book(workshop_session, email="b@example.org")
    earlier = book(workshop_session, email="c@example.org")
    service.cancel(earlier)

    told = service.cancel_session(workshop_session, by=manager_association, message="The room is flooded.")

    assert told == 2
    workshop_session.refresh_from_db()
    assert workshop_session.status == Session.Status.CANCELLED
    assert workshop_session.cancelled_reason == "The room is flooded."
    for booking in (confirmed, waiting):
        booking.refresh_from_db()
        assert booking.status == BookingStatus.CANCELLED
        message = booking.messages.get(kind=BookingMessage.Kind.SESSION_CANCELLED)
        assert "The room is flooded." in message.body
    assert not earlier.messages.filter(kind=BookingMessage.Kind.SESSION_CANCELLED).exists()
    assert AuditEvent.objects.filter(action="session.cancel", user=manager_association).exists()
    assert service.cancel_session(workshop_session, by=manager_association, message="again") == 0


def test_cancelling_one_session_of_a_series_keeps_the_series_bookings(series, manager_association) -> None:
    booking = book(series, email="a@example.org")
    session = series.sessions.order_by("starts_at").last()

    assert service.cancel_session(session, by=manager_association, message="Holiday.") == 1

    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert "Holiday." in booking.messages.get(kind=BookingMessage.Kind.SESSION_CANCELLED).body


# --- Check-in --------------------------------------------------------------------------------------


def test_check_in_ticks_a_confirmed_booking_and_can_be_undone(workshop_session, manager_association) -> None:
    booking = book(workshop_session, email="a@example.org", seats=3)

    check = service.check_in(booking, workshop_session, by=manager_association)
    assert check.seats == 3
    assert service.check_in(booking, workshop_session, by=manager_association, seats=2).seats == 2
    assert CheckIn.objects.filter(booking=booking).count() == 1
    assert error_code(service.check_in, booking, workshop_session, by=manager_association, seats=4) == "too_many_seats"
    assert AuditEvent.objects.filter(action="booking.check_in").count() == 2

    assert service.undo_check_in(booking, workshop_session, by=manager_association) is True
    assert not CheckIn.objects.exists()


def test_only_confirmed_bookings_of_the_session_check_in(workshop, workshop_session, make_session, series) -> None:
    workshop_session.capacity = 1
    workshop_session.save()
    book(workshop_session, email="a@example.org")
    waiting = book(workshop_session, email="b@example.org")
    other = make_session(workshop)
    assert error_code(service.check_in, waiting, workshop_session, by=None) == "not_booked"
    confirmed = Booking.objects.get(email="a@example.org")
    assert error_code(service.check_in, confirmed, other, by=None) == "not_booked"
    # A series booking checks in at any session of its series.
    series_booking = book(series, email="s@example.org")
    for session in series.sessions.all():
        service.check_in(series_booking, session, by=None)
    assert series_booking.check_ins.count() == 3
