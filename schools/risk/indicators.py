"""The early-warning indicators of a student, from figures already gathered: pure Python, no database.

Each indicator says what was measured (`value`), against what (`threshold`, from the school's
RiskSettings), whether it triggered and how many points it adds; the level follows from the points.
Choices made here (and shown to staff, in words, by templates/schools/risk/_indicator.html):

- Attendance over the last 30 and 90 days (today included): days missed out of the school days. The
  school days are Monday to Friday, from the window's first day to the last day the school's register
  has an entry for any pupil (data not imported yet is not counted as attended), plus any other day
  on which the student has an entry (a Saturday lesson). Registers often export absences only, so
  a day without an entry counts as attended. A day marked `absent` is a whole day missed; a `late`
  or `left_early` day (or a present day with absent hours) misses `absent_hours` out of a school day
  of `SCHOOL_DAY_HOURS` hours, at most one day. No register entry at the school in the window: no
  value, not triggered (we do not guess attendance we were not given). Holidays are not known, so
  they count as attended: the indicator errs towards not flagging. Triggers below the minimum;
  exactly at it does not.
- Failing core subjects: the latest grade of each core subject; a grade below `failing_grade_below`
  fails; triggers when at least `failing_core_subjects_min` subjects fail.
- Behaviour notes in the last 90 days: a `serious` note counts as two; triggers when the count is
  more than `behaviour_notes_90_max`.
- Age–grade gap: whole years older than the class's usual age at the start of its school year;
  triggers at `age_grade_gap_min` years or more.
- Recent arrival: arrived in Italy on or after the same day `recent_arrival_years` years ago.

Points per triggered indicator are fixed (`POINTS`): recent absence and failing grades weigh most.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_noop

SCHOOL_DAY_HOURS = Decimal(5)
ATTENDANCE_30_DAYS = 30
ATTENDANCE_90_DAYS = 90
BEHAVIOUR_DAYS = 90
SERIOUS_NOTE_WEIGHT = 2


class Code:
    ATTENDANCE_30 = "attendance_30"
    ATTENDANCE_90 = "attendance_90"
    FAILING_CORE = "failing_core_subjects"
    BEHAVIOUR = "behaviour_notes_90"
    AGE_GRADE_GAP = "age_grade_gap"
    RECENT_ARRIVAL = "recent_arrival"


# In the order they are shown.
CODES = (
    Code.ATTENDANCE_30,
    Code.ATTENDANCE_90,
    Code.FAILING_CORE,
    Code.BEHAVIOUR,
    Code.AGE_GRADE_GAP,
    Code.RECENT_ARRIVAL,
)

# Stored in English in the signal (the msgid); shown through gettext in the reader's language.
LABELS = {
    Code.ATTENDANCE_30: gettext_noop("Attendance in the last 30 days"),
    Code.ATTENDANCE_90: gettext_noop("Attendance in the last 90 days"),
    Code.FAILING_CORE: gettext_noop("Core subjects with a failing grade"),
    Code.BEHAVIOUR: gettext_noop("Behaviour notes in the last 90 days"),
    Code.AGE_GRADE_GAP: gettext_noop("Years older than the usual age of the class"),
    Code.RECENT_ARRIVAL: gettext_noop("Recent arrival in Italy"),
}

POINTS = {
    Code.ATTENDANCE_30: 2,
    Code.ATTENDANCE_90: 1,
    Code.FAILING_CORE: 2,
    Code.BEHAVIOUR: 1,
    Code.AGE_GRADE_GAP: 1,
    Code.RECENT_ARRIVAL: 1,
}


class Level:
    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


LEVEL_RANK = {Level.NONE: 0, Level.LOW: 1, Level.MEDIUM: 2, Level.HIGH: 3}


@dataclass(frozen=True)
class Thresholds:
    """A school's thresholds (the fields of RiskSettings), with the contract's defaults."""

    attendance_30_min: Decimal = Decimal("0.90")
    attendance_90_min: Decimal = Decimal("0.90")
    failing_grade_below: Decimal = Decimal("6.00")
    failing_core_subjects_min: int = 2
    behaviour_notes_90_max: int = 3
    age_grade_gap_min: int = 2
    recent_arrival_years: int = 2
    medium_at: int = 2
    high_at: int = 4

    @classmethod
    def from_settings(cls, settings: Any) -> Thresholds:
        """From a RiskSettings row (saved or not) or anything with the same attributes."""
        return cls(**{name: getattr(settings, name) for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Figures:
    """What the database says about one student, gathered for the indicators."""

    days_30: int | None = None  # school days in the last 30 days (None: nothing in the register)
    missed_30: Decimal = Decimal(0)  # days missed among them (fractions for hours)
    days_90: int | None = None
    missed_90: Decimal = Decimal(0)
    core_grades: Mapping[str, Decimal] = field(default_factory=dict)  # latest grade per core subject
    minor_notes_90: int = 0
    serious_notes_90: int = 0
    age_grade_gap: int = 0
    arrived_in_italy_on: datetime.date | None = None


@dataclass(frozen=True)
class Indicator:
    code: str
    label: str  # the English text; shown translated through LABELS[code]
    value: Any  # JSON-ready: float, int or None
    threshold: Any
    triggered: bool
    points: int

    def as_dict(self) -> dict[str, Any]:
        # By hand: dataclasses.asdict deep-copies every value, which showed in a 20,000-student run.
        return {
            "code": self.code,
            "label": self.label,
            "value": self.value,
            "threshold": self.threshold,
            "triggered": self.triggered,
            "points": self.points,
        }


@dataclass(frozen=True)
class Assessment:
    level: str
    score: int
    indicators: list[Indicator]

    @property
    def triggered_codes(self) -> frozenset[str]:
        return frozenset(i.code for i in self.indicators if i.triggered)

    def indicators_json(self) -> list[dict[str, Any]]:
        return [i.as_dict() for i in self.indicators]


def missed_fraction(status: str, absent_hours: Decimal | int | float | None) -> Decimal:
    """How much of a school day one attendance record misses (the rule the SQL aggregate follows)."""
    if status == "absent":
        return Decimal(1)
    hours = Decimal(str(absent_hours or 0))
    return min(max(hours, Decimal(0)) / SCHOOL_DAY_HOURS, Decimal(1))


def weekdays_between(first: datetime.date, last: datetime.date) -> int:
    """Mondays to Fridays from `first` to `last`, both included (0 if `last` comes first)."""
    if last < first:
        return 0
    days = (last - first).days + 1
    weeks, rest = divmod(days, 7)
    start = first.weekday()
    return weeks * 5 + sum(1 for n in range(rest) if (start + n) % 7 < 5)


def school_days(
    first: datetime.date, register_until: datetime.date | None, other_days_with_entries: int = 0
) -> int | None:
    """The school days of a window starting on `first`: weekdays up to the last day the school's
    register has an entry, plus the student's entries on other days. None when the register has
    nothing in the window."""
    if register_until is None or register_until < first:
        return None
    return weekdays_between(first, register_until) + other_days_with_entries


def attendance_rate(days: int | None, missed: Decimal | float | int) -> float | None:
    """The share of school days attended, rounded to 0.1 %; None without register data."""
    if not days:
        return None
    rate = 1 - Decimal(str(missed)) / days
    return float(round(max(rate, Decimal(0)), 3))


def age_grade_gap(birth_date: datetime.date | None, year_starts_on: datetime.date | None, usual_age: int | None) -> int:
    """Whole years older than the class's usual age at the start of its school year (0 if unknown)."""
    if birth_date is None or year_starts_on is None or usual_age is None:
        return 0
    age = year_starts_on.year - birth_date.year
    if (year_starts_on.month, year_starts_on.day) < (birth_date.month, birth_date.day):
        age -= 1
    return max(age - usual_age, 0)


