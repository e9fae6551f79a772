"""Fixtures of the help-desk, intervention and message tests: a desk at IC Potenza with opening
hours, the regional message templates, and a high-risk signal for the Potenza pupil."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from aipim.core.models import Organisation
from schools.models import HelpDesk, OpeningHours, RiskLevel, RiskSignal, Student
from schools.services.messages import ensure_regional_templates


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def regional_templates(db: None) -> None:
    ensure_regional_templates()


@pytest.fixture
def desk_potenza(school_potenza: Organisation) -> HelpDesk:
    desk = HelpDesk.objects.create(school=school_potenza, name="Sportello Potenza", languages=["ar", "fr"])
    OpeningHours.objects.create(help_desk=desk, weekday=0, opens=datetime.time(9), closes=datetime.time(12))
    OpeningHours.objects.create(help_desk=desk, weekday=2, opens=datetime.time(14), closes=datetime.time(16))
    return desk


@pytest.fixture
def desk_matera(school_matera: Organisation) -> HelpDesk:
    return HelpDesk.objects.create(school=school_matera, name="Sportello Matera", languages=["ti"])


@pytest.fixture
def high_signal(student_potenza: Student) -> RiskSignal:
    return RiskSignal.objects.create(
        student=student_potenza,
        computed_at=timezone.now(),
        level=RiskLevel.HIGH,
        score=5,
        indicators=[],
        previous_level=RiskLevel.MEDIUM,
    )


@pytest.fixture
def potenza_records(
    student_potenza, desk_potenza, operator_school_potenza, regional_templates, high_signal
) -> dict[str, object]:
    """One of each record at IC Potenza: a booked slot, a walk-in, a support case with a note and
    an action, an intervention and a family message."""
    from schools.services import helpdesk, interventions, messages

    now = timezone.now().replace(microsecond=0)
    slot = helpdesk.create_slot(
        desk=desk_potenza,
        starts_at=now + datetime.timedelta(days=1),
        ends_at=now + datetime.timedelta(days=1, minutes=30),
        mediator_name="Samira Benali",
        language="ar",
        by=operator_school_potenza,
    )
    helpdesk.book_slot(slot=slot, by=operator_school_potenza, student=student_potenza)
    walk_in = helpdesk.log_walk_in(
        desk=desk_potenza,
        at=now - datetime.timedelta(hours=1),
        topic="enrolment",
        by=operator_school_potenza,
        student=student_potenza,
        language="ar",
        notes="Asked about the school bus",
    )
    case = helpdesk.open_case(
        school=student_potenza.school, students=[student_potenza], title="Haddad family", by=operator_school_potenza
    )
    helpdesk.add_case_note(case=case, body="The mother works nights.", by=operator_school_potenza)
    action = helpdesk.add_action(case=case, title="Call the family", by=operator_school_potenza)
    intervention = interventions.create_intervention(
        student=student_potenza,
        kind="tutoring",
        starts_on=timezone.localdate(),
        by=operator_school_potenza,
        support_case=case,
    )
    message = messages.draft_message(student=student_potenza, template_code="meeting", by=operator_school_potenza)
    return {
        "desk": desk_potenza,
        "slot": slot,
        "walk_in": walk_in,
        "case": case,
        "action": action,
        "intervention": intervention,
        "message": message,
        "student": student_potenza,
    }
