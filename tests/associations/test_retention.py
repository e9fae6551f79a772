"""Retention of bookers' data: anonymised ASSOCIATIONS_ATTENDEE_RETENTION_DAYS after the booked
session (or the series' last session) ended, counts kept for the report, documented for the DPO."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.utils import timezone

from aipim.core import retention
from aipim.core.models import AuditEvent
from aipim.core.privacy import ANONYMISED
from associations.models import Booking, BookingMessage, BookingStatus, CheckIn
from associations.reports import action4_figures
from associations.retention import attendees_due, attendees_keep_for

pytestmark = pytest.mark.django_db

KEYS = {"associations.attendees"}


def days_ago(days: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


@pytest.fixture
def bookings(workshop, series, make_session, make_booking):
    """A session that ended 200 days ago (two bookings, one checked in, with a message), one 100 days
    ago; the series has a session 300 days ago but its last one is still to come."""
    old = make_session(workshop, starts_at=days_ago(200), capacity=8)
    old_booking = make_booking(old, name="Amina Haddad", seats=2, audience="migrants")
    old_other = make_booking(old, name="Karim Benali", status=BookingStatus.CANCELLED)
    CheckIn.objects.create(booking=old_booking, session=old, seats=2)
    BookingMessage.objects.create(
        booking=old_booking, kind="confirmation", language="it", recipient=old_booking.email, subject="Ok", body="Ciao"
    )
    recent = make_session(workshop, starts_at=days_ago(100))
    recent_booking = make_booking(recent, name="Recent Booker")
    make_session(series, starts_at=days_ago(300))
    series_booking = make_booking(series, name="Series Booker")
    return {
        "old": old,
        "old_booking": old_booking,
        "old_other": old_other,
        "recent": recent,
        "recent_booking": recent_booking,
        "series_booking": series_booking,
    }


def test_policies_are_registered_and_documented() -> None:
    assert {policy.key for policy in retention.registered_policies()} >= KEYS
    document = (Path(__file__).resolve().parents[2] / "docs" / "privacy.md").read_text()
    for key in KEYS:
        assert f"`{key}`" in document
    assert "ASSOCIATIONS_ATTENDEE_RETENTION_DAYS" in document


def test_the_period_comes_from_the_setting(settings) -> None:
    assert attendees_keep_for() == datetime.timedelta(days=180)
    settings.ASSOCIATIONS_ATTENDEE_RETENTION_DAYS = 30
    assert attendees_keep_for() == datetime.timedelta(days=30)


def test_attendees_are_anonymised_after_the_period_and_the_counts_stay(bookings):
    old = bookings["old"]
    day = timezone.localdate(old.starts_at)
    before = action4_figures(day, day)

    retention.apply_retention(timezone.now())

    booking = Booking.objects.get(pk=bookings["old_booking"].pk)
    assert (booking.name, booking.email, booking.phone, booking.anonymised_at is not None) == (ANONYMISED, "", "", True)
    assert Booking.objects.get(pk=bookings["old_other"].pk).name == ANONYMISED
    assert BookingMessage.objects.get(booking=booking).body == ""
    old.refresh_from_db()
    assert old.attendees_anonymised_at is not None
    # Not yet due: a session 100 days ago, a series whose last session is to come.
    assert Booking.objects.get(pk=bookings["recent_booking"].pk).name == "Recent Booker"
    assert Booking.objects.get(pk=bookings["series_booking"].pk).name == "Series Booker"
    bookings["recent"].refresh_from_db()
    assert bookings["recent"].attendees_anonymised_at is None
    # The report counts the same after as before.
    assert action4_figures(day, day) == before
    assert before.present == 2 and before.by_status == {"confirmed": 1, "cancelled": 1}

    event = AuditEvent.objects.get(action="retention.purge", details__policy="associations.attendees")
    assert event.details["count"] == 2
    assert sorted(event.details["ids"]) == sorted([str(bookings["old_booking"].pk), str(bookings["old_other"].pk)])
    # A second run finds nothing left.
    assert not attendees_due(timezone.now()).exists()


def test_a_shorter_period_reaches_more(settings, bookings):
    settings.ASSOCIATIONS_ATTENDEE_RETENTION_DAYS = 30
    due = set(attendees_due(timezone.now()))
    assert due == {bookings["old_booking"], bookings["old_other"], bookings["recent_booking"]}


def test_a_series_booking_waits_for_the_last_session(bookings, series):
    series.sessions.update(starts_at=days_ago(400), ends_at=days_ago(400) + datetime.timedelta(hours=2))
    assert bookings["series_booking"] in set(attendees_due(timezone.now()))
