"""Rows of a register export checked and turned into records ready to be written, with every problem
as a row-numbered error in plain words. Pure Python: the caller passes the school's students as a
dict {register id: student id}.

Records are tuples in the column order of `RECORD_COLUMNS[kind]`, keyed by the model's natural key
(attendance: student + date; results: student + subject + date; behaviour: student + date + text
hash). The same key twice in a file with the same values counts once; with different values it is an
error, since we could not tell which one is right."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter
from typing import Any

from schools.importing import values
from schools.importing.mapping import ATTENDANCE, BEHAVIOUR, RESULTS
from schools.importing.readers import Table
from schools.importing.values import CellError, describe, fold, text

RECORD_COLUMNS: dict[str, tuple[str, ...]] = {
    ATTENDANCE: ("student_id", "date", "status", "absent_hours", "justified"),
    RESULTS: ("student_id", "date", "subject", "grade", "is_core_subject", "term"),
    BEHAVIOUR: ("student_id", "date", "severity", "text", "text_hash"),
}
KEY_COLUMNS: dict[str, tuple[str, ...]] = {
    ATTENDANCE: ("student_id", "date"),
    RESULTS: ("student_id", "subject", "date"),
    BEHAVIOUR: ("student_id", "date", "text_hash"),
}
# Errors kept with an import (all are counted): enough to fix a file, not a second copy of it.
MAX_ERRORS = 500
SUBJECT_MAX, TERM_MAX, NOTE_MAX = 80, 20, 4000
# Core subjects when the file does not say: those the early warning counts as failing "core" ones.
CORE_SUBJECTS = (
    "italiano",
    "lingua italiana",
    "italian",
    "matematica",
    "mathematics",
    "maths",
    "math",
    "inglese",
    "lingua inglese",
    "english",
)


def is_core_subject(subject: str) -> bool:
    folded = fold(subject)
    return any(folded == core or folded.startswith(core + " ") for core in CORE_SUBJECTS)


@dataclass
class RowError:
    row: int
    column: str
    code: str
    params: dict[str, str]

    def as_dict(self) -> dict[str, Any]:
        """The shape kept in RegisterImport.errors: the sentence in the language of the moment, plus
        code and params to say it again in the reader's language."""
        return {
            "row": self.row,
            "column": self.column,
            "message": describe(self.code, self.params, self.row),
            "code": self.code,
            "params": self.params,
        }


@dataclass
class Validated:
    kind: str
    records: dict[tuple[Any, ...], tuple[Any, ...]] = field(default_factory=dict)
    row_of: dict[tuple[Any, ...], int] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    rows_total: int = 0
    error_rows: int = 0
    repeated: int = 0

    @property
    def ok(self) -> bool:
        return self.error_rows == 0

    def add_error(self, error: RowError) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(error)

    def student_ids(self) -> set[int]:
        return {record[0] for record in self.records.values()}


def _memo(parse: Callable[[Any], Any], limit: int = 20_000) -> Callable[[Any], Any]:
    """Exports repeat the same few dates and codes thousands of times: read each text once. An
    empty cell reads as None (the field's default; required cells are checked before)."""
    cache: dict[Any, Any] = {None: None, "": None}

    def cached(raw: Any) -> Any:
        try:
            result = cache[raw]
        except KeyError:
            try:
                result = None if _blank(raw) else parse(raw)
            except CellError as error:
                result = error
            if len(cache) < limit:
                cache[raw] = result
        except TypeError:  # an unhashable value: read it every time
            return None if _blank(raw) else parse(raw)
        if isinstance(result, CellError):
            raise result
        return result

    return cached


