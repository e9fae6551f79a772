"""Needs assessment and care plan: the status moves they cause, the rules on owners, and the
health and legal notes that only trained staff write and read."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from pua.models import Case, Goal, Need, NeedDomain, PlanAction, TrainingCourse, TrainingRecord
from pua.services import plan
from pua.services.cases import change_status
from tests.personas import PERSONAS

ALL_LOW = {f"severity_{domain}": "1" for domain in NeedDomain.values}


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def trained(caseworker_irsina, desk_irsina):
    course = TrainingCourse.objects.create(title="GDPR", hours=4, data_protection=True, valid_for_days=365)
    return TrainingRecord.objects.create(
        user=caseworker_irsina,
        desk=desk_irsina,
        course=course,
        completed_on=timezone.localdate(),
        hours_attended=4,
        valid_until=timezone.localdate() + datetime.timedelta(days=365),
    )


def assess(case, by, **notes):
    return plan.record_assessment(
        case=case, needs=[(domain, 2, notes.get(domain, "")) for domain in NeedDomain.values], by=by
    )


def test_first_assessment_makes_an_open_case_assessed(case_irsina, caseworker_irsina):
    assess(case_irsina, caseworker_irsina, work="Looking for seasonal work")
    case_irsina.refresh_from_db()
    assert case_irsina.status == Case.Status.ASSESSED
    assert case_irsina.status_changes.last().to_status == Case.Status.ASSESSED

    assess(case_irsina, caseworker_irsina)  # a second assessment changes nothing in the status
    case_irsina.refresh_from_db()
    assert case_irsina.status == Case.Status.ASSESSED
    assert case_irsina.status_changes.count() == 2
    assert case_irsina.assessments.count() == 2


def test_need_notes_are_encrypted_at_rest(case_irsina, caseworker_irsina):
    assessment = assess(case_irsina, caseworker_irsina, housing="Sleeps at a friend's")
    with connection.cursor() as cursor:
        cursor.execute("SELECT notes FROM pua_need WHERE assessment_id = %s AND domain = 'housing'", [assessment.pk])
        (stored,) = cursor.fetchone()
    assert "friend" not in stored
    assert Need.objects.get(assessment=assessment, domain="housing").notes == "Sleeps at a friend's"


def test_health_notes_need_data_protection_training(case_irsina, caseworker_irsina):
    with pytest.raises(ValidationError):
        assess(case_irsina, caseworker_irsina, health="Diabetes")
    assert not case_irsina.assessments.exists()


def test_trained_caseworker_writes_health_notes(case_irsina, caseworker_irsina, trained):
    assessment = assess(case_irsina, caseworker_irsina, health="Diabetes")
    assert assessment.needs.get(domain="health").notes == "Diabetes"


def test_assessment_of_a_closed_case_is_refused(case_irsina, caseworker_irsina):
    change_status(case=case_irsina, to="closed", by=caseworker_irsina, closing_reason="other")
    with pytest.raises(ValidationError):
        assess(case_irsina, caseworker_irsina)


def test_assessment_page_of_a_closed_case_goes_back_to_the_case(client_for, case_irsina, caseworker_irsina):
    change_status(case=case_irsina, to="closed", by=caseworker_irsina, closing_reason="other")
    client = client_for(caseworker_irsina)
    response = client.get(reverse("pua:assess", args=[case_irsina.pk]))
    assert response["Location"] == reverse("pua:case_detail", args=[case_irsina.pk])
    assert client.post(reverse("pua:assess", args=[case_irsina.pk]), ALL_LOW).status_code == 400
    assert not case_irsina.assessments.exists()


def test_assessment_page_saves_one_need_per_domain(client_for, caseworker_irsina, case_irsina):
    client = client_for(caseworker_irsina)
    url = reverse("pua:assess", args=[case_irsina.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "Needs data-protection training in force." in page.content.decode()  # health and legal locked
    data = {**ALL_LOW, "severity_work": "3", "notes_work": "No job", "notes_health": "Sneaked in"}
    response = client.post(url, data)
    assert response.status_code == 302
    needs = {need.domain: need for need in Need.objects.filter(assessment__case=case_irsina)}
    assert set(needs) == set(NeedDomain.values)
    assert needs["work"].severity == 3 and needs["work"].notes == "No job"
    assert not needs["health"].notes  # a disabled field ignores what is posted


def test_assessment_page_rejects_a_missing_severity(client_for, caseworker_irsina, case_irsina):
    data = dict(ALL_LOW)
    del data["severity_income"]
    response = client_for(caseworker_irsina).post(reverse("pua:assess", args=[case_irsina.pk]), data)
    assert response.status_code == 400
    assert not case_irsina.assessments.exists()


def test_case_page_hides_health_need_notes_from_untrained_staff(
    client_for, case_irsina, caseworker_irsina, supervisor_irsina, trained
):
    assess(case_irsina, caseworker_irsina, health="Diabetes", work="No job")
    trained_page = client_for(caseworker_irsina).get(reverse("pua:case_detail", args=[case_irsina.pk]))
    assert "Diabetes" in trained_page.content.decode()
    untrained_page = client_for(supervisor_irsina).get(reverse("pua:case_detail", args=[case_irsina.pk])).content
    assert "Diabetes" not in untrained_page.decode()
    assert "No job" in untrained_page.decode()
    assert "Visible with data-protection training in force." in untrained_page.decode()


def test_expired_training_hides_health_need_notes_at_once(client_for, case_irsina, caseworker_irsina, trained):
    assess(case_irsina, caseworker_irsina, health="Diabetes")
    trained.valid_until = timezone.localdate() - datetime.timedelta(days=1)
    trained.save()
    page = client_for(caseworker_irsina).get(reverse("pua:case_detail", args=[case_irsina.pk])).content.decode()
    assert "Diabetes" not in page


def test_goals_wait_for_the_assessment(case_irsina, caseworker_irsina):
    with pytest.raises(ValidationError):
        plan.add_goal(case=case_irsina, domain="work", description="Find work", by=caseworker_irsina)


def test_first_goal_makes_the_plan_active(case_irsina, caseworker_irsina):
    assess(case_irsina, caseworker_irsina)
    plan.add_goal(case=case_irsina, domain="work", description="Find work", by=caseworker_irsina)
    case_irsina.refresh_from_db()
    assert case_irsina.status == Case.Status.PLAN_ACTIVE
    plan.add_goal(case=case_irsina, domain="language", description="A2 Italian", by=caseworker_irsina)
    assert case_irsina.status_changes.filter(to_status=Case.Status.PLAN_ACTIVE).count() == 1


@pytest.fixture
def goal(case_irsina, caseworker_irsina) -> Goal:
    assess(case_irsina, caseworker_irsina)
    return plan.add_goal(case=case_irsina, domain="work", description="Find work", by=caseworker_irsina)


def test_action_owner_is_desk_staff_or_an_outside_label(goal, caseworker_irsina, caseworker_picerno):
    with pytest.raises(ValidationError):
        plan.add_action(goal=goal, description="CV", by=caseworker_irsina)
    with pytest.raises(ValidationError):
        plan.add_action(goal=goal, description="CV", owner=caseworker_picerno, by=caseworker_irsina)
    with pytest.raises(ValidationError):
        plan.add_action(goal=goal, description="CV", owner=caseworker_irsina, owner_label="X", by=caseworker_irsina)
    own = plan.add_action(goal=goal, description="CV", owner=caseworker_irsina, by=caseworker_irsina)
    outside = plan.add_action(goal=goal, description="Enrol", owner_label="The person", by=caseworker_irsina)
    assert {own.owner, outside.owner_label} == {caseworker_irsina, "The person"}


def test_care_plan_through_the_page(client_for, caseworker_irsina, case_irsina):
    client = client_for(caseworker_irsina)
    assert client.post(reverse("pua:assess", args=[case_irsina.pk]), ALL_LOW).status_code == 302
    response = client.post(
        reverse("pua:goal_add", args=[case_irsina.pk]), {"domain": "work", "description": "Find work"}
    )
    assert response.status_code == 302
    goal = case_irsina.goals.get()
    response = client.post(
        reverse("pua:action_add", args=[case_irsina.pk]),
        {"goal": goal.pk, "description": "Write a CV", "owner": caseworker_irsina.pk, "due_date": "2030-05-01"},
    )
    assert response.status_code == 302
    action = PlanAction.objects.get(goal=goal)
    assert action.due_date == datetime.date(2030, 5, 1)

    response = client.post(reverse("pua:action_add", args=[case_irsina.pk]), {"goal": goal.pk, "description": "X"})
    assert response.status_code == 400
    assert "Say who does it" in response.content.decode()

    assert client.post(reverse("pua:action_done", args=[action.pk]), {"outcome": "CV ready"}).status_code == 302
    action.refresh_from_db()
    assert action.done_at is not None and action.outcome == "CV ready"

    assert client.post(reverse("pua:goal_status", args=[goal.pk]), {"status": "achieved"}).status_code == 302
    goal.refresh_from_db()
    assert goal.status == Goal.Status.ACHIEVED

    page = client.get(reverse("pua:case_detail", args=[case_irsina.pk])).content.decode()
    assert "Write a CV" in page and "CV ready" in page and "Care plan active" in page


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p not in ("caseworker_irsina", "supervisor_irsina")])
def test_nobody_outside_the_desk_works_on_its_care_plan(request, client_for, goal, caseworker_irsina, persona):
    action = plan.add_action(goal=goal, description="CV", owner=caseworker_irsina, by=caseworker_irsina)
    client = client_for(request.getfixturevalue(persona))
    assert client.post(reverse("pua:goal_status", args=[goal.pk]), {"status": "dropped"}).status_code in (403, 404)
    assert client.post(reverse("pua:action_done", args=[action.pk]), {"outcome": "x"}).status_code in (403, 404)
    assert client.post(
        reverse("pua:action_add", args=[goal.case_id]), {"goal": goal.pk, "description": "y", "owner_label": "z"}
    ).status_code in (403, 404)
    goal.refresh_from_db()
    action.refresh_from_db()
    assert goal.status == Goal.Status.ACTIVE and action.done_at is None
    assert goal.actions.count() == 1
