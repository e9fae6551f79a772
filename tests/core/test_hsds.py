"""HSDS 3.0: what we serve validates against the official schema, and a document survives the trip
HSDS -> model -> HSDS; importing the same document twice writes nothing the second time."""

from __future__ import annotations

import copy
import datetime
import io
import uuid

import pytest
from django.core.management import call_command
from django.utils import translation

from aipim.core import hsds
from aipim.core.models import AuditEvent, Contact, Location, Organisation, Schedule, Service
from tests.factories import OrganisationFactory, ServiceFactory, municipality


@pytest.fixture
def full_service(db) -> Service:
    provider = OrganisationFactory(
        name="Sportello Lavoro Potenza",
        code="SLP",
        kind=Organisation.Kind.SERVICE_PROVIDER,
        email="lavoro@example.org",
        phone="+39 0971 000000",
        website="https://lavoro.example.org",
    )
    service = ServiceFactory(
        organisation=provider,
        name_it="Orientamento",
        name_en="Job orientation",
        category="work",
        languages=["it", "en", "ar"],
        email="orientamento@example.org",
        phone="+39 0971 111111",
        url="https://lavoro.example.org/orientamento",
        eligibility_description_it="Persone maggiorenni",
        application_process_it="Su appuntamento",
    )
    location = Location.objects.create(
        organisation=provider,
        name="Sede centrale",
        address="Via Roma 10",
        postal_code="85100",
        municipality=municipality("Potenza"),
        latitude="40.640000",
        longitude="15.800000",
        accessibility_it="Senza gradini",
    )
    service.locations.add(location)
    Schedule.objects.create(service=service, location=location, weekday="MO", opens_at="09:00", closes_at="12:00")
    Schedule.objects.create(service=service, location=location, weekday="WE", opens_at="14:00", closes_at="17:30")
    Schedule.objects.create(service=service, weekday="FR", opens_at="10:00", closes_at="11:00", notes="by phone")
    Contact.objects.create(service=service, name="Ufficio accoglienza", title="Front desk", phone="+39 0971 222222")
    return service


def test_a_fully_described_service_validates_against_the_official_schema(full_service):
    data = hsds.service_to_hsds(full_service)
    assert hsds.validation_errors(data) == []
    assert hsds.validation_errors(data["organization"], "organization") == []
    assert data["status"] == "active"
    [sal] = data["service_at_locations"]
    address = sal["location"]["addresses"][0]
    assert address["city"] == "Potenza" and address["country"] == "IT" and address["postal_code"] == "85100"
    assert [(s["byday"], s["opens_at"], s["closes_at"]) for s in sal["schedules"]] == [
        ("MO", "09:00", "12:00"),
        ("WE", "14:00", "17:30"),
    ]
    assert all(s["freq"] == "WEEKLY" for s in sal["schedules"])
    assert [s["byday"] for s in data["schedules"]] == ["FR"]
    assert [lang["code"] for lang in data["languages"]] == ["it", "en", "ar"]
    assert data["contacts"][0]["phones"][0]["number"] == "+39 0971 222222"
    assert data["attributes"][0]["taxonomy_term"]["code"] == "work"


def test_the_served_language_follows_the_visitor(full_service):
    with translation.override("en"):
        assert hsds.service_to_hsds(full_service)["name"] == "Job orientation"
    with translation.override("fr"):  # no French text: falls back to Italian
        assert hsds.service_to_hsds(full_service)["name"] == "Orientamento"


def test_every_factory_and_demo_service_validates(db):
    ServiceFactory.create_batch(3)
    call_command("seed_demo", "--no-users", stdout=io.StringIO())
    services = list(hsds.directory_queryset())
    assert len(services) >= 8
    for service in services:
        assert hsds.validation_errors(hsds.service_to_hsds(service)) == [], service.name


def test_the_validator_catches_a_broken_document(full_service):
    data = hsds.service_to_hsds(full_service)
    data["id"] = "not-a-uuid"
    data["status"] = "sleeping"
    del data["name"]
    errors = " ".join(hsds.validation_errors(data))
    assert "not-a-uuid" in errors and "sleeping" in errors and "'name' is a required property" in errors