def _unmemoised(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Notes are seldom repeated: not worth a cache."""

    def read(raw: Any) -> Any:
        return None if _blank(raw) else parse(raw)

    return read


def _optional_text(limit: int) -> Callable[[Any], str]:
    def parse(raw: Any) -> str:
        value = " ".join(text(raw).split())
        if len(value) > limit:
            raise CellError("too_long", limit=limit)
        return value

    return parse


def _parsers(kind: str) -> dict[str, Callable[[Any], Any]]:
    common = {"date": _memo(values.parse_date)}
    if kind == ATTENDANCE:
        return {
            **common,
            "status": _memo(values.parse_attendance),
            "absent_hours": _memo(values.parse_hours),
            "justified": _memo(values.parse_yes_no),
        }
    if kind == RESULTS:
        return {
            **common,
            "subject": _memo(_optional_text(SUBJECT_MAX)),
            "grade": _memo(values.parse_grade),
            "term": _memo(_optional_text(TERM_MAX)),
            "is_core_subject": _memo(values.parse_yes_no),
        }
    return {
        **common,
        "text": _unmemoised(_optional_text(NOTE_MAX)),
        "severity": _memo(values.parse_severity),
    }


REQUIRED_CELLS = {
    ATTENDANCE: ("register_id", "date"),
    RESULTS: ("register_id", "date", "subject", "grade"),
    BEHAVIOUR: ("register_id", "date", "text"),
}


def validate(
    kind: str,
    table: Table,
    mapping: Mapping[str, str],
    students: Mapping[str, int],
    *,
    today: datetime.date,
    progress: Callable[[int], None] | None = None,
    progress_every: int = 5_000,
) -> Validated:
    """Read every data row of `table` with `mapping` (our field -> header).

    The loop is the hot path of a 200,000-row import: a row that reads cleanly goes through one
    comprehension of cached parsers; only a row with a problem takes the slower path that collects
    every problem it has."""
    index = {name: table.headers.index(header) for name, header in mapping.items() if header in table.headers}
    headers = {name: table.headers[position] for name, position in index.items()}
    parsers = _parsers(kind)
    names = [name for name in index if name in parsers]
    columns = [(index[name], parsers[name]) for name in names]
    required = [index[name] for name in REQUIRED_CELLS[kind] if name in index]
    register_position = index["register_id"]  # required: the mapping form refuses a mapping without it
    width = max(index.values()) + 1
    padding = [None] * width
    build = _BUILDERS[kind]
    key_of = _KEY_OF[kind]
    records: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    row_of: dict[tuple[Any, ...], int] = {}
    result = Validated(kind, records, row_of)
    seen_rows = 0

    for number, cells in table.rows:
        seen_rows += 1
        if progress is not None and seen_rows % progress_every == 0:
            progress(seen_rows)
        if len(cells) < width:
            cells = [*cells, *padding[: width - len(cells)]]
        if any(_blank(cells[position]) for position in required):
            _reject(result, _required_problems(number, cells, index, headers, kind))
            continue
        raw_id = cells[register_position]
        register_id = raw_id.strip() if raw_id.__class__ is str else text(raw_id)
        student_id = students.get(register_id)
        try:
            parsed = dict(zip(names, [parse(cells[position]) for position, parse in columns], strict=True))
        except CellError:
            parsed = {}
        problems: list[RowError] = []
        if not parsed:
            problems = _cell_problems(number, cells, names, columns, headers)
        if student_id is None:
            problems.append(RowError(number, headers["register_id"], "no_student", {"value": register_id}))
        if not problems:
            date = parsed["date"]
            if date > today:
                problems.append(RowError(number, headers["date"], "date_future", {"value": date.strftime("%d/%m/%Y")}))
        if problems:
            _reject(result, problems)
            continue
        try:
            record = build(student_id, parsed)  # type: ignore[arg-type]
        except CellError as error:
            _reject(result, [RowError(number, _column_of(error, headers), error.code, error.params)])
            continue
        key = key_of(record)
        earlier = records.get(key)
        if earlier is None:
            records[key] = record
            row_of[key] = number
        elif _same(kind, earlier, record):
            result.repeated += 1
        else:
            _reject(result, [RowError(number, "", "duplicate", {"other": str(row_of[key])})])
    result.rows_total = seen_rows
    if progress is not None:
        progress(seen_rows)
    return result


def _blank(raw: Any) -> bool:
    return raw is None or raw == "" or (raw.__class__ is str and raw.isspace())


def _required_problems(
    number: int, cells: list[Any], index: Mapping[str, int], headers: Mapping[str, str], kind: str
) -> list[RowError]:
    return [
        RowError(number, headers[name], "required", {"column": headers[name]})
        for name in REQUIRED_CELLS[kind]
        if name in index and _blank(cells[index[name]])
    ]


def _cell_problems(
    number: int,
    cells: list[Any],
    names: list[str],
    columns: list[tuple[int, Callable[[Any], Any]]],
    headers: Mapping[str, str],
) -> list[RowError]:
    problems = []
    for name, (position, parse) in zip(names, columns, strict=True):
        try:
            parse(cells[position])
        except CellError as error:
            problems.append(RowError(number, headers[name], error.code, error.params))
    return problems


def _reject(result: Validated, problems: Iterable[RowError]) -> None:
    result.error_rows += 1
    for problem in problems:
        result.add_error(problem)


def _column_of(error: CellError, headers: Mapping[str, str]) -> str:
    return headers.get("status") or headers.get("absent_hours", "") if error.code == "attendance_missing" else ""


def _attendance(student_id: int, parsed: dict[str, Any]) -> tuple[Any, ...]:
    status_and_hours = parsed.get("status")
    hours: Decimal | None = parsed.get("absent_hours")
    if status_and_hours is None:
        if hours is None:
            raise CellError("attendance_missing")
        status = values.ABSENT if hours > 0 else values.PRESENT
    else:
        status, hours_in_status = status_and_hours
        if hours is None:
            hours = hours_in_status if hours_in_status is not None else values.ZERO
    return (student_id, parsed["date"], status, hours, parsed.get("justified") or False)


def _results(student_id: int, parsed: dict[str, Any]) -> tuple[Any, ...]:
    subject = parsed["subject"]
    core = parsed.get("is_core_subject")
    if core is None:
        core = is_core_subject(subject)
    return (student_id, parsed["date"], subject, parsed["grade"], core, parsed.get("term") or "")


def _behaviour(student_id: int, parsed: dict[str, Any]) -> tuple[Any, ...]:
    note = values.normalise_note(parsed["text"])
    return (student_id, parsed["date"], parsed.get("severity") or values.MINOR, note, values.note_hash(note))


_BUILDERS: dict[str, Callable[[int, dict[str, Any]], tuple[Any, ...]]] = {
    ATTENDANCE: _attendance,
    RESULTS: _results,
    BEHAVIOUR: _behaviour,
}
_KEY_OF = {
    kind: itemgetter(*(RECORD_COLUMNS[kind].index(column) for column in KEY_COLUMNS[kind])) for kind in RECORD_COLUMNS
}


def _same(kind: str, earlier: tuple[Any, ...], record: tuple[Any, ...]) -> bool:
    """Two rows with one key say the same thing (a note's text may differ in capitals: same hash)."""
    if kind == BEHAVIOUR:
        return earlier[2] == record[2]
    return earlier == record


def record_dict(kind: str, record: tuple[Any, ...]) -> dict[str, Any]:
    return dict(zip(RECORD_COLUMNS[kind], record, strict=True))
