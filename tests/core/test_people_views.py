"""People pages: each role, inside and outside its organisation, and the audit trail of reads."""

from __future__ import annotations

import pytest
from django.urls import reverse

from aipim.core.models import AuditEvent, Person
from tests.factories import PersonFactory
from tests.personas import PERSON_AT_IRSINA_MATRIX as MATRIX


@pytest.fixture
def person_at_irsina(desk_irsina) -> Person:
    return PersonFactory(given_names="Amina", family_names="Benali", organisation=desk_irsina)


@pytest.mark.parametrize(("persona", "allowed"), MATRIX)
def test_person_detail_by_role_and_organisation(request, client_for, person_at_irsina, persona, allowed):
    user = request.getfixturevalue(persona)
    response = client_for(user).get(reverse("core:person_detail", args=[person_at_irsina.public_id]))
    if allowed:
        assert response.status_code == 200
        assert "Benali" in response.content.decode()
        assert AuditEvent.objects.filter(user=user, action="person.view", object_id=str(person_at_irsina.pk)).exists()
    else:
        assert response.status_code in (403, 404)
        assert "Benali" not in response.content.decode()


@pytest.mark.parametrize(("persona", "allowed"), MATRIX)
def test_person_list_by_role_and_organisation(request, client_for, person_at_irsina, persona, allowed):
    user = request.getfixturevalue(persona)
    response = client_for(user).get(reverse("core:person_list"))
    assert response.status_code in (200, 403)
    assert ("Benali" in response.content.decode()) is allowed


def test_search_is_posted_so_names_stay_out_of_urls(client_for, caseworker_irsina, person_at_irsina):
    response = client_for(caseworker_irsina).post(reverse("core:person_list"), {"q": "amina BENALI"})
    assert response.status_code == 200
    assert "Benali" in response.content.decode()
    assert AuditEvent.objects.filter(user=caseworker_irsina, action="person.search").exists()


def test_anonymous_is_sent_to_login(client, person_at_irsina):
    response = client.get(reverse("core:person_detail", args=[person_at_irsina.public_id]))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_pages_with_personal_data_are_not_cached(client_for, caseworker_irsina, person_at_irsina):
    response = client_for(caseworker_irsina).get(reverse("core:person_detail", args=[person_at_irsina.public_id]))
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("query", ["AMINA benali", "Benali Amina", "Àmina", "benal"])
def test_search_ignores_case_accents_and_word_order(client_for, caseworker_irsina, person_at_irsina, query):
    response = client_for(caseworker_irsina).post(reverse("core:person_list"), {"q": query})
    assert "Benali" in response.content.decode()


def test_search_finds_common_transliterations(client_for, caseworker_irsina, desk_irsina):
    PersonFactory(given_names="Mohammed", family_names="Abdel Karim", organisation=desk_irsina)
    response = client_for(caseworker_irsina).post(reverse("core:person_list"), {"q": "Muhammad Abd al Karim"})
    assert "Abdel Karim" in response.content.decode()
