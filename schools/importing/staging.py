"""A CSV register export checked by PostgreSQL: the file COPYed as text into a temporary table, each
distinct cell value read once in Python (the same parsers as `validation`), and every row checked
and converted by joins, set-based. The rows ready to be written end in the temporary table STAGE,
the shape `schools.services.imports` writes from.

The fast path of a 200,000-row attendance export: no Python object per row. Only files whose
rows PostgreSQL's CSV reader splits as Python's does take it (one record per line, quotes only
around whole fields, every row as wide as the header); for any other file `stage_csv` returns
None and the caller checks the file in Python. The rows with a problem are read again in Python
(`validation.validate`), so their errors are the very sentences the Python path gives."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import psycopg2
from django.db import DataError, connection, transaction

from schools.importing.mapping import ATTENDANCE, RESULTS
from schools.importing.readers import CSV, MAX_ROWS, Table, check_content, decode, open_table
from schools.importing.validation import (
    _BUILDERS,
    KEY_COLUMNS,
    MAX_ERRORS,
    RECORD_COLUMNS,
    REQUIRED_CELLS,
    RowError,
    _blank,
    _parsers,
    validate,
)
from schools.importing.values import CellError

logger = logging.getLogger(__name__)

STAGE = "schools_import_stage"
RAW = "schools_import_raw"
LOOKUPS = ("schools_import_students", "schools_import_dates", "schools_import_values")
# Kinds whose records are a function of their cells (no per-row work such as encrypting a note).
KINDS = (ATTENDANCE, RESULTS)
# SQL types of the record columns, as in the records tables.
SQL_TYPES = {
    "student_id": "bigint",
    "date": "date",
    "status": "varchar(10)",
    "absent_hours": "numeric(4,1)",
    "justified": "boolean",
    "subject": "varchar(80)",
    "grade": "numeric(4,2)",
    "is_core_subject": "boolean",
    "term": "varchar(20)",
}
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


@dataclass
class Checked:
    """What checking a file found. Its valid records (first of each key) are in STAGE."""

    kind: str
    rows_total: int = 0
    error_rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    repeated: int = 0
    records: int = 0

    @property
    def ok(self) -> bool:
        return self.error_rows == 0


def copy_value(value: Any) -> str:
    """A Python value as COPY text."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    return str(value)  # int, Decimal, date (ISO format)


def drop_tables() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {STAGE}, {RAW}, {', '.join(LOOKUPS)}")


def _data_text(data: bytes) -> tuple[Table, str, int] | None:
    """(table's header, the text of the data lines, the number of fields of the header line), for
    a CSV that PostgreSQL's reader splits as Python's; else None."""
    if check_content(data) != CSV:
        return None
    table = open_table(data)
    table.close()
    text, _encoding = decode(data)
    # Line ends: \n or \r\n only (PostgreSQL refuses a file that mixes them).
    if text.count("\r") != text.count("\r\n"):
        return None
    start = 0
    for _line in range(table.header_row - 1):
        start = text.find("\n", start) + 1
        if start == 0:
            return None
    end = text.find("\n", start)
    header_line = text[start : end if end >= 0 else len(text)].rstrip("\r")
    body = text[end + 1 :].rstrip("\r\n") if end >= 0 else ""
    if not body:
        return None
    # Quotes only around whole fields ("a;b", "say ""hi"""): Python and PostgreSQL read a stray
    # quote inside a field differently.
    if '"' in body and not _well_quoted(body, table.delimiter):
        return None
    if body.count("\n") + 1 > MAX_ROWS:
        return None  # Python says the file is too long
    width = len(next(iter(_csv_fields(header_line, table.delimiter)), []))
    if width < len(table.headers):
        return None
    return table, body, width


def _well_quoted(body: str, delimiter: str) -> bool:
    '''Every quote opens or closes a field quoted whole, as RFC 4180 has it ("a;b", "say ""hi""").'''
    d = re.escape(delimiter)
    quoted = re.compile(f'(?:(?<=[{d}\\n])|^)"[^"]*(?:""[^"]*)*"(?=[{d}\\r\\n]|$)')
    return '"' not in quoted.sub("", body)


def _csv_fields(line: str, delimiter: str) -> list[list[str]]:
    import csv

    return list(csv.reader([line], delimiter=delimiter))


