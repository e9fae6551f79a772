"""Consents: recorded by purpose with evidence, withdrawn with a date, only within the user's scope."""

from __future__ import annotations

import pytest
from django.urls import reverse

from aipim.core import services
from aipim.core.models import AuditEvent, Consent
from tests.factories import ConsentFactory, PersonFactory
from tests.personas import PERSON_AT_IRSINA_MATRIX


@pytest.fixture
def person(desk_irsina):
    return PersonFactory(organisation=desk_irsina)


def consent_form(desk) -> dict[str, str]:
    return {"purpose": Consent.Purpose.HEALTH_SHARING, "organisation": str(desk.pk), "evidence": "signed form 7/2026"}


def test_caseworker_records_a_consent_and_it_is_audited(client_for, caseworker_irsina, desk_irsina, person):
    response = client_for(caseworker_irsina).post(
        reverse("core:consent_create", args=[person.public_id]), consent_form(desk_irsina)
    )
    assert response.status_code == 302
    consent = person.consents.get()
    assert consent.recorded_by == caseworker_irsina and consent.in_force
    assert services.has_consent(person, Consent.Purpose.HEALTH_SHARING)
    assert AuditEvent.objects.filter(action="consent.give", object_id=str(consent.pk)).exists()


def test_the_collector_must_be_one_of_the_users_organisations(
    client_for, caseworker_irsina, desk_picerno, person, settings
):
    settings.LANGUAGE_CODE = "en"
    response = client_for(caseworker_irsina).post(
        reverse("core:consent_create", args=[person.public_id]), consent_form(desk_picerno)
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not person.consents.exists()


def test_missing_evidence_is_a_field_error_in_the_users_language(client_for, caseworker_irsina, desk_irsina, person):
    form = consent_form(desk_irsina) | {"evidence": ""}
    client = client_for(caseworker_irsina)
    client.cookies["django_language"] = "it"
    response = client.post(reverse("core:consent_create", args=[person.public_id]), form)
    assert response.status_code == 400
    assert "Campo obbligatorio." in response.content.decode()  # Django's Italian "This field is required."


@pytest.mark.parametrize(("persona", "allowed"), PERSON_AT_IRSINA_MATRIX)
def test_withdrawal_by_role_and_organisation(request, client_for, desk_irsina, person, persona, allowed):
    consent = ConsentFactory(person=person, organisation=desk_irsina)
    user = request.getfixturevalue(persona)
    response = client_for(user).post(reverse("core:consent_withdraw", args=[consent.pk]))
    consent.refresh_from_db()
    if allowed:
        assert response.status_code == 302
        assert consent.withdrawn_at is not None
        assert not services.has_consent(person, consent.purpose)
    else:
        assert response.status_code in (403, 404)
        assert consent.in_force


@pytest.mark.parametrize(("persona", "allowed"), PERSON_AT_IRSINA_MATRIX)
def test_recording_by_role_and_organisation(request, client_for, desk_irsina, person, persona, allowed):
    user = request.getfixturevalue(persona)
    response = client_for(user).post(reverse("core:consent_create", args=[person.public_id]), consent_form(desk_irsina))
    if not allowed:
        assert response.status_code in (403, 404)
    assert person.consents.exists() is (allowed and persona != "administrator")


def test_require_consent_names_the_missing_purpose(person):
    with pytest.raises(services.ConsentMissing) as error:
        services.require_consent(person, Consent.Purpose.JOB_SHARING)
    assert error.value.purpose == Consent.Purpose.JOB_SHARING
