"""Fixtures of the PUA tests: people with consent, and cases at the Irsina and Picerno desks."""

from __future__ import annotations

import pytest

from aipim.core.models import Consent, Person
from pua.models import Case
from pua.services.cases import open_case
from tests.factories import ConsentFactory, PersonFactory


@pytest.fixture
def person_with_consent(desk_irsina, caseworker_irsina) -> Person:
    person = PersonFactory(given_names="Mohamed", family_names="Abdel Aziz", organisation=desk_irsina)
    ConsentFactory(
        person=person, purpose=Consent.Purpose.CASE_MANAGEMENT, organisation=desk_irsina, recorded_by=caseworker_irsina
    )
    return person


@pytest.fixture
def case_irsina(person_with_consent, desk_irsina, caseworker_irsina) -> Case:
    return open_case(person=person_with_consent, desk=desk_irsina, by=caseworker_irsina, caseworker=caseworker_irsina)


@pytest.fixture
def case_picerno(desk_picerno, caseworker_picerno) -> Case:
    person = PersonFactory(given_names="Tesfay", family_names="Gebremedhin", organisation=desk_picerno)
    ConsentFactory(
        person=person,
        purpose=Consent.Purpose.CASE_MANAGEMENT,
        organisation=desk_picerno,
        recorded_by=caseworker_picerno,
    )
    return open_case(person=person, desk=desk_picerno, by=caseworker_picerno, caseworker=caseworker_picerno)
