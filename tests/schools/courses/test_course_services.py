"""The rules of courses: fields, sessions, enrolment (same school, consent, capacity), withdrawal,
the attendance register and the hours it adds up to, and who may get a certificate."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from aipim.core.models import AuditEvent, Consent
from aipim.core.services import ConsentMissing
from schools.models import Course, CourseSession, Enrolment, SessionAttendance, Student
from schools.services import courses as service
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def course_fields(**overrides):
    today = timezone.localdate()
    fields = {
        "kind": Course.Kind.ITALIAN_L2,
        "title": "Italiano A1",
        "cefr_level": "A1",
        "language": "",
        "teacher_name": "Maria Rossi",
        "starts_on": today,
        "ends_on": today + datetime.timedelta(days=90),
        "hours_planned": 30,
        "capacity": 12,
    }
    fields.update(overrides)
    return fields


# --- course fields ----------------------------------------------------------------------------


def test_italian_l2_needs_a_cefr_level(school_potenza, school_year, operator_school_potenza):
    with pytest.raises(ValidationError) as error:
        service.create_course(
            school=school_potenza, school_year=school_year, by=operator_school_potenza, **course_fields(cefr_level="")
        )
    assert "cefr_level" in error.value.message_dict


@pytest.mark.parametrize("code", ["en", "fr", "de", "ro", "pt-BR", "PL", "deu", "ell", "ga"])
def test_a_foreign_language_course_refuses_an_eu_language(code, school_potenza, school_year, operator_school_potenza):
    fields = course_fields(kind=Course.Kind.FOREIGN_LANGUAGE, cefr_level="", language=code)
    with pytest.raises(ValidationError) as error:
        service.create_course(school=school_potenza, school_year=school_year, by=operator_school_potenza, **fields)
    assert "official language of the European Union" in error.value.message_dict["language"][0]
    assert not Course.objects.exists()


@pytest.mark.parametrize("code", ["ar", "zh", "uk", "sq", "ru", "ti", "zh-Hans"])
def test_a_foreign_language_course_teaches_a_non_eu_language(
    code, school_potenza, school_year, operator_school_potenza
):
    fields = course_fields(kind=Course.Kind.FOREIGN_LANGUAGE, cefr_level="", language=code)
    course = service.create_course(school=school_potenza, school_year=school_year, by=operator_school_potenza, **fields)
    assert course.language == code.lower()
    assert AuditEvent.objects.filter(action="course.create", object_id=str(course.pk)).exists()


def test_eu_language_list_has_the_24_official_languages():
    two_letter = {code for code in service.EU_OFFICIAL_LANGUAGES if len(code) == 2}
    assert len(two_letter) == 24


def test_a_mother_tongue_course_names_its_language(school_potenza, school_year, operator_school_potenza):
    with pytest.raises(ValidationError) as error:
        service.create_course(
            school=school_potenza,
            school_year=school_year,
            by=operator_school_potenza,
            **course_fields(kind=Course.Kind.MOTHER_TONGUE, cefr_level=""),
        )
    assert "language" in error.value.message_dict


def test_an_intercultural_lab_has_no_cefr_level_and_a_course_ends_after_it_starts():
    with pytest.raises(ValidationError) as error:
        service.check_course(
            kind=Course.Kind.INTERCULTURAL_LAB,
            cefr_level="A1",
            language="",
            starts_on=datetime.date(2026, 10, 1),
            ends_on=datetime.date(2026, 9, 1),
        )
    assert set(error.value.message_dict) == {"cefr_level", "ends_on"}


def test_only_operators_of_the_school_create_its_courses(
    school_potenza, school_year, staff_school_potenza, operator_school_matera
):
    for user in (staff_school_potenza, operator_school_matera):
        with pytest.raises(PermissionDenied):
            service.create_course(school=school_potenza, school_year=school_year, by=user, **course_fields())


def test_capacity_cannot_go_below_the_students_enrolled(course_potenza, enrolment_potenza, operator_school_potenza):
    Enrolment.objects.create(course=course_potenza, student=_other_student(course_potenza))
    with pytest.raises(ValidationError) as error:
        service.update_course(course=course_potenza, by=operator_school_potenza, capacity=1)
    assert "capacity" in error.value.message_dict
    course = service.update_course(course=course_potenza, by=operator_school_potenza, capacity=5, title="Italiano A2+")
    assert (course.capacity, course.title) == (5, "Italiano A2+")
    change = AuditEvent.objects.get(action="course.change")
    assert change.details["fields"] == ["capacity", "title"]


def _other_student(course, **fields):
    """Another pupil of the course's school (without consent: enrolled directly in the table)."""
    person = PersonFactory()
    return Student.objects.create(
        person=person,
        school=course.school,
        register_id=f"X{person.pk}",
        enrolled_on=datetime.date(2025, 9, 1),
        **fields,
    )


# --- sessions ---------------------------------------------------------------------------------


