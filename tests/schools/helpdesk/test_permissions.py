"""Role × organisation on every page of the help desk, interventions and family messages: the
operator of IC Potenza sees Potenza's records; the staff of IC Matera gets 404 for them; every
other role gets 403. Every page that shows personal data writes an audit record."""

from __future__ import annotations

import pytest
from django.urls import reverse

from aipim.core.models import AuditEvent
from tests.personas import PERSONAS

pytestmark = pytest.mark.django_db

SCHOOL_PERSONAS = {"operator_school_potenza", "staff_school_matera"}


def expected_status(persona: str, *, operator_only: bool = False) -> int:
    if persona == "operator_school_potenza":
        return 200
    if persona == "staff_school_matera":
        return 403 if operator_only else 404
    return 403


def object_pages(records: dict) -> list[tuple[str, str, bool]]:
    """(url, audit action or "", operator only) of every page about one Potenza record."""
    return [
        (reverse("schools:helpdesk_week", args=[records["desk"].pk]), "deskslot.list", False),
        (reverse("schools:helpdesk_edit", args=[records["desk"].pk]), "", True),
        (reverse("schools:walkin_log", args=[records["desk"].pk]), "walkin.list", False),
        (reverse("schools:deskslot", args=[records["slot"].pk]), "deskslot.view", False),
        (reverse("schools:supportcase_detail", args=[records["case"].pk]), "supportcase.view", False),
        (reverse("schools:intervention_edit", args=[records["intervention"].pk]), "intervention.view", False),
        (reverse("schools:intervention_add", args=[records["student"].pk]), "", False),
        (reverse("schools:message_detail", args=[records["message"].pk]), "familymessage.view", False),
        (reverse("schools:message_add", args=[records["student"].pk]), "", False),
        (reverse("schools:student_slots", args=[records["student"].pk]), "deskslot.list", False),
    ]


@pytest.mark.parametrize("persona", PERSONAS)
def test_pages_of_a_potenza_record(persona, request, client_for, potenza_records):
    user = request.getfixturevalue(persona)
    client = client_for(user)
    for url, action, operator_only in object_pages(potenza_records):
        AuditEvent.objects.all().delete()
        response = client.get(url)
        assert response.status_code == expected_status(persona, operator_only=operator_only), (persona, url)
        if response.status_code == 200 and action:
            assert AuditEvent.objects.filter(action=action, user=user).exists(), url


@pytest.mark.parametrize("persona", PERSONAS)
def test_posts_on_a_potenza_record(persona, request, client_for, potenza_records):
    """Every write answers like the page: nobody outside Potenza changes its records."""
    if persona == "operator_school_potenza":
        return
    client = client_for(request.getfixturevalue(persona))
    records = potenza_records
    posts = [
        (reverse("schools:deskslot_add", args=[records["desk"].pk]), {}, True),
        (reverse("schools:helpdesk_edit", args=[records["desk"].pk]), {}, True),
        (reverse("schools:deskslot", args=[records["slot"].pk]), {"action": "cancel_booking"}, False),
        (reverse("schools:walkin_log", args=[records["desk"].pk]), {}, False),
        (reverse("schools:supportcase_do", args=[records["case"].pk, "note"]), {"body": "x"}, False),
        (reverse("schools:supportcase_do", args=[records["case"].pk, "close"]), {"note": "x"}, False),
        (reverse("schools:supportaction_done", args=[records["action"].pk]), {}, False),
        (reverse("schools:intervention_edit", args=[records["intervention"].pk]), {"status": "cancelled"}, False),
        (reverse("schools:intervention_add", args=[records["student"].pk]), {}, False),
        (reverse("schools:message_do", args=[records["message"].pk, "print"]), {}, False),
        (reverse("schools:message_do", args=[records["message"].pk, "send"]), {}, False),
        (reverse("schools:message_add", args=[records["student"].pk]), {}, False),
    ]
    for url, data, operator_only in posts:
        assert client.post(url, data).status_code == expected_status(persona, operator_only=operator_only), url
    records["slot"].refresh_from_db()
    assert records["slot"].status == "booked"
    records["case"].refresh_from_db()
    assert records["case"].status == "open" and records["case"].notes.count() == 1
    records["message"].refresh_from_db()
    assert records["message"].status == "draft"


LISTS = ["schools:helpdesk_list", "schools:supportcase_list", "schools:intervention_list", "schools:message_list"]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", LISTS)
def test_lists_show_only_the_users_schools(persona, name, request, client_for, potenza_records):
    client = client_for(request.getfixturevalue(persona))
    response = client.get(reverse(name))
    if persona not in SCHOOL_PERSONAS:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    page = response.content.decode()
    shown = "Sportello Potenza" in page or "Amina Haddad" in page
    assert shown == (persona == "operator_school_potenza"), name


def test_the_desk_form_is_for_operators_only(client_for, staff_school_matera):
    assert client_for(staff_school_matera).get(reverse("schools:helpdesk_add")).status_code == 403
