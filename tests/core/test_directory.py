"""The service directory pages: the public reads it in its own language, editors maintain it."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from aipim.core import directory
from aipim.core.models import AuditEvent, Location, Organisation, Schedule, Service
from tests.factories import OrganisationFactory, ServiceFactory, municipality


@pytest.fixture
def provider(db) -> Organisation:
    return OrganisationFactory(name="ASP Potenza", code="ASP", kind=Organisation.Kind.SERVICE_PROVIDER)


@pytest.fixture
def clinic(provider) -> Service:
    service = ServiceFactory(
        organisation=provider,
        name_it="Ambulatorio STP",
        name_en="STP clinic",
        description_it="Visite di base",
        eligibility_description_it="Chi non ha la tessera sanitaria",
        application_process_it="Senza appuntamento",
        category="health",
        languages=["it", "ar"],
        phone="+39 0971 000000",
    )
    site = Location.objects.create(
        organisation=provider,
        name="Sede ASP",
        address="Via del Gallitello 1",
        postal_code="85100",
        municipality=municipality("Potenza"),
    )
    service.locations.add(site)
    Schedule.objects.create(service=service, location=site, weekday="MO", opens_at="09:00", closes_at="12:00")
    return service


@pytest.fixture
def legal_matera(db) -> Service:
    owner = OrganisationFactory(name="Sportello legale", code="LEGMT", municipality=municipality("Matera"))
    return ServiceFactory(organisation=owner, name_it="Consulenza permessi", category="legal", languages=["it", "fr"])


# --- public pages ------------------------------------------------------------------------------


def test_public_list_and_filters(client, clinic, legal_matera):
    url = reverse("directory:list")
    assert {"Ambulatorio STP", "Consulenza permessi"} <= set(_names(client.get(url)))
    assert _names(client.get(url, {"category": "legal"})) == ["Consulenza permessi"]
    assert _names(client.get(url, {"language": "ar"})) == ["Ambulatorio STP"]
    assert _names(client.get(url, {"municipality": "077014"})) == ["Consulenza permessi"]  # Matera, by its organisation
    assert _names(client.get(url, {"municipality": "076063"})) == ["Ambulatorio STP"]


def _names(response) -> list[str]:
    assert response.status_code == 200
    return [service.name for service in response.context["services"]]


def test_an_unknown_filter_value_shows_an_error_and_not_a_500(client, clinic):
    response = client.get(reverse("directory:list"), {"category": "magic", "municipality": "999999"})
    assert response.status_code == 200
    assert response.context["filter_form"].errors.keys() == {"category", "municipality"}


def test_the_list_is_paginated_and_keeps_the_filters(client, provider):
    ServiceFactory.create_batch(25, organisation=provider, category="work")
    response = client.get(reverse("directory:list"), {"category": "work"})
    assert len(response.context["services"]) == 20
    assert "category=work&amp;page=2" in response.content.decode()
    assert len(client.get(reverse("directory:list"), {"category": "work", "page": 2}).context["services"]) == 5


def test_inactive_services_are_not_public(client, clinic):
    Service.objects.filter(pk=clinic.pk).update(status=Service.Status.INACTIVE)
    assert _names(client.get(reverse("directory:list"))) == []
    assert client.get(reverse("directory:detail", args=[clinic.pk])).status_code == 404


def test_detail_shows_what_a_visitor_needs(client, clinic):
    response = client.get(reverse("directory:detail", args=[clinic.pk]))
    html = response.content.decode()
    for text in ("Ambulatorio STP", "Via del Gallitello 1", "85100", "Potenza", "09:00", "12:00", "+39 0971 000000"):
        assert text in html
    assert "Chi non ha la tessera sanitaria" in html and "Senza appuntamento" in html
    assert response.context["updated_on"] == Service.objects.get(pk=clinic.pk).updated_at
    assert "العربيّة" in html  # languages by their own name, readable by those who speak them


def test_detail_in_the_visitors_language(client, clinic):
    client.post(reverse("set_language"), {"language": "en"})
    html = client.get(reverse("directory:detail", args=[clinic.pk])).content.decode()
    assert "STP clinic" in html
    client.post(reverse("set_language"), {"language": "fr"})  # no French name: Italian
    assert "Ambulatorio STP" in client.get(reverse("directory:detail", args=[clinic.pk])).content.decode()


def test_pages_have_no_inline_scripts_or_styles(client, clinic):
    for url in (reverse("directory:list"), reverse("directory:detail", args=[clinic.pk])):
        html = client.get(url).content.decode()
        assert "<style" not in html and " style=" not in html
        assert "<script>" not in html


def test_list_runs_a_fixed_number_of_queries(client, provider, clinic, django_assert_max_num_queries):
    url = reverse("directory:list")
    with django_assert_max_num_queries(12) as small:
        client.get(url)
    site = clinic.locations.get()
    for service in ServiceFactory.create_batch(15, organisation=provider):
        service.locations.add(site)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(url)


# --- editors' pages ------------------------------------------------------------------------------

# (persona, may edit the directory)
EDITORS = [
    ("editor", True),
    ("administrator", True),
    ("caseworker_irsina", False),
    ("caseworker_picerno", False),
    ("supervisor_irsina", False),
    ("operator_school_potenza", False),
    ("staff_school_matera", False),
    ("manager_association", False),
    ("official", False),
]


@pytest.mark.parametrize(("persona", "allowed"), EDITORS)
def test_editor_pages_by_role(request, client_for, clinic, persona, allowed):
    client = client_for(request.getfixturevalue(persona))
    for url in (reverse("directory:create"), reverse("directory:edit", args=[clinic.pk])):
        assert client.get(url).status_code == (200 if allowed else 403)
    assert client.post(reverse("directory:edit", args=[clinic.pk]), {}).status_code == (400 if allowed else 403)
    detail = client.get(reverse("directory:detail", args=[clinic.pk])).content.decode()
    assert (reverse("directory:edit", args=[clinic.pk]) in detail) is allowed


def test_anonymous_is_sent_to_login(client, clinic):
    response = client.get(reverse("directory:edit", args=[clinic.pk]))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def _management(prefix: str, total: int, initial: int = 0) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def _service_post(provider: Organisation, **extra: str) -> dict[str, str]:
    return {
        "organisation": str(provider.pk),
        "category": "language",
        "status": "active",
        "name_it": "Corso di italiano",
        "name_en": "Italian course",
        "languages": "it, en, ar",
        "email": "corsi@example.org",
        **extra,
    }


def test_editor_creates_a_service_with_a_location_and_hours(client_for, editor, provider):
    data = {
        **_service_post(provider),
        **_management("locations", 1),
        "locations-0-name": "Sede corsi",
        "locations-0-address": "Via Pretoria 5",
        "locations-0-postal_code": "85100",
        "locations-0-municipality": str(municipality("Potenza").pk),
        **_management("hours", 2),
        "hours-0-weekday": "TU",
        "hours-0-opens_at": "18:00",
        "hours-0-closes_at": "20:00",
    }
    response = client_for(editor).post(reverse("directory:create"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    service = Service.objects.get(name_it="Corso di italiano")
    assert response["Location"] == reverse("directory:detail", args=[service.pk])
    assert service.name_en == "Italian course" and service.languages == ["it", "en", "ar"]
    assert [loc.address for loc in service.locations.all()] == ["Via Pretoria 5"]
    assert [(s.weekday, s.opens_at) for s in service.schedules.all()] == [("TU", datetime.time(18))]
    assert AuditEvent.objects.filter(user=editor, action="service.create", object_id=str(service.pk)).exists()


def test_editor_changes_hours_and_location(client_for, editor, clinic):
    site = clinic.locations.get()
    schedule_location = str(site.pk)
    data = {
        **_service_post(clinic.organisation, category="health", name_it="Ambulatorio STP"),
        **_management("locations", 2, initial=1),
        "locations-0-id": str(site.pk),
        "locations-0-name": "Sede ASP",
        "locations-0-address": "Via Nuova 2",
        "locations-0-postal_code": "85100",
        "locations-0-municipality": str(site.municipality.pk),
        **_management("hours", 3, initial=1),
        "hours-0-weekday": "MO",
        "hours-0-opens_at": "09:00",
        "hours-0-closes_at": "12:00",
        "hours-0-location": schedule_location,
        "hours-0-DELETE": "on",
        "hours-1-weekday": "TH",
        "hours-1-opens_at": "15:00",
        "hours-1-closes_at": "17:00",
        "hours-1-location": schedule_location,
    }
    response = client_for(editor).post(reverse("directory:edit", args=[clinic.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    site.refresh_from_db()
    assert site.address == "Via Nuova 2"
    assert [(s.weekday, s.location_id) for s in clinic.schedules.all()] == [("TH", site.pk)]
    event = AuditEvent.objects.get(user=editor, action="service.change", object_id=str(clinic.pk))
    assert {"locations", "schedules"} <= set(event.details["fields"])


def test_hours_that_close_before_they_open_are_refused(client_for, editor, provider, settings):
    settings.LANGUAGE_CODE = "en"  # the assertions read English source strings
    data = {
        **_service_post(provider),
        **_management("locations", 0),
        **_management("hours", 1),
        "hours-0-weekday": "TU",
        "hours-0-opens_at": "20:00",
        "hours-0-closes_at": "18:00",
    }
    response = client_for(editor).post(reverse("directory:create"), data)
    assert response.status_code == 400
    assert "closing time must be after" in response.content.decode()
    assert not Service.objects.filter(name_it="Corso di italiano").exists()


def test_a_wrong_language_code_is_refused(client_for, editor, provider, settings):
    settings.LANGUAGE_CODE = "en"  # the assertions read English source strings
    data = {**_service_post(provider, languages="italiano"), **_management("locations", 0), **_management("hours", 0)}
    response = client_for(editor).post(reverse("directory:create"), data)
    assert response.status_code == 400
    assert "Not a language code" in response.content.decode()


def test_editors_see_unpublished_services(client_for, editor, client, clinic):
    Service.objects.filter(pk=clinic.pk).update(status=Service.Status.INACTIVE)
    assert client_for(editor).get(reverse("directory:detail", args=[clinic.pk])).status_code == 200


def test_service_functions_write_nothing_when_nothing_changes(editor, clinic):
    site = clinic.locations.get()
    before = Service.objects.get(pk=clinic.pk).updated_at
    directory.update_service(
        service=clinic,
        fields={"name_it": "Ambulatorio STP"},
        locations=[{"location": site, "name": site.name, "address": site.address}],
        schedules=[{"weekday": "MO", "opens_at": datetime.time(9), "closes_at": datetime.time(12), "location": site}],
        by=editor,
    )
    assert Service.objects.get(pk=clinic.pk).updated_at == before
    assert not AuditEvent.objects.filter(action="service.change").exists()


def test_removing_a_location_detaches_it(editor, clinic):
    site = clinic.locations.get()
    directory.update_service(service=clinic, fields={}, locations=[{"location": site, "delete": True}], by=editor)
    assert not clinic.locations.exists()
    assert not Location.objects.filter(pk=site.pk).exists()  # no other service used it
