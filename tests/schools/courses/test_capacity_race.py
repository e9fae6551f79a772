"""Two operators enrol two pupils for the last place at the same moment: one gets it, the other is
told the course is full. The negative control takes the row lock away and shows that the same
race then oversells, so the test can catch the bug."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection

from aipim.core.models import Consent
from schools.models import Course, Enrolment, Student
from schools.services import courses as service
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db(transaction=True)


def pupil_with_consent(course: Course, operator) -> Student:
    person = PersonFactory()
    Consent.objects.create(
        person=person,
        purpose=Consent.Purpose.SCHOOL_SUPPORT,
        organisation=course.school,
        evidence="signed form",
        recorded_by=operator,
    )
    return Student.objects.create(
        person=person, school=course.school, register_id=f"R{person.pk}", enrolled_on=datetime.date(2025, 9, 1)
    )


def race(course: Course, students: list[Student], operator) -> list[str]:
    """Enrol each student in its own thread, each with its own database connection."""
    outcomes: list[str] = []
    lock = threading.Lock()

    def enrol(student: Student) -> None:
        try:
            service.enrol_student(course=course, student=student, by=operator)
            result = "enrolled"
        except service.CourseFull:
            result = "full"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=enrol, args=(student,)) for student in students]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(outcomes)


@pytest.fixture
def last_place(course_potenza, operator_school_potenza):
    course_potenza.capacity = 1
    course_potenza.save()
    return course_potenza


def test_two_enrolments_for_the_last_place(last_place, operator_school_potenza, monkeypatch):
    students = [pupil_with_consent(last_place, operator_school_potenza) for _ in range(2)]
    barrier = threading.Barrier(2, timeout=10)
    check_consent = service.require_consent

    def consent_then_meet(person, purpose):
        check_consent(person, purpose)
        barrier.wait()  # both are past the consent check and about to take the place

    monkeypatch.setattr(service, "require_consent", consent_then_meet)
    assert race(last_place, students, operator_school_potenza) == ["enrolled", "full"]
    assert Enrolment.objects.filter(course=last_place).count() == 1


def test_negative_control_without_the_lock_the_course_oversells(last_place, operator_school_potenza, monkeypatch):
    students = [pupil_with_consent(last_place, operator_school_potenza) for _ in range(2)]
    barrier = threading.Barrier(2, timeout=10)
    create = Enrolment.objects.create

    class NoLock:
        """Course.objects with select_for_update turned into a plain read."""

        def __getattr__(self, name):
            return getattr(Course._default_manager, name)

        def select_for_update(self, **kwargs):
            return Course._default_manager.all()

    def meet_then_create(**fields):
        barrier.wait()  # both have counted the places taken before either writes
        return create(**fields)

    monkeypatch.setattr(service.Course, "objects", NoLock())
    monkeypatch.setattr(service.Enrolment.objects, "create", meet_then_create)
    assert race(last_place, students, operator_school_potenza) == ["enrolled", "enrolled"]
    assert Enrolment.objects.filter(course=last_place).count() == 2