def stage_csv(
    data: bytes,
    kind: str,
    mapping: Mapping[str, str],
    students: Callable[[], Mapping[str, int]],
    *,
    today: Any,
) -> Checked | None:
    """Check a CSV export in PostgreSQL and leave its valid records in STAGE; None when the file
    must be checked in Python instead (nothing is left behind then). `students` gives the school's
    {register id: student id}."""
    if kind not in KINDS:
        return None
    found = _data_text(data)
    if found is None:
        return None
    table, body, width = found
    headers = table.headers
    index = {name: headers.index(header) for name, header in mapping.items() if header in headers}
    if "register_id" not in index or "date" not in index:
        return None
    parsers = _parsers(kind)
    names = [name for name in index if name in parsers]
    rest = [name for name in names if name != "date"]
    if not rest:
        return None
    cells = [f"c{position}" for position in range(width)]
    with connection.cursor() as cursor:
        drop_tables()
        # The temporary tables' statistics only steer the joins: a small sample is enough.
        cursor.execute("SET LOCAL default_statistics_target = 10")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {RAW} (n integer GENERATED ALWAYS AS IDENTITY, "
            + ", ".join(f"{cell} text" for cell in cells)
            + ")"
        )
        try:
            with transaction.atomic():
                cursor.copy_expert(  # type: ignore[attr-defined]
                    f"COPY {RAW} ({', '.join(cells)}) FROM STDIN WITH (FORMAT csv, DELIMITER %s,"
                    f" FORCE_NOT_NULL ({', '.join(cells)}))" % _literal(table.delimiter),
                    io.StringIO(body),
                )
        except (DataError, psycopg2.DataError):  # a row wider or narrower than the header, a quoted line break...
            drop_tables()
            return None
        if cursor.rowcount != body.count("\n") + 1:  # a record over several lines: numbered differently
            drop_tables()
            return None

        register, date = cells[index["register_id"]], cells[index["date"]]
        rest_cells = [cells[index[name]] for name in rest]
        known = students()
        # The distinct register ids, dates and combinations of the other cells, in one pass.
        cursor.execute(
            f"SELECT GROUPING({register}), GROUPING({date}), {register}, {date}, {', '.join(rest_cells)}"  # noqa: S608
            f" FROM {RAW} GROUP BY GROUPING SETS (({register}), ({date}), ({', '.join(rest_cells)}))"
        )
        distinct: tuple[list[tuple[str, ...]], ...] = ([], [], [])
        for not_register, not_date, raw_register, raw_date, *raw_rest in cursor.fetchall():
            if not not_register:
                distinct[0].append((raw_register,))
            elif not not_date:
                distinct[1].append((raw_date,))
            else:
                distinct[2].append(tuple(raw_rest))
        _lookup(
            cursor,
            LOOKUPS[0],
            distinct[0],
            [("student_id", "bigint")],
            lambda raw: _student(raw[0], known),
        )
        parse_date = parsers["date"]
        _lookup(cursor, LOOKUPS[1], distinct[1], [("value", "date")], lambda raw: _date(raw[0], parse_date, today))
        value_columns = [column for column in RECORD_COLUMNS[kind] if column not in ("student_id", "date")]
        required = REQUIRED_CELLS[kind]
        build = _BUILDERS[kind]
        rest_parsers = [(name, parsers[name]) for name in rest]
        _lookup(
            cursor,
            LOOKUPS[2],
            distinct[2],
            [(column, SQL_TYPES[column]) for column in value_columns],
            lambda raw: _values(raw, rest_parsers, required, build),
        )

        # Every row with something in it (its register id usually settles that), its lookups
        # joined; a row missing from a lookup has a problem.
        kept = (
            f"CASE WHEN r.{cells[index['register_id']]} ~ '[^[:space:]]' THEN true"
            f" ELSE concat({', '.join(f'r.{cell}' for cell in cells)}) ~ '[^[:space:]]' END"
        )
        rest_join = " AND ".join(f"v.r{i} = r.{cell}" for i, cell in enumerate(rest_cells))
        cursor.execute(
            f"CREATE TEMPORARY TABLE {STAGE} AS"  # noqa: S608 - names from this module, no input
            f" SELECT r.n + %s AS n, s.student_id, d.value AS date,"
            f" {', '.join(f'v.{column}' for column in value_columns)},"
            f" (s.student_id IS NULL OR d.value IS NULL OR v.r0 IS NULL) AS bad"
            f" FROM {RAW} r LEFT JOIN {LOOKUPS[0]} s ON s.r0 = r.{register}"
            f" LEFT JOIN {LOOKUPS[1]} d ON d.r0 = r.{date}"
            f" LEFT JOIN {LOOKUPS[2]} v ON {rest_join}"
            f" WHERE {kept}",
            [table.header_row],
        )
        cursor.execute(f"SELECT count(*), count(*) FILTER (WHERE bad) FROM {STAGE}")  # noqa: S608
        total, bad = cursor.fetchone()
        checked = Checked(kind, rows_total=total)
        problems: dict[int, list[RowError]] = {}
        if bad:
            said = _row_problems(cursor, kind, table, mapping, known, width, today)
            if said is None:
                logger.warning("Set-based and row checks disagree on a %s import: checked in Python", kind)
                drop_tables()
                return None
            problems = said
            cursor.execute(f"DELETE FROM {STAGE} WHERE bad")  # noqa: S608
        removed, duplicates = _repeats(cursor, kind)
        for number, other in duplicates.items():
            problems.setdefault(number, []).append(RowError(number, "", "duplicate", {"other": str(other)}))
        if removed:
            cursor.execute(f"DELETE FROM {STAGE} WHERE n = ANY(%s)", [sorted(removed)])  # noqa: S608
        for number in sorted(problems):
            for problem in problems[number]:
                if len(checked.errors) < MAX_ERRORS:
                    checked.errors.append(problem)
        checked.error_rows = bad + len(duplicates)
        checked.repeated = len(removed) - len(duplicates)
        checked.records = total - checked.error_rows - checked.repeated
        cursor.execute(f"ANALYZE {STAGE}")
        cursor.execute(f"DROP TABLE {RAW}, {', '.join(LOOKUPS)}")
    return checked


