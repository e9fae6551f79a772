"""Fixtures of the course and cultural-initiative tests: an Italian L2 course at IC Potenza that
started a month ago (10 planned hours, 2 places), one at IC Matera, a staff member of Potenza
and a helper that adds a past session of a given length."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.utils import timezone

from aipim.accounts.models import Role, User
from aipim.core.models import Organisation
from schools.models import Course, CourseSession, Enrolment, SchoolYear, Student


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def staff_school_potenza(make_member: Callable[..., User], school_potenza: Organisation) -> User:
    return make_member(Role.SCHOOL_STAFF, school_potenza, email="staff.potenza@example.org")


@pytest.fixture
def operator_school_matera(make_member: Callable[..., User], school_matera: Organisation) -> User:
    return make_member(Role.SCHOOL_OPERATOR, school_matera, email="operator.matera@example.org")


@pytest.fixture
def make_course(school_year: SchoolYear) -> Callable[..., Course]:
    def make(school: Organisation, **fields: object) -> Course:
        today = timezone.localdate()
        values: dict[str, object] = {
            "kind": Course.Kind.ITALIAN_L2,
            "title": "Italiano per comunicare",
            "cefr_level": "A2",
            "teacher_name": "Maria Rossi",
            "starts_on": today - datetime.timedelta(days=30),
            "ends_on": today + datetime.timedelta(days=60),
            "hours_planned": 10,
            "capacity": 2,
            "school_year": school_year,
        }
        values.update(fields)
        return Course.objects.create(school=school, **values)

    return make


@pytest.fixture
def course_potenza(make_course: Callable[..., Course], school_potenza: Organisation) -> Course:
    return make_course(school_potenza)


@pytest.fixture
def course_matera(make_course: Callable[..., Course], school_matera: Organisation) -> Course:
    return make_course(
        school_matera, title="Lingua tigrina", kind=Course.Kind.MOTHER_TONGUE, cefr_level="", language="ti"
    )


@pytest.fixture
def make_session() -> Callable[..., CourseSession]:
    """make_session(course, days_ago=1, hours=2) -> a session that took place `days_ago` days ago at 15:00."""

    def make(course: Course, *, days_ago: int = 1, hours: float | Decimal = 2, **fields: object) -> CourseSession:
        day = timezone.localdate() - datetime.timedelta(days=days_ago)
        starts_at = datetime.datetime.combine(day, datetime.time(15), tzinfo=timezone.get_current_timezone())
        ends_at = starts_at + datetime.timedelta(hours=float(hours))
        return CourseSession.objects.create(course=course, starts_at=starts_at, ends_at=ends_at, **fields)

    return make


@pytest.fixture
def enrolment_potenza(course_potenza: Course, student_potenza: Student) -> Enrolment:
    return Enrolment.objects.create(
        course=course_potenza, student=student_potenza, enrolled_on=course_potenza.starts_on
    )
