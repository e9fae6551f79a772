"""The early-warning indicators and levels, without a database: edge cases of every rule."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from schools.risk.indicators import (
    Code,
    Figures,
    Level,
    Thresholds,
    age_grade_gap,
    assess,
    attendance_rate,
    evaluate,
    level_for,
    missed_fraction,
    months_between,
    triggered_codes,
    years_before,
)

TODAY = datetime.date(2026, 3, 16)
DEFAULTS = Thresholds()


def by_code(figures: Figures, thresholds: Thresholds = DEFAULTS) -> dict[str, dict]:
    return {i.code: i.as_dict() for i in evaluate(figures, thresholds, today=TODAY)}


def test_no_records_trigger_nothing_and_level_is_none():
    result = assess(Figures(), DEFAULTS, today=TODAY)
    assert result.level == Level.NONE
    assert result.score == 0
    assert [i.code for i in result.indicators] == [
        Code.ATTENDANCE_30,
        Code.ATTENDANCE_90,
        Code.FAILING_CORE,
        Code.BEHAVIOUR,
        Code.AGE_GRADE_GAP,
        Code.RECENT_ARRIVAL,
    ]
    attendance = result.indicators[0]
    assert attendance.value is None and not attendance.triggered and attendance.points == 0


def test_attendance_exactly_at_the_minimum_does_not_trigger():
    # 20 days, 2 missed: 90 %, the default minimum.
    at = by_code(Figures(days_30=20, missed_30=Decimal(2)))[Code.ATTENDANCE_30]
    assert at["value"] == 0.9 and at["threshold"] == 0.9 and not at["triggered"]
    below = by_code(Figures(days_30=20, missed_30=Decimal("2.2")))[Code.ATTENDANCE_30]
    assert below["value"] == 0.89 and below["triggered"] and below["points"] == 2


def test_attendance_windows_are_separate():
    result = by_code(Figures(days_30=10, missed_30=Decimal(0), days_90=50, missed_90=Decimal(10)))
    assert not result[Code.ATTENDANCE_30]["triggered"]
    assert result[Code.ATTENDANCE_90]["triggered"] and result[Code.ATTENDANCE_90]["value"] == 0.8


@pytest.mark.parametrize(
    ("status", "hours", "missed"),
    [
        ("absent", 0, Decimal(1)),
        ("absent", 2, Decimal(1)),
        ("present", 0, Decimal(0)),
        ("late", 1, Decimal("0.2")),
        ("left_early", Decimal("2.5"), Decimal("0.5")),
        ("late", 9, Decimal(1)),
        ("late", None, Decimal(0)),
    ],
)
def test_hours_count_as_a_share_of_a_school_day(status, hours, missed):
    assert missed_fraction(status, hours) == missed


def test_attendance_rate_rounds_and_never_goes_below_zero():
    assert attendance_rate(0, 0) is None
    assert attendance_rate(3, 1) == 0.667
    assert attendance_rate(2, 5) == 0.0


def test_failing_core_subjects_use_the_latest_grade_below_the_limit():
    grades = {"Italiano": Decimal("5.5"), "Matematica": Decimal("6.00"), "Inglese": Decimal("4")}
    one = by_code(Figures(core_grades=grades))[Code.FAILING_CORE]
    assert one["value"] == 2 and one["triggered"]  # 6.00 is not below 6.00
    stricter = Thresholds(failing_grade_below=Decimal("6.5"), failing_core_subjects_min=3)
    assert by_code(Figures(core_grades=grades), stricter)[Code.FAILING_CORE]["triggered"]
    assert not by_code(Figures(core_grades={"Italiano": Decimal(5)}))[Code.FAILING_CORE]["triggered"]


def test_behaviour_serious_notes_count_double_and_only_more_than_the_maximum_triggers():
    assert not by_code(Figures(minor_notes_90=3))[Code.BEHAVIOUR]["triggered"]
    assert by_code(Figures(minor_notes_90=4))[Code.BEHAVIOUR]["triggered"]
    serious = by_code(Figures(minor_notes_90=1, serious_notes_90=2))[Code.BEHAVIOUR]
    assert serious["value"] == 5 and serious["triggered"]
    assert not by_code(Figures(minor_notes_90=1, serious_notes_90=1))[Code.BEHAVIOUR]["triggered"]


def test_age_grade_gap_at_the_minimum_triggers():
    assert by_code(Figures(age_grade_gap=2))[Code.AGE_GRADE_GAP]["triggered"]
    assert not by_code(Figures(age_grade_gap=1))[Code.AGE_GRADE_GAP]["triggered"]


def test_age_grade_gap_in_whole_years_at_the_start_of_the_school_year():
    starts = datetime.date(2025, 9, 15)
    # Usual age 12 (lower secondary, grade 2): born 15/09/2011 is 14 on the first day: 2 years older.
    assert age_grade_gap(datetime.date(2011, 9, 15), starts, 12) == 2
    assert age_grade_gap(datetime.date(2011, 9, 16), starts, 12) == 1
    assert age_grade_gap(datetime.date(2014, 1, 1), starts, 12) == 0  # younger: no gap
    assert age_grade_gap(None, starts, 12) == 0


def test_recent_arrival_within_the_years_includes_the_same_day():
    two_years_ago = datetime.date(2024, 3, 16)
    at = by_code(Figures(arrived_in_italy_on=two_years_ago))[Code.RECENT_ARRIVAL]
    assert at["triggered"] and at["value"] == 24 and at["threshold"] == 2
    before = by_code(Figures(arrived_in_italy_on=datetime.date(2024, 3, 15)))[Code.RECENT_ARRIVAL]
    assert not before["triggered"]
    unknown = by_code(Figures())[Code.RECENT_ARRIVAL]
    assert unknown["value"] is None and not unknown["triggered"]
    assert by_code(Figures(arrived_in_italy_on=datetime.date(2023, 6, 1)), Thresholds(recent_arrival_years=3))[
        Code.RECENT_ARRIVAL
    ]["triggered"]


def test_dates_arithmetic():
    assert years_before(datetime.date(2028, 2, 29), 2) == datetime.date(2026, 2, 28)
    assert months_between(datetime.date(2025, 1, 31), datetime.date(2025, 3, 1)) == 1
    assert months_between(datetime.date(2026, 5, 1), datetime.date(2026, 3, 1)) == 0


@pytest.mark.parametrize(
    ("score", "level"),
    [(0, Level.NONE), (1, Level.LOW), (2, Level.MEDIUM), (3, Level.MEDIUM), (4, Level.HIGH), (9, Level.HIGH)],
)
def test_level_rules(score, level):
    assert level_for(score, DEFAULTS) == level


def test_level_follows_the_school_s_points():
    strict = Thresholds(medium_at=1, high_at=2)
    assert level_for(1, strict) == Level.MEDIUM
    assert level_for(2, strict) == Level.HIGH


def test_points_add_up_to_high():
    figures = Figures(
        days_30=20,
        missed_30=Decimal(6),
        days_90=60,
        missed_90=Decimal(12),
        core_grades={"Italiano": Decimal(4), "Matematica": Decimal(5)},
    )
    result = assess(figures, DEFAULTS, today=TODAY)
    assert result.score == 5
    assert result.level == Level.HIGH
    assert result.triggered_codes == {Code.ATTENDANCE_30, Code.ATTENDANCE_90, Code.FAILING_CORE}
    assert triggered_codes(result.indicators_json()) == result.triggered_codes


def sentence(indicator: dict) -> str:
    return render_to_string("schools/risk/_indicator.html", {"indicator": indicator}).strip()


def test_stored_labels_are_english_and_sentences_follow_the_language():
    indicator = by_code(Figures(days_30=25, missed_30=Decimal(7)))[Code.ATTENDANCE_30]
    assert indicator["label"] == "Attendance in the last 30 days"
    with translation.override("en"):
        assert sentence(indicator) == "Attendance in the last 30 days: 72 % (threshold 90 %)"
        assert sentence(by_code(Figures())[Code.ATTENDANCE_90]) == (
            "Attendance in the last 90 days: no register data imported (threshold 90 %)"
        )
        assert sentence(
            by_code(Figures(core_grades={"Italiano": Decimal(4), "Storia": Decimal(3)}))[Code.FAILING_CORE]
        ) == ("Core subjects with a failing grade: 2 (threshold: 2 or more)")
        assert sentence(by_code(Figures(minor_notes_90=4))[Code.BEHAVIOUR]) == (
            "Behaviour notes in the last 90 days, a serious one counting as two: 4 (threshold: more than 3)"
        )
        assert sentence(by_code(Figures(age_grade_gap=1))[Code.AGE_GRADE_GAP]) == (
            "Years older than the usual age of the class: 1 (threshold: 2 or more)"
        )
        assert sentence(by_code(Figures(arrived_in_italy_on=datetime.date(2024, 3, 16)))[Code.RECENT_ARRIVAL]) == (
            "Recent arrival in Italy: arrived 24 months ago (threshold: within 2 years)"
        )
        assert sentence(by_code(Figures())[Code.RECENT_ARRIVAL]) == (
            "Recent arrival in Italy: date of arrival not known (threshold: within 2 years)"
        )