def _external_document() -> dict:
    """A service as another HSDS system would send it: its own ids, times with seconds."""
    service_id, location_id = str(uuid.uuid4()), str(uuid.uuid4())
    return {
        "id": service_id,
        "name": "Corso di italiano A2",
        "description": "Corso serale gratuito",
        "status": "active",
        "email": "corsi@example.org",
        "organization": {"id": str(uuid.uuid4()), "name": "CPIA Matera", "description": "Centro per adulti"},
        "languages": [{"id": str(uuid.uuid4()), "code": "it", "name": "Italian"}],
        "attributes": [
            {
                "id": str(uuid.uuid4()),
                "taxonomy_term": {
                    "id": str(uuid.uuid4()),
                    "code": "language",
                    "name": "Italian language",
                    "description": "",
                    "taxonomy": hsds.CATEGORY_TAXONOMY,
                },
            }
        ],
        "service_at_locations": [
            {
                "id": str(uuid.uuid4()),
                "location": {
                    "id": location_id,
                    "location_type": "physical",
                    "name": "Sede CPIA",
                    "addresses": [
                        {
                            "id": str(uuid.uuid4()),
                            "address_1": "Via Lucana 5",
                            "city": "Matera",
                            "state_province": "Matera",
                            "postal_code": "75100",
                            "country": "IT",
                            "address_type": "physical",
                        }
                    ],
                },
                "schedules": [
                    {
                        "id": str(uuid.uuid4()),
                        "freq": "WEEKLY",
                        "byday": "TU,TH",
                        "opens_at": "18:00:00",
                        "closes_at": "20:00",
                    }
                ],
            }
        ],
        "contacts": [
            {"id": str(uuid.uuid4()), "name": "Segreteria", "phones": [{"id": str(uuid.uuid4()), "number": "0835 1"}]}
        ],
    }


def test_round_trip_hsds_to_model_to_hsds(db):
    document = _external_document()
    service = hsds.service_from_hsds(document)
    assert service.external_id == document["id"]
    assert service.organisation.municipality.name == "Matera"
    assert service.category == "language"
    assert sorted((s.weekday, s.opens_at) for s in service.schedules.all()) == [
        ("TH", datetime.time(18)),
        ("TU", datetime.time(18)),
    ]

    again = hsds.service_to_hsds(hsds.directory_queryset().get(pk=service.pk))
    assert hsds.validation_errors(again) == []
    assert again["id"] == document["id"]  # the document's id is kept when free
    for key in ("name", "description", "status", "email"):
        assert again[key] == document[key]
    assert again["organization"]["name"] == "CPIA Matera"
    [sal] = again["service_at_locations"]
    assert sal["location"]["id"] == document["service_at_locations"][0]["location"]["id"]
    assert sal["location"]["addresses"][0]["address_1"] == "Via Lucana 5"
    assert sorted((s["byday"], s["opens_at"], s["closes_at"]) for s in sal["schedules"]) == [
        ("TH", "18:00", "20:00"),
        ("TU", "18:00", "20:00"),
    ]
    assert [c["name"] for c in again["contacts"]] == ["Segreteria"]
    assert [lang["code"] for lang in again["languages"]] == ["it"]


def test_our_own_export_reimports_onto_the_same_rows(full_service):
    # Exported and imported in Italian: whatever language an earlier test left active.
    with translation.override("it"):
        exported = hsds.service_to_hsds(hsds.directory_queryset().get(pk=full_service.pk))
        Service.objects.filter(pk=full_service.pk).update(external_id=exported["id"])
        service = hsds.service_from_hsds(exported)
    assert service.pk == full_service.pk
    assert service.organisation_id == full_service.organisation_id
    assert list(AuditEvent.objects.filter(action="service.import").values_list("details", flat=True)) == []


def test_import_is_idempotent(db, django_assert_max_num_queries):
    document = _external_document()
    first = hsds.service_from_hsds(document)
    stamp = Service.objects.get(pk=first.pk).updated_at
    events = AuditEvent.objects.filter(action="service.import").count()

    second = hsds.service_from_hsds(copy.deepcopy(document))
    assert second.pk == first.pk
    assert Service.objects.filter(external_id=document["id"]).count() == 1
    assert Service.objects.get(pk=first.pk).updated_at == stamp
    assert AuditEvent.objects.filter(action="service.import").count() == events
    assert Schedule.objects.filter(service=first).count() == 2


def test_a_changed_document_updates_the_service(db):
    document = _external_document()
    service = hsds.service_from_hsds(document)
    document["name"] = "Corso di italiano B1"
    document["service_at_locations"][0]["schedules"][0]["byday"] = "WE"
    hsds.service_from_hsds(document, by=None)
    service.refresh_from_db()
    assert service.name_it == "Corso di italiano B1"
    assert [s.weekday for s in service.schedules.all()] == ["WE"]
    assert AuditEvent.objects.filter(action="service.import", object_id=str(service.pk)).count() == 2


def test_an_invalid_document_is_refused_with_a_reason(db):
    document = _external_document()
    document["status"] = "sleeping"
    with pytest.raises(hsds.HSDSImportError, match="sleeping"):
        hsds.service_from_hsds(document)
    assert not Service.objects.exists()


def test_a_location_outside_basilicata_is_refused(db):
    document = _external_document()
    document["service_at_locations"][0]["location"]["addresses"][0]["city"] = "Milano"
    with pytest.raises(hsds.HSDSImportError, match="municipality"):
        hsds.service_from_hsds(document)
