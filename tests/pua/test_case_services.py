"""Opening a case and moving it along its statuses."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from aipim.core.models import AuditEvent, PersonLink
from aipim.core.services import ConsentMissing
from pua.models import Case
from pua.services.cases import change_status, open_case
from tests.factories import PersonFactory


def test_case_numbers_count_per_desk_and_year(case_irsina, person_with_consent, desk_irsina, caseworker_irsina):
    year = timezone.localdate().year
    assert case_irsina.number == f"PUA-IRS-{year}-00001"
    second = open_case(person=person_with_consent, desk=desk_irsina, by=caseworker_irsina)
    assert second.number == f"PUA-IRS-{year}-00002"


def test_a_case_needs_consent_to_case_management(desk_irsina, caseworker_irsina):
    person = PersonFactory(organisation=desk_irsina)
    with pytest.raises(ConsentMissing):
        open_case(person=person, desk=desk_irsina, by=caseworker_irsina)
    assert not Case.objects.exists()


def test_status_moves_forward_with_history_and_audit(case_irsina, caseworker_irsina):
    change_status(case=case_irsina, to=Case.Status.ASSESSED, by=caseworker_irsina)
    change_status(case=case_irsina, to=Case.Status.PLAN_ACTIVE, by=caseworker_irsina)
    with pytest.raises(ValidationError):
        change_status(case=case_irsina, to=Case.Status.OPEN, by=caseworker_irsina)
    with pytest.raises(ValidationError):
        change_status(case=case_irsina, to=Case.Status.CLOSED, by=caseworker_irsina)  # no reason
    change_status(case=case_irsina, to=Case.Status.CLOSED, by=caseworker_irsina, closing_reason="goals_met")
    case_irsina.refresh_from_db()
    assert case_irsina.closed_at is not None
    history = list(case_irsina.status_changes.values_list("from_status", "to_status"))
    assert history == [("", "open"), ("open", "assessed"), ("assessed", "plan_active"), ("plan_active", "closed")]
    assert AuditEvent.objects.filter(action="case.status", object_id=str(case_irsina.pk)).count() == 3


def test_closing_the_last_case_ends_the_desks_link(case_irsina, caseworker_irsina, desk_irsina):
    link = PersonLink.objects.get(person=case_irsina.person, organisation=desk_irsina, reason="pua_case")
    change_status(case=case_irsina, to=Case.Status.CLOSED, by=caseworker_irsina, closing_reason="moved")
    link.refresh_from_db()
    assert link.ended_at is not None


def test_cases_are_scoped_to_the_desk(
    case_irsina, case_picerno, caseworker_irsina, caseworker_picerno, official, administrator
):
    assert list(Case.objects.for_user(caseworker_irsina)) == [case_irsina]
    assert list(Case.objects.for_user(caseworker_picerno)) == [case_picerno]
    assert not Case.objects.for_user(official).exists()
    assert not Case.objects.for_user(administrator).exists()
