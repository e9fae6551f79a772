"""Intake: search first (spelling-proof, scoped, by POST), the duplicate warning, registering a
person with consents and opening their case, for every persona."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from aipim.core.models import AuditEvent, Consent, Person
from pua.models import Case
from tests.factories import ConsentFactory, PersonFactory
from tests.personas import PERSONAS

PUA_STAFF_AT_IRSINA = {"caseworker_irsina", "supervisor_irsina"}
PUA_STAFF = PUA_STAFF_AT_IRSINA | {"caseworker_picerno"}


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def amina(desk_irsina) -> Person:
    return PersonFactory(
        given_names="Amina", family_names="Benali", birth_date=datetime.date(1990, 5, 4), organisation=desk_irsina
    )


def new_person_data(desk, **changes):
    data = {
        "desk": desk.pk,
        "given_names": "Tesfaye",
        "family_names": "Haile",
        "birth_date": "1988-02-03",
        "sex": "M",
        "citizenship": "ER",
        "languages": "ti,en",
        "preferred_language": "ti",
        "purposes": ["case_management", "job_sharing"],
        "evidence": "signed form 12/2026",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("persona", PERSONAS)
def test_intake_search_by_role_and_organisation(request, client_for, amina, persona):
    user = request.getfixturevalue(persona)
    response = client_for(user).post(reverse("pua:intake"), {"name": "benali amina"})
    body = response.content.decode()
    if persona in PUA_STAFF:
        assert response.status_code == 200
        assert ("Benali" in body) is (persona in PUA_STAFF_AT_IRSINA)
        assert AuditEvent.objects.filter(user=user, action="person.search").exists()
    else:
        assert response.status_code == 403
        assert "Benali" not in body


@pytest.mark.parametrize(
    "query", ["AMINA benali", "Benali Amina", "Àmina Bénali", "benal", "Amina Benaly", "amina", "BENALI"]
)
def test_search_ignores_case_accents_order_and_small_spelling_slips(client_for, caseworker_irsina, amina, query):
    body = client_for(caseworker_irsina).post(reverse("pua:intake"), {"name": query}).content.decode()
    assert "Benali" in body
    assert "04/05/1990" in body or "May" in body or "1990" in body  # the birth date tells people apart


@pytest.mark.parametrize(
    ("written", "query"),
    [
        ("Mohammed Abdel Karim", "Muhammad Abd al Karim"),
        ("Mohamed Abdelkarim", "mohammed abdel karim"),
        ("Aly Hassan", "Ali Hassan"),
        ("Youssef El-Amin", "Yusuf al Amin"),
    ],
)
def test_search_finds_common_transliterations(client_for, caseworker_irsina, desk_irsina, written, query):
    given, family = written.split(" ", 1)
    PersonFactory(given_names=given, family_names=family, organisation=desk_irsina)
    body = client_for(caseworker_irsina).post(reverse("pua:intake"), {"name": query}).content.decode()
    assert family in body


def test_search_does_not_match_other_names(client_for, caseworker_irsina, amina):
    body = client_for(caseworker_irsina).post(reverse("pua:intake"), {"name": "Tesfaye Haile"}).content.decode()
    assert "Benali" not in body
    assert "No one matches" in body


def test_people_of_another_desk_show_only_as_a_count(client_for, caseworker_picerno, amina):
    response = client_for(caseworker_picerno).post(reverse("pua:intake"), {"name": "amina benali"})
    body = response.content.decode()
    assert "Benali" not in body  # the query itself is echoed in lower case
    assert "1 possible match already registered at another desk" in body
    assert str(amina.public_id) not in body


def test_search_is_posted_and_never_in_the_url(client_for, caseworker_irsina, amina):
    response = client_for(caseworker_irsina).get(reverse("pua:intake"), {"name": "Amina"})
    assert "Benali" not in response.content.decode()


def test_register_person_records_consents_and_opens_case(client_for, caseworker_irsina, desk_irsina):
    response = client_for(caseworker_irsina).post(reverse("pua:intake_new_person"), new_person_data(desk_irsina))
    person = Person.objects.get(family_names="Haile")
    case = Case.objects.get(person=person)
    assert response.status_code == 302
    assert response["Location"] in (reverse("pua:case_detail", args=[case.pk]), reverse("pua:case_list"))
    assert case.number.startswith("PUA-IRS-")
    assert case.caseworker == caseworker_irsina
    assert set(person.consents.values_list("purpose", flat=True)) == {"case_management", "job_sharing"}
    assert person.languages == ["ti", "en"]
    assert Person.objects.for_user(caseworker_irsina).filter(pk=person.pk).exists()
    assert AuditEvent.objects.filter(action="person.create", object_id=str(person.pk)).exists()
    assert AuditEvent.objects.filter(action="person.duplicate_check", user=caseworker_irsina).exists()


def test_no_case_without_consent_to_case_management(client_for, caseworker_irsina, desk_irsina):
    data = new_person_data(desk_irsina, purposes=["job_sharing"])
    response = client_for(caseworker_irsina).post(reverse("pua:intake_new_person"), data)
    assert response.status_code == 400
    assert "consent to case management" in response.content.decode()
    assert not Person.objects.filter(family_names="Haile").exists()


def test_cannot_register_at_another_desk(client_for, caseworker_irsina, desk_picerno):
    data = new_person_data(desk_picerno)
    response = client_for(caseworker_irsina).post(reverse("pua:intake_new_person"), data)
    assert response.status_code == 400
    assert not Person.objects.filter(family_names="Haile").exists()


def test_probable_duplicate_is_warned_before_creating(client_for, caseworker_irsina, desk_irsina, amina):
    client = client_for(caseworker_irsina)
    data = new_person_data(desk_irsina, given_names="Àmina", family_names="BENALI", birth_date="1990-05-04")
    response = client.post(reverse("pua:intake_new_person"), data)
    assert response.status_code == 200
    assert "This may be someone already registered" in response.content.decode()
    assert Person.objects.filter(family_names__iexact="benali").count() == 1

    response = client.post(reverse("pua:intake_new_person"), {**data, "confirm_duplicate": "on"})
    assert response.status_code == 302
    assert Person.objects.filter(family_names__iexact="benali").count() == 2


def test_duplicate_at_another_desk_is_a_count_only(client_for, caseworker_picerno, desk_picerno, amina):
    data = new_person_data(desk_picerno, given_names="Amina", family_names="Benali", birth_date="1990-05-04")
    body = client_for(caseworker_picerno).post(reverse("pua:intake_new_person"), data).content.decode()
    assert "1 possible match already registered at another desk" in body
    assert str(amina.public_id) not in body


def test_same_name_other_birth_date_is_not_a_duplicate(client_for, caseworker_irsina, desk_irsina, amina):
    data = new_person_data(desk_irsina, given_names="Amina", family_names="Benali", birth_date="2001-01-01")
    response = client_for(caseworker_irsina).post(reverse("pua:intake_new_person"), data)
    assert response.status_code == 302


def test_prefill_from_search_carries_the_name(client_for, caseworker_irsina, desk_irsina):
    response = client_for(caseworker_irsina).post(
        reverse("pua:intake_new_person"), {"prefill": "1", "name": "Tesfaye Haile Gebre"}
    )
    body = response.content.decode()
    assert 'value="Tesfaye"' in body
    assert 'value="Haile Gebre"' in body


@pytest.mark.parametrize("persona", PERSONAS)
def test_open_case_page_by_role_and_organisation(request, client_for, amina, persona):
    user = request.getfixturevalue(persona)
    response = client_for(user).get(reverse("pua:open_case", args=[amina.public_id]))
    if persona in PUA_STAFF_AT_IRSINA:
        assert response.status_code == 200
        assert "Benali" in response.content.decode()
    else:
        assert response.status_code in (403, 404)
        assert "Benali" not in response.content.decode()


def test_open_case_records_missing_consent(client_for, caseworker_irsina, desk_irsina, amina):
    response = client_for(caseworker_irsina).post(
        reverse("pua:open_case", args=[amina.public_id]),
        {"desk": desk_irsina.pk, "purposes": ["case_management"], "evidence": "signed"},
    )
    assert response.status_code == 302
    assert Case.objects.filter(person=amina, desk=desk_irsina).exists()
    assert amina.consents.filter(purpose="case_management").exists()


def test_open_case_without_consent_says_why(client_for, caseworker_irsina, desk_irsina, amina):
    response = client_for(caseworker_irsina).post(
        reverse("pua:open_case", args=[amina.public_id]), {"desk": desk_irsina.pk}
    )
    assert response.status_code == 400
    assert "consent to case management" in response.content.decode()
    assert not Case.objects.filter(person=amina).exists()


def test_open_case_with_consent_already_given(client_for, supervisor_irsina, caseworker_irsina, desk_irsina, amina):
    ConsentFactory(person=amina, organisation=desk_irsina, recorded_by=caseworker_irsina)
    response = client_for(supervisor_irsina).post(
        reverse("pua:open_case", args=[amina.public_id]), {"desk": desk_irsina.pk}
    )
    assert response.status_code == 302
    case = Case.objects.get(person=amina)
    assert case.caseworker is None  # a supervisor assigns it later
    assert amina.consents.filter(purpose=Consent.Purpose.CASE_MANAGEMENT).count() == 1
