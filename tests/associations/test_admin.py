"""The admin site for Action 4: profiles, networks, events with their sessions; bookers' data view
only, audited, and listed without names."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from aipim.core.models import AuditEvent
from associations.models import Association, Booking, BookingMessage, Event, Session
from tests.factories import UserFactory, municipality

pytestmark = pytest.mark.django_db

REGISTERED = sorted(model._meta.label for model in admin.site._registry if model._meta.app_label == "associations")


@pytest.fixture
def admin_client(client_for, db):
    superuser = UserFactory(email="root@example.org", is_superuser=True, is_staff=True)
    client = client_for(superuser)
    client.get(reverse("admin:index"))
    return client


@pytest.fixture
def populated(workshop, workshop_session, series, make_booking, other_association):
    booking = make_booking(workshop_session, name="Amina Haddad", email="amina@example.org")
    make_booking(series, name="Karim Benali")
    BookingMessage.objects.create(
        booking=booking, kind="confirmation", language="it", recipient=booking.email, subject="Ok", body="Ciao Amina"
    )
    return booking


def queries_for(client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context.captured_queries), response.content.decode()


def test_profiles_events_and_bookings_are_registered() -> None:
    assert set(REGISTERED) == {
        "associations.Association",
        "associations.Booking",
        "associations.BookingMessage",
        "associations.Event",
        "associations.Network",
        "associations.Session",
    }


@pytest.mark.parametrize("label", REGISTERED)
def test_every_page_opens_with_a_fixed_number_of_queries(
    admin_client, populated, make_event, make_session, ponti, label
):
    model = next(model for model in admin.site._registry if model._meta.label == label)
    url = reverse(f"admin:associations_{model._meta.model_name}_changelist")
    few, _html = queries_for(admin_client, url)
    event = make_event(ponti)
    session = make_session(event)
    Booking.objects.create(
        event=event,
        session=session,
        status="confirmed",
        seats=1,
        name="X",
        email="x@example.org",
        contact_key="x@example.org",
        consent_at=session.starts_at,
        reference="TX000001",
    )
    many, _html = queries_for(admin_client, url)
    assert few == many
    obj = model._default_manager.order_by("pk").first()
    if obj is not None:
        response = admin_client.get(reverse(f"admin:associations_{model._meta.model_name}_change", args=[obj.pk]))
        assert response.status_code == 200


def test_bookings_are_view_only_listed_by_code_and_every_read_is_audited(admin_client, populated):
    before = AuditEvent.objects.filter(object_type="associations.booking").count()
    _queries, html = queries_for(admin_client, reverse("admin:associations_booking_changelist"))
    assert populated.reference in html
    assert "Amina" not in html and "Karim" not in html
    assert admin_client.get(reverse("admin:associations_booking_add")).status_code == 403

    response = admin_client.get(reverse("admin:associations_booking_change", args=[populated.pk]))
    assert response.status_code == 200
    assert "Amina Haddad" in response.content.decode()  # the detail shows it, and the read is on record
    actions = list(
        AuditEvent.objects.filter(object_type="associations.booking").order_by("pk").values_list("action", "object_id")
    )[before:]
    assert actions == [("booking.list", ""), ("booking.view", str(populated.pk))]

    # No change, no delete.
    response = admin_client.post(
        reverse("admin:associations_booking_change", args=[populated.pk]), {"name": "Someone else"}
    )
    assert response.status_code == 403
    response = admin_client.post(reverse("admin:associations_booking_delete", args=[populated.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert Booking.objects.get(pk=populated.pk).name == "Amina Haddad"


def test_search_finds_a_booking_by_its_code_only(admin_client, populated):
    url = reverse("admin:associations_booking_changelist")
    assert populated.reference in admin_client.get(url, {"q": populated.reference}).content.decode()
    assert populated.reference not in admin_client.get(url, {"q": "Amina"}).content.decode()


def test_an_event_is_added_with_its_texts_and_a_session(admin_client, ponti):
    potenza = municipality("Potenza")
    data = {
        "association": ponti.pk,
        "partner_name": "",
        "kind": "workshop",
        "slug": "henne",
        "title_it": "Laboratorio di henné",
        "title_en": "Henna workshop",
        "title_fr": "Atelier de henné",
        "title_ar": "ورشة الحناء",
        "category": "arts",
        "audiences": "residents,migrants",
        "languages": "it,ar",
        "status": "published",
        "booking_mode": "session",
        "max_seats_per_booking": "4",
        "offer_hours": "24",
        "sessions-TOTAL_FORMS": "1",
        "sessions-INITIAL_FORMS": "0",
        "sessions-MIN_NUM_FORMS": "0",
        "sessions-MAX_NUM_FORMS": "1000",
        "sessions-0-starts_at_0": "2030-05-04",
        "sessions-0-starts_at_1": "10:00",
        "sessions-0-ends_at_0": "2030-05-04",
        "sessions-0-ends_at_1": "12:00",
        "sessions-0-venue": "Biblioteca",
        "sessions-0-address": "Via Pretoria 1",
        "sessions-0-municipality": potenza.pk,
        "sessions-0-capacity": "12",
    }
    response = admin_client.post(reverse("admin:associations_event_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    event = Event.objects.get(slug="henne")
    assert event.title_ar == "ورشة الحناء"
    assert event.created_by is not None and event.created_by.email == "root@example.org"
    session = Session.objects.get(event=event)
    assert (session.capacity, session.status) == (12, Session.Status.SCHEDULED)


def test_a_profile_lists_its_municipality(admin_client, ponti):
    _queries, html = queries_for(admin_client, reverse("admin:associations_association_changelist"))
    assert ponti.organisation.municipality.name in html
    assert Association.objects.count() == 1


def test_an_association_organisation_shows_its_profile_inline(admin_client, ponti, school_potenza):
    response = admin_client.get(reverse("admin:core_organisation_change", args=[ponti.organisation.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="association-0-slug"' in html and "ponti-tra-culture" in html
    # Other kinds of organisation have no profile.
    response = admin_client.get(reverse("admin:core_organisation_change", args=[school_potenza.pk]))
    assert 'name="association-0-slug"' not in response.content.decode()
