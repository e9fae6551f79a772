"""Helpers of the early-warning tests: register records written directly, and a student made high risk."""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable
from decimal import Decimal

import pytest

from schools.models import AttendanceRecord, BehaviourNote, ResultRecord, Student

TODAY = datetime.date.today()


def attend(student: Student, days_ago: int, status: str = "present", hours: str | int = 0) -> AttendanceRecord:
    return AttendanceRecord.objects.create(
        student=student, date=TODAY - datetime.timedelta(days=days_ago), status=status, absent_hours=Decimal(hours)
    )


def attend_many(student: Student, *, days: int, absent: int, start: int = 0) -> None:
    """`days` recorded days from `start` days ago backwards, the first `absent` of them absent."""
    AttendanceRecord.objects.bulk_create(
        AttendanceRecord(
            student=student,
            date=TODAY - datetime.timedelta(days=start + n),
            status="absent" if n < absent else "present",
        )
        for n in range(days)
    )


def grade(student: Student, subject: str, value: str, days_ago: int = 5, core: bool = True) -> ResultRecord:
    return ResultRecord.objects.create(
        student=student,
        subject=subject,
        grade=Decimal(value),
        date=TODAY - datetime.timedelta(days=days_ago),
        is_core_subject=core,
    )


def note(student: Student, days_ago: int, severity: str = "minor", text: str = "") -> BehaviourNote:
    text = text or f"note {days_ago} {severity}"
    return BehaviourNote.objects.create(
        student=student,
        date=TODAY - datetime.timedelta(days=days_ago),
        severity=severity,
        text=text,
        text_hash=hashlib.sha256(text.encode()).hexdigest(),
    )


def make_high(student: Student) -> None:
    """Attendance 70 % over 30 and 90 days (3 points) and two failing core subjects (2): 5 points."""
    attend_many(student, days=20, absent=6)
    grade(student, "Italiano", "4")
    grade(student, "Matematica", "5")


@pytest.fixture
def high_risk() -> Callable[[Student], None]:
    return make_high
