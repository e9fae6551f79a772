"""The set-based check of a CSV export (PostgreSQL) says exactly what the row-by-row check (Python)
says: the same rows, records, counts and errors in the same words; files it cannot read as Python
does are left to Python."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from django.db import connection, transaction

from schools.importing import staging
from schools.importing.readers import open_table
from schools.importing.validation import MAX_ERRORS, validate
from tests.schools.imports.files import csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 1)
STUDENTS = {"A1": 11, "A2": 12, "A3": 13}
ATTENDANCE = {"register_id": "Codice alunno", "student_name": "Alunno", "date": "Data", "status": "Assenza",
              "justified": "Giustificata"}  # fmt: skip
HEADER = ["Alunno", "Codice alunno", "Data", "Assenza", "Giustificata"]


def checked_both_ways(kind: str, data: bytes, mapping: Mapping[str, str]) -> tuple[Any, list[tuple[Any, ...]], Any]:
    """(the SQL check, the records it staged in row order, the Python check) of one file."""
    with transaction.atomic():
        checked = staging.stage_csv(data, kind, mapping, lambda: STUDENTS, today=TODAY)
        staged: list[tuple[Any, ...]] = []
        if checked is not None:
            columns = ", ".join(staging.RECORD_COLUMNS[kind])
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {columns} FROM {staging.STAGE} ORDER BY n")
                staged = cursor.fetchall()
        staging.drop_tables()
    table = open_table(data)
    python = validate(kind, table, mapping, STUDENTS, today=TODAY)
    return checked, staged, python


def assert_same(kind: str, data: bytes, mapping: Mapping[str, str]) -> Any:
    checked, staged, python = checked_both_ways(kind, data, mapping)
    assert checked is not None, "the file should take the set-based path"
    assert [error.as_dict() for error in checked.errors] == [error.as_dict() for error in python.errors]
    assert (checked.rows_total, checked.error_rows, checked.repeated, checked.records) == (
        python.rows_total,
        python.error_rows,
        python.repeated,
        len(python.records),
    )
    assert staged == list(python.records.values())
    return checked


def temp_tables() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE relpersistence = 't' AND relname LIKE 'schools_import%'")
        return [name for (name,) in cursor.fetchall()]


ROWS = [["Uno", "A1", "03/02/2026", "A", "sì"], ["Due", "A2", "03/02/2026", "R", ""]]


def test_a_clean_attendance_file_is_staged_as_python_reads_it():
    rows = [HEADER, ["Uno", "A1", "03/02/2026", "A", "sì"], ["Due", " A2 ", "2026-02-03", "2", ""],
            ["Tre", "A3", "4.2.26", "R", "no"], ["Uno", "A1", "04/02/2026", "1,5", "x"]]  # fmt: skip
    checked = assert_same("attendance", csv_bytes(rows), ATTENDANCE)
    assert checked.ok and checked.records == 4


def test_every_kind_of_problem_gets_the_same_error_in_the_same_words():
    rows: list[Sequence[Any]] = [
        ["Registro di classe 2B"],  # a title above the header
        [],
        HEADER,
        ["Uno", "A1", "03/02/2026", "A", "sì"],
        ["", "", "", "", ""],  # an empty row is skipped, and still counts as a line
        ["Nessuno", "Z9", "03/02/2026", "A", ""],  # no such pupil
        ["Uno", "", "03/02/2026", "A", ""],  # register id missing
        ["Uno", "A1", "", "", ""],  # date and attendance missing
        ["Due", "A2", "31/02/2026", "A", ""],  # no such day
        ["Due", "A2", "domani", "boh", "forse"],  # three cells wrong at once
        ["Due", "A2", "05/05/2026", "A", ""],  # in the future
        ["Tre", "A3", "03/02/2026", "30", ""],  # hours out of range
        ["Uno", "A1", "03/02/2026", "A", "sì"],  # the same row again: counted once
        ["Uno", "A1", "03/02/2026", "P", ""],  # the same day with other values: an error
        ["Tre", "Z9", "31/13/2026", "?", ""],  # no pupil and a bad date
    ]
    checked = assert_same("attendance", csv_bytes(rows, bom=True), ATTENDANCE)
    assert checked.error_rows == 9 and checked.repeated == 1 and checked.records == 1


def test_hours_columns_encodings_and_delimiters():
    mapping = {"register_id": "Matricola", "date": "Giorno", "absent_hours": "Ore assenza"}
    rows = [["Matricola", "Giorno", "Ore assenza"], ["A1", "03/02/2026", "2"], ["A2", "03/02/2026", "0"],
            ["A3", "03/02/2026", "-1"], ["A3", "04/02/2026", ""]]  # fmt: skip
    assert_same("attendance", csv_bytes(rows, delimiter="\t"), mapping)
    assert_same("attendance", csv_bytes(rows, delimiter=","), mapping)
    latin = [HEADER, ["Niccolò", "A1", "03/02/2026", "A", "sì"], ["Zoë", "A2", "03/02/2026", "assente", "Sì"]]
    assert_same("attendance", csv_bytes(latin, encoding="cp1252"), ATTENDANCE)


def test_quoted_fields_that_python_and_postgresql_read_alike():
    data = (
        'Alunno;"Codice alunno";Data;Assenza;Giustificata\r\n'
        '"Rossi; Anna";A1;03/02/2026;A;"sì"\r\n'
        '"Bianchi ""Gigi""";"A2";"03/02/2026";"R";""\r\n'
    ).encode()
    assert_same("attendance", data, ATTENDANCE)
    every_field_quoted = "\r\n".join(";".join(f'"{cell}"' for cell in row) for row in [HEADER, *ROWS]).encode()
    assert_same("attendance", every_field_quoted, ATTENDANCE)


