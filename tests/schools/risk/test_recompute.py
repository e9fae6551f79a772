"""recompute_students against the database: the figures in their windows, the signals written only on
change, the denormalised level, the schools' own thresholds, and who is recomputed."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from schools.models import RiskSettings, RiskSignal, Student
from schools.risk.indicators import Code
from schools.services.risk import recompute_students
from tests.schools.risk.conftest import DAY, TODAY, absences, attend, grade, make_high, note, weekdays_back

pytestmark = pytest.mark.django_db


def indicators(student: Student) -> dict[str, dict]:
    signal = RiskSignal.objects.filter(student=student).order_by("-computed_at", "-pk").first()
    assert signal is not None
    return {i["code"]: i for i in signal.indicators}


def test_a_student_without_records_gets_one_signal_with_level_none(student_matera):
    result = recompute_students(student_ids=[student_matera.pk], today=DAY)
    assert result.students == 1 and result.signals_written == 1
    signal = RiskSignal.objects.get(student=student_matera)
    assert signal.level == "none" and signal.score == 0 and signal.previous_level == ""
    assert [i["code"] for i in signal.indicators] == [
        Code.ATTENDANCE_30,
        Code.ATTENDANCE_90,
        Code.FAILING_CORE,
        Code.BEHAVIOUR,
        Code.AGE_GRADE_GAP,
        Code.RECENT_ARRIVAL,
    ]
    assert indicators(student_matera)[Code.ATTENDANCE_30]["value"] is None


def days_before(days: int) -> datetime.date:
    return DAY - datetime.timedelta(days=days)


def test_attendance_counts_weekdays_up_to_the_last_day_of_the_register(student_matera):
    absences(student_matera, 11)  # half of the 22 weekdays of the 30 days up to DAY (a Friday)
    recompute_students(student_ids=[student_matera.pk], today=DAY)
    found = indicators(student_matera)
    assert found[Code.ATTENDANCE_30]["value"] == 0.5
    assert found[Code.ATTENDANCE_90]["value"] == round(1 - 11 / 65, 3)
    assert found[Code.ATTENDANCE_30]["triggered"] and found[Code.ATTENDANCE_90]["triggered"]


def test_days_after_the_last_register_entry_are_not_counted_as_attended(student_matera):
    attend(student_matera, days_before(7))  # the register was last imported a week ago: Friday before DAY
    recompute_students(student_ids=[student_matera.pk], today=DAY)
    # 30 days up to DAY, but the register stops a week earlier: 17 weekdays, 1 missed.
    assert indicators(student_matera)[Code.ATTENDANCE_30]["value"] == round(1 - 1 / 17, 3)


def test_windows_count_today_and_the_29_days_before(student_matera):
    attend(student_matera, days_before(0))
    attend(student_matera, days_before(27))  # a Saturday lesson: counts as a school day too
    attend(student_matera, days_before(29))
    attend(student_matera, days_before(30))  # outside the 30 days, inside the 90
    attend(student_matera, days_before(90))  # outside both
    attend(student_matera, DAY + datetime.timedelta(days=1))  # after "today": not yet
    recompute_students(student_ids=[student_matera.pk], today=DAY)
    found = indicators(student_matera)
    assert days_before(27).weekday() == 5
    assert found[Code.ATTENDANCE_30]["value"] == round(1 - 3 / 23, 3)  # 22 weekdays + the Saturday
    assert found[Code.ATTENDANCE_90]["value"] == round(1 - 4 / 66, 3)


def test_pupils_of_a_school_without_register_data_have_no_attendance_figure(student_potenza, student_matera):
    absences(student_potenza, 3)
    recompute_students(today=DAY)
    assert indicators(student_matera)[Code.ATTENDANCE_30]["value"] is None  # nothing imported at Matera
    student_matera_friend = student_potenza  # same school as the absences: a pupil never absent
    assert indicators(student_matera_friend)[Code.ATTENDANCE_30]["value"] == round(1 - 3 / 22, 3)


def test_a_pupil_never_absent_at_a_school_with_a_register(make_student, student_potenza, school_potenza):
    never_absent = make_student(school_potenza)
    absences(student_potenza, 1)
    recompute_students(today=DAY)
    found = indicators(never_absent)[Code.ATTENDANCE_30]
    assert found["value"] == 1.0 and not found["triggered"]


def test_hours_missed_count_as_a_share_of_a_five_hour_day(student_matera):
    attend(student_matera, days_before(0), "late", "1")
    attend(student_matera, days_before(1), "left_early", "2.5")
    attend(student_matera, days_before(2), "present")
    recompute_students(student_ids=[student_matera.pk], today=DAY)
    # (0.2 + 0.5) days missed out of 22
    assert indicators(student_matera)[Code.ATTENDANCE_30]["value"] == round(1 - 0.7 / 22, 3)


def test_exactly_at_the_attendance_minimum_does_not_trigger(student_matera, school_matera):
    # 22 school days, 2.2 missed: 90 % exactly.
    absences(student_matera, 2)
    attend(student_matera, weekdays_back(3)[2], "late", "1")
    recompute_students(student_ids=[student_matera.pk], today=DAY)
    found = indicators(student_matera)[Code.ATTENDANCE_30]
    assert found["value"] == 0.9 and not found["triggered"]


def test_latest_grade_of_each_core_subject_counts(student_matera):
    grade(student_matera, "Italiano", "4", days_ago=60)
    grade(student_matera, "Italiano", "7", days_ago=10)  # recovered
    grade(student_matera, "Matematica", "5", days_ago=10)
    grade(student_matera, "Storia", "3", core=False)  # not a core subject
    grade(student_matera, "Inglese", "4", days_ago=-3)  # a future date is ignored
    recompute_students(student_ids=[student_matera.pk], today=DAY)
    assert indicators(student_matera)[Code.FAILING_CORE]["value"] == 1
    grade(student_matera, "Inglese", "5.5", days_ago=1)
    recompute_students(student_ids=[student_matera.pk], today=DAY)
    found = indicators(student_matera)[Code.FAILING_CORE]
    assert found["value"] == 2 and found["triggered"] and found["points"] == 2


def test_behaviour_notes_in_90_days_with_serious_ones_double(student_matera):
    note(student_matera, 1, "serious")
    note(student_matera, 89, "minor")
    note(student_matera, 90, "serious")  # outside
    recompute_students(student_ids=[student_matera.pk], today=DAY)
    found = indicators(student_matera)[Code.BEHAVIOUR]
    assert found["value"] == 3 and not found["triggered"]
    note(student_matera, 2, "minor")
    recompute_students(student_ids=[student_matera.pk], today=DAY)
    assert indicators(student_matera)[Code.BEHAVIOUR]["triggered"]


def test_age_grade_gap_and_recent_arrival_from_the_student(make_student, school_matera, class_matera):
    starts = class_matera.school_year.starts_on
    student = make_student(
        school_matera,
        school_class=class_matera,
        birth_date=starts.replace(year=starts.year - class_matera.usual_age - 2),
        arrived_in_italy_on=TODAY - datetime.timedelta(days=100),
    )
    recompute_students(student_ids=[student.pk], today=DAY)
    found = indicators(student)
    assert found[Code.AGE_GRADE_GAP]["value"] == 2 and found[Code.AGE_GRADE_GAP]["triggered"]
    assert found[Code.AGE_GRADE_GAP]["value"] == student.age_grade_gap  # the same rule as the student page
    assert found[Code.RECENT_ARRIVAL]["triggered"]
    student.refresh_from_db()
    assert student.risk_level == "medium"  # 1 + 1 points


def test_second_run_writes_nothing(student_potenza, student_matera):
    make_high(student_potenza)
    first = recompute_students(today=DAY)
    assert first.signals_written == 2
    second = recompute_students(today=DAY)
    assert second.signals_written == 0 and second.levels_changed == 0 and second.entered_high == []
    assert RiskSignal.objects.count() == 2


def test_a_change_writes_a_signal_with_the_previous_level(student_matera):
    recompute_students(student_ids=[student_matera.pk], today=DAY)
    make_high(student_matera)
    result = recompute_students(student_ids=[student_matera.pk], today=DAY)
    assert result.signals_written == 1 and result.levels_changed == 1
    assert result.entered_high == [student_matera.pk]
    latest = RiskSignal.objects.filter(student=student_matera).order_by("-computed_at", "-pk").first()
    assert latest.level == "high" and latest.previous_level == "none" and latest.score == 5
    student_matera.refresh_from_db()
    assert student_matera.risk_level == "high" and student_matera.risk_updated_at is not None


def test_new_triggered_indicator_with_the_same_level_writes_a_signal(student_matera):
    make_high(student_matera)
    recompute_students(student_ids=[student_matera.pk], today=DAY)
    for n in range(4):
        note(student_matera, n + 1)
    result = recompute_students(student_ids=[student_matera.pk], today=DAY)
    assert result.signals_written == 1 and result.levels_changed == 0 and result.entered_high == []
    assert RiskSignal.objects.filter(student=student_matera).count() == 2


def test_each_school_uses_its_own_thresholds(student_potenza, student_matera, school_matera):
    for student in (student_potenza, student_matera):
        absences(student, 4)  # 82 % of 22 days
    RiskSettings.objects.create(
        school=school_matera, attendance_30_min=Decimal("0.75"), attendance_90_min=Decimal("0.75")
    )
    recompute_students(today=DAY)
    assert indicators(student_potenza)[Code.ATTENDANCE_30]["triggered"]
    found = indicators(student_matera)[Code.ATTENDANCE_30]
    assert not found["triggered"] and found["threshold"] == 0.75


def test_only_the_students_asked_for_and_never_those_who_left(student_potenza, student_matera, school_potenza):
    assert recompute_students(school_id=school_potenza.pk, today=DAY).students == 1
    assert not RiskSignal.objects.filter(student=student_matera).exists()
    assert recompute_students(student_ids=[], today=DAY).students == 0
    Student.objects.filter(pk=student_matera.pk).update(left_on=TODAY, leaving_reason="moved")
    assert recompute_students(student_ids=[student_matera.pk], today=DAY).students == 0


def test_a_drifted_level_is_put_right_without_a_new_signal(student_matera):
    recompute_students(student_ids=[student_matera.pk], today=DAY)
    Student.objects.filter(pk=student_matera.pk).update(risk_level="medium")
    result = recompute_students(student_ids=[student_matera.pk], today=DAY)
    assert result.signals_written == 0 and result.levels_changed == 1
    student_matera.refresh_from_db()
    assert student_matera.risk_level == "none"


def test_today_can_be_given(student_matera):
    absences(student_matera, 5, end=days_before(42))  # a week absent six weeks before DAY
    attend(student_matera, DAY, "present")
    recompute_students(student_ids=[student_matera.pk], today=DAY)
    assert not indicators(student_matera)[Code.ATTENDANCE_30]["triggered"]
    recompute_students(student_ids=[student_matera.pk], today=days_before(42))
    assert indicators(student_matera)[Code.ATTENDANCE_30]["value"] == round(1 - 5 / 22, 3)
