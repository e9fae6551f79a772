"""Shared fixtures of the associations app.

`ponti` is the public profile of `association_potenza` (managed by `manager_association`);
`other_association` an association at Matera with its own manager `manager_other`;
`workshop` a published workshop of Ponti booked per session, with one session `workshop_session`
in a week's time at Potenza, 10 seats; `series` a published series of three sessions, 6 seats
each, booked as a whole; `make_event(association, **fields)` and `make_session(event, **fields)`
build more; `make_booking(session_or_event, **fields)` writes a booking row directly (no seat
checks: use associations.services.booking to test the rules)."""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from aipim.accounts.models import Role, User
from aipim.core.models import Organisation
from associations.models import (
    Association,
    Audience,
    Booking,
    BookingMode,
    BookingStatus,
    Event,
    EventCategory,
    EventKind,
    EventStatus,
    LegalForm,
    Session,
    contact_key,
)
from tests.factories import OrganisationFactory, municipality

_numbers = itertools.count(1)


@pytest.fixture
def ponti(association_potenza: Organisation) -> Association:
    return Association.objects.create(
        organisation=association_potenza,
        slug="ponti-tra-culture",
        legal_form=LegalForm.APS,
        runts_number="123456",
        languages=["it", "ar", "fr"],
        is_migrant_led=True,
    )


@pytest.fixture
def other_association(db: None) -> Association:
    organisation = OrganisationFactory(
        name="Ass. Sabir", code="ASB", kind=Organisation.Kind.ASSOCIATION, municipality=municipality("Matera")
    )
    return Association.objects.create(organisation=organisation, slug="sabir", legal_form=LegalForm.ODV)


@pytest.fixture
def manager_other(make_member: Callable[..., User], other_association: Association) -> User:
    return make_member(Role.ASSOCIATION_MANAGER, other_association.organisation, email="manager.sabir@example.org")


@pytest.fixture
def make_event(db: None) -> Callable[..., Event]:
    def make(association: Association | None, **fields: Any) -> Event:
        number = next(_numbers)
        fields.setdefault("slug", f"event-{number}")
        fields.setdefault("title_it", f"Laboratorio {number}")
        fields.setdefault("title_en", f"Workshop {number}")
        fields.setdefault("category", EventCategory.CULTURE)
        fields.setdefault("audiences", [Audience.RESIDENTS, Audience.MIGRANTS])
        fields.setdefault("languages", ["it", "ar"])
        fields.setdefault("status", EventStatus.PUBLISHED)
        if association is None:
            fields.setdefault("partner_name", "Museo Archeologico Nazionale")
            fields.setdefault("kind", EventKind.PARTNER)
        fields.setdefault("kind", EventKind.WORKSHOP)
        return Event.objects.create(association=association, **fields)

    return make


@pytest.fixture
def make_session(db: None) -> Callable[..., Session]:
    def make(event: Event, **fields: Any) -> Session:
        starts_at = fields.pop("starts_at", None) or timezone.now().replace(
            minute=0, second=0, microsecond=0
        ) + datetime.timedelta(days=7)
        fields.setdefault("ends_at", starts_at + datetime.timedelta(hours=2))
        fields.setdefault("venue", "Centro interculturale")
        fields.setdefault("address", "Via Pretoria 10")
        fields.setdefault("municipality", municipality("Potenza"))
        fields.setdefault("capacity", 10)
        return Session.objects.create(event=event, starts_at=starts_at, **fields)

    return make


@pytest.fixture
def workshop(ponti: Association, make_event: Callable[..., Event]) -> Event:
    return make_event(
        ponti,
        slug="cucina-siriana",
        title_it="Cucina siriana per tutti",
        title_en="Syrian cooking for everyone",
        title_fr="Cuisine syrienne pour tous",
        title_ar="المطبخ السوري للجميع",
        category=EventCategory.FOOD,
        is_migrant_led=True,
        led_by="Rasha",
        booking_mode=BookingMode.SESSION,
        max_seats_per_booking=4,
    )


@pytest.fixture
def workshop_session(workshop: Event, make_session: Callable[..., Session]) -> Session:
    return make_session(workshop, capacity=10)


@pytest.fixture
def series(ponti: Association, make_event: Callable[..., Event], make_session: Callable[..., Session]) -> Event:
    event = make_event(
        ponti, slug="arabo-base", title_it="Arabo di base", title_en="Basic Arabic", booking_mode=BookingMode.SERIES
    )
    first = timezone.now().replace(minute=0, second=0, microsecond=0) + datetime.timedelta(days=3)
    for week in range(3):
        make_session(event, starts_at=first + datetime.timedelta(weeks=week), capacity=6)
    return event


@pytest.fixture
def make_booking(db: None) -> Callable[..., Booking]:
    def make(target: Session | Event, **fields: Any) -> Booking:
        number = next(_numbers)
        if isinstance(target, Session):
            fields.setdefault("session", target)
            fields.setdefault("event", target.event)
        else:
            fields.setdefault("event", target)
        fields.setdefault("name", f"Persona {number}")
        fields.setdefault("email", f"persona{number}@example.org")
        fields.setdefault("phone", "")
        fields.setdefault("seats", 1)
        fields.setdefault("status", BookingStatus.CONFIRMED)
        fields.setdefault("language", "it")
        fields.setdefault("consent_at", timezone.now())
        fields.setdefault("reference", f"T{number:07d}")
        fields["contact_key"] = contact_key(fields["email"], fields["phone"])
        return Booking.objects.create(**fields)

    return make
