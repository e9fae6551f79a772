"""Register exports read as a table: a header row and data rows, whatever the file's format.

CSV: UTF-8 with or without BOM, else Windows-1252 (Latin-1 for the few bytes it leaves undefined);
delimiter `;`, `,` or tab, recognised from the header line. XLSX: openpyxl in read-only mode, first
sheet, values only. The format is recognised from the content, never from the file's name.
Pure Python, no database."""

from __future__ import annotations

import csv
import io
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from schools.importing.mapping import header_score
from schools.importing.values import text

CSV, XLSX = "csv", "xlsx"
# A header row is looked for among the first rows: some exports put a title and the class above it.
HEADER_SEARCH_ROWS = 15
MAX_ROWS = 500_000
DELIMITERS = (";", "\t", ",")


class UnreadableFile(ValueError):
    """The file is not a table we can read; the message says why in plain words."""


def detect_format(head: bytes) -> str | None:
    """XLSX (a zip with a workbook), CSV (text without NUL bytes), or None."""
    if head.startswith(b"PK\x03\x04"):
        return XLSX
    if head.startswith(b"\xd0\xcf\x11\xe0"):  # the old binary .xls
        return None
    if b"\x00" in head:
        return None
    return CSV


def check_content(data: bytes) -> str:
    """The format of an upload, checked by content; raises UnreadableFile with a plain reason."""
    kind = detect_format(data[:4096])
    if data[:4] == b"\xd0\xcf\x11\xe0":
        raise UnreadableFile(_("This is an old Excel file (.xls): save it as .xlsx or CSV and upload it again."))
    if kind is None:
        raise UnreadableFile(_("Only CSV and Excel (.xlsx) files can be imported."))
    if kind == XLSX:
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            raise UnreadableFile(_("The Excel file is damaged and cannot be read.")) from None
        if "xl/workbook.xml" not in names:
            raise UnreadableFile(_("Only CSV and Excel (.xlsx) files can be imported."))
    return kind


@dataclass
class Table:
    """Header cells and an iterator over (row number in the file, cells). Row numbers count from 1
    as a spreadsheet shows them, the header row included."""

    headers: list[str]
    header_row: int
    rows: Iterator[tuple[int, list[Any]]]
    format: str
    encoding: str = ""
    delimiter: str = ""
    _closers: list[Any] = field(default_factory=list)

    def close(self) -> None:
        for closer in self._closers:
            closer()


def open_table(data: bytes) -> Table:
    kind = check_content(data)
    return _open_xlsx(data) if kind == XLSX else _open_csv(data)


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 first (a BOM is dropped), then Windows-1252, then Latin-1."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def sniff_delimiter(line: str) -> str:
    """The delimiter used most in the header line, outside quotes (`;` wins a tie: Italian Excel uses it)."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ";"


def _open_csv(data: bytes) -> Table:
    decoded, encoding = decode(data)
    head = [line for line in _first_lines(decoded, HEADER_SEARCH_ROWS) if line.strip()]
    if not head:
        raise UnreadableFile(_("The file is empty."))
    delimiter = _best_delimiter(head)
    reader = csv.reader(io.StringIO(decoded, newline=""), delimiter=delimiter)

    def records() -> Iterator[tuple[int, list[Any]]]:
        # Numbered by the line a record starts on: a quoted note may span several lines.
        start = 1
        for cells in reader:
            yield start, list(cells)
            start = reader.line_num + 1

    numbered = _numbered(records())
    headers, header_row, rest = _find_header(numbered)
    return Table(headers, header_row, rest, CSV, encoding=encoding, delimiter=delimiter)


def _first_lines(text: str, count: int) -> list[str]:
    """The first `count` lines, without splitting the whole file (200,000 lines) to get them."""
    size = 4096
    while True:
        lines = text[:size].splitlines()
        if len(lines) > count or size >= len(text):
            return lines[:count]
        size *= 4


def _best_delimiter(lines: list[str]) -> str:
    """The delimiter of the line that looks most like a header (a title line above it has none)."""
    best_line = max(lines, key=lambda line: (header_score(_split(line, sniff_delimiter(line))), -lines.index(line)))
    return sniff_delimiter(best_line)


def _split(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line], delimiter=delimiter), [])


def _open_xlsx(data: bytes) -> Table:
    import openpyxl

    with warnings.catch_warnings():
        # openpyxl warns about styles and data validation it does not read; values are all we use.
        warnings.simplefilter("ignore")
        try:
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # openpyxl raises many kinds for a damaged file
            raise UnreadableFile(_("The Excel file is damaged and cannot be read.")) from None
    if not workbook.worksheets:
        workbook.close()
        raise UnreadableFile(_("The file is empty."))
    sheet = workbook.worksheets[0]

    def cells() -> Iterator[list[Any]]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for values in sheet.iter_rows(values_only=True):
                yield list(values)

    headers, header_row, rest = _find_header(_numbered(enumerate(cells(), start=1)))
    return Table(headers, header_row, rest, XLSX, _closers=[workbook.close])


def _numbered(rows: Iterator[tuple[int, list[Any]]]) -> Iterator[tuple[int, list[Any]]]:
    """The rows that hold something (spreadsheets leave empty rows, or rows of bare delimiters)."""
    limit = MAX_ROWS + HEADER_SEARCH_ROWS
    for count, (number, cells) in enumerate(rows, start=1):
        if count > limit:
            raise UnreadableFile(
                _("The file has more than %(limit)s rows: split it in parts.") % {"limit": f"{MAX_ROWS:,}"}
            )
        # The first cell usually settles it; the full look only for rows that start empty.
        first = cells[0] if cells else None
        if (first is not None and first != "" and not (first.__class__ is str and first.isspace())) or any(
            cell is not None and text(cell) for cell in cells
        ):
            yield number, cells


def _find_header(rows: Iterator[tuple[int, list[Any]]]) -> tuple[list[str], int, Iterator[tuple[int, list[Any]]]]:
    """The header row: among the first non-empty rows, the one with most known column names (the
    first non-empty row if none has any); the rows after it are the data."""
    first: list[tuple[int, list[Any]]] = []
    for item in rows:
        first.append(item)
        if len(first) >= HEADER_SEARCH_ROWS:
            break
    if not first:
        raise UnreadableFile(_("The file is empty."))
    scores = [header_score([text(cell) for cell in cells]) for _number, cells in first]
    best = max(range(len(first)), key=lambda index: (scores[index], -index)) if max(scores) else 0
    header_number, header_cells = first[best]
    names = [text(cell) for cell in header_cells]
    while names and not names[-1]:  # spreadsheets pad rows to the widest one
        names.pop()
    headers = _unique_headers(names)
    after = first[best + 1 :]

    def data() -> Iterator[tuple[int, list[Any]]]:
        yield from after
        yield from rows

    return headers, header_number, data()


def _unique_headers(headers: list[str]) -> list[str]:
    """Empty headers get a name ("Column 4") and repeated ones a number, so that each is a key."""
    seen: dict[str, int] = {}
    unique = []
    for position, header in enumerate(headers, start=1):
        # Not translated: the name may be saved in the school's mapping and read in another language.
        name = header or f"#{position}"
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        else:
            seen[name] = 1
        unique.append(name)
    return unique
