"""Cell values of register exports: dates, grades, attendance, yes/no, severity (no database)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from schools.importing.values import (
    CellError,
    describe,
    note_hash,
    parse_attendance,
    parse_date,
    parse_grade,
    parse_hours,
    parse_severity,
    parse_yes_no,
    text,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("03/02/2026", datetime.date(2026, 2, 3)),
        ("3/2/2026", datetime.date(2026, 2, 3)),
        ("03-02-2026", datetime.date(2026, 2, 3)),
        ("03.02.26", datetime.date(2026, 2, 3)),
        ("2026-02-03", datetime.date(2026, 2, 3)),
        ("2026-02-03 00:00:00", datetime.date(2026, 2, 3)),
        ("03/02/2026 08:15", datetime.date(2026, 2, 3)),
        ("46056", datetime.date(2026, 2, 3)),
        (46056, datetime.date(2026, 2, 3)),
        (46056.0, datetime.date(2026, 2, 3)),
        (datetime.datetime(2026, 2, 3, 9, 0), datetime.date(2026, 2, 3)),
        (datetime.date(2026, 2, 3), datetime.date(2026, 2, 3)),
    ],
)
def test_dates_in_the_formats_registers_use(raw, expected):
    assert parse_date(raw) == expected


def test_a_date_that_does_not_exist_is_named_as_such():
    with pytest.raises(CellError) as caught, translation.override("en"):
        parse_date("31/02/2026")
    assert caught.value.code == "date_invalid"
    with translation.override("en"):
        assert describe(caught.value.code, caught.value.params, 14) == "Row 14: the date '31/02/2026' does not exist"


@pytest.mark.parametrize("raw", ["", "ieri", "2026/13", "123", 12.5, "99999"])
def test_text_that_is_no_date(raw):
    with pytest.raises(CellError) as caught:
        parse_date(raw)
    assert caught.value.code == "date_format"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("6", "6.00"),
        ("6,5", "6.50"),
        ("6.75", "6.75"),
        ("6+", "6.25"),
        ("6 +", "6.25"),
        ("6-", "5.75"),
        ("6½", "6.50"),
        ("6 ½", "6.50"),
        ("6 1/2", "6.50"),
        ("6/7", "6.50"),
        ("6-7", "6.50"),
        ("10", "10.00"),
        ("0", "0.00"),
        (7, "7.00"),
        (7.5, "7.50"),
    ],
)
def test_grades_with_italian_conventions(raw, expected):
    assert parse_grade(raw) == Decimal(expected)


def test_a_grade_out_of_range_says_the_range():
    with pytest.raises(CellError) as caught, translation.override("en"):
        parse_grade("11")
    assert caught.value.code == "grade_range"
    with translation.override("en"):
        assert describe(caught.value.code, caught.value.params, 3) == "Row 3: grade 11 is outside 0–10"
    with pytest.raises(CellError):
        parse_grade("10+")


@pytest.mark.parametrize("raw", ["Base", "sei", "6/8", "", "NC", "6++"])
def test_text_that_is_no_grade(raw):
    with pytest.raises(CellError) as caught:
        parse_grade(raw)
    assert caught.value.code == "grade_format"


@pytest.mark.parametrize(
    ("raw", "status", "hours"),
    [
        ("A", "absent", None),
        ("assente", "absent", None),
        ("P", "present", None),
        ("R", "late", None),
        ("RB", "late", None),
        ("Ritardo", "late", None),
        ("U", "left_early", None),
        ("Uscita anticipata", "left_early", None),
        ("U.A.", "left_early", None),
        ("2", "absent", Decimal("2.0")),
        ("1,5", "absent", Decimal("1.5")),
        (3, "absent", Decimal("3.0")),
        ("0", "present", Decimal("0.0")),
    ],
)
def test_attendance_values(raw, status, hours):
    assert parse_attendance(raw) == (status, hours)


@pytest.mark.parametrize("raw", ["X", "forse", "30", "-1"])
def test_unknown_attendance_values(raw):
    with pytest.raises(CellError) as caught:
        parse_attendance(raw)
    assert caught.value.code == "attendance_unknown"


def test_hours_between_0_and_24():
    assert parse_hours("4,5") == Decimal("4.5")
    for raw in ("25", "-1", "molte", "nan"):
        with pytest.raises(CellError):
            parse_hours(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("Sì", True), ("si", True), ("X", True), ("1", True), ("no", False), ("", False), ("N", False), (True, True)],
)
def test_yes_no(raw, expected):
    assert parse_yes_no(raw) is expected


def test_severity():
    assert parse_severity("grave") == "serious"
    assert parse_severity("Lieve") == "minor"
    assert parse_severity("") == "minor"
    with pytest.raises(CellError):
        parse_severity("media")


def test_note_hash_ignores_spacing_and_capitals():
    assert note_hash("Disturba  la lezione ") == note_hash("disturba la lezione")
    assert note_hash("Disturba la lezione") != note_hash("Non porta il materiale")


def test_spreadsheet_numbers_as_text():
    assert text(123.0) == "123"
    assert text(" A12 ") == "A12"
    assert text(None) == ""
