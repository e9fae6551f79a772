"""Managers' event pages: create an event with translated texts, add sessions, publish, cancel;
partner events for editors; slugs; the list's filters and its fixed number of queries."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from aipim.core.models import AuditEvent
from associations.models import Booking, BookingMessage, BookingStatus, Event, EventStatus, Session
from tests.factories import municipality


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    settings.LANGUAGE_CODE = "en"


def event_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "kind": "workshop",
        "title_it": "Danze del Senegal",
        "title_en": "Dances of Senegal",
        "title_ar": "رقصات السنغال",
        "summary_it": "Un pomeriggio di danza",
        "description_it": "Impariamo insieme.",
        "category": "music_dance",
        "audiences": ["residents", "families"],
        "languages": "it, fr, wo",
        "is_migrant_led": "on",
        "led_by": "Awa",
        "booking_mode": "session",
        "max_seats_per_booking": "3",
        "offer_hours": "12",
    }
    data.update(overrides)
    return data


def session_data(**overrides: object) -> dict[str, object]:
    day = timezone.localdate() + datetime.timedelta(days=10)
    data: dict[str, object] = {
        "date": day.isoformat(),
        "starts": "17:00",
        "ends": "19:00",
        "venue": "Casa delle culture",
        "address": "Via Roma 1",
        "municipality": municipality("Potenza").pk,
        "capacity": "15",
    }
    data.update(overrides)
    return data


def test_manager_creates_an_event_for_their_association_as_a_draft(client_for, manager_association, ponti):
    client = client_for(manager_association)
    response = client.post(reverse("associations:event_add"), event_data(association=ponti.pk))
    event = Event.objects.get(title_it="Danze del Senegal")
    assert response.status_code == 302
    assert response["Location"] == reverse("associations:event_detail", args=[event.pk])
    assert event.association == ponti
    assert event.status == EventStatus.DRAFT
    assert event.slug == "danze-del-senegal"
    assert event.title_ar == "رقصات السنغال"
    assert event.audiences == ["residents", "families"]
    assert event.languages == ["it", "fr", "wo"]
    assert event.is_migrant_led and event.max_seats_per_booking == 3 and event.offer_hours == 12
    assert event.created_by == manager_association
    assert AuditEvent.objects.filter(action="event.create", object_id=str(event.pk)).exists()


def test_the_italian_title_is_required(client_for, manager_association, ponti):
    response = client_for(manager_association).post(
        reverse("associations:event_add"), event_data(association=ponti.pk, title_it="")
    )
    assert response.status_code == 400
    assert not Event.objects.exists()


def test_a_slug_already_taken_gets_a_suffix(client_for, manager_association, ponti, make_event):
    make_event(ponti, slug="danze-del-senegal")
    client_for(manager_association).post(reverse("associations:event_add"), event_data(association=ponti.pk))
    assert Event.objects.filter(slug="danze-del-senegal-2").exists()


def test_manager_cannot_create_an_event_for_another_association(
    client_for, manager_association, ponti, other_association
):
    response = client_for(manager_association).post(
        reverse("associations:event_add"), event_data(association=other_association.pk)
    )
    assert response.status_code == 400
    assert not Event.objects.exists()


def test_manager_cannot_create_a_partner_event(client_for, manager_association, ponti):
    response = client_for(manager_association).post(reverse("associations:event_add"), event_data(partner_name="Museo"))
    assert response.status_code == 400
    assert not Event.objects.exists()


def test_editor_creates_a_partner_event(client_for, editor):
    response = client_for(editor).post(
        reverse("associations:event_add"), event_data(kind="partner", partner_name="Museo Ridola")
    )
    assert response.status_code == 302
    event = Event.objects.get()
    assert event.association is None and event.partner_name == "Museo Ridola"


def test_a_partner_event_needs_the_partner_name(client_for, editor):
    response = client_for(editor).post(reverse("associations:event_add"), event_data(kind="partner"))
    assert response.status_code == 400
    assert b"Name the partner institution" in response.content


def test_manager_edits_their_event_and_the_change_is_audited(client_for, manager_association, workshop):
    response = client_for(manager_association).post(
        reverse("associations:event_edit", args=[workshop.pk]),
        event_data(association=workshop.association_id, title_it="Cucina siriana", title_fr="Cuisine syrienne"),
    )
    assert response.status_code == 302
    workshop.refresh_from_db()
    assert workshop.title_it == "Cucina siriana" and workshop.title_fr == "Cuisine syrienne"
    assert workshop.slug == "cucina-siriana"  # the web address stays
    assert AuditEvent.objects.filter(action="event.change", object_id=str(workshop.pk)).exists()


def test_manager_of_another_association_cannot_open_or_edit_the_event(client_for, manager_other, workshop):
    client = client_for(manager_other)
    assert client.get(reverse("associations:event_edit", args=[workshop.pk])).status_code == 404
    assert client.post(reverse("associations:event_edit", args=[workshop.pk]), event_data()).status_code == 404
    assert client.get(reverse("associations:event_detail", args=[workshop.pk])).status_code == 404


def test_add_a_session_then_publish(client_for, manager_association, ponti, make_event):
    event = make_event(ponti, status=EventStatus.DRAFT)
    client = client_for(manager_association)
    response = client.post(reverse("associations:event_publish", args=[event.pk]))
    event.refresh_from_db()
    assert event.status == EventStatus.DRAFT  # no session yet
    assert response.status_code == 302
    response = client.post(reverse("associations:session_add", args=[event.pk]), session_data())
    assert response.status_code == 302
    session = Session.objects.get(event=event)
    assert timezone.localtime(session.starts_at).hour == 17 and session.capacity == 15
    client.post(reverse("associations:event_publish", args=[event.pk]))
    event.refresh_from_db()
    assert event.status == EventStatus.PUBLISHED


def test_a_session_must_end_after_it_starts(client_for, manager_association, workshop):
    response = client_for(manager_association).post(
        reverse("associations:session_add", args=[workshop.pk]), session_data(starts="19:00", ends="18:00")
    )
    assert response.status_code == 400
    assert workshop.sessions.count() == 0


def test_capacity_cannot_go_below_the_seats_booked(client_for, manager_association, workshop_session, make_booking):
    make_booking(workshop_session, seats=3)
    make_booking(workshop_session, seats=3)
    client = client_for(manager_association)
    url = reverse("associations:session_edit", args=[workshop_session.pk])
    response = client.post(url, session_data(capacity="5"))
    assert response.status_code == 400
    assert b"6 seats are already booked" in response.content
    workshop_session.refresh_from_db()
    assert workshop_session.capacity == 10
    assert client.post(url, session_data(capacity="6")).status_code == 302


def test_more_seats_go_to_the_waiting_list_first(client_for, manager_association, workshop_session, make_booking):
    make_booking(workshop_session, seats=4)
    make_booking(workshop_session, seats=4)
    make_booking(workshop_session, seats=2)
    waiting = make_booking(workshop_session, seats=2, status=BookingStatus.WAITING)
    response = client_for(manager_association).post(
        reverse("associations:session_edit", args=[workshop_session.pk]), session_data(capacity="12")
    )
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.status == BookingStatus.OFFERED and waiting.seats_offered == 2


def test_cancel_the_event_tells_everyone_booked(
    client_for, manager_association, workshop, workshop_session, make_booking
):
    booked = make_booking(workshop_session)
    client = client_for(manager_association)
    response = client.post(reverse("associations:event_cancel", args=[workshop.pk]), {"message": "Lo chef è malato."})
    assert response.status_code == 302
    workshop.refresh_from_db()
    workshop_session.refresh_from_db()
    booked.refresh_from_db()
    assert workshop.status == EventStatus.CANCELLED and workshop.cancelled_reason == "Lo chef è malato."
    assert workshop_session.status == Session.Status.CANCELLED
    assert booked.status == BookingStatus.CANCELLED
    assert BookingMessage.objects.filter(booking=booked, kind=BookingMessage.Kind.SESSION_CANCELLED).exists()


def test_cancelling_needs_a_message(client_for, manager_association, workshop):
    response = client_for(manager_association).post(reverse("associations:event_cancel", args=[workshop.pk]), {})
    assert response.status_code == 400
    workshop.refresh_from_db()
    assert workshop.status == EventStatus.PUBLISHED


def test_event_list_filters_upcoming_and_past(client_for, manager_association, ponti, make_event, make_session):
    upcoming = make_event(ponti, title_it="Futuro", title_en="Tomorrow lab")
    make_session(upcoming)
    past = make_event(ponti, title_it="Passato", title_en="Bygone lab")
    make_session(past, starts_at=timezone.now() - datetime.timedelta(days=5))
    client = client_for(manager_association)
    page = client.get(reverse("associations:event_list")).content.decode()
    assert "Tomorrow lab" in page and "Bygone lab" not in page
    page = client.get(reverse("associations:event_list"), {"when": "past"}).content.decode()
    assert "Bygone lab" in page and "Tomorrow lab" not in page
    page = client.get(reverse("associations:event_list"), {"when": "all", "status": "draft"}).content.decode()
    assert "Tomorrow lab" not in page


def test_event_list_shows_only_the_managers_events(client_for, manager_other, workshop):
    page = client_for(manager_other).get(reverse("associations:event_list")).content.decode()
    assert workshop.title_en not in page


def test_event_list_runs_a_fixed_number_of_queries(
    client_for, manager_association, ponti, make_event, make_session, django_assert_max_num_queries
):
    client = client_for(manager_association)

    def add(count: int) -> None:
        for _ in range(count):
            make_session(make_event(ponti))

    add(2)
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("associations:event_list"))
    add(10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("associations:event_list"))


def test_event_page_shows_seats_booked_and_left(
    client_for, manager_association, workshop, workshop_session, make_booking
):
    make_booking(workshop_session, seats=3)
    make_booking(workshop_session, seats=2, status=BookingStatus.WAITING)
    page = (
        client_for(manager_association).get(reverse("associations:event_detail", args=[workshop.pk])).content.decode()
    )
    assert "3 / 10" in page
    assert Booking.objects.count() == 2


def test_event_page_runs_a_fixed_number_of_queries(
    client_for, manager_association, workshop, make_session, django_assert_max_num_queries
):
    client = client_for(manager_association)
    make_session(workshop)
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("associations:event_detail", args=[workshop.pk]))
    for days in range(8, 16):
        make_session(workshop, starts_at=timezone.now() + datetime.timedelta(days=days))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("associations:event_detail", args=[workshop.pk]))


def test_session_form_offers_the_last_place_again(client_for, manager_association, workshop, workshop_session):
    page = client_for(manager_association).get(reverse("associations:session_add", args=[workshop.pk])).content.decode()
    assert workshop_session.venue in page


def test_dashboard_shows_upcoming_sessions_and_failed_messages(
    client_for, manager_association, workshop, workshop_session, make_booking
):
    booking = make_booking(workshop_session, seats=4)
    BookingMessage.objects.create(
        booking=booking,
        kind="confirmation",
        language="it",
        recipient=booking.email,
        subject="s",
        body="b",
        status="failed",
    )
    page = client_for(manager_association).get(reverse("associations:home")).content.decode()
    assert workshop.title_en in page
    assert "4 / 10" in page
    assert "1 message to bookers could not be sent" in page
    assert reverse("associations:session_bookings", args=[workshop_session.pk]) in page


def test_dashboard_of_another_manager_shows_nothing_of_ponti(
    client_for, manager_other, workshop, workshop_session, make_booking
):
    booking = make_booking(workshop_session)
    BookingMessage.objects.create(
        booking=booking,
        kind="confirmation",
        language="it",
        recipient=booking.email,
        subject="s",
        body="b",
        status="failed",
    )
    page = client_for(manager_other).get(reverse("associations:home")).content.decode()
    assert workshop.title_en not in page
    assert 'id="failed-messages"' not in page


def test_dashboard_runs_a_fixed_number_of_queries(
    client_for, manager_association, workshop, make_session, make_booking, django_assert_max_num_queries
):
    client = client_for(manager_association)
    make_booking(make_session(workshop))
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("associations:home"))
    for days in range(8, 14):
        make_booking(make_session(workshop, starts_at=timezone.now() + datetime.timedelta(days=days)))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("associations:home"))


def test_each_translated_input_says_its_language_and_direction(manager_association, ponti) -> None:
    from associations.forms.manage_events import EventForm

    form = EventForm(user=manager_association)
    assert form.fields["title_ar"].widget.attrs["dir"] == "rtl"
    assert form.fields["title_ar"].widget.attrs["lang"] == "ar"
    assert (form.fields["description_fr"].widget.attrs["lang"], form.fields["description_fr"].widget.attrs["dir"]) == (
        "fr",
        "ltr",
    )
    assert "lang" not in form.fields["category"].widget.attrs


def test_an_event_never_takes_the_address_of_a_public_page(administrator, ponti) -> None:
    from associations.models import Audience, EventCategory
    from associations.services.manage import create_event

    fields = {
        "association": ponti,
        "title_it": "Networks",
        "category": EventCategory.CULTURE,
        "audiences": [Audience.RESIDENTS],
        "languages": ["it"],
    }
    assert create_event(fields=fields, by=administrator).slug == "networks-2"
