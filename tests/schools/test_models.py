"""The model contract: computed properties, defaults, constraints and for_user scoping."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction
from django.utils import timezone
from pghistory.models import Event

from aipim.accounts.models import User
from aipim.core.models import Organisation, Person
from schools.models import (
    AttendanceRecord,
    Course,
    Guardian,
    MessageTemplate,
    RiskSettings,
    SchoolClass,
    SchoolYear,
    Stage,
    Student,
    usual_age_for,
)
from tests.personas import PERSONAS

pytestmark = pytest.mark.django_db


def test_usual_age_follows_stage_and_grade(school_potenza: Organisation, school_year: SchoolYear) -> None:
    assert usual_age_for(Stage.PRIMARY, 1) == 6
    assert usual_age_for(Stage.LOWER_SECONDARY, 2) == 12
    assert usual_age_for(Stage.UPPER_SECONDARY, 5) == 18
    school_class = SchoolClass.objects.create(
        school=school_potenza, school_year=school_year, name="3A", stage=Stage.PRIMARY, grade=3
    )
    assert school_class.usual_age == 8


def test_current_school_year(school_year: SchoolYear) -> None:
    assert SchoolYear.current() == school_year
    assert SchoolYear.current(school_year.starts_on - datetime.timedelta(days=400)) is None


def test_fixtures_follow_the_contract(student_potenza: Student, student_matera: Student) -> None:
    assert student_potenza.school_class is not None
    assert student_potenza.school_class.grade == 2
    assert student_potenza.is_newly_arrived
    assert not student_matera.is_newly_arrived
    assert student_potenza.age_grade_gap == 0
    guardian = student_potenza.guardians.get()
    assert guardian.person.preferred_language == "ar"
    purposes = set(student_potenza.person.consents.in_force().values_list("purpose", flat=True))
    assert purposes == {"school_support", "communications"}
    # Sensitive notes are stored encrypted.
    student = Student.objects.get(pk=student_potenza.pk)
    assert student.sensitive_notes == "Father's residence permit under renewal."


def test_age_grade_gap_counts_whole_years_older(
    make_student: Callable[..., Student], school_potenza: Organisation, class_potenza: SchoolClass
) -> None:
    start = class_potenza.school_year.starts_on
    older = make_student(school_potenza, school_class=class_potenza, birth_date=start.replace(year=start.year - 14))
    nearly = make_student(
        school_potenza,
        school_class=class_potenza,
        birth_date=start.replace(year=start.year - 14) + datetime.timedelta(days=1),
    )
    younger = make_student(school_potenza, school_class=class_potenza, birth_date=start.replace(year=start.year - 11))
    no_class = make_student(school_potenza)
    assert older.age_grade_gap == 2
    assert nearly.age_grade_gap == 1
    assert younger.age_grade_gap == 0
    assert no_class.age_grade_gap == 0


def test_register_id_unique_per_school_but_blank_allowed(
    make_student: Callable[..., Student], school_potenza: Organisation, school_matera: Organisation
) -> None:
    make_student(school_potenza, register_id="A1")
    make_student(school_matera, register_id="A1")
    make_student(school_potenza, register_id="")
    make_student(school_potenza, register_id="")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_student(school_potenza, register_id="A1")


def test_one_current_enrolment_per_person_and_school(
    make_student: Callable[..., Student], school_potenza: Organisation
) -> None:
    first = make_student(school_potenza)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_student(school_potenza, person=first.person)
    first.left_on = datetime.date.today()
    first.leaving_reason = Student.LeavingReason.MOVED
    first.save()
    make_student(school_potenza, person=first.person)


def test_attendance_once_per_day(student_potenza: Student) -> None:
    day = datetime.date.today()
    AttendanceRecord.objects.create(student=student_potenza, date=day, status="present")
    with pytest.raises(IntegrityError), transaction.atomic():
        AttendanceRecord.objects.create(student=student_potenza, date=day, status="absent")


def test_italian_l2_course_needs_a_cefr_level(school_potenza: Organisation, school_year: SchoolYear) -> None:
    fields = dict(
        school=school_potenza,
        kind=Course.Kind.ITALIAN_L2,
        title="Italiano L2",
        teacher_name="M. Rossi",
        starts_on=school_year.starts_on,
        ends_on=school_year.ends_on,
        hours_planned=40,
        school_year=school_year,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Course.objects.create(**fields)
    Course.objects.create(**fields, cefr_level="A2")


def test_risk_settings_for_school_defaults(school_potenza: Organisation) -> None:
    settings = RiskSettings.for_school(school_potenza)
    assert settings.pk is None
    assert settings.high_at == 4
    settings.save()
    assert RiskSettings.for_school(school_potenza.pk).pk == settings.pk


def test_regional_template_code_is_unique(school_potenza: Organisation) -> None:
    MessageTemplate.objects.create(code="absence", name="Absence")
    MessageTemplate.objects.create(school=school_potenza, code="absence", name="Absence at Potenza")
    with pytest.raises(IntegrityError), transaction.atomic():
        MessageTemplate.objects.create(code="absence", name="Again")


@pytest.mark.parametrize("persona", PERSONAS)
def test_students_for_user(
    persona: str, request: pytest.FixtureRequest, student_potenza: Student, student_matera: Student
) -> None:
    user: User = request.getfixturevalue(persona)
    seen = set(Student.objects.for_user(user))
    guardians = set(Guardian.objects.for_user(user).values_list("student_id", flat=True))
    expected = {
        "operator_school_potenza": {student_potenza},
        "staff_school_matera": {student_matera},
    }.get(persona, set())
    assert seen == expected
    assert guardians == {student.pk for student in expected}


def test_every_model_with_personal_data_is_scoped() -> None:
    """Every model of the app that points at a Student or a school has for_user (beyond aipim.E001)."""
    unscoped = []
    for model in apps.get_app_config("schools").get_models():
        if issubclass(model, Event):
            continue  # pghistory's history tables, read through the admin site only
        if model._meta.model_name in {"schoolyear", "messagetemplatetranslation"}:
            continue  # reference data with no school and no pupil
        if not hasattr(model._default_manager, "for_user"):
            unscoped.append(model.__name__)
    assert unscoped == []


def test_person_of_a_student_is_visible_to_its_school(
    student_potenza: Student, operator_school_potenza: User, staff_school_matera: User
) -> None:
    guardian_person = student_potenza.guardians.get().person
    assert set(Person.objects.for_user(operator_school_potenza)) >= {student_potenza.person, guardian_person}
    assert not Person.objects.for_user(staff_school_matera).filter(pk=student_potenza.person_id).exists()


def test_student_history_records_changes_but_not_the_risk_level(student_potenza: Student) -> None:
    events = apps.get_model("schools", "StudentEvent").objects.filter(pgh_obj=student_potenza)
    before = events.count()
    Student.objects.filter(pk=student_potenza.pk).update(risk_level="high", risk_updated_at=timezone.now())
    assert events.count() == before
    Student.objects.filter(pk=student_potenza.pk).update(register_id="NEW-1")
    assert events.count() == before + 1
