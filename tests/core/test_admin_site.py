"""The admin site: every registered model opens, with a number of queries that does not grow with the rows;
personal data is view-only and audited; the audit log cannot be changed by anyone."""

from __future__ import annotations

import datetime
from itertools import count

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from aipim.accounts.models import User
from aipim.core.models import AuditEvent, Contact, Feedback, Household, Location, Schedule
from tests.factories import (
    ConsentFactory,
    MembershipFactory,
    OrganisationFactory,
    PersonFactory,
    ServiceFactory,
    UserFactory,
    municipality,
)

_serial = count()


@pytest.fixture
def superuser(db) -> User:
    return UserFactory(email="root@example.org", is_superuser=True, is_staff=True)


@pytest.fixture
def admin_client(client_for, superuser):
    client = client_for(superuser)
    client.get(reverse("admin:index"))  # the first request records the second factor in the session
    return client


def populate(rows: int) -> None:
    """`rows` more records of every kind the admin site shows, with their relations filled in."""
    potenza = municipality("Potenza")
    for _ in range(rows):
        n = next(_serial)
        organisation = OrganisationFactory()
        service = ServiceFactory(organisation=organisation)
        location = Location.objects.create(
            organisation=organisation, name=f"Sede {n}", address="Via Roma 1", municipality=potenza
        )
        service.locations.add(location)
        Schedule.objects.create(
            service=service, location=location, weekday="MO", opens_at=datetime.time(9), closes_at=datetime.time(12)
        )
        Contact.objects.create(service=service, name=f"Sportello {n}")
        household = Household.objects.create(label=f"Famiglia {n}", municipality=potenza)
        person = PersonFactory(organisation=organisation, household=household, municipality=potenza)
        person.save()  # a second history snapshot
        ConsentFactory(person=person, organisation=organisation)
        MembershipFactory(user=UserFactory(), organisation=organisation)
        AuditEvent.objects.create(
            action="person.view", organisation=organisation, object_type="core.person", object_id=str(person.pk)
        )
        Feedback.objects.create(rating=4, message="Utile")


REGISTERED = sorted(
    (model._meta.label for model in admin.site._registry if model._meta.app_label in ("core", "accounts")),
)


def changelist_url(label: str) -> str:
    app_label, model_name = label.lower().split(".")
    return reverse(f"admin:{app_label}_{model_name}_changelist")


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context.captured_queries)


def test_every_core_and_accounts_model_is_registered():
    expected = {
        "accounts.User",
        "accounts.Membership",
        "core.Municipality",
        "core.Organisation",
        "core.Service",
        "core.Location",
        "core.Household",
        "core.Person",
        "core.PersonLink",
        "core.Consent",
        "core.AuditEvent",
        "core.Feedback",
    }
    assert expected <= set(REGISTERED)


@pytest.mark.parametrize("label", REGISTERED)
def test_changelist_opens_with_a_fixed_number_of_queries(admin_client, label, django_assert_max_num_queries):
    url = changelist_url(label)
    populate(1)
    few = queries_for(admin_client, url)
    populate(2)
    many = queries_for(admin_client, url)

    assert few == many, f"{label}: {few} queries with few rows, {many} with more"
    with django_assert_max_num_queries(25):
        admin_client.get(url)


@pytest.mark.parametrize("label", REGISTERED)
def test_change_page_opens(admin_client, label):
    populate(1)
    model = next(model for model in admin.site._registry if model._meta.label == label)
    obj = model._default_manager.order_by("pk").first()
    app_label, model_name = label.lower().split(".")

    response = admin_client.get(reverse(f"admin:{app_label}_{model_name}_change", args=[obj.pk]))

    assert response.status_code == 200


def test_person_list_shows_no_names_and_is_audited(admin_client, superuser):
    person = PersonFactory(given_names="Amina", family_names="Benali")

    response = admin_client.get(changelist_url("core.Person"))

    assert str(person.public_id) in response.content.decode()
    assert "Benali" not in response.content.decode()
    assert AuditEvent.objects.filter(user=superuser, action="person.list", details__via="admin").exists()


def test_person_page_is_audited_and_read_only(admin_client, superuser):
    person = PersonFactory(given_names="Amina", family_names="Benali")
    url = reverse("admin:core_person_change", args=[person.pk])

    response = admin_client.get(url)
    admin_client.post(url, {"given_names": "Changed", "family_names": "Changed"})

    assert "Benali" in response.content.decode()
    assert AuditEvent.objects.filter(user=superuser, action="person.view", object_id=str(person.pk)).exists()
    person.refresh_from_db()
    assert person.family_names == "Benali"
    assert admin_client.get(reverse("admin:core_person_add")).status_code == 403
    assert admin_client.get(reverse("admin:core_person_delete", args=[person.pk])).status_code == 403


def test_person_search_by_public_id_only(admin_client):
    person = PersonFactory(family_names="Benali")
    PersonFactory(family_names="Haddad")

    by_id = admin_client.get(changelist_url("core.Person"), {"q": str(person.public_id)})
    by_name = admin_client.get(changelist_url("core.Person"), {"q": "Benali"})

    assert [p.pk for p in by_id.context["cl"].result_list] == [person.pk]
    assert by_name.status_code == 200
    assert list(by_name.context["cl"].result_list) == []


def test_nobody_can_add_change_or_delete_audit_events(admin_client):
    event = AuditEvent.objects.create(action="person.view", object_type="core.person", object_id="1")
    change_url = reverse("admin:core_auditevent_change", args=[event.pk])

    assert admin_client.get(reverse("admin:core_auditevent_add")).status_code == 403
    assert admin_client.get(reverse("admin:core_auditevent_delete", args=[event.pk])).status_code == 403
    admin_client.post(change_url, {"action": "tampered"})
    admin_client.post(
        changelist_url("core.AuditEvent"), {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"}
    )

    event.refresh_from_db()
    assert event.action == "person.view"


def test_audit_events_are_filtered_by_action_and_date(admin_client):
    AuditEvent.objects.create(action="person.view")
    AuditEvent.objects.create(action="consent.give")

    response = admin_client.get(changelist_url("core.AuditEvent"), {"action": "consent.give"})

    assert [event.action for event in response.context["cl"].result_list] == ["consent.give"]
    filter_titles = [str(spec.title) for spec in response.context["cl"].filter_specs]
    assert len(filter_titles) == 2


def test_service_admin_edits_every_language(admin_client):
    service = ServiceFactory(name="Sportello salute")

    response = admin_client.get(reverse("admin:core_service_change", args=[service.pk]))

    page = response.content.decode()
    for language in ("it", "en", "fr", "ar"):
        assert f'name="name_{language}"' in page
