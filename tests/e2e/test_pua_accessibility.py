"""WCAG 2.1 AA with axe-core on the PUA pages, in the two staff languages, with data on them: a case
assessed, with a care plan, tasks (one overdue), notes, a referral sent to the job centre and an
appointment; training records; the supervisor's dashboard. Same rules as test_accessibility.py, and
the new_page fixture fails the test on any CSP violation, script error or console error."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from aipim.core.models import Consent, Organisation
from pua.models import Case, Need, NeedDomain, Note
from pua.services import appointments, plan, referrals, training
from pua.services.cases import open_case
from pua.services.notes import add_note
from tests.e2e.conftest import axe_violations
from tests.factories import ConsentFactory, OrganisationFactory, PersonFactory, ServiceFactory, municipality


@pytest.fixture
def irsina_at_work(desk_irsina, caseworker_irsina, supervisor_irsina) -> dict[str, Any]:
    """A day's worth of data at the Irsina desk, written through the services as the pages would."""
    today = timezone.localdate()
    course = training.add_course(
        title="Data protection for desk staff",
        hours=Decimal("8"),
        data_protection=True,
        valid_for_days=730,
        by=supervisor_irsina,
    )
    session = training.add_session(
        course=course,
        starts_at=timezone.now() - datetime.timedelta(days=30),
        hours=Decimal("8"),
        place="Sala consiliare, Irsina",
        by=supervisor_irsina,
    )
    for user in (caseworker_irsina, supervisor_irsina):
        training.record_training(
            user=user,
            desk=desk_irsina,
            course=course,
            session=session,
            completed_on=today - datetime.timedelta(days=30),
            hours_attended=Decimal("8"),
            certificate_reference="DP-2026-01",
            by=supervisor_irsina,
        )

    person = PersonFactory(
        given_names="Mohamed", family_names="Abdel Aziz", preferred_language="ar", organisation=desk_irsina
    )
    for purpose in (Consent.Purpose.CASE_MANAGEMENT, Consent.Purpose.JOB_SHARING):
        ConsentFactory(person=person, purpose=purpose, organisation=desk_irsina, recorded_by=caseworker_irsina)
    case = open_case(person=person, desk=desk_irsina, by=caseworker_irsina, caseworker=caseworker_irsina)
    plan.record_assessment(
        case=case,
        needs=[
            (NeedDomain.WORK, Need.Severity.HIGH, "Welder, looking for work."),
            (NeedDomain.HEALTH, Need.Severity.MEDIUM, "Follow-up visit at the clinic."),
            (NeedDomain.LANGUAGE, Need.Severity.LOW, ""),
        ],
        by=caseworker_irsina,
    )
    goal = plan.add_goal(case=case, domain=NeedDomain.WORK, description="A job within six months", by=caseworker_irsina)
    plan.add_action(
        goal=goal,
        description="Enrol at the job centre",
        owner=caseworker_irsina,
        due_date=today + datetime.timedelta(days=14),
        by=caseworker_irsina,
    )
    plan.add_task(
        case=case,
        title="Call the job centre back",
        due_date=today - datetime.timedelta(days=3),
        assigned_to=caseworker_irsina,
        by=caseworker_irsina,
    )
    plan.add_task(
        case=case,
        title="Copy of the residence permit",
        due_date=today + datetime.timedelta(days=7),
        by=caseworker_irsina,
    )
    add_note(case=case, body="Came with his brother, who translated.", by=caseworker_irsina)
    add_note(case=case, body="Asked not to be called at work.", restricted=True, by=caseworker_irsina)
    add_note(case=case, body="Waiting list at the clinic.", kind=Note.Kind.HEALTH, by=caseworker_irsina)

    provider = OrganisationFactory(
        name="Centro per l'impiego di Irsina",
        code="CPI-IRS-E2E",
        kind=Organisation.Kind.SERVICE_PROVIDER,
        municipality=municipality("Irsina"),
    )
    service = ServiceFactory(organisation=provider, name="Job placement", category="work", email="cpi@example.org")
    referral = referrals.create_referral(
        case=case, service=service, reason="Enrolment in the job placement programme.", by=caseworker_irsina
    )
    referrals.send_referral(referral=referral, by=caseworker_irsina)
    starts_at = timezone.make_aware(datetime.datetime.combine(today, datetime.time(10, 0)))
    appointment = appointments.book_appointment(
        case=case,
        caseworker=caseworker_irsina,
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(minutes=45),
        purpose="Interview before the job centre",
        by=caseworker_irsina,
    )
    case.refresh_from_db()
    assert case.status == Case.Status.PLAN_ACTIVE
    return {"case": case, "referral": referral, "appointment": appointment}