def test_weekly_sessions_stop_when_the_course_ends(course_potenza, operator_school_potenza):
    course_potenza.ends_on = course_potenza.starts_on + datetime.timedelta(days=20)
    course_potenza.save()
    sessions = service.add_sessions(
        course=course_potenza,
        day=course_potenza.starts_on,
        starts=datetime.time(14, 30),
        ends=datetime.time(16),
        by=operator_school_potenza,
        weeks=10,
    )
    assert len(sessions) == 3  # days 0, 7 and 14 of a 20-day course
    assert [session.hours for session in sessions] == [Decimal("1.50")] * 3
    assert timezone.localtime(sessions[0].starts_at).time() == datetime.time(14, 30)


def test_a_session_falls_within_the_course_and_ends_after_it_starts(course_potenza, operator_school_potenza):
    with pytest.raises(ValidationError) as error:
        service.add_sessions(
            course=course_potenza,
            day=course_potenza.ends_on + datetime.timedelta(days=1),
            starts=datetime.time(9),
            ends=datetime.time(10),
            by=operator_school_potenza,
        )
    assert "day" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        service.add_sessions(
            course=course_potenza,
            day=course_potenza.starts_on,
            starts=datetime.time(10),
            ends=datetime.time(9),
            by=operator_school_potenza,
        )
    assert "ends" in error.value.message_dict


def test_a_session_with_a_register_cannot_be_removed(
    course_potenza, enrolment_potenza, make_session, operator_school_potenza
):
    session = make_session(course_potenza)
    service.record_attendance(session=session, marks={enrolment_potenza.pk: True}, by=operator_school_potenza)
    with pytest.raises(ValidationError):
        service.delete_session(session=session, by=operator_school_potenza)
    empty = make_session(course_potenza, days_ago=3)
    service.delete_session(session=empty, by=operator_school_potenza)
    assert not CourseSession.objects.filter(pk=empty.pk).exists()


# --- enrolment --------------------------------------------------------------------------------


def test_enrolment_of_a_student_of_the_school_with_consent(course_potenza, student_potenza, operator_school_potenza):
    enrolment = service.enrol_student(course=course_potenza, student=student_potenza, by=operator_school_potenza)
    assert enrolment.withdrawn_on is None
    event = AuditEvent.objects.get(action="enrolment.create")
    assert event.details == {"student": student_potenza.pk}
    assert event.organisation_id == course_potenza.school_id


def test_only_students_of_the_same_school_are_enrolled(course_potenza, student_matera, operator_school_potenza):
    with pytest.raises(ValidationError, match="course's school"):
        service.enrol_student(course=course_potenza, student=student_matera, by=operator_school_potenza)


def test_enrolment_needs_the_school_support_consent(course_potenza, student_potenza, operator_school_potenza):
    Consent.objects.filter(person=student_potenza.person, purpose=Consent.Purpose.SCHOOL_SUPPORT).update(
        withdrawn_at=timezone.now()
    )
    with pytest.raises(ConsentMissing) as error:
        service.enrol_student(course=course_potenza, student=student_potenza, by=operator_school_potenza)
    assert "School help-desk support" in str(error.value)
    assert not Enrolment.objects.exists()


def test_a_full_course_refuses_with_a_clear_error(course_potenza, student_potenza, operator_school_potenza):
    for _ in range(2):
        Enrolment.objects.create(course=course_potenza, student=_other_student(course_potenza))
    with pytest.raises(service.CourseFull) as error:
        service.enrol_student(course=course_potenza, student=student_potenza, by=operator_school_potenza)
    assert "The course is full: all 2 places are taken" in error.value.messages[0]


def test_withdrawal_frees_the_place_and_re_enrolment_takes_the_row_back(
    course_potenza, student_potenza, enrolment_potenza, operator_school_potenza
):
    other = Enrolment.objects.create(course=course_potenza, student=_other_student(course_potenza))
    with pytest.raises(ValidationError, match="already enrolled"):
        service.enrol_student(course=course_potenza, student=student_potenza, by=operator_school_potenza)
    service.withdraw_enrolment(enrolment=enrolment_potenza, by=operator_school_potenza)
    with pytest.raises(ValidationError, match="already withdrawn"):
        service.withdraw_enrolment(enrolment=enrolment_potenza, by=operator_school_potenza)
    service.withdraw_enrolment(enrolment=other, by=operator_school_potenza)
    again = service.enrol_student(course=course_potenza, student=student_potenza, by=operator_school_potenza)
    assert again.pk == enrolment_potenza.pk
    assert again.withdrawn_on is None
    assert Enrolment.objects.filter(course=course_potenza, withdrawn_on__isnull=True).count() == 1


def test_a_student_who_left_is_not_enrolled(course_potenza, student_potenza, operator_school_potenza):
    student_potenza.left_on = timezone.localdate()
    student_potenza.save()
    with pytest.raises(ValidationError, match="left the school"):
        service.enrol_student(course=course_potenza, student=student_potenza, by=operator_school_potenza)


