"""Fixtures of the reports tests: report files in a temporary folder, data for the
"people reached" report, and helpers to build and read PDFs."""

from __future__ import annotations

import datetime
import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from aipim.accounts.models import User
from aipim.core.models import Organisation, PersonLink
from aipim.reports.models import ReportRequest
from tests.factories import PersonFactory


@pytest.fixture(autouse=True)
def english_by_default(settings) -> None:
    """These tests read the English source strings; requests without a language choice get English."""
    settings.LANGUAGE_CODE = "en"


ARABIC_LETTER = re.compile(r"[\u0621-\u064A]")


def local(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(year, month, day, hour, minute))


def take_on(organisation: Organisation, when: datetime.datetime, count: int = 1) -> list[int]:
    """`count` new people linked to `organisation` at `when`; returns their ids."""
    ids = []
    for _ in range(count):
        person = PersonFactory()
        PersonLink.objects.create(person=person, organisation=organisation, reason="case", created_at=when)
        ids.append(person.pk)
    return ids


@pytest.fixture
def reached(desk_irsina, desk_picerno, school_potenza, association_potenza) -> dict[str, int]:
    """People taken on in the first quarter of 2026 (and a few outside it), with the figures
    the report must show for 2026-01-01..2026-03-31:

    Irsina (MT, PUA desk): 6 in January (one at 00:10 on 1 January, local time), 2 in February of
    whom one was also taken on in January -> 7 people; Picerno (PZ, PUA desk): 3 in January;
    Potenza (PZ): 5 at the school in March (one at 23:30 on 31 March), 2 at the association of
    whom one is also at the school -> 6 people. Outside the period: 1 at Irsina in December 2025,
    1 at Picerno on 1 April 2026 at 00:30."""
    january = take_on(desk_irsina, local(2026, 1, 15), 5) + take_on(desk_irsina, local(2026, 1, 1, 0, 10))
    take_on(desk_irsina, local(2026, 2, 3))
    PersonLink.objects.create(
        person_id=january[0], organisation=desk_irsina, reason="referral", created_at=local(2026, 2, 20)
    )
    take_on(desk_picerno, local(2026, 1, 20), 3)
    school = take_on(school_potenza, local(2026, 3, 2), 4) + take_on(school_potenza, local(2026, 3, 31, 23, 30))
    take_on(association_potenza, local(2026, 3, 10))
    PersonLink.objects.create(
        person_id=school[0], organisation=association_potenza, reason="workshop", created_at=local(2026, 3, 12)
    )
    take_on(desk_irsina, local(2025, 12, 31, 23, 0))
    take_on(desk_picerno, local(2026, 4, 1, 0, 30))
    return {"irsina": 7, "picerno": 3, "potenza": 6, "total": 16}


QUARTER = {"date_from": datetime.date(2026, 1, 1), "date_to": datetime.date(2026, 3, 31), "province": ""}


def pdf_text(data: bytes, tmp_path: Path, *, layout: bool = True) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    args = ["pdftotext", *(["-layout"] if layout else []), str(path), "-"]
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def pdf_info(data: bytes, tmp_path: Path, *, meta: bool = False) -> str:
    path = tmp_path / "info.pdf"
    path.write_bytes(data)
    args = ["pdfinfo", *(["-meta"] if meta else []), str(path)]
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def pdf_fonts(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout


@pytest.fixture
def done_request() -> Callable[..., ReportRequest]:
    """A request already built, with a small stand-in file (for tests of the pages only)."""

    def make(user: User, **fields: object) -> ReportRequest:
        report_request = ReportRequest.objects.create(
            requested_by=user,
            report="people-reached",
            parameters={"date_from": "2026-01-01", "date_to": "2026-03-31", "province": ""},
            status=ReportRequest.Status.DONE,
            progress=100,
            preview_html="<p>preview</p>",
            finished_at=timezone.now(),
            **fields,
        )
        report_request.file.save("report.pdf", ContentFile(b"%PDF-1.7 stand-in"), save=True)
        return report_request

    return make


@pytest.fixture
def registered() -> Iterator[Callable[[type], type]]:
    """register(BuilderClass) for one test: the builder is removed again afterwards."""
    from aipim.reports import registry

    slugs: list[str] = []

    def register(builder_class: type) -> type:
        registry.register(builder_class)
        slugs.append(builder_class.slug)
        return builder_class

    yield register
    for slug in slugs:
        registry.unregister(slug)
