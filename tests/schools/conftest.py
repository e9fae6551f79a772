"""Shared fixtures of the schools app (tests/schools/<area>/ see them too).

`school_year` is the current school year; `class_potenza` a class 2B (lower secondary, grade 2) of
IC Potenza whose coordinator is the operator; `student_potenza` a pupil of it with a guardian who
prefers Arabic and consents SCHOOL_SUPPORT and COMMUNICATIONS given by that guardian;
`student_matera` a pupil of IC Matera; `make_student(school, **fields)` builds more."""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Callable
from typing import Any

import pytest

from aipim.accounts.models import User
from aipim.core.models import Consent, Organisation, Person, PersonLink
from schools.models import LINK_GUARDIAN, LINK_STUDENT, Guardian, SchoolClass, SchoolYear, Stage, Student
from tests.factories import PersonFactory

_register_ids = itertools.count(1)
_PERSON_FIELDS = {field.name for field in Person._meta.get_fields()} - {"id"}
_STUDENT_FIELDS = {field.name for field in Student._meta.get_fields()}


def current_school_year_dates(today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    """1 September to 30 June of the school year that contains `today` (in summer: the one about to start)."""
    day = today or datetime.date.today()
    start_year = day.year if day.month >= 7 else day.year - 1
    return datetime.date(start_year, 9, 1), datetime.date(start_year + 1, 6, 30)


@pytest.fixture
def school_year(db: None) -> SchoolYear:
    starts_on, ends_on = current_school_year_dates()
    year, _ = SchoolYear.objects.get_or_create(
        name=SchoolYear.name_for(starts_on), defaults={"starts_on": starts_on, "ends_on": ends_on}
    )
    return year


@pytest.fixture
def class_potenza(school_potenza: Organisation, school_year: SchoolYear, operator_school_potenza: User) -> SchoolClass:
    return SchoolClass.objects.create(
        school=school_potenza,
        school_year=school_year,
        name="2B",
        stage=Stage.LOWER_SECONDARY,
        grade=2,
        referent=operator_school_potenza,
    )


@pytest.fixture
def class_matera(school_matera: Organisation, school_year: SchoolYear) -> SchoolClass:
    return SchoolClass.objects.create(
        school=school_matera, school_year=school_year, name="1A", stage=Stage.LOWER_SECONDARY, grade=1
    )


@pytest.fixture
def make_student(db: None) -> Callable[..., Student]:
    """make_student(school, **fields) -> a current Student of `school` with its own Person, linked to
    the school. Keywords that are Person fields (given_names, birth_date, languages...) go to the
    Person; the others to the Student (school_class, register_id, arrived_in_italy_on, referent...).
    Pass person=... to enrol an existing Person."""

    def make(school: Organisation, **fields: Any) -> Student:
        person = fields.pop("person", None)
        person_fields = {name: fields.pop(name) for name in list(fields) if name in _PERSON_FIELDS - _STUDENT_FIELDS}
        if person is None:
            school_class = fields.get("school_class")
            start = school_class.school_year.starts_on if school_class else datetime.date.today()
            usual_age = school_class.usual_age if school_class else 11
            person_fields.setdefault("birth_date", start.replace(year=start.year - usual_age, month=3, day=15))
            person_fields.setdefault("languages", ["ar", "it"])
            person = PersonFactory(**person_fields)
        PersonLink.objects.get_or_create(person=person, organisation=school, reason=LINK_STUDENT, ended_at=None)
        fields.setdefault("register_id", f"R{next(_register_ids):05d}")
        fields.setdefault("first_language", (person.languages or ["ar"])[0])
        fields.setdefault("enrolled_on", datetime.date.today() - datetime.timedelta(days=200))
        return Student.objects.create(person=person, school=school, **fields)

    return make


def add_guardian(
    student: Student, *, relationship: str = Guardian.Relationship.MOTHER, **person_fields: Any
) -> Guardian:
    """A guardian (a new Person, linked to the student's school) of `student`."""
    person_fields.setdefault("birth_date", datetime.date(1985, 5, 20))
    person = PersonFactory(**person_fields)
    PersonLink.objects.get_or_create(person=person, organisation=student.school, reason=LINK_GUARDIAN, ended_at=None)
    return Guardian.objects.create(student=student, person=person, relationship=relationship, is_primary_contact=True)


@pytest.fixture
def student_potenza(
    make_student: Callable[..., Student],
    school_potenza: Organisation,
    class_potenza: SchoolClass,
    operator_school_potenza: User,
) -> Student:
    student = make_student(
        school_potenza,
        school_class=class_potenza,
        given_names="Amina",
        family_names="Haddad",
        sex=Person.Sex.FEMALE,
        citizenship="MA",
        languages=["ar", "fr"],
        preferred_language="ar",
        first_language="ar",
        arrived_in_italy_on=datetime.date.today() - datetime.timedelta(days=400),
        referent=operator_school_potenza,
        sensitive_notes="Father's residence permit under renewal.",
    )
    guardian = add_guardian(
        student,
        given_names="Fatima",
        family_names="Haddad",
        languages=["ar"],
        preferred_language="ar",
        email="fatima.haddad@example.org",
    )
    for purpose in (Consent.Purpose.SCHOOL_SUPPORT, Consent.Purpose.COMMUNICATIONS):
        Consent.objects.create(
            person=student.person,
            purpose=purpose,
            organisation=school_potenza,
            evidence="signed form",
            given_by_name=str(guardian.person),
            recorded_by=operator_school_potenza,
        )
    return student


@pytest.fixture
def student_matera(
    make_student: Callable[..., Student], school_matera: Organisation, class_matera: SchoolClass
) -> Student:
    student = make_student(
        school_matera,
        school_class=class_matera,
        given_names="Yonas",
        family_names="Tesfaye",
        sex=Person.Sex.MALE,
        citizenship="ER",
        languages=["ti", "en"],
        preferred_language="ti",
        first_language="ti",
        arrived_in_italy_on=datetime.date.today() - datetime.timedelta(days=1500),
    )
    add_guardian(
        student,
        relationship=Guardian.Relationship.FATHER,
        given_names="Dawit",
        family_names="Tesfaye",
        sex=Person.Sex.MALE,
        languages=["ti", "en"],
        preferred_language="ti",
    )
    return student