def test_students_to_enrol_flags_missing_consent(course_potenza, student_potenza):
    without = _other_student(course_potenza)
    rows = {student.pk: student.has_school_consent for student in service.students_to_enrol(course_potenza)}
    assert rows == {student_potenza.pk: True, without.pk: False}


# --- register and hours -----------------------------------------------------------------------


def test_the_register_is_saved_in_one_statement_and_stays_editable(
    course_potenza, enrolment_potenza, make_session, staff_school_potenza, django_assert_max_num_queries
):
    other = Enrolment.objects.create(
        course=course_potenza, student=_other_student(course_potenza), enrolled_on=course_potenza.starts_on
    )
    session = make_session(course_potenza)
    marks = {enrolment_potenza.pk: True, other.pk: False}
    # course school, register ids, one upsert, the audit record (plus savepoints)
    with django_assert_max_num_queries(8):
        assert service.record_attendance(session=session, marks=marks, by=staff_school_potenza) == 2
    service.record_attendance(session=session, marks={other.pk: True}, by=staff_school_potenza)
    assert dict(SessionAttendance.objects.values_list("enrolment_id", "present")) == {
        enrolment_potenza.pk: True,
        other.pk: True,
    }
    assert AuditEvent.objects.filter(action="coursesession.register", object_id=str(session.pk)).count() == 2


def test_the_register_lists_who_was_enrolled_on_the_day(
    course_potenza, enrolment_potenza, make_session, staff_school_potenza
):
    session = make_session(course_potenza, days_ago=10)
    late = Enrolment.objects.create(
        course=course_potenza, student=_other_student(course_potenza), enrolled_on=timezone.localdate()
    )
    assert list(service.register_enrolments(session)) == [enrolment_potenza]
    with pytest.raises(ValidationError):
        service.record_attendance(session=session, marks={late.pk: True}, by=staff_school_potenza)
    service.record_attendance(session=session, marks={enrolment_potenza.pk: True}, by=staff_school_potenza)
    # Withdrawn later: the register already taken still lists the student.
    enrolment_potenza.withdrawn_on = timezone.localdate()
    enrolment_potenza.save()
    assert list(service.register_enrolments(session)) == [enrolment_potenza]


def test_a_future_session_has_no_register_yet(course_potenza, enrolment_potenza, make_session, staff_school_potenza):
    session = make_session(course_potenza, days_ago=-2)
    with pytest.raises(ValidationError, match="not started"):
        service.record_attendance(session=session, marks={enrolment_potenza.pk: True}, by=staff_school_potenza)


def test_only_the_school_staff_take_the_register(course_potenza, enrolment_potenza, make_session, staff_school_matera):
    with pytest.raises(PermissionDenied):
        service.record_attendance(
            session=make_session(course_potenza), marks={enrolment_potenza.pk: True}, by=staff_school_matera
        )


def test_hours_attended_are_the_hours_of_the_sessions_present(
    course_potenza, enrolment_potenza, make_session, staff_school_potenza
):
    sessions = [
        make_session(course_potenza, days_ago=9, hours=2),
        make_session(course_potenza, days_ago=7, hours=1.5),
        make_session(course_potenza, days_ago=5, hours=0.75),
        make_session(course_potenza, days_ago=3, hours=2),
    ]
    for session, present in zip(sessions, (True, True, True, False), strict=True):
        service.record_attendance(session=session, marks={enrolment_potenza.pk: present}, by=staff_school_potenza)
    enrolment = service.with_attendance(Enrolment.objects.filter(pk=enrolment_potenza.pk)).get()
    assert enrolment.hours_attended == Decimal("4.25")
    assert enrolment.hours_recorded == Decimal("6.25")
    assert (enrolment.sessions_present, enrolment.sessions_recorded) == (3, 4)
    assert service.attendance_rate(enrolment) == 68
    course = service.with_figures(Course.objects.filter(pk=course_potenza.pk)).get()
    assert (course.enrolled, course.sessions_count, course.hours_scheduled) == (1, 4, Decimal("6.25"))
    assert service.course_attendance_rate(course) == 75  # 3 of 4 marks


# --- certificate ------------------------------------------------------------------------------


@pytest.mark.parametrize(("hours", "eligible"), [(7, True), (6.5, False), (10, True), (0, False)])
def test_a_certificate_needs_seventy_percent_of_the_planned_hours(
    course_potenza, enrolment_potenza, make_session, staff_school_potenza, hours, eligible
):
    if hours:
        session = make_session(course_potenza, hours=hours)
        service.record_attendance(session=session, marks={enrolment_potenza.pk: True}, by=staff_school_potenza)
    check = service.certificate_check(enrolment_potenza)
    assert check.eligible is eligible
    if not eligible:
        assert "of the 10 planned hours" in check.reason
        assert "at least 70%" in check.reason