def check_pages(page: Any, paths: list[str]) -> dict[str, list[str]]:
    failures = {}
    for path in paths:
        response = page.goto(path)
        assert response.status == 200, path
        problems = axe_violations(page)
        if problems:
            failures[path] = problems
    return failures


@pytest.mark.parametrize("language", ["it", "en"])
def test_caseworker_pua_pages_pass_axe(new_page, irsina_at_work, caseworker_irsina, language):
    case, referral, appointment = irsina_at_work["case"], irsina_at_work["referral"], irsina_at_work["appointment"]
    page = new_page(language=language, user=caseworker_irsina)
    week = appointments.week_name(appointments.week_start(None))
    case_path = reverse("pua:case_detail", args=[case.pk])
    failures = check_pages(
        page,
        [
            reverse("pua:home"),
            reverse("pua:intake"),
            reverse("pua:intake_new_person"),
            reverse("pua:case_list"),
            case_path,
            reverse("pua:assess", args=[case.pk]),
            reverse("pua:referral_add", args=[case.pk]),
            reverse("pua:referral_detail", args=[referral.pk]),
            reverse("pua:appointment_add", args=[case.pk]),
            reverse("pua:desk_calendar") + f"?week={week}",
            reverse("pua:my_calendar") + f"?week={week}",
            reverse("pua:overdue_tasks"),
            reverse("pua:overdue_referrals"),
            reverse("pua:document_upload", args=[case.pk]),
            reverse("pua:case_share_request", args=[case.pk]),
            reverse("pua:incoming_shares"),
            reverse("pua:break_glass"),
            reverse("pua:training_list"),
        ],
    )
    # The pages show the data, not empty states.
    page.goto(reverse("pua:desk_calendar") + f"?week={week}")
    assert page.get_by_text(appointment.purpose).count() == 1
    page.goto(reverse("pua:overdue_tasks"))
    assert page.get_by_text("Call the job centre back").count() == 1
    page.goto(case_path)
    assert page.get_by_text("Came with his brother, who translated.").count() == 1
    assert page.get_by_role("link", name="Job placement").count() == 1

    # The intake's search results: a table of people found (searched by POST, names stay out of URLs).
    page.goto(reverse("pua:intake"))
    page.locator('main form[role=search] input[name="name"]').fill("Muhammad Abdelaziz")
    page.locator("main form[role=search] button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("main table tbody tr").count() == 1
    problems = axe_violations(page)
    if problems:
        failures["intake search results"] = problems

    assert failures == {}


@pytest.mark.parametrize("language", ["it", "en"])
def test_supervisor_pua_pages_pass_axe(new_page, irsina_at_work, supervisor_irsina, language):
    page = new_page(language=language, user=supervisor_irsina)
    failures = check_pages(
        page,
        [
            reverse("pua:home"),
            reverse("pua:dashboard"),
            reverse("pua:dashboard_tasks"),
            reverse("pua:case_list"),
            reverse("pua:training_list"),
            reverse("pua:training_coverage"),
            reverse("pua:training_record_add"),
            reverse("pua:break_glass_review"),
            reverse("pua:merge_people"),
        ],
    )
    page.goto(reverse("pua:dashboard"))
    assert page.locator("main table").count() > 0
    assert failures == {}
