"""Rows checked against the school's students, with row-numbered errors (no database)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import translation

from schools.importing.readers import open_table
from schools.importing.validation import MAX_ERRORS, validate
from tests.schools.imports.files import csv_bytes

TODAY = datetime.date(2026, 3, 1)
STUDENTS = {"A1": 11, "A2": 12}
ATTENDANCE_MAPPING = {"register_id": "Codice alunno", "date": "Data", "status": "Assenza", "justified": "Giustificata"}


def run(kind, rows, mapping, **options):
    table = open_table(csv_bytes(rows))
    return validate(kind, table, mapping, STUDENTS, today=TODAY, **options)


def messages(result):
    with translation.override("en"):
        return [error.as_dict()["message"] for error in result.errors]


def test_attendance_rows_become_records():
    result = run(
        "attendance",
        [
            ["Codice alunno", "Data", "Assenza", "Giustificata"],
            ["A1", "03/02/2026", "A", "sì"],
            ["A2", "03/02/2026", "2", ""],
            ["A2", "04/02/2026", "R", "no"],
        ],
        ATTENDANCE_MAPPING,
    )
    assert result.ok and result.rows_total == 3
    assert list(result.records.values()) == [
        (11, datetime.date(2026, 2, 3), "absent", Decimal("0"), True),
        (12, datetime.date(2026, 2, 3), "absent", Decimal("2.0"), False),
        (12, datetime.date(2026, 2, 4), "late", Decimal("0"), False),
    ]


def test_hours_column_alone_is_enough():
    result = run(
        "attendance",
        [["Codice alunno", "Data", "Ore assenza"], ["A1", "03/02/2026", "3"], ["A1", "04/02/2026", "0"]],
        {"register_id": "Codice alunno", "date": "Data", "absent_hours": "Ore assenza"},
    )
    assert [record[2:4] for record in result.records.values()] == [
        ("absent", Decimal("3.0")),
        ("present", Decimal("0.0")),
    ]


def test_every_problem_of_a_row_in_plain_words():
    result = run(
        "attendance",
        [
            ["Codice alunno", "Data", "Assenza", "Giustificata"],
            ["A1", "03/02/2026", "A", "sì"],
            ["A123", "31/02/2026", "A", ""],
            ["A2", "05/02/2026", "boh", "forse"],
            ["", "05/02/2026", "A", ""],
            ["A2", "05/05/2026", "A", ""],
            ["A1", "06/02/2026", "", ""],
        ],
        ATTENDANCE_MAPPING,
    )
    assert result.error_rows == 5 and len(result.records) == 1
    assert messages(result) == [
        "Row 3: the date '31/02/2026' does not exist",
        "Row 3: no student with register id 'A123' at this school",
        "Row 4: 'boh' is not an attendance value: write A (absent), P (present), R (late), U (left early) or the hours of absence",
        "Row 4: 'forse' is neither yes nor no",
        "Row 5: the column 'Codice alunno' is empty",
        "Row 6: the date 05/05/2026 is in the future",
        "Row 7: neither an attendance value nor hours of absence",
    ]
    assert [error.column for error in result.errors][:2] == ["Data", "Codice alunno"]


def test_results_with_grade_conventions_and_core_subjects():
    result = run(
        "results",
        [
            ["Codice alunno", "Data", "Materia", "Voto", "Periodo"],
            ["A1", "03/02/2026", "Matematica", "6,5", "1Q"],
            ["A1", "03/02/2026", "Storia", "5-", "1Q"],
            ["A2", "03/02/2026", "Lingua inglese", "6½", ""],
            ["A2", "04/02/2026", "Italiano", "11", ""],
        ],
        {"register_id": "Codice alunno", "date": "Data", "subject": "Materia", "grade": "Voto", "term": "Periodo"},
    )
    assert [record[2:] for record in result.records.values()] == [
        ("Matematica", Decimal("6.50"), True, "1Q"),
        ("Storia", Decimal("4.75"), False, "1Q"),
        ("Lingua inglese", Decimal("6.50"), True, ""),
    ]
    assert messages(result) == ["Row 5: grade 11 is outside 0–10"]


def test_behaviour_notes_keyed_by_their_text():
    result = run(
        "behaviour",
        [
            ["Codice alunno", "Data", "Nota disciplinare", "Gravità"],
            ["A1", "03/02/2026", "Disturba la lezione", ""],
            ["A1", "03/02/2026", "Non ha svolto i compiti", "grave"],
            ["A1", "03/02/2026", "disturba  la lezione", ""],
        ],
        {"register_id": "Codice alunno", "date": "Data", "text": "Nota disciplinare", "severity": "Gravità"},
    )
    # The third row is the first again (spacing and capitals aside), with the same severity: counted once.
    assert len(result.records) == 2 and result.repeated == 1
    assert [record[2] for record in result.records.values()] == ["minor", "serious"]


def test_the_same_key_with_other_values_is_an_error():
    result = run(
        "attendance",
        [
            ["Codice alunno", "Data", "Assenza", "Giustificata"],
            ["A1", "03/02/2026", "A", ""],
            ["A1", "03/02/2026", "A", ""],
            ["A1", "03/02/2026", "R", ""],
        ],
        ATTENDANCE_MAPPING,
    )
    assert result.repeated == 1
    assert messages(result) == ["Row 4: the same record as row 2, with different values"]


def test_errors_are_counted_beyond_those_kept():
    rows = [["Codice alunno", "Data", "Assenza"]] + [["ZZ", "03/02/2026", "A"]] * (MAX_ERRORS + 10)
    result = run("attendance", rows, {"register_id": "Codice alunno", "date": "Data", "status": "Assenza"})
    assert result.error_rows == MAX_ERRORS + 10
    assert len(result.errors) == MAX_ERRORS


def test_progress_is_reported():
    seen = []
    rows = [["Codice alunno", "Data", "Assenza"]] + [["A1", f"{day:02d}/02/2026", "A"] for day in range(1, 29)]
    run(
        "attendance",
        rows,
        {"register_id": "Codice alunno", "date": "Data", "status": "Assenza"},
        progress=seen.append,
        progress_every=10,
    )
    assert seen == [10, 20, 28]