def _literal(value: str) -> str:
    return "E'\\t'" if value == "\t" else "'" + value.replace("'", "''") + "'"


def _lookup(
    cursor: Any,
    name: str,
    distinct: list[tuple[str, ...]],
    columns: list[tuple[str, str]],
    read: Callable[[tuple[str, ...]], tuple[Any, ...] | None],
) -> None:
    """A table of the distinct values (of one or more cells) that read well, with what they read as."""
    raws = ", ".join(f"r{i} text" for i in range(len(distinct[0]) if distinct else 1))
    cursor.execute(f"CREATE TEMPORARY TABLE {name} ({raws}, {', '.join(f'{c} {t}' for c, t in columns)})")
    buffer = io.StringIO()
    for raw in distinct:
        values = read(raw)
        if values is not None:
            buffer.write("\t".join(copy_value(value) for value in (*raw, *values)) + "\n")
    buffer.seek(0)
    cursor.copy_expert(f"COPY {name} FROM STDIN", buffer)
    cursor.execute(f"ANALYZE {name}")


def _student(raw: str, students: Mapping[str, int]) -> tuple[int] | None:
    if _blank(raw):
        return None
    student_id = students.get(raw.strip())
    return None if student_id is None else (student_id,)


def _date(raw: str, parse: Callable[[Any], Any], today: Any) -> tuple[Any] | None:
    try:
        value = parse(raw)
    except CellError:
        return None
    return None if value is None or value > today else (value,)


def _values(
    raw: tuple[str, ...],
    parsers: list[tuple[str, Callable[[Any], Any]]],
    required: tuple[str, ...],
    build: Callable[[int, dict[str, Any]], tuple[Any, ...]],
) -> tuple[Any, ...] | None:
    parsed: dict[str, Any] = {"date": None}
    for cell, (name, parse) in zip(raw, parsers, strict=True):
        if name in required and _blank(cell):
            return None
        try:
            parsed[name] = parse(cell)
        except CellError:
            return None
    try:
        record = build(0, parsed)
    except CellError:
        return None
    return record[2:]


def _row_problems(
    cursor: Any,
    kind: str,
    table: Table,
    mapping: Mapping[str, str],
    students: Mapping[str, int],
    width: int,
    today: Any,
) -> dict[int, list[RowError]] | None:
    """The problems of the first rows with any, said by the Python checks (None if these find a
    row without one: the two checks disagree)."""
    cursor.execute(
        f"SELECT r.n + %s, {', '.join(f'r.c{i}' for i in range(width))} FROM {RAW} r"  # noqa: S608
        f" WHERE r.n + %s IN (SELECT n FROM {STAGE} WHERE bad ORDER BY n LIMIT %s) ORDER BY r.n",
        [table.header_row, table.header_row, MAX_ERRORS],
    )
    rows = [(row[0], list(row[1:])) for row in cursor.fetchall()]
    checked = validate(kind, Table(table.headers, table.header_row, iter(rows), CSV), mapping, students, today=today)
    problems: dict[int, list[RowError]] = {}
    for problem in checked.errors:
        problems.setdefault(problem.row, []).append(problem)
    if checked.records:  # Python finds nothing wrong with a row the SQL refused: let Python check the file
        return None
    return problems


def _repeats(cursor: Any, kind: str) -> tuple[set[int], dict[int, int]]:
    """Rows whose key an earlier valid row already has: (rows to leave out, {row: earlier row} of
    those with other values, which are errors)."""
    key = ", ".join(KEY_COLUMNS[kind])
    columns = ", ".join(RECORD_COLUMNS[kind])
    repeated = f"SELECT {key} FROM {STAGE} GROUP BY {key} HAVING count(*) > 1"  # noqa: S608
    cursor.execute(f"SELECT EXISTS ({repeated})")
    if not cursor.fetchone()[0]:
        return set(), {}
    # A file exported twice over repeats every key: a join, not a list of keys.
    cursor.execute(f"SELECT n, {columns} FROM {STAGE} JOIN ({repeated}) k USING ({key}) ORDER BY n")  # noqa: S608
    first: dict[tuple[Any, ...], tuple[int, tuple[Any, ...]]] = {}
    key_positions = [RECORD_COLUMNS[kind].index(column) for column in KEY_COLUMNS[kind]]
    removed: set[int] = set()
    duplicates: dict[int, int] = {}
    for number, *values in cursor.fetchall():
        record = tuple(values)
        natural = tuple(record[position] for position in key_positions)
        earlier = first.get(natural)
        if earlier is None:
            first[natural] = (number, record)
            continue
        removed.add(number)
        if earlier[1] != record:
            duplicates[number] = earlier[0]
    return removed, duplicates
