"""Administrators' pages: the audit log, the retention preview, access and erasure requests.

Only administrators open them; every other persona gets 403 and anonymous visitors go to the login."""

from __future__ import annotations

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from aipim.core.models import AuditEvent, Feedback, Person
from tests.factories import PersonFactory
from tests.personas import PERSONAS


@pytest.fixture
def person(desk_irsina) -> Person:
    return PersonFactory(
        given_names="Amina", family_names="Benali", email="amina@example.net", organisation=desk_irsina
    )


def page_urls(person: Person) -> dict[str, str]:
    return {
        "audit_log": reverse("manage:audit_log"),
        "retention": reverse("manage:retention"),
        "person_privacy": reverse("manage:person_privacy", args=[person.public_id]),
        "person_export": reverse("manage:person_export", args=[person.public_id]),
    }


# --- Who may open the pages --------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_administrators_open_the_pages(request, client_for, person, persona):
    user = request.getfixturevalue(persona)
    client = client_for(user)
    expected = 200 if persona == "administrator" else 403

    for name, url in page_urls(person).items():
        assert client.get(url).status_code == expected, name
    erase = client.post(reverse("manage:person_erase", args=[person.public_id]), {"reason": "request", "confirm": "on"})
    assert erase.status_code == expected

    person.refresh_from_db()
    assert (person.anonymised_at is not None) is (persona == "administrator")


def test_anonymous_visitors_are_sent_to_login(client, person):
    for url in [*page_urls(person).values(), reverse("manage:person_erase", args=[person.public_id])]:
        response = client.get(url) if not url.endswith("/erase/") else client.post(url)
        assert response.status_code == 302
        assert reverse("account_login") in response["Location"]


# --- Audit log ----------------------------------------------------------------------------------


def make_event(**fields) -> AuditEvent:
    fields.setdefault("action", "person.view")
    return AuditEvent.objects.create(**fields)


def listed_ids(response) -> set[int]:
    return {event.pk for event in response.context["object_list"]}


@pytest.fixture
def events(db):
    at = timezone.make_aware(datetime.datetime(2026, 3, 10, 12, 0))
    return {
        "view": make_event(user_email="caseworker.irsina@example.org", object_type="core.person", object_id="7", at=at),
        "export": make_event(
            user_email="admin@example.org",
            action="person.export",
            object_type="core.person",
            object_id="8",
            at=at + datetime.timedelta(days=5),
        ),
        "consent": make_event(
            user_email="caseworker.picerno@example.org",
            action="consent.give",
            object_type="core.consent",
            object_id="7",
            at=at + datetime.timedelta(days=20),
        ),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"user_email": "IRSINA"}, {"view"}),
        ({"action": "person."}, {"view", "export"}),
        ({"action": "consent.give"}, {"consent"}),
        ({"object_type": "core.person"}, {"view", "export"}),
        ({"object_type": "core.person", "object_id": "7"}, {"view"}),
        ({"date_from": "2026-03-14"}, {"export", "consent"}),
        ({"date_to": "2026-03-15"}, {"view", "export"}),
        ({"date_from": "2026-03-11", "date_to": "2026-03-20"}, {"export"}),
        ({}, {"view", "export", "consent"}),
    ],
)
def test_audit_log_filters(client_for, administrator, events, query, expected):
    response = client_for(administrator).get(reverse("manage:audit_log"), query)

    assert response.status_code == 200
    shown = listed_ids(response) & {event.pk for event in events.values()}
    assert shown == {events[name].pk for name in expected}


def test_audit_log_is_paginated_by_fifty_and_keeps_the_filters(client_for, administrator):
    for number in range(120):
        make_event(action="person.list", object_id=str(number))
    client = client_for(administrator)

    first = client.get(reverse("manage:audit_log"), {"action": "person.list"})
    third = client.get(reverse("manage:audit_log"), {"action": "person.list", "page": 3})

    assert len(first.context["object_list"]) == 50
    assert first.context["paginator"].num_pages == 3
    assert len(third.context["object_list"]) == 20
    assert "action=person.list&amp;page=2" in first.content.decode()


