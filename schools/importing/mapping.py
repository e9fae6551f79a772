"""Which column of a register export holds which of our fields, per kind of import, and a first
guess from the header names (Italian and English synonyms) that the operator then corrects.

A mapping is a dict: our field name -> the file's column header (the shape saved in
ColumnMapping.mapping and RegisterImport.mapping)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from schools.importing.values import fold

ATTENDANCE, RESULTS, BEHAVIOUR = "attendance", "results", "behaviour"
KINDS = (ATTENDANCE, RESULTS, BEHAVIOUR)


@dataclass(frozen=True)
class Field:
    name: str
    label: Any  # a lazy translation
    required: bool
    synonyms: tuple[str, ...]
    help_text: Any = ""


REGISTER_ID = Field(
    "register_id",
    _("Register id of the student"),
    True,
    (
        "codice alunno",
        "cod alunno",
        "codice studente",
        "id alunno",
        "id studente",
        "matricola",
        "codice registro",
        "codice",
        "register id",
        "student id",
        "student code",
        "pupil id",
        "id",
    ),
    _("The pupil's code in the electronic register, as in the student's record here."),
)
STUDENT_NAME = Field(
    "student_name",
    _("Student's name (to check the register id; not saved)"),
    False,
    ("alunno", "studente", "cognome e nome", "nome e cognome", "nominativo", "student", "pupil", "name", "nome"),
)
DATE = Field("date", _("Date"), True, ("data", "giorno", "data evento", "data assenza", "data voto", "date", "day"))

FIELDS: dict[str, tuple[Field, ...]] = {
    ATTENDANCE: (
        REGISTER_ID,
        STUDENT_NAME,
        DATE,
        Field(
            "status",
            _("Attendance (A, P, R, U)"),
            False,
            ("assenza", "tipo assenza", "tipo evento", "evento", "presenza", "stato", "tipo", "attendance", "status"),
            _("A absent, P present, R late, U left early; a number is read as hours of absence."),
        ),
        Field(
            "absent_hours",
            _("Hours of absence"),
            False,
            ("ore assenza", "ore di assenza", "ore assenti", "ore", "absent hours", "hours absent", "hours"),
        ),
        Field(
            "justified",
            _("Justified"),
            False,
            ("giustificata", "giustificato", "giustificazione", "giustificativo", "giust", "justified"),
        ),
    ),
    RESULTS: (
        REGISTER_ID,
        STUDENT_NAME,
        DATE,
        Field(
            "subject",
            pgettext_lazy("school subject", "Subject"),
            True,
            ("materia", "disciplina", "insegnamento", "subject", "course"),
        ),
        Field("grade", _("Grade (0–10)"), True, ("voto", "valutazione", "voto numerico", "grade", "mark", "score")),
        Field(
            "term",
            _("Term"),
            False,
            ("periodo", "quadrimestre", "trimestre", "pentamestre", "frazione temporale", "term", "period"),
        ),
        Field(
            "is_core_subject",
            _("Core subject (yes/no)"),
            False,
            ("materia di base", "materia base", "materia principale", "core subject", "core"),
            _("Without this column Italian, mathematics and English count as core subjects."),
        ),
    ),
    BEHAVIOUR: (
        REGISTER_ID,
        STUDENT_NAME,
        DATE,
        Field(
            "text",
            _("Note"),
            True,
            (
                "nota disciplinare",
                "note disciplinari",
                "testo nota",
                "nota",
                "testo",
                "descrizione",
                "annotazione",
                "disciplinary note",
                "note",
                "text",
                "description",
            ),
        ),
        Field(
            "severity",
            _("Severity (lieve/grave)"),
            False,
            ("gravita", "gravita nota", "tipo nota", "livello", "severity", "level"),
        ),
    ),
}


def fields(kind: str) -> tuple[Field, ...]:
    return FIELDS[kind]


def required_fields(kind: str) -> list[str]:
    return [field.name for field in FIELDS[kind] if field.required]


def normalise_header(header: str) -> str:
    """Header as compared with the synonyms: folded, punctuation as spaces ('Cod. Alunno' -> 'cod alunno')."""
    folded = fold(header)
    return " ".join("".join(ch if ch.isalnum() else " " for ch in folded).split())


def guess_mapping(kind: str, headers: Iterable[str]) -> dict[str, str]:
    """Our field -> the header that most likely holds it; each header used at most once.

    An exact synonym beats a header that contains one, and a longer synonym beats a shorter one
    ("Codice alunno" is the register id, "Alunno" the name)."""
    headers = [header for header in headers if header]
    candidates: list[tuple[int, int, str, str]] = []
    for position, header in enumerate(headers):
        words = normalise_header(header)
        padded = f" {words} "
        for field in FIELDS[kind]:
            best = 0
            for synonym in field.synonyms:
                if words == synonym:
                    best = max(best, 1000 + len(synonym))
                elif len(synonym) > 2 and f" {synonym} " in padded:
                    best = max(best, len(synonym))
            if best:
                candidates.append((best, -position, field.name, header))
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for _score, _position, name, header in sorted(candidates, reverse=True):
        if name not in mapping and header not in used:
            mapping[name] = header
            used.add(header)
    return {field.name: mapping[field.name] for field in FIELDS[kind] if field.name in mapping}


def usable_saved_mapping(kind: str, saved: Mapping[str, str] | None, headers: Iterable[str]) -> dict[str, str]:
    """The school's saved mapping, kept only where its headers are in this file; the guess fills the rest."""
    headers = list(headers)
    known = {field.name for field in FIELDS[kind]}
    kept = {name: header for name, header in (saved or {}).items() if header in headers and name in known}
    guess = guess_mapping(kind, [header for header in headers if header not in kept.values()])
    for name, header in guess.items():
        kept.setdefault(name, header)
    return {field.name: kept[field.name] for field in FIELDS[kind] if field.name in kept}


def header_score(cells: Iterable[str]) -> int:
    """How many cells of a row look like headers of any kind: the row with most is the header row
    (some registers put a title and the class above the table)."""
    synonyms = {synonym for kind_fields in FIELDS.values() for field in kind_fields for synonym in field.synonyms}
    return sum(1 for cell in cells if cell and normalise_header(cell) in synonyms)


def mapping_problems(kind: str, mapping: Mapping[str, str]) -> list[str]:
    """What makes a mapping unusable, in plain words (empty when it can be used)."""
    problems = [
        str(_("Choose the column that holds “%(field)s”.") % {"field": field.label})
        for field in FIELDS[kind]
        if field.required and not mapping.get(field.name)
    ]
    if kind == ATTENDANCE and not (mapping.get("status") or mapping.get("absent_hours")):
        problems.append(str(_("Choose the column with the attendance value or the one with the hours of absence.")))
    chosen = [header for header in mapping.values() if header]
    if len(chosen) != len(set(chosen)):
        problems.append(str(_("Each column of the file can hold one field only.")))
    return problems
