"""Check-in at the door: search by name or booking code, tick present and undo, counts of people
present, booked and (once the session is over) no-shows; the read is audited."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from aipim.core.models import AuditEvent
from associations.models import Booking, BookingStatus, CheckIn, Session


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def past_session(workshop, make_session) -> Session:
    return make_session(workshop, starts_at=timezone.now() - datetime.timedelta(days=2))


def test_search_by_name_or_code(client_for, manager_association, workshop_session, make_booking):
    amina = make_booking(workshop_session, name="Amina Diallo", reference="AB12CD")
    make_booking(workshop_session, name="Marco Rossi")
    make_booking(workshop_session, name="Amina Waiting", status=BookingStatus.WAITING)
    client = client_for(manager_association)
    url = reverse("associations:checkin", args=[workshop_session.pk])
    page = client.get(url, {"q": "amina"}).content.decode()
    assert "Amina Diallo" in page and "Marco Rossi" not in page
    assert "Amina Waiting" not in page  # only confirmed bookings come to the door
    page = client.get(url, {"q": amina.reference.lower()}).content.decode()
    assert "Amina Diallo" in page and "Marco Rossi" not in page
    event = AuditEvent.objects.filter(action="booking.list").last()
    assert event is not None and event.details == {"count": 1, "page": "checkin", "searched": True}


def test_tick_present_then_undo(client_for, manager_association, workshop_session, make_booking):
    booking = make_booking(workshop_session, name="Amina Diallo", seats=3)
    client = client_for(manager_association)
    url = reverse("associations:checkin", args=[workshop_session.pk])
    response = client.post(url, {"booking": booking.pk, "action": "in", "q": "ami"})
    assert response.status_code == 302 and response["Location"] == f"{url}?q=ami"
    check = CheckIn.objects.get(booking=booking, session=workshop_session)
    assert check.seats == 3 and check.checked_in_by == manager_association
    figures = client.get(url).context["figures"]
    assert figures["checked"] == 1 and figures["people_present"] == 3 and figures["to_arrive"] == 0
    client.post(url, {"booking": booking.pk, "action": "undo"})
    assert not CheckIn.objects.exists()


def test_fewer_people_than_seats_can_be_ticked(client_for, manager_association, workshop_session, make_booking):
    booking = make_booking(workshop_session, seats=4)
    client_for(manager_association).post(
        reverse("associations:checkin", args=[workshop_session.pk]), {"booking": booking.pk, "seats": "2"}
    )
    assert CheckIn.objects.get().seats == 2


def test_a_waiting_booking_cannot_be_ticked(client_for, manager_association, workshop_session, make_booking):
    booking = make_booking(workshop_session, status=BookingStatus.WAITING)
    response = client_for(manager_association).post(
        reverse("associations:checkin", args=[workshop_session.pk]), {"booking": booking.pk}
    )
    assert response.status_code == 302
    assert not CheckIn.objects.exists()


def test_a_booking_of_another_session_answers_404(
    client_for, manager_association, workshop, workshop_session, make_session, make_booking
):
    other = make_booking(make_session(workshop, starts_at=timezone.now() + datetime.timedelta(days=20)))
    response = client_for(manager_association).post(
        reverse("associations:checkin", args=[workshop_session.pk]), {"booking": other.pk}
    )
    assert response.status_code == 404
    assert not CheckIn.objects.exists()


def test_no_shows_of_a_past_session(client_for, manager_association, past_session, make_booking):
    came = make_booking(past_session, seats=2)
    make_booking(past_session)
    make_booking(past_session)
    make_booking(past_session, status=BookingStatus.CANCELLED)
    CheckIn.objects.create(booking=came, session=past_session, seats=2)
    response = client_for(manager_association).get(reverse("associations:checkin", args=[past_session.pk]))
    figures = response.context["figures"]
    assert figures["bookings"] == 3 and figures["checked"] == 1 and figures["no_shows"] == 2
    assert figures["people_present"] == 2
    assert 'id="no-shows"' in response.content.decode()


def test_no_shows_are_not_counted_before_the_session_ends(
    client_for, manager_association, workshop_session, make_booking
):
    make_booking(workshop_session)
    figures = (
        client_for(manager_association)
        .get(reverse("associations:checkin", args=[workshop_session.pk]))
        .context["figures"]
    )
    assert figures["no_shows"] is None and figures["to_arrive"] == 1


def test_series_bookings_are_checked_in_per_session(client_for, manager_association, series, make_booking):
    booking = make_booking(series, name="Yusuf Series")
    first, second = list(series.sessions.order_by("starts_at"))[:2]
    client = client_for(manager_association)
    assert "Yusuf Series" in client.get(reverse("associations:checkin", args=[first.pk])).content.decode()
    client.post(reverse("associations:checkin", args=[first.pk]), {"booking": booking.pk})
    assert CheckIn.objects.filter(booking=booking, session=first).exists()
    assert not CheckIn.objects.filter(booking=booking, session=second).exists()


def test_checkin_page_runs_a_fixed_number_of_queries(
    client_for, manager_association, workshop_session, make_booking, django_assert_max_num_queries
):
    client = client_for(manager_association)
    url = reverse("associations:checkin", args=[workshop_session.pk])
    make_booking(workshop_session)
    with django_assert_max_num_queries(30) as few:
        client.get(url)
    for _ in range(8):
        CheckIn.objects.create(booking=make_booking(workshop_session), session=workshop_session)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)
    assert Booking.objects.count() == 9
