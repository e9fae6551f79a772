"""Intake at a PUA desk: register a new person (after searching first), record their consents by
purpose, and open their case, all in one transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from aipim.accounts.models import PUA_ROLES
from aipim.core import audit
from aipim.core.models import Consent, Organisation, Person
from aipim.core.services import give_consent, has_consent, link_person
from pua.models import Case
from pua.services.cases import LINK_REASON, open_case

# The consents a PUA desk records at intake (the school purposes belong to the schools' desks).
INTAKE_PURPOSES = (
    Consent.Purpose.CASE_MANAGEMENT,
    Consent.Purpose.HEALTH_SHARING,
    Consent.Purpose.JOB_SHARING,
    Consent.Purpose.DESK_SHARING,
    Consent.Purpose.COMMUNICATIONS,
)


def _check_desk(desk: Organisation, by: Any) -> None:
    if desk.pk not in by.organisation_ids(*PUA_ROLES):
        raise PermissionDenied(_("You can open cases only at your own desk."))


def _record_consents(
    *, person: Person, purposes: Iterable[str], desk: Organisation, evidence: str, given_by_name: str, by: Any
) -> list[Consent]:
    """Record each purpose not already in force (a second form for the same purpose adds nothing)."""
    return [
        give_consent(
            person=person, purpose=purpose, organisation=desk, evidence=evidence, given_by_name=given_by_name, by=by
        )
        for purpose in dict.fromkeys(purposes)
        if not has_consent(person, purpose)
    ]


@transaction.atomic
def register_person(
    *,
    desk: Organisation,
    by: Any,
    purposes: Iterable[str],
    evidence: str,
    given_by_name: str = "",
    caseworker: Any = None,
    possible_duplicate_confirmed: bool = False,
    **person_fields: Any,
) -> Case:
    """Create the person, link them to the desk, record their consents and open their case.

    Needs consent to case management among `purposes` (open_case raises ConsentMissing)."""
    _check_desk(desk, by)
    person = Person.objects.create(**person_fields)
    link_person(person=person, organisation=desk, reason=LINK_REASON, by=by)
    audit.record(
        by, "person.create", person, organisation=desk, possible_duplicate_confirmed=possible_duplicate_confirmed
    )
    _record_consents(person=person, purposes=purposes, desk=desk, evidence=evidence, given_by_name=given_by_name, by=by)
    return open_case(person=person, desk=desk, by=by, caseworker=caseworker)


@transaction.atomic
def open_case_for_person(
    *,
    person: Person,
    desk: Organisation,
    by: Any,
    purposes: Iterable[str] = (),
    evidence: str = "",
    given_by_name: str = "",
    caseworker: Any = None,
) -> Case:
    """Open a case for a person already registered, recording first the consents they give now."""
    _check_desk(desk, by)
    if purposes:
        _record_consents(
            person=person, purposes=purposes, desk=desk, evidence=evidence, given_by_name=given_by_name, by=by
        )
    return open_case(person=person, desk=desk, by=by, caseworker=caseworker)