def years_before(day: datetime.date, years: int) -> datetime.date:
    """The same day `years` years earlier (29 February becomes the 28th)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def months_between(earlier: datetime.date, later: datetime.date) -> int:
    """Whole months from `earlier` to `later` (0 if `earlier` is later)."""
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    if later.day < earlier.day:
        months -= 1
    return max(months, 0)


def _indicator(code: str, value: Any, threshold: Any, triggered: bool) -> Indicator:
    return Indicator(
        code=code,
        label=LABELS[code],
        value=value,
        threshold=threshold,
        triggered=triggered,
        points=POINTS[code] if triggered else 0,
    )


def evaluate(figures: Figures, thresholds: Thresholds, *, today: datetime.date) -> list[Indicator]:
    """Every indicator, in display order."""
    rate_30 = attendance_rate(figures.days_30, figures.missed_30)
    rate_90 = attendance_rate(figures.days_90, figures.missed_90)
    min_30 = float(thresholds.attendance_30_min)
    min_90 = float(thresholds.attendance_90_min)
    failing = sorted(
        subject for subject, grade in figures.core_grades.items() if grade < thresholds.failing_grade_below
    )
    behaviour = figures.minor_notes_90 + SERIOUS_NOTE_WEIGHT * figures.serious_notes_90
    arrived = figures.arrived_in_italy_on
    recent = arrived is not None and arrived >= years_before(today, thresholds.recent_arrival_years)
    return [
        _indicator(Code.ATTENDANCE_30, rate_30, min_30, rate_30 is not None and rate_30 < min_30),
        _indicator(Code.ATTENDANCE_90, rate_90, min_90, rate_90 is not None and rate_90 < min_90),
        _indicator(
            Code.FAILING_CORE,
            len(failing),
            thresholds.failing_core_subjects_min,
            len(failing) >= thresholds.failing_core_subjects_min,
        ),
        _indicator(
            Code.BEHAVIOUR, behaviour, thresholds.behaviour_notes_90_max, behaviour > thresholds.behaviour_notes_90_max
        ),
        _indicator(
            Code.AGE_GRADE_GAP,
            figures.age_grade_gap,
            thresholds.age_grade_gap_min,
            figures.age_grade_gap >= thresholds.age_grade_gap_min,
        ),
        _indicator(
            Code.RECENT_ARRIVAL,
            months_between(arrived, today) if arrived else None,
            thresholds.recent_arrival_years,
            recent,
        ),
    ]


def level_for(score: int, thresholds: Thresholds) -> str:
    if score >= thresholds.high_at:
        return Level.HIGH
    if score >= thresholds.medium_at:
        return Level.MEDIUM
    if score > 0:
        return Level.LOW
    return Level.NONE


def assess(figures: Figures, thresholds: Thresholds, *, today: datetime.date) -> Assessment:
    indicators = evaluate(figures, thresholds, today=today)
    score = sum(i.points for i in indicators)
    return Assessment(level=level_for(score, thresholds), score=score, indicators=indicators)


def triggered_codes(indicators: Iterable[Mapping[str, Any]] | None) -> frozenset[str]:
    """The codes that triggered, from a stored signal's `indicators` list."""
    return frozenset(i.get("code", "") for i in indicators or () if i.get("triggered"))
