"""Helpers of the early-warning tests: register records written directly, and a student made high risk.

Attendance counts school days (weekdays up to the school's last register entry), so the records are
laid out from DAY, a Friday (today or the last one before), and recomputed with `today=DAY` where
the exact figures matter: a 30-day window ending on a Friday holds 22 weekdays, a 90-day one 65."""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable
from decimal import Decimal

import pytest

from schools.models import AttendanceRecord, BehaviourNote, ResultRecord, Student

TODAY = datetime.date.today()
DAY = TODAY - datetime.timedelta(days=(TODAY.weekday() - 4) % 7)


def weekdays_back(count: int, end: datetime.date = DAY) -> list[datetime.date]:
    """The `count` most recent weekdays up to `end`, newest first."""
    days: list[datetime.date] = []
    day = end
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day -= datetime.timedelta(days=1)
    return days


def attend(student: Student, day: datetime.date, status: str = "absent", hours: str | int = 0) -> AttendanceRecord:
    return AttendanceRecord.objects.create(student=student, date=day, status=status, absent_hours=Decimal(hours))


def absences(student: Student, count: int, *, end: datetime.date = DAY) -> None:
    """Absent on the `count` most recent weekdays up to `end` (an export of absences only)."""
    AttendanceRecord.objects.bulk_create(
        AttendanceRecord(student=student, date=day, status="absent") for day in weekdays_back(count, end)
    )


def grade(student: Student, subject: str, value: str, days_ago: int = 5, core: bool = True) -> ResultRecord:
    return ResultRecord.objects.create(
        student=student,
        subject=subject,
        grade=Decimal(value),
        date=DAY - datetime.timedelta(days=days_ago),
        is_core_subject=core,
    )


def note(student: Student, days_ago: int, severity: str = "minor", text: str = "") -> BehaviourNote:
    text = text or f"note {days_ago} {severity}"
    return BehaviourNote.objects.create(
        student=student,
        date=DAY - datetime.timedelta(days=days_ago),
        severity=severity,
        text=text,
        text_hash=hashlib.sha256(text.encode()).hexdigest(),
    )


def make_high(student: Student) -> None:
    """Absent on the last 10 weekdays up to DAY: 55 % over 30 days and 85 % over 90 (3 points), and
    two failing core subjects (2): 5 points."""
    absences(student, 10)
    grade(student, "Italiano", "4")
    grade(student, "Matematica", "5")


@pytest.fixture
def high_risk() -> Callable[[Student], None]:
    return make_high
