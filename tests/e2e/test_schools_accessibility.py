"""WCAG 2.1 AA with axe-core on the main schools pages, in the two staff languages, with data on them:
an attendance import done that made a pupil high risk (which opened a case and drafted a message),
an intervention, a message sent in Arabic, an Italian L2 course with the pupil enrolled, a help desk
with its hours; and the family's acknowledgement page in Arabic, right to left. Same rules as
test_pua_accessibility.py; the new_page fixture fails a test on any CSP violation, script error or
console error (but the student page's known inline style, see test_schools_journey.py)."""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import urlparse

import pytest
from django.urls import reverse
from django.utils import timezone

from schools.models import Course, FamilyMessage, HelpDesk, RegisterImport, Student
from schools.services import courses as courses_service
from schools.services import helpdesk as helpdesk_service
from schools.services import imports as imports_service
from schools.services import interventions as interventions_service
from schools.services import messages as messages_service
from tests.e2e.conftest import axe_violations
from tests.e2e.test_schools_journey import attendance_csv, last_weekdays
from tests.schools import conftest as schools_fixtures

# The schools' fixtures (tests/schools/conftest.py), made visible to this folder.
school_year = schools_fixtures.school_year
class_potenza = schools_fixtures.class_potenza
make_student = schools_fixtures.make_student
student_potenza = schools_fixtures.student_potenza


@pytest.fixture
def potenza_at_work(operator_school_potenza, student_potenza, school_year) -> dict[str, Any]:
    """A school day's worth of data at IC Potenza, written through the services as the pages would."""
    operator, student = operator_school_potenza, student_potenza
    today = timezone.localdate()
    messages_service.ensure_regional_templates()

    register_import = imports_service.upload_import(
        school=student.school,
        kind="attendance",
        data=attendance_csv(student, last_weekdays(10, today)),
        original_name="assenze-2B.csv",
        by=operator,
    )
    imports_service.preview_import(
        register_import=register_import,
        mapping={"register_id": "Codice alunno", "student_name": "Alunno", "date": "Data lezione", "status": "Assenza"},
        by=operator,
    )
    imports_service.confirm_import(register_import=register_import, by=operator)
    register_import.refresh_from_db()
    assert register_import.status == RegisterImport.Status.DONE
    student.refresh_from_db()
    assert student.risk_level == "high"

    interventions_service.create_intervention(
        student=student, kind="italian_l2", starts_on=today, owner=operator, by=operator
    )
    message = messages_service.draft_message(student=student, template_code="meeting", by=operator)
    messages_service.send_message(message=message, by=operator)

    course = courses_service.create_course(
        school=student.school,
        by=operator,
        kind=Course.Kind.ITALIAN_L2,
        title="Italiano per lo studio",
        cefr_level="A2",
        teacher_name="Maria Lopez",
        starts_on=today - datetime.timedelta(days=30),
        ends_on=today + datetime.timedelta(days=90),
        hours_planned=40,
        capacity=12,
        school_year=school_year,
    )
    courses_service.enrol_student(course=course, student=student, by=operator)

    desk = helpdesk_service.save_desk(
        desk=HelpDesk(
            school=student.school, name="Sportello interculturale", languages=["ar", "fr"], location="Piano terra"
        ),
        by=operator,
    )
    helpdesk_service.set_opening_hours(
        desk=desk,
        hours=[(0, datetime.time(9), datetime.time(12)), (2, datetime.time(14), datetime.time(16))],
        by=operator,
    )
    return {"student": student, "message": message, "course": course, "desk": desk, "import": register_import}


def staff_pages(student: Student) -> dict[str, str]:
    return {
        "student list": reverse("schools:student_list"),
        "student page": reverse("schools:student_detail", args=[student.pk]),
        "at-risk list": reverse("schools:risk_list"),
        "imports list": reverse("schools:import_list"),
        "courses list": reverse("schools:course_list"),
        "help desks": reverse("schools:helpdesk_list"),
        "messages list": reverse("schools:message_list"),
    }


# Text each page must show, so that axe checks the pages with their data and not their empty states.
SHOWN = {
    "student list": "Haddad",
    "student page": "Haddad",
    "at-risk list": "Haddad",
    "imports list": "assenze-2B.csv",
    "courses list": "Italiano per lo studio",
    "help desks": "Sportello interculturale",
    "messages list": "Haddad",
}


@pytest.mark.parametrize("language", ["it", "en"])
@pytest.mark.parametrize("name", list(SHOWN))
def test_schools_page_passes_axe(new_page, browser_problems, potenza_at_work, operator_school_potenza, name, language):
    page = new_page(language=language, user=operator_school_potenza)
    path = staff_pages(potenza_at_work["student"])[name]
    response = page.goto(path)
    assert response.status == 200, path
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator("main").get_by_text(SHOWN[name]).count() > 0, f"{name}: no data shown"
    problems = axe_violations(page)
    assert problems == [], f"{name} ({language})"


def test_family_acknowledgement_page_in_arabic_passes_axe(new_page, potenza_at_work):
    message = potenza_at_work["message"]
    assert message.language == "ar"
    assert FamilyMessage.objects.get(pk=message.pk).status == FamilyMessage.Status.SENT
    family = new_page(language="it")
    response = family.goto(urlparse(messages_service.ack_link(message)).path)
    assert response.status == 200
    assert family.locator("html").get_attribute("lang") == "ar"
    assert family.locator("html").get_attribute("dir") == "rtl"
    assert family.locator("main article").get_attribute("dir") == "rtl"
    assert family.locator("main form button[type=submit]").count() == 1
    assert axe_violations(family) == []
