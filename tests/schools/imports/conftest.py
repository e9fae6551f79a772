"""Fixtures of the register-import tests: pupils with register ids at both schools, and a helper
that uploads a file built in the test."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from aipim.core.models import Organisation
from schools.models import RegisterImport, Student
from schools.services import imports
from tests.schools.imports.files import csv_bytes, xlsx_bytes

HEADER = ["Alunno", "Codice alunno", "Data", "Assenza", "Giustificata"]


@pytest.fixture
def pupils_potenza(make_student: Callable[..., Student], school_potenza: Organisation) -> list[Student]:
    return [make_student(school_potenza, register_id=f"A{number}") for number in (1, 2, 3)]


@pytest.fixture
def pupil_matera(make_student: Callable[..., Student], school_matera: Organisation) -> Student:
    return make_student(school_matera, register_id="A1")


@pytest.fixture
def risk_calls(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """The students handed to the risk recomputation after each import (S3's function not run)."""
    calls: list[list[int]] = []
    monkeypatch.setattr(imports, "_recompute_risk", lambda ids: calls.append(sorted(ids)))
    return calls


@pytest.fixture
def upload() -> Callable[..., RegisterImport]:
    """upload(school, user, rows, kind="attendance", xlsx=False, **csv_options) -> RegisterImport."""

    def make(
        school: Organisation,
        user: Any,
        rows: Sequence[Sequence[Any]],
        kind: str = "attendance",
        xlsx: bool = False,
        name: str = "",
        **options: Any,
    ) -> RegisterImport:
        data = xlsx_bytes(rows) if xlsx else csv_bytes(rows, **options)
        return imports.upload_import(
            school=school,
            kind=kind,
            data=data,
            original_name=name or ("registro.xlsx" if xlsx else "registro.csv"),
            by=user,
        )

    return make


ATTENDANCE_MAPPING = {
    "register_id": "Codice alunno",
    "student_name": "Alunno",
    "date": "Data",
    "status": "Assenza",
    "justified": "Giustificata",
}
