"""Register exports read as tables: CSV encodings and delimiters, XLSX, content checks (no database)."""

from __future__ import annotations

import datetime

import pytest

from schools.importing.readers import UnreadableFile, check_content, open_table
from tests.schools.imports.files import csv_bytes, xlsx_bytes

ROWS = [
    ["Alunno", "Codice alunno", "Data", "Assenza", "Giustificata"],
    ["Nicolò Àlvarez", "A1", "03/02/2026", "A", "Sì"],
    ["Amina Diallo", "A2", "04/02/2026", "R", "no"],
]


def read(data: bytes) -> tuple[list[str], list[tuple[int, list]]]:
    table = open_table(data)
    try:
        return table.headers, list(table.rows)
    finally:
        table.close()


@pytest.mark.parametrize(
    ("options", "encoding"),
    [
        ({"delimiter": ";"}, "utf-8"),
        ({"delimiter": ";", "bom": True}, "utf-8"),
        ({"delimiter": ","}, "utf-8"),
        ({"delimiter": "\t"}, "utf-8"),
        ({"delimiter": ";", "encoding": "cp1252"}, "cp1252"),
    ],
)
def test_csv_variants_read_alike(options, encoding):
    table = open_table(csv_bytes(ROWS, **options))
    assert table.encoding == encoding
    assert table.delimiter == options["delimiter"]
    headers, rows = table.headers, list(table.rows)
    assert headers == ROWS[0]
    assert rows == [(2, ROWS[1]), (3, ROWS[2])]


def test_latin1_bytes_that_windows_1252_leaves_undefined():
    data = "Alunno;Codice alunno\nJos\x81;A1\n".encode("latin-1")
    _headers, rows = read(data)
    assert rows[0][1][1] == "A1"


def test_a_title_above_the_table_and_empty_rows_are_skipped():
    data = csv_bytes([["Registro assenze - classe 2B"], [], *ROWS[:2], [], ROWS[2]])
    table = open_table(data)
    assert table.header_row == 3
    assert [number for number, _cells in table.rows] == [4, 6]


def test_comma_decimals_do_not_fool_the_delimiter():
    data = csv_bytes([["Codice alunno", "Data", "Materia", "Voto"], ["A1", "03/02/2026", "Matematica", "6,5"]])
    headers, rows = read(data)
    assert headers == ["Codice alunno", "Data", "Materia", "Voto"]
    assert rows[0][1][3] == "6,5"


def test_a_quoted_note_over_two_lines_keeps_row_numbers():
    data = b'Codice alunno;Data;Nota\r\nA1;03/02/2026;"Disturba\r\nla lezione"\r\nA2;04/02/2026;Ritardo\r\n'
    _headers, rows = read(data)
    assert [number for number, _cells in rows] == [2, 4]
    assert rows[0][1][2] == "Disturba\r\nla lezione"


def test_xlsx_first_sheet_values_only():
    data = xlsx_bytes([["Registro"], ROWS[0], ["Amina", 123.0, datetime.datetime(2026, 2, 3), "A", None], [None] * 5])
    table = open_table(data)
    assert table.format == "xlsx"
    assert table.headers == ROWS[0]
    rows = list(table.rows)
    table.close()
    assert rows == [(3, ["Amina", 123, datetime.datetime(2026, 2, 3), "A", None])]


def test_empty_headers_get_a_name():
    headers, _rows = read(csv_bytes([["Codice alunno", "", "Data", "Data"], ["A1", "x", "03/02/2026", "y"]]))
    assert headers == ["Codice alunno", "#2", "Data", "Data (2)"]


@pytest.mark.parametrize(
    ("data", "phrase"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old Excel"),
        (b"%PDF-1.7\n\x00\x00", "Only CSV"),
        (b"\x89PNG\r\n\x1a\n\x00", "Only CSV"),
        (b"PK\x03\x04not really a zip", "damaged"),
        (b"   \n\n", "empty"),
    ],
)
def test_files_that_are_no_table(data, phrase, settings):
    settings.LANGUAGE_CODE = "en"
    with pytest.raises(UnreadableFile) as caught:
        read(data)
    assert phrase in str(caught.value)


def test_a_zip_that_is_no_workbook():
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(UnreadableFile):
        check_content(buffer.getvalue())
