"""Constraints of the booking tables: what the database itself refuses, whatever the code above it does."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from associations.models import BookingStatus, contact_key


def test_one_active_booking_per_contact_and_session(workshop_session, make_booking) -> None:
    make_booking(workshop_session, email="Amina@Example.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_booking(workshop_session, email="amina@example.org", status=BookingStatus.WAITING)
    # A cancelled booking frees the place for a new one.
    make_booking(workshop_session, email="omar@example.org", status=BookingStatus.CANCELLED)
    make_booking(workshop_session, email="omar@example.org")


def test_one_active_booking_per_contact_and_series(series, make_booking) -> None:
    make_booking(series, email="amina@example.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_booking(series, email="amina@example.org")


def test_an_offer_needs_seats_and_a_deadline(workshop_session, make_booking) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        make_booking(workshop_session, status=BookingStatus.OFFERED, seats=2, seats_offered=0)


def test_contact_key_prefers_email_and_normalises_phone() -> None:
    assert contact_key(" Amina@Example.ORG ", "333 1234567") == "amina@example.org"
    assert contact_key("", "+39 333 123 4567") == "tel:3331234567"
    assert contact_key("", "") == ""


def test_partner_event_needs_a_partner_name(make_event) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        make_event(None, partner_name="")
