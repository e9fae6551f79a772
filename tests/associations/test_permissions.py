"""Who opens the managers' pages of Action 4, persona by persona (tests/personas.py plus the manager
of another association): bookers' data (lists, exports, check-in) only for the event's own
association managers and administrators, partner events' bookers also for editors; the edit pages
for the association's managers, editors and administrators. Anyone else: 403 for the page,
404 for a record outside their scope, so nobody learns that it exists."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from aipim.core.models import AuditEvent
from associations.models import Booking, CheckIn, Session
from tests.personas import PERSONAS

ALL = [*PERSONAS, "manager_other"]
MANAGE_ROLES = {"manager_association", "manager_other", "editor", "administrator"}


def expected(persona: str, allowed: set[str]) -> int:
    if persona in allowed:
        return 200
    return 404 if persona in MANAGE_ROLES else 403


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def ponti_booking(workshop_session: Session, make_booking) -> Booking:
    return make_booking(workshop_session, name="Amina Diallo")


@pytest.fixture
def partner_session(make_event, make_session) -> Session:
    return make_session(make_event(None, title_it="Mostra", title_en="Exhibition"))


@pytest.fixture
def partner_booking(partner_session: Session, make_booking) -> Booking:
    return make_booking(partner_session, name="Omar Partner")


def personal_data_urls(session: Session) -> list[str]:
    return [
        reverse("associations:session_bookings", args=[session.pk]),
        reverse("associations:session_bookings_csv", args=[session.pk]),
        reverse("associations:session_bookings_pdf", args=[session.pk]),
        reverse("associations:checkin", args=[session.pk]),
    ]


@pytest.mark.parametrize("persona", ALL)
def test_bookers_of_an_association_session(request, persona, client_for, workshop_session, ponti_booking):
    client: Client = client_for(request.getfixturevalue(persona))
    status = expected(persona, {"manager_association", "administrator"})
    for url in personal_data_urls(workshop_session):
        response = client.get(url)
        assert response.status_code == status, url
        if status != 200:
            assert b"Amina Diallo" not in response.content
    if status != 200:
        assert not AuditEvent.objects.filter(action__in=("booking.list", "booking.export")).exists()


@pytest.mark.parametrize("persona", ALL)
def test_bookers_of_a_partner_event_session(request, persona, client_for, partner_session, partner_booking):
    client: Client = client_for(request.getfixturevalue(persona))
    status = expected(persona, {"editor", "administrator"})
    for url in personal_data_urls(partner_session):
        assert client.get(url).status_code == status, url


@pytest.mark.parametrize("persona", ALL)
def test_bookers_of_a_series(request, persona, client_for, series, make_booking):
    make_booking(series, name="Yusuf Series")
    client: Client = client_for(request.getfixturevalue(persona))
    status = expected(persona, {"manager_association", "administrator"})
    for name in ("series_bookings", "series_bookings_csv"):
        assert client.get(reverse(f"associations:{name}", args=[series.pk])).status_code == status


@pytest.mark.parametrize("persona", ALL)
def test_check_in_and_cancel_a_session(request, persona, client_for, workshop_session, ponti_booking):
    client: Client = client_for(request.getfixturevalue(persona))
    status = expected(persona, {"manager_association", "administrator"})
    response = client.post(reverse("associations:checkin", args=[workshop_session.pk]), {"booking": ponti_booking.pk})
    assert response.status_code == (302 if status == 200 else status)
    assert CheckIn.objects.exists() == (status == 200)
    response = client.post(reverse("associations:session_cancel", args=[workshop_session.pk]), {"message": "Chiuso."})
    assert response.status_code == (302 if status == 200 else status)
    workshop_session.refresh_from_db()
    assert (workshop_session.status == Session.Status.CANCELLED) == (status == 200)


@pytest.mark.parametrize("persona", ALL)
def test_edit_pages_of_an_association_event(request, persona, client_for, ponti, workshop, workshop_session):
    client: Client = client_for(request.getfixturevalue(persona))
    status = expected(persona, {"manager_association", "editor", "administrator"})
    for url in (
        reverse("associations:event_detail", args=[workshop.pk]),
        reverse("associations:event_edit", args=[workshop.pk]),
        reverse("associations:event_cancel", args=[workshop.pk]),
        reverse("associations:session_add", args=[workshop.pk]),
        reverse("associations:session_edit", args=[workshop_session.pk]),
        reverse("associations:association_edit", args=[ponti.slug]),
    ):
        assert client.get(url).status_code == status, url
    response = client.post(reverse("associations:event_edit", args=[workshop.pk]), {"title_it": "Hacked"})
    assert response.status_code in ((400,) if status == 200 else (status,))
    workshop.refresh_from_db()
    assert workshop.title_it == "Cucina siriana per tutti"


@pytest.mark.parametrize("persona", ALL)
def test_list_pages_open_to_the_managing_roles_only(request, persona, client_for, workshop):
    client: Client = client_for(request.getfixturevalue(persona))
    status = 200 if persona in MANAGE_ROLES else 403
    for name in (
        "home",
        "event_list",
        "event_add",
        "network_list",
        "network_add",
        "association_list",
        "failed_messages",
    ):
        assert client.get(reverse(f"associations:{name}")).status_code == status, name
    page = client.get(reverse("associations:event_list")).content.decode() if status == 200 else ""
    assert (workshop.title_en in page) == (persona in {"manager_association", "editor", "administrator"})


@pytest.mark.parametrize("persona", ALL)
def test_the_menu_shows_the_associations_link_exactly_to_who_may_open_it(request, persona, client_for):
    page = client_for(request.getfixturevalue(persona)).get(reverse("core:dashboard")).content.decode()
    assert (reverse("associations:home") in page) == (persona in MANAGE_ROLES)


def test_anonymous_visitors_are_sent_to_login(client, workshop_session, ponti_booking):
    for url in personal_data_urls(workshop_session):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]


def test_editor_cannot_turn_an_association_event_into_a_partner_event(client_for, editor, workshop, ponti_booking):
    """Else an editor could read the association's bookers by making the event a partner's."""
    response = client_for(editor).post(
        reverse("associations:event_edit", args=[workshop.pk]),
        {
            "association": "",
            "partner_name": "Museo",
            "kind": "partner",
            "title_it": "Cucina",
            "category": "food",
            "audiences": ["residents"],
            "languages": "it",
            "booking_mode": "session",
            "max_seats_per_booking": "4",
            "offer_hours": "24",
        },
    )
    assert response.status_code == 302
    workshop.refresh_from_db()
    assert workshop.association_id is not None
    assert not Booking.objects.for_user(editor).filter(event=workshop).exists()