def test_results_with_grades_written_the_italian_way():
    mapping = {"register_id": "Codice alunno", "date": "Data", "subject": "Materia", "grade": "Voto",
               "term": "Periodo"}  # fmt: skip
    rows = [["Codice alunno", "Data", "Materia", "Voto", "Periodo"], ["A1", "03/02/2026", "Matematica", "6+", "I"],
            ["A1", "03/02/2026", "Storia", "6½", "I"], ["A2", "03/02/2026", "Italiano", "11", ""],
            ["A2", "03/02/2026", "", "7", ""], ["A3", "03/02/2026", "Inglese", "Base", ""],
            ["A3", "04/02/2026", "Inglese", "5-", "II"], ["A3", "04/02/2026", "Inglese", "4,75", "II"]]  # fmt: skip
    checked = assert_same("results", csv_bytes(rows), mapping)
    assert checked.error_rows == 3 and checked.repeated == 1


def test_errors_beyond_the_kept_ones_are_counted_alike():
    rows = [HEADER] + [["X", f"Z{number}", "03/02/2026", "A", ""] for number in range(MAX_ERRORS + 20)]
    checked = assert_same("attendance", csv_bytes(rows), ATTENDANCE)
    assert len(checked.errors) == MAX_ERRORS and checked.error_rows == MAX_ERRORS + 20


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"Codice alunno;Data;Assenza\r\nA1;03/02/2026;A;extra\r\n", id="a row wider than the header"),
        pytest.param(b"Codice alunno;Data;Assenza\r\nA1;03/02/2026\r\n", id="a row narrower than the header"),
        pytest.param(b"Codice alunno;Data;Assenza\r\nA1;03/02/2026;A\r\n\r\nA2;03/02/2026;A\r\n", id="a blank line"),
        pytest.param(b'Codice alunno;Data;Assenza\r\nA1 "x";03/02/2026;A\r\n', id="a quote inside a field"),
        pytest.param(b'Codice alunno;Data;Assenza\r\nA1"";03/02/2026;A\r\n', id="a quote pair ending a field"),
        pytest.param(b'Codice alunno;Data;Assenza\r\n"A1"x;03/02/2026;A\r\n', id="text after a closing quote"),
        pytest.param(b'Codice alunno;Data;Assenza\r\n"A1\r\nA2";03/02/2026;A\r\n', id="a line break in a field"),
        pytest.param(b"Codice alunno;Data;Assenza\rA1;03/02/2026;A\r", id="old Mac line ends"),
        pytest.param(xlsx_bytes([["Codice alunno", "Data", "Assenza"], ["A1", "03/02/2026", "A"]]), id="xlsx"),
    ],
)
def test_files_postgresql_would_read_otherwise_are_left_to_python(data):
    mapping = {"register_id": "Codice alunno", "date": "Data", "status": "Assenza"}
    with transaction.atomic():
        assert staging.stage_csv(data, "attendance", mapping, lambda: STUDENTS, today=TODAY) is None
        assert temp_tables() == []


def test_behaviour_notes_are_checked_in_python():
    data = csv_bytes([["Codice alunno", "Data", "Nota"], ["A1", "03/02/2026", "Disturba"]])
    mapping = {"register_id": "Codice alunno", "date": "Data", "text": "Nota"}
    assert staging.stage_csv(data, "behaviour", mapping, lambda: STUDENTS, today=TODAY) is None


def test_a_disagreement_between_the_two_checks_leaves_the_file_to_python(monkeypatch):
    """Should the set-based check refuse a row that the row checks accept, Python has the last word."""
    monkeypatch.setattr(staging, "_date", lambda raw, parse, today: None)
    data = csv_bytes([HEADER, *ROWS])
    with transaction.atomic():
        assert staging.stage_csv(data, "attendance", ATTENDANCE, lambda: STUDENTS, today=TODAY) is None
        assert temp_tables() == []


def test_a_file_exported_twice_over_counts_each_record_once():
    rows = [["Uno", f"A{number % 3 + 1}", f"{day:02d}/02/2026", "A", ""] for number in range(3) for day in (2, 3, 4)]
    checked = assert_same("attendance", csv_bytes([HEADER, *rows, *rows]), ATTENDANCE)
    assert (checked.records, checked.repeated, checked.error_rows) == (9, 9, 0)