def test_audit_log_runs_a_fixed_number_of_queries(
    client_for, administrator, desk_irsina, django_assert_max_num_queries
):
    client = client_for(administrator)
    client.get(reverse("manage:audit_log"))  # the first request also records the second factor in the session

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(reverse("manage:audit_log")).status_code == 200
        return len(context.captured_queries)

    for _ in range(3):
        make_event(organisation=desk_irsina)
    few = count_queries()
    for _ in range(60):
        make_event(organisation=desk_irsina)
    many = count_queries()

    assert few == many, (few, many)
    with django_assert_max_num_queries(10):
        client.get(reverse("manage:audit_log"))


def test_reading_the_audit_log_is_itself_logged(client_for, administrator):
    client_for(administrator).get(reverse("manage:audit_log"), {"action": "person."})

    event = AuditEvent.objects.get(action="auditlog.view")
    assert event.user == administrator
    assert event.details == {"filters": ["action"]}


# --- Retention preview ---------------------------------------------------------------------------


def test_retention_preview_counts_per_policy(client_for, administrator, settings):
    settings.LANGUAGE_CODE = "en"  # the assertions read English source strings
    old = Feedback.objects.create(rating=3)
    Feedback.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=2 * 365 - 10))

    default = client_for(administrator).get(reverse("manage:retention"))
    short = client_for(administrator).get(reverse("manage:retention"), {"within_days": 5})

    by_key = {outcome.policy.key: outcome.count for outcome in default.context["outcomes"]}
    assert default.context["within_days"] == 30
    assert by_key["core.feedback"] == 1
    assert {o.policy.key: o.count for o in short.context["outcomes"]}["core.feedback"] == 0
    assert "Feedback messages from the site footer" in default.content.decode()


def test_retention_preview_ignores_a_bad_number_of_days(client_for, administrator):
    response = client_for(administrator).get(reverse("manage:retention"), {"within_days": "-4"})

    assert response.status_code == 200
    assert response.context["within_days"] == 30


# --- Access and erasure requests ----------------------------------------------------------------


def test_privacy_page_shows_the_person_and_is_audited(client_for, administrator, person):
    response = client_for(administrator).get(reverse("manage:person_privacy", args=[person.public_id]))

    assert "Benali" in response.content.decode()
    assert AuditEvent.objects.filter(user=administrator, action="person.view", object_id=str(person.pk)).exists()


def test_unknown_person_is_404(client_for, administrator, db):
    response = client_for(administrator).get(
        reverse("manage:person_privacy", args=["00000000-0000-0000-0000-000000000000"])
    )
    assert response.status_code == 404


def test_export_downloads_json_not_cached_and_audited(client_for, administrator, person):
    response = client_for(administrator).get(reverse("manage:person_export", args=[person.public_id]))

    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"] == f'attachment; filename="person-{person.public_id}.json"'
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["sections"]["core"]["person"]["family_names"] == "Benali"
    assert AuditEvent.objects.filter(user=administrator, action="person.export", object_id=str(person.pk)).exists()


def test_erasure_needs_the_confirmation(client_for, administrator, person):
    response = client_for(administrator).post(
        reverse("manage:person_erase", args=[person.public_id]), {"reason": "request"}
    )

    assert response.status_code == 400
    person.refresh_from_db()
    assert person.family_names == "Benali"
    assert not AuditEvent.objects.filter(action="person.erase").exists()


def test_erasure_anonymises_and_shows_the_counts(client_for, administrator, person):
    response = client_for(administrator).post(
        reverse("manage:person_erase", args=[person.public_id]),
        {"reason": "request", "reference": "prot. 45/2026", "confirm": "on"},
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "person_anonymised" in page
    assert "links_ended" in page
    assert "Benali" not in page
    person.refresh_from_db()
    assert person.family_names == "Anonymised"
    event = AuditEvent.objects.get(action="person.erase")
    assert event.user == administrator
    assert event.details["reason"] == "request: prot. 45/2026"


def test_erasure_is_post_only(client_for, administrator, person):
    response = client_for(administrator).get(reverse("manage:person_erase", args=[person.public_id]))
    assert response.status_code == 405


def test_date_filters_keep_their_value_for_the_browser_date_picker(client_for, administrator):
    response = client_for(administrator).get(reverse("manage:audit_log"), {"date_from": "2026-03-14"})

    assert 'value="2026-03-14"' in response.content.decode()
