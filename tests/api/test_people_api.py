"""People and consents through the API: each persona inside and outside the organisation, the
audit trail of reads, and the answers to client mistakes."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from aipim.core.models import AuditEvent, Person
from tests.factories import ConsentFactory, PersonFactory
from tests.personas import PERSON_AT_IRSINA_MATRIX as MATRIX


@pytest.fixture
def person_at_irsina(desk_irsina) -> Person:
    person = PersonFactory(
        given_names="Amina", family_names="Benali", organisation=desk_irsina, address="Via Segreta 7, Irsina"
    )
    ConsentFactory(person=person, organisation=desk_irsina, evidence="signed form 12/2026")
    return person


@pytest.fixture
def person_at_association(association_potenza) -> Person:
    """Linked to the association: its manager still must not read people through the API."""
    return PersonFactory(given_names="Omar", family_names="Haddad", organisation=association_potenza)


def people_url(*args) -> str:
    return reverse("person-detail", args=args) if args else reverse("person-list")


@pytest.mark.parametrize(("persona", "allowed"), MATRIX)
def test_person_list_by_role_and_organisation(
    request, client_for, person_at_irsina, person_at_association, persona, allowed
):
    user = request.getfixturevalue(persona)
    response = client_for(user).get(people_url())
    assert response.status_code == 200
    names = {row["family_names"] for row in response.json()["results"]}
    assert ("Benali" in names) is allowed
    if persona != "administrator":
        assert "Haddad" not in names
    event = AuditEvent.objects.get(user=user, action="person.list")
    assert event.details == {"count": len(names), "via": "api"}


@pytest.mark.parametrize(("persona", "allowed"), MATRIX)
def test_person_detail_by_role_and_organisation(request, client_for, person_at_irsina, persona, allowed):
    user = request.getfixturevalue(persona)
    response = client_for(user).get(people_url(person_at_irsina.public_id))
    viewed = AuditEvent.objects.filter(user=user, action="person.view", object_id=str(person_at_irsina.pk))
    if allowed:
        assert response.status_code == 200
        data = response.json()
        assert data["family_names"] == "Benali"
        assert data["citizenship"] == "MA"
        assert data["municipality"] is None
        assert viewed.get().details == {"via": "api"}
    else:
        assert response.status_code == 404
        assert "Benali" not in response.content.decode()
        assert not viewed.exists()


@pytest.mark.parametrize(("persona", "allowed"), MATRIX)
def test_person_consents_by_role_and_organisation(request, client_for, person_at_irsina, persona, allowed):
    user = request.getfixturevalue(persona)
    response = client_for(user).get(reverse("person-consent-list", args=[person_at_irsina.public_id]))
    if allowed:
        assert response.status_code == 200
        [consent] = response.json()["results"]
        assert consent["purpose"] == "case_management" and consent["in_force"] is True
        assert consent["organisation"] == "IRS"
        assert AuditEvent.objects.filter(user=user, action="consent.list", object_id=str(person_at_irsina.pk)).exists()
    else:
        assert response.status_code == 404
        assert "signed form" not in response.content.decode()


def test_fields_are_the_documented_ones_and_the_address_stays_out(client_for, caseworker_irsina, person_at_irsina):
    data = client_for(caseworker_irsina).get(people_url(person_at_irsina.public_id)).json()
    assert set(data) == {
        "public_id",
        "given_names",
        "family_names",
        "given_names_latin",
        "family_names_latin",
        "birth_date",
        "sex",
        "citizenship",
        "languages",
        "municipality",
    }
    assert "Segreta" not in str(data)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/people/",
        "/api/v1/people/00000000-0000-0000-0000-000000000000/",
        "/api/v1/people/00000000-0000-0000-0000-000000000000/consents/",
    ],
)
def test_anonymous_is_refused(client, person_at_irsina, url):
    response = client.get(url)
    assert response.status_code in (401, 403)
    assert "Benali" not in response.content.decode()


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/people/not-a-uuid/", 404),
        ("/api/v1/people/12345/", 404),
        (f"/api/v1/people/{uuid.uuid4()}/", 404),
        ("/api/v1/people/not-a-uuid/consents/", 404),
        (f"/api/v1/people/{uuid.uuid4()}/consents/", 404),
        ("/api/v1/people/?page=999999999999999999999", 404),
        ("/api/v1/people/?page=abc", 404),
        ("/api/v1/people/?name=Benali", 400),
        ("/api/v1/people/?family_names=Benali", 400),
    ],
)
def test_client_mistakes_answer_with_a_reason(client_for, caseworker_irsina, person_at_irsina, url, status):
    response = client_for(caseworker_irsina).get(url)
    assert response.status_code == status
    assert response.json()  # a JSON body with the reason, never an HTML error page
    assert "Benali" not in response.content.decode()


def test_an_unknown_filter_is_named_in_the_answer(client_for, caseworker_irsina):
    response = client_for(caseworker_irsina).get("/api/v1/people/?sort=name")
    assert response.status_code == 400
    assert response.json()["unknown_parameters"] == ["sort"]


def test_people_list_runs_a_fixed_number_of_queries(
    client_for, caseworker_irsina, desk_irsina, django_assert_max_num_queries
):
    from aipim.core.models import Municipality

    town = Municipality.objects.get(name="Irsina")
    PersonFactory.create_batch(3, organisation=desk_irsina, municipality=town)
    client = client_for(caseworker_irsina)
    client.get(people_url())  # warm the session and the user's memberships
    with django_assert_max_num_queries(12) as small:
        client.get(people_url())
    PersonFactory.create_batch(30, organisation=desk_irsina, municipality=town)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(people_url())
    assert len(response.json()["results"]) == 33
