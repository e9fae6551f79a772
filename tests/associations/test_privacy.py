"""Action 4's part of access and erasure requests: bookings found by the person's email or phone,
exported with their messages, anonymised on erasure (a booking still to come is cancelled first and
its seat goes to the waiting list); the counts the report needs stay."""

from __future__ import annotations

import datetime
import json

import pytest
from django.utils import timezone

from aipim.core.privacy import ANONYMISED, erase_person, export_person, registered_handlers
from associations.models import Booking, BookingMessage, BookingStatus, CheckIn
from associations.privacy import bookings_of
from associations.services import booking as booking_service
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def amina(db):
    return PersonFactory(given_names="Amina", family_names="Haddad", email="Amina.Haddad@example.org", phone="")


@pytest.fixture
def karim(db):
    return PersonFactory(given_names="Karim", family_names="Benali", email="", phone="+39 333 123 4567")


@pytest.fixture
def history(amina, karim, workshop, make_session, make_booking, series):
    """Amina: a past workshop she attended (with its confirmation message), a series booking by email in
    capitals; Karim: a booking by phone only, another with a different email but his phone. Someone else
    books too."""
    past = make_session(workshop, starts_at=timezone.now() - datetime.timedelta(days=20))
    attended = make_booking(past, name="Amina H.", email="amina.haddad@example.org", audience="migrants", seats=2)
    CheckIn.objects.create(booking=attended, session=past, seats=2)
    BookingMessage.objects.create(
        booking=attended,
        kind="confirmation",
        language="ar",
        recipient=attended.email,
        subject="Booking confirmed: Cucina",
        body="Dear Amina H., your booking ...",
        status="failed",
        last_error="550 amina.haddad@example.org unknown",
    )
    in_capitals = make_booking(series, name="Amina", email="AMINA.HADDAD@example.org")
    by_phone = make_booking(past, name="Karim", email="", phone="333 1234567")
    other_email = make_booking(past, name="Karim B.", email="kb@example.org", phone="+39 (333) 123-4567")
    someone = make_booking(past, name="Someone Else", email="someone@example.org")
    return {
        "attended": attended,
        "in_capitals": in_capitals,
        "by_phone": by_phone,
        "other_email": other_email,
        "someone": someone,
    }


def test_the_part_is_registered() -> None:
    assert "associations" in [handler.name for handler in registered_handlers()]


def test_bookings_are_matched_by_email_or_phone(history, amina, karim):
    assert set(bookings_of(amina)) == {history["attended"], history["in_capitals"]}
    assert set(bookings_of(karim)) == {history["by_phone"], history["other_email"]}
    assert not bookings_of(PersonFactory(email="", phone="")).exists()
    assert not bookings_of(PersonFactory(email="", phone="4567")).exists()  # too short to be anyone's


def test_export_holds_the_bookings_with_check_ins_and_messages(history, amina, administrator):
    export = export_person(amina, by=administrator)["sections"]["associations"]
    json.dumps(export)  # serialisable
    by_reference = {row["reference"]: row for row in export["bookings"]}
    assert set(by_reference) == {history["attended"].reference, history["in_capitals"].reference}
    attended = by_reference[history["attended"].reference]
    assert attended["name"] == "Amina H." and attended["seats"] == 2
    assert attended["session"]["municipality"] == "Potenza"
    assert attended["check_ins"][0]["people"] == 2
    assert attended["messages"][0]["body"].startswith("Dear Amina")
    assert by_reference[history["in_capitals"].reference]["whole_series"] is True


def test_erasure_anonymises_and_keeps_what_the_report_counts(history, amina, administrator):
    counts = erase_person(amina, by=administrator, reason="request")["associations"]
    assert counts["bookings_anonymised"] == 2
    attended = Booking.objects.get(pk=history["attended"].pk)
    assert (attended.name, attended.email, attended.phone) == (ANONYMISED, "", "")
    assert attended.contact_key.startswith("anonymised:") and "amina" not in attended.contact_key
    assert attended.anonymised_at is not None
    # Kept for the report.
    assert (attended.status, attended.seats, attended.audience) == (BookingStatus.CONFIRMED, 2, "migrants")
    assert CheckIn.objects.filter(booking=attended, seats=2).exists()
    message = BookingMessage.objects.get(booking=attended)
    assert (message.body, message.recipient, message.last_error) == ("", "", "")
    assert message.subject  # the event's name only
    # One person's erasure is not the retention of the whole attendee list.
    assert attended.session.attendees_anonymised_at is None
    # Nobody else's booking changed; a second erasure finds nothing.
    assert Booking.objects.get(pk=history["someone"].pk).name == "Someone Else"
    again = erase_person(amina, by=administrator)["associations"]
    assert again == {"bookings_cancelled": 0, "bookings_anonymised": 0}


def test_erasure_cancels_a_booking_still_to_come_and_the_seat_goes_to_the_waiting_list(
    amina, workshop, make_session, administrator
):
    session = make_session(workshop, capacity=1)
    booked = booking_service.book(
        event=workshop, session=session, name="Amina", email=amina.email, phone="", seats=1, language="ar"
    )
    waiting = booking_service.book(
        event=workshop, session=session, name="Next", email="next@example.org", phone="", seats=1, language="it"
    )
    assert (booked.status, waiting.status) == (BookingStatus.CONFIRMED, BookingStatus.WAITING)

    counts = erase_person(amina, by=administrator, reason="request")["associations"]

    assert counts == {"bookings_cancelled": 1, "bookings_anonymised": 1}
    booked.refresh_from_db()
    assert (booked.status, booked.name, booked.email) == (BookingStatus.CANCELLED, ANONYMISED, "")
    waiting.refresh_from_db()
    assert waiting.status == BookingStatus.OFFERED
    # The cancellation message to Amina has no address left, so it is not sent.
    assert not BookingMessage.objects.filter(booking=booked).exclude(recipient="").exists()
    assert not BookingMessage.objects.filter(booking=booked, status=BookingMessage.Status.SENT, kind="cancelled")
