"""Cell values of electronic-register exports read into Python values, or a `CellError` that says in
plain words what is wrong with the cell. Pure Python, no database.

Conventions (Italian registers: Argo, Spaggiari ClasseViva, Axios, Nuvola):

- Dates: dd/mm/yyyy (also with `-` or `.`, and two-digit years = 20yy), yyyy-mm-dd, a date-time whose
  time is ignored, a date cell of a spreadsheet, or an Excel serial number (days since 1899-12-30).
- Grades, 0 to 10: a decimal comma or point ("6,5"); "+" adds a quarter and "-" takes one away
  ("6+" = 6.25, "6-" = 5.75); a half is written "½", " 1/2" or as two neighbouring grades
  ("6½" = "6 1/2" = "6/7" = "6-7" = 6.5). Descriptive judgements of the primary school ("Base",
  "Avanzato") are not grades and are refused.
- Attendance: A/P/R/U (assente, presente, ritardo, uscita anticipata), their words in Italian or
  English, E (entrata posticipata = late) and RB (ritardo breve); a number is the hours of absence
  (absent when above zero).
- Yes/no ("Giustificata"): sì/si/s/x/1/g/yes/y/true/vero or no/n/0/false/falso/blank.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Problems with a cell, by code. Stored with the import (code + params) so that the page shows them
# in the reader's language, whatever the language of whoever ran the preview.
MESSAGES: dict[str, Promise] = {
    "required": _("the column '%(column)s' is empty"),
    "no_student": _("no student with register id '%(value)s' at this school"),
    "date_invalid": _("the date '%(value)s' does not exist"),
    "date_format": _("'%(value)s' is not a date: write it as dd/mm/yyyy"),
    "date_future": _("the date %(value)s is in the future"),
    "grade_range": _("grade %(value)s is outside 0–10"),
    "grade_format": _("'%(value)s' is not a grade: write a number such as 6, 6,5, 6+, 6- or 6½"),
    "attendance_unknown": _(
        "'%(value)s' is not an attendance value: write A (absent), P (present), R (late), "
        "U (left early) or the hours of absence"
    ),
    "hours_invalid": _("'%(value)s' is not a number of hours between 0 and 24"),
    "attendance_missing": _("neither an attendance value nor hours of absence"),
    "yes_no_unknown": _("'%(value)s' is neither yes nor no"),
    "severity_unknown": _("'%(value)s' is not a severity: write 'lieve' (minor) or 'grave' (serious)"),
    "too_long": _("the text in '%(column)s' is longer than %(limit)s characters"),
    "duplicate": _("the same record as row %(other)s, with different values"),
    "more_errors": _("%(count)s more rows with errors are not listed"),
}
ROW_MESSAGE = _("Row %(row)s: %(problem)s")


class CellError(ValueError):
    """A cell that cannot be read; `code` picks the sentence in MESSAGES, `params` fill it."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = {key: str(value) for key, value in params.items()}

    def __str__(self) -> str:
        return describe(self.code, self.params)


def describe(code: str, params: dict[str, Any], row: int | None = None) -> str:
    """The sentence for a problem, in the active language; with the row number when given."""
    template = MESSAGES.get(code)
    problem = str(template) % params if template is not None else code
    return str(ROW_MESSAGE) % {"row": row, "problem": problem} if row is not None else problem


