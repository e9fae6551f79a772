"""Action 4 demo data: profiles, a network in the directory, upcoming workshops in several towns with
seats booked through the booking service, a full session with a waiting list; nothing new on a
second run."""

from __future__ import annotations

import pytest
from django.db.models import Sum

from aipim.core.management.commands.seed_demo import ASSOCIATIONS
from aipim.core.models import Organisation, Service
from associations import demo
from associations.models import (
    Association,
    Booking,
    BookingMessage,
    BookingMode,
    BookingStatus,
    CheckIn,
    Event,
    EventKind,
    Network,
    Session,
)
from associations.selectors import availability
from tests.factories import OrganisationFactory, UserFactory, municipality

pytestmark = pytest.mark.django_db


@pytest.fixture
def organisations(db) -> dict[str, Organisation]:
    UserFactory(email=demo.LOADED_BY)
    UserFactory(email=demo.MANAGER)
    return {
        code: OrganisationFactory(
            code=code, name=name, kind=Organisation.Kind.ASSOCIATION, municipality=municipality(town)
        )
        for code, name, town in ASSOCIATIONS
    }


@pytest.fixture
def seeded(organisations) -> int:
    return demo.seed(organisations)


def test_the_demo_associations_of_seed_demo_get_a_profile() -> None:
    assert {code for code, _name, _town in ASSOCIATIONS} == set(demo.PROFILES)


def test_profiles_and_a_network_with_its_directory_service(seeded, organisations) -> None:
    assert Association.objects.count() == 2
    ponti = Association.objects.get(organisation=organisations["ASS-PONTI"])
    assert ponti.is_migrant_led and ponti.runts_number
    assert ponti.organisation.description_ar
    network = Network.objects.get(slug=demo.NETWORK_SLUG)
    assert network.lead == ponti
    assert network.members.count() == 2
    assert network.name_ar and network.name_fr and network.name_en
    service = Service.objects.get(pk=network.service_id)
    assert service.category == "legal" and service.organisation == ponti.organisation
    assert service.schedules.count() == 2 and service.locations.count() == 1


def test_upcoming_events_in_several_towns_in_four_languages(seeded) -> None:
    events = Event.objects.all()
    assert 5 <= events.count() <= 9
    for event in events:
        assert all(getattr(event, f"title_{language}") for language in ("it", "en", "fr", "ar")), event.slug
    assert events.filter(booking_mode=BookingMode.SERIES).exists()
    assert events.filter(kind=EventKind.PARTNER, association__isnull=True).exists()
    upcoming = Session.objects.upcoming()
    assert upcoming.values("municipality").distinct().count() >= 4
    assert Event.objects.filter(sessions__in=upcoming).distinct().count() >= 5


def test_seats_are_booked_through_the_service_and_one_session_has_a_waiting_list(seeded) -> None:
    assert Booking.objects.filter(status=BookingStatus.CONFIRMED).count() >= 10
    # The service wrote the messages in each booker's language.
    assert BookingMessage.objects.filter(language="ar").exists()
    assert BookingMessage.objects.filter(kind=BookingMessage.Kind.WAITING).count() == 2
    seats = availability(Session.objects.upcoming())
    full = [pk for pk, seat in seats.items() if seat.is_full and seat.waiting]
    assert len(full) == 1
    assert seats[full[0]].held == seats[full[0]].capacity
    # No session holds more than its capacity.
    assert all(seat.held <= seat.capacity for seat in seats.values())


def test_a_workshop_already_held_has_check_ins_and_a_no_show(seeded) -> None:
    held = Session.objects.get(event__slug="demo-calligrafia")
    assert held.ends_at < held.event.created_at
    booked = Booking.objects.filter(session=held, status=BookingStatus.CONFIRMED)
    assert booked.count() == 4
    assert CheckIn.objects.filter(session=held).count() == 3
    assert CheckIn.objects.filter(session=held).aggregate(n=Sum("seats"))["n"] == 4


def test_a_second_run_adds_nothing(seeded, organisations) -> None:
    assert seeded > 0
    counts = (Event.objects.count(), Session.objects.count(), Booking.objects.count(), Service.objects.count())
    assert demo.seed(organisations) == 0
    assert counts == (Event.objects.count(), Session.objects.count(), Booking.objects.count(), Service.objects.count())
