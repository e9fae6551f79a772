"""Search first, then register (aipim.core.views.person_search), as the PUA intake and the schools'
enrolment use it: what a search writes to the audit trail (counts, never the name searched). The
duplicate check and registering are tested with each app (tests/pua/test_intake.py,
tests/schools/test_students.py)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from aipim.core.models import AuditEvent
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

PAGES = [("caseworker_irsina", "pua:intake"), ("operator_school_potenza", "schools:student_enrol")]


@pytest.fixture
def known_elsewhere(desk_picerno):
    """Someone only the Picerno desk follows: outside the scope of both users above."""
    return PersonFactory(
        given_names="Tesfay",
        family_names="Gebremedhin",
        birth_date=datetime.date(2012, 3, 4),
        organisation=desk_picerno,
    )


@pytest.mark.parametrize(("persona", "search"), PAGES)
def test_a_search_is_audited_with_counts_and_without_the_name(request, client_for, known_elsewhere, persona, search):
    user = request.getfixturevalue(persona)
    client = client_for(user)
    assert client.get(reverse(search)).context["searched"] is False

    response = client.post(reverse(search), {"name": "gebremedhin tesfay"})

    assert response.status_code == 200
    assert response.context["searched"] is True and response.context["results"] == []
    assert response.context["elsewhere"] == 1
    event = AuditEvent.objects.get(user=user, action="person.search")
    assert event.details == {"count": 0, "elsewhere": 1}
    assert "Gebremedhin" not in str(event.details) + event.object_id


@pytest.mark.parametrize(("persona", "search"), PAGES)
def test_an_invalid_search_searches_nothing(request, client_for, persona, search):
    user = request.getfixturevalue(persona)
    response = client_for(user).post(reverse(search), {"name": "x"})
    assert response.context["searched"] is False
    assert not AuditEvent.objects.filter(user=user, action="person.search").exists()