def text(value: Any) -> str:
    """A cell as text: numbers without a spurious ".0" (spreadsheets turn register ids into floats)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    return str(value).strip()


# --- dates -------------------------------------------------------------------------------------

_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})(?:[ T].*)?$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
_SERIAL = re.compile(r"^\d{5}(?:\.0+)?$")
EXCEL_EPOCH = datetime.date(1899, 12, 30)
# Serial numbers of 1/1/1990 and 31/12/2099: anything outside is not a school date.
SERIAL_RANGE = (32874, 73050)


def parse_date(value: Any) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_serial(value, value)
    raw = text(value)
    if not raw:
        raise CellError("date_format", value=raw)
    match = _DMY.match(raw)
    if match:
        day, month, year = (int(part) for part in match.groups())
        if len(match.group(3)) == 2:
            year += 2000
        return _make_date(year, month, day, raw)
    match = _YMD.match(raw)
    if match:
        year, month, day = (int(part) for part in match.groups())
        return _make_date(year, month, day, raw)
    if _SERIAL.match(raw):
        return _from_serial(float(raw), raw)
    raise CellError("date_format", value=raw)


def _make_date(year: int, month: int, day: int, raw: str) -> datetime.date:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise CellError("date_invalid", value=raw) from None


def _from_serial(number: float, raw: Any) -> datetime.date:
    if not SERIAL_RANGE[0] <= number <= SERIAL_RANGE[1] or not float(number).is_integer():
        raise CellError("date_format", value=text(raw))
    return EXCEL_EPOCH + datetime.timedelta(days=int(number))


# --- grades ------------------------------------------------------------------------------------

QUARTER = Decimal("0.25")
HALF = Decimal("0.5")
_GRADE_NUMBER = re.compile(r"^\d{1,2}(?:[.,]\d{1,2})?$")
_GRADE_HALF = re.compile(r"^(\d{1,2})\s*(?:½|1/2)$")
_GRADE_BETWEEN = re.compile(r"^(\d{1,2})\s*[/\-]\s*(\d{1,2})$")
_GRADE_SIGN = re.compile(r"^(\d{1,2})\s*([+\-])$")
GRADE_MIN, GRADE_MAX = Decimal(0), Decimal(10)


def parse_grade(value: Any) -> Decimal:
    if isinstance(value, int | float) and not isinstance(value, bool):
        grade = Decimal(str(value))
    else:
        raw = text(value)
        grade = _grade_from_text(raw)
    grade = grade.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if not GRADE_MIN <= grade <= GRADE_MAX:
        raise CellError("grade_range", value=_show_number(grade))
    return grade


def _grade_from_text(raw: str) -> Decimal:
    compact = raw.replace(" ", "") if "1/2" not in raw else raw
    if _GRADE_NUMBER.match(compact):
        try:
            return Decimal(compact.replace(",", "."))
        except InvalidOperation:  # pragma: no cover - the pattern admits digits only
            raise CellError("grade_format", value=raw) from None
    match = _GRADE_HALF.match(raw)
    if match:
        return Decimal(match.group(1)) + HALF
    match = _GRADE_SIGN.match(compact)
    if match:
        base = Decimal(match.group(1))
        return base + QUARTER if match.group(2) == "+" else base - QUARTER
    match = _GRADE_BETWEEN.match(compact)
    if match:
        low, high = int(match.group(1)), int(match.group(2))
        if high == low + 1:
            return Decimal(low) + HALF
    raise CellError("grade_format", value=raw)


def _show_number(number: Decimal) -> str:
    """11.00 -> "11", 6.50 -> "6.5": as a person would write it."""
    shown = format(number.normalize(), "f")
    return shown


# --- attendance --------------------------------------------------------------------------------

PRESENT, ABSENT, LATE, LEFT_EARLY = "present", "absent", "late", "left_early"
ATTENDANCE_WORDS = {
    ABSENT: ("a", "as", "ass", "assente", "assenza", "absent", "absence", "ag", "an"),
    PRESENT: ("p", "pr", "presente", "presenza", "present"),
    LATE: ("r", "rb", "e", "ritardo", "ritardo breve", "entrata", "entrata posticipata", "late", "entrata in ritardo"),
    LEFT_EARLY: ("u", "ua", "uscita", "uscita anticipata", "left early", "early exit", "early leave"),
}
_ATTENDANCE = {word: status for status, words in ATTENDANCE_WORDS.items() for word in words}
MAX_HOURS = Decimal(24)
ZERO = Decimal(0)


def parse_hours(value: Any) -> Decimal:
    raw = text(value).replace(",", ".")
    try:
        hours = Decimal(raw) if not isinstance(value, int | float) else Decimal(str(value))
    except InvalidOperation:
        raise CellError("hours_invalid", value=text(value)) from None
    if not hours.is_finite() or not ZERO <= hours <= MAX_HOURS:
        raise CellError("hours_invalid", value=text(value))
    return hours.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def parse_attendance(value: Any) -> tuple[str, Decimal | None]:
    """(status, hours of absence or None when the cell holds a status word)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        hours = parse_hours(value)
        return (ABSENT if hours > 0 else PRESENT), hours
    raw = text(value)
    status = _ATTENDANCE.get(fold(raw))
    if status is not None:
        return status, None
    if raw and (raw[0].isdigit()):
        try:
            hours = parse_hours(raw)
        except CellError:
            raise CellError("attendance_unknown", value=raw) from None
        return (ABSENT if hours > 0 else PRESENT), hours
    raise CellError("attendance_unknown", value=raw)


# --- yes / no and severity ---------------------------------------------------------------------

_YES = {"si", "s", "x", "1", "g", "yes", "y", "true", "vero", "giustificata", "giustificato", "justified", "✓"}
_NO = {"", "no", "n", "0", "false", "falso", "non giustificata", "non giustificato", "da giustificare", "-"}


def parse_yes_no(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raw = text(value)
    folded = fold(raw)
    if folded in _YES:
        return True
    if folded in _NO:
        return False
    raise CellError("yes_no_unknown", value=raw)


MINOR, SERIOUS = "minor", "serious"
_SEVERITY = {
    "": MINOR,
    "lieve": MINOR,
    "minore": MINOR,
    "minor": MINOR,
    "bassa": MINOR,
    "low": MINOR,
    "nota": MINOR,
    "grave": SERIOUS,
    "serious": SERIOUS,
    "alta": SERIOUS,
    "high": SERIOUS,
    "sospensione": SERIOUS,
    "molto grave": SERIOUS,
}


def parse_severity(value: Any) -> str:
    raw = text(value)
    severity = _SEVERITY.get(fold(raw))
    if severity is None:
        raise CellError("severity_unknown", value=raw)
    return severity


# --- behaviour-note text -----------------------------------------------------------------------


def normalise_note(value: str) -> str:
    """The text of a note as it is compared: NFC, spaces collapsed, trimmed."""
    return " ".join(unicodedata.normalize("NFC", value).split())


def note_hash(value: str) -> str:
    """BehaviourNote.text_hash: sha256 of the normalised text, folded to lower case, so that the same
    note exported again (with other spacing or capitals) is recognised."""
    return hashlib.sha256(normalise_note(value).casefold().encode()).hexdigest()


# --- shared ------------------------------------------------------------------------------------


def fold(raw: str) -> str:
    """Lower case, no accents, no dots, single spaces: 'Sì' -> 'si', 'U.A.' -> 'ua'."""
    decomposed = unicodedata.normalize("NFKD", raw.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace(".", "")
    return " ".join(plain.split())
