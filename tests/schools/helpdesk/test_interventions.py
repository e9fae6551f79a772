"""Interventions for a student: owner, dates, status and outcome, and the list with its filters."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from aipim.core.models import AuditEvent
from schools.models import Intervention
from schools.services.helpdesk import open_case
from schools.services.interventions import create_intervention, interventions_for, update_intervention

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def plan(student, by, **fields) -> Intervention:
    fields.setdefault("kind", Intervention.Kind.ITALIAN_L2)
    fields.setdefault("starts_on", TODAY())
    return create_intervention(student=student, by=by, **fields)


def test_an_intervention_is_planned_with_its_owner(student_potenza, operator_school_potenza):
    intervention = plan(student_potenza, operator_school_potenza, owner=operator_school_potenza)
    assert intervention.status == Intervention.Status.PLANNED and intervention.created_by == operator_school_potenza
    assert AuditEvent.objects.get(action="intervention.create").details == {"kind": "italian_l2"}


def test_the_rules_of_a_new_intervention(student_potenza, student_matera, operator_school_potenza, staff_school_matera):
    with pytest.raises(ValidationError, match="owner"):
        plan(student_potenza, operator_school_potenza, owner=staff_school_matera)
    with pytest.raises(ValidationError, match="end before"):
        plan(student_potenza, operator_school_potenza, ends_on=TODAY() - datetime.timedelta(days=1))
    with pytest.raises(ValidationError):
        plan(student_potenza, operator_school_potenza, status=Intervention.Status.DONE)
    with pytest.raises(PermissionDenied):
        plan(student_potenza, staff_school_matera)
    other_case = open_case(school=student_matera.school, students=[student_matera], title="x", by=staff_school_matera)
    with pytest.raises(PermissionDenied):
        plan(student_potenza, staff_school_matera, support_case=other_case)


def test_an_intervention_on_a_case_needs_the_student_in_it(
    student_potenza, make_student, school_potenza, operator_school_potenza
):
    other = make_student(school_potenza)
    case = open_case(school=school_potenza, students=[other], title="x", by=operator_school_potenza)
    with pytest.raises(ValidationError, match="not part of this case"):
        plan(student_potenza, operator_school_potenza, support_case=case)


def test_it_moves_on_and_records_the_outcome_when_done(student_potenza, operator_school_potenza):
    intervention = plan(student_potenza, operator_school_potenza)
    update_intervention(intervention=intervention, by=operator_school_potenza, status="in_progress")
    with pytest.raises(ValidationError, match="Record the outcome when"):
        update_intervention(
            intervention=intervention, by=operator_school_potenza, status="in_progress", outcome="improved"
        )
    with pytest.raises(ValidationError, match="improved"):
        update_intervention(intervention=intervention, by=operator_school_potenza, status="done")
    done = update_intervention(
        intervention=intervention,
        by=operator_school_potenza,
        status="done",
        outcome="improved",
        outcome_note="B1 reached",
    )
    assert done.ends_on == TODAY() and done.outcome == "improved"
    with pytest.raises(ValidationError, match="cannot become"):
        update_intervention(intervention=intervention, by=operator_school_potenza, status="in_progress")


def test_the_list_filters_by_kind_status_and_overdue(student_potenza, operator_school_potenza):
    yesterday = TODAY() - datetime.timedelta(days=1)
    late_plan = plan(
        student_potenza, operator_school_potenza, kind="tutoring", starts_on=yesterday - datetime.timedelta(days=5)
    )
    past_end = plan(
        student_potenza,
        operator_school_potenza,
        kind="mediator",
        status="in_progress",
        starts_on=yesterday - datetime.timedelta(days=5),
        ends_on=yesterday,
    )
    on_time = plan(student_potenza, operator_school_potenza, kind="tutoring", status="in_progress", ends_on=TODAY())
    finished = plan(student_potenza, operator_school_potenza, kind="mediator", starts_on=yesterday, ends_on=yesterday)
    update_intervention(
        intervention=finished, by=operator_school_potenza, status="done", outcome="unchanged", ends_on=yesterday
    )

    def pks(**filters) -> set[int]:
        return {i.pk for i in interventions_for(operator_school_potenza, filters)}

    assert pks() == {late_plan.pk, past_end.pk, on_time.pk, finished.pk}
    assert pks(kind="tutoring") == {late_plan.pk, on_time.pk}
    assert pks(status="done") == {finished.pk}
    assert pks(overdue=True) == {late_plan.pk, past_end.pk}


def test_the_list_page_and_its_filters(client_for, operator_school_potenza, staff_school_matera, student_potenza):
    plan(student_potenza, operator_school_potenza, kind="tutoring")
    client = client_for(operator_school_potenza)
    page = client.get(reverse("schools:intervention_list")).content.decode()
    assert "Amina Haddad" in page and "Tutoring" in page
    assert "Amina Haddad" not in client.get(reverse("schools:intervention_list"), {"kind": "mediator"}).content.decode()
    assert (
        "Amina Haddad" not in client_for(staff_school_matera).get(reverse("schools:intervention_list")).content.decode()
    )


def test_planning_from_a_case_marks_it_as_acted_on(client_for, operator_school_potenza, student_potenza):
    case = open_case(school=student_potenza.school, students=[student_potenza], title="x", by=operator_school_potenza)
    client = client_for(operator_school_potenza)
    url = reverse("schools:intervention_add", args=[student_potenza.pk])
    assert f'value="{case.pk}" selected' in client.get(url, {"case": case.pk}).content.decode()
    response = client.post(
        url,
        {
            "kind": "family_meeting",
            "owner": operator_school_potenza.pk,
            "starts_on": TODAY().isoformat(),
            "status": "planned",
            "support_case": case.pk,
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("schools:supportcase_detail", args=[case.pk])
    case.refresh_from_db()
    assert case.acted_at is not None


def test_the_edit_page_records_the_outcome(client_for, operator_school_potenza, student_potenza):
    intervention = plan(student_potenza, operator_school_potenza)
    client = client_for(operator_school_potenza)
    url = reverse("schools:intervention_edit", args=[intervention.pk])
    assert client.post(url, {"status": "done"}).status_code == 400
    assert (
        client.post(url, {"status": "done", "outcome": "worsened", "outcome_note": "Stopped coming"}).status_code == 302
    )
    intervention.refresh_from_db()
    assert intervention.status == "done" and intervention.outcome == "worsened"


def test_moving_on_keeps_the_owner_and_end_date_unless_given(student_potenza, operator_school_potenza):
    ends = TODAY() + datetime.timedelta(days=30)
    intervention = plan(student_potenza, operator_school_potenza, owner=operator_school_potenza, ends_on=ends)
    moved = update_intervention(intervention=intervention, by=operator_school_potenza, status="in_progress")
    assert moved.owner == operator_school_potenza and moved.ends_on == ends
    cleared = update_intervention(
        intervention=intervention, by=operator_school_potenza, status="in_progress", owner=None
    )
    assert cleared.owner is None
