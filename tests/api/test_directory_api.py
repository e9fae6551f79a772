"""The public part of the API: the service directory in HSDS 3.0 shape, organisations, municipalities."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from aipim.core import hsds
from aipim.core.api import HSDSServiceSerializer
from aipim.core.models import Location, Organisation, Schedule, Service
from tests.factories import OrganisationFactory, ServiceFactory, municipality


@pytest.fixture
def directory(db) -> dict[str, Service]:
    potenza = OrganisationFactory(name="ASP Potenza", code="ASP", kind=Organisation.Kind.SERVICE_PROVIDER)
    matera = OrganisationFactory(
        name="Sportello Matera",
        code="SPMT",
        kind=Organisation.Kind.SERVICE_PROVIDER,
        municipality=municipality("Matera"),
    )
    clinic = ServiceFactory(organisation=potenza, name_it="Ambulatorio", category="health", languages=["it", "ar"])
    site = Location.objects.create(
        organisation=potenza,
        name="Sede",
        address="Via Roma 1",
        postal_code="85100",
        municipality=municipality("Potenza"),
    )
    clinic.locations.add(site)
    Schedule.objects.create(service=clinic, location=site, weekday="MO", opens_at="09:00", closes_at="12:00")
    legal = ServiceFactory(organisation=matera, name_it="Sportello legale", category="legal", languages=["it", "fr"])
    closed = ServiceFactory(organisation=matera, name_it="Chiuso", category="legal", status=Service.Status.INACTIVE)
    return {"clinic": clinic, "legal": legal, "closed": closed}


def names(response) -> set[str]:
    return {item["name"] for item in response.json()["contents"]}


def test_the_directory_is_public_and_served_as_hsds_pages(client, directory):
    response = client.get("/api/v1/services/")
    assert response.status_code == 200
    page = response.json()
    assert page["total_items"] == 2 and page["page_number"] == 1 and page["first_page"] and page["last_page"]
    assert names(response) == {"Ambulatorio", "Sportello legale"}  # the inactive one is not published
    for item in page["contents"]:
        assert hsds.validation_errors(item) == []


def test_a_service_by_id(client, directory):
    service = directory["clinic"]
    data = client.get(f"/api/v1/services/{service.pk}/").json()
    assert hsds.validation_errors(data) == []
    assert data["service_at_locations"][0]["schedules"][0]["byday"] == "MO"
    assert data["service_at_locations"][0]["location"]["addresses"][0]["city"] == "Potenza"


def test_the_documented_fields_are_the_served_ones(client, directory):
    data = client.get(f"/api/v1/services/{directory['clinic'].pk}/").json()
    declared = HSDSServiceSerializer().fields
    assert set(data) <= set(declared)
    sal = data["service_at_locations"][0]
    assert set(sal) <= set(declared["service_at_locations"].child.fields)
    assert set(sal["location"]) <= set(declared["service_at_locations"].child.fields["location"].fields)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("category=health", {"Ambulatorio"}),
        ("category=legal", {"Sportello legale"}),
        ("language=ar", {"Ambulatorio"}),
        ("language=fr", {"Sportello legale"}),
        ("municipality=076063", {"Ambulatorio"}),  # Potenza: the location
        ("municipality=077014", {"Sportello legale"}),  # Matera: no location, so the organisation's town
        ("category=health&language=fr", set()),
    ],
)
def test_directory_filters(client, directory, query, expected):
    response = client.get(f"/api/v1/services/?{query}")
    assert response.status_code == 200
    assert names(response) == expected


def test_municipality_codes_used_in_the_tests_are_right(db):
    assert municipality("Potenza").istat_code == "076063"
    assert municipality("Matera").istat_code == "077014"


@pytest.mark.parametrize(
    ("url", "status", "reason"),
    [
        ("/api/v1/services/?category=magic", 400, "category"),
        ("/api/v1/services/?municipality=999999", 400, "municipality"),
        ("/api/v1/services/?language=Arabic!", 400, "language"),
        ("/api/v1/services/?colour=blue", 400, "unknown_parameters"),
        ("/api/v1/services/?page=99999999999", 404, "detail"),
        ("/api/v1/services/?per_page=abc", 200, None),  # DRF falls back to the default size
        ("/api/v1/services/not-a-uuid/", 404, "detail"),
        (f"/api/v1/services/{uuid.uuid4()}/", 404, "detail"),
        ("/api/v1/organisations/NOPE/", 404, "detail"),
        ("/api/v1/organisations/?kind=castle", 400, "kind"),
        ("/api/v1/municipalities/000000/", 404, "detail"),
        ("/api/v1/municipalities/?province=PZ", 400, "unknown_parameters"),
    ],
)
def test_client_mistakes_answer_with_a_reason(client, directory, url, status, reason):
    response = client.get(url)
    assert response.status_code == status
    if reason:
        assert reason in response.json()


def test_an_inactive_service_is_not_found(client, directory):
    assert client.get(f"/api/v1/services/{directory['closed'].pk}/").status_code == 404


def test_per_page_is_capped_and_pages_move(client, directory):
    ServiceFactory.create_batch(3, organisation=directory["clinic"].organisation)
    page = client.get("/api/v1/services/?per_page=2&page=2").json()
    assert page["size"] == 2 and page["page_number"] == 2 and page["total_pages"] == 3
    assert not page["first_page"] and not page["last_page"]


def test_directory_list_runs_a_fixed_number_of_queries(client, directory, django_assert_max_num_queries):
    with django_assert_max_num_queries(10) as small:
        client.get("/api/v1/services/")
    owner = directory["clinic"].organisation
    site = directory["clinic"].locations.get()
    for _ in range(20):
        service = ServiceFactory(organisation=owner)
        service.locations.add(site)
        Schedule.objects.create(service=service, location=site, weekday="TU", opens_at="09:00", closes_at="10:00")
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get("/api/v1/services/?per_page=100")
    assert response.json()["size"] == 22


def test_the_directory_answers_in_the_language_asked(client, directory):
    Service.objects.filter(pk=directory["clinic"].pk).update(name_en="Clinic")
    response = client.get("/api/v1/services/?category=health", HTTP_ACCEPT_LANGUAGE="en")
    assert names(response) == {"Clinic"}


def test_organisations_and_municipalities_are_public(client, directory):
    organisations = client.get("/api/v1/organisations/?kind=service_provider").json()["results"]
    assert {org["code"] for org in organisations} == {"ASP", "SPMT"}
    assert client.get("/api/v1/organisations/ASP/").json()["municipality"] == "076063"
    towns = client.get("/api/v1/municipalities/?province_code=MT").json()
    assert towns["count"] > 20 and all(town["province_code"] == "MT" for town in towns["results"])
    assert client.get("/api/v1/municipalities/076063/").json()["name"] == "Potenza"


def test_token_callers_read_the_directory_too(caseworker_irsina, directory):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=caseworker_irsina)
    assert Client().get("/api/v1/services/", HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 200
