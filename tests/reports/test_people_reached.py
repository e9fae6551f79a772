"""The "people reached" report: its figures against direct queries, small-number suppression,
and the PDF it makes (text, Arabic, PDF/UA)."""

from __future__ import annotations

import re
import time

import pytest
from django.urls import reverse
from django.utils import translation

from aipim.core.models import PersonLink
from aipim.core.reports import PeopleReachedReport, links_in_period
from aipim.reports import rendering
from aipim.reports.figures import suppress
from aipim.reports.models import ReportRequest
from aipim.reports.registry import get_builder
from tests.reports.conftest import ARABIC_LETTER, QUARTER, local, pdf_fonts, pdf_info, pdf_text


def build(**params):
    return get_builder("people-reached").build({**QUARTER, **params}, progress=lambda percent: None)


def rows_by_name(rows):
    return {row["name"]: row for row in rows}


def test_it_is_registered_for_officials_and_administrators():
    builder = get_builder("people-reached")
    assert isinstance(builder, PeopleReachedReport)
    assert set(builder.roles) == {"regional_official", "administrator"}


def test_totals_count_each_person_once(reached):
    context = build()
    rows = rows_by_name(context["summary_rows"])
    assert context["total"] == "16"
    assert list(rows) == ["Irsina", "Picerno", "Potenza"]  # only municipalities with someone, by name
    assert rows["Irsina"]["total"] == "7"  # 6 in January + 1 new in February; the returning person once
    assert rows["Picerno"]["total"] == "<5"
    assert rows["Potenza"]["total"] == "6"  # 5 at the school + 1 new at the association


def test_breakdown_by_kind_of_organisation(reached):
    context = build()
    assert [kind for kind, _label in context["kinds"]] == ["pua_desk", "school", "association"]
    rows = rows_by_name(context["summary_rows"])
    assert rows["Irsina"]["by_kind"] == ["7", "0", "0"]
    assert rows["Potenza"]["by_kind"] == ["0", "5", "<5"]
    assert context["kind_totals"] == ["10", "5", "<5"]


def test_months_follow_local_time_and_the_period_bounds(reached):
    (block,) = build()["month_blocks"]
    assert len(block["months"]) == 3
    rows = rows_by_name(block["rows"])
    # 00:10 on 1 January and 23:30 on 31 March (Rome) are inside; 23:00 on 31 December and 1 April are not.
    assert rows["Irsina"]["cells"] == ["6", "<5", "0"]
    assert rows["Picerno"]["cells"] == ["<5", "0", "0"]
    assert rows["Potenza"]["cells"] == ["0", "0", "6"]
    assert block["totals"] == ["9", "<5", "6"]


@pytest.mark.parametrize("province", ["", "MT", "PZ"])
def test_figures_match_a_direct_query(reached, province):
    start, end = local(2026, 1, 1, 0, 0), local(2026, 4, 1, 0, 0)
    direct = PersonLink.objects.filter(created_at__gte=start, created_at__lt=end)
    if province:
        direct = direct.filter(organisation__municipality__province_code=province)
    context = build(province=province)

    assert context["total"] == suppress(direct.values("person").distinct().count())
    for row in context["summary_rows"]:
        in_municipality = direct.filter(organisation__municipality__name=row["name"])
        assert row["total"] == suppress(in_municipality.values("person").distinct().count())
    assert set(links_in_period(QUARTER["date_from"], QUARTER["date_to"], province)) == set(direct)


def test_province_filter_keeps_only_its_municipalities(reached):
    context = build(province="MT")
    assert [row["name"] for row in context["summary_rows"]] == ["Irsina"]
    assert context["total"] == "7"
    assert context["province"] == "Matera"


@pytest.mark.parametrize(("language", "thousands"), [("it", "1.234"), ("en", "1,234"), ("ar", "1234")])
def test_counts_under_five_are_suppressed(language, thousands):
    with translation.override(language):
        assert [suppress(n) for n in (0, 1, 4, 5, 1234)] == ["0", "<5", "<5", "5", thousands]


def test_a_long_period_is_split_into_tables_of_twelve_months(reached):
    context = build(date_from=QUARTER["date_from"].replace(year=2025), date_to=QUARTER["date_to"])
    assert [len(block["months"]) for block in context["month_blocks"]] == [12, 3]


def test_pdf_shows_the_figures_and_says_how_they_were_counted(reached, tmp_path):
    builder = get_builder("people-reached")
    params = builder.parse_parameters({"date_from": "2026-01-01", "date_to": "2026-03-31", "province": ""})
    started = time.monotonic()
    body = rendering.render_body(builder, builder.build(params, progress=lambda p: None), params=params)
    pdf = rendering.render_pdf(builder, body)
    assert time.monotonic() - started < 5  # < 2 s once fonts are loaded; the first render loads them

    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf, tmp_path)
    assert re.search(r"Irsina \(MT\)\s+7\s+0\s+0\s+7", text)
    assert re.search(r"Picerno \(PZ\)\s+<5\s+0\s+0\s+<5", text)
    assert re.search(r"Irsina \(MT\)\s+6\s+<5\s+0\s*$", text, re.MULTILINE)
    assert re.search(r"All municipalities\s+9\s+<5\s+6", text)
    assert "How this was counted" in text
    assert "shown as “<5”" in text
    # An accessible PDF: tagged, titled, and declared PDF/UA-1 in its XMP metadata.
    info = pdf_info(pdf, tmp_path)
    assert re.search(r"Tagged:\s+yes", info)
    assert re.search(r"Title:\s+People reached per municipality and month", info)
    assert 'pdfuaid:part="1"' in pdf_info(pdf, tmp_path, meta=True)


def test_the_report_holds_no_names(reached, tmp_path):
    person = PersonLink.objects.select_related("person").filter(organisation__code="IRS").first().person
    builder = get_builder("people-reached")
    params = builder.parse_parameters({"date_from": "2026-01-01", "date_to": "2026-03-31"})
    body = rendering.render_body(builder, builder.build(params, progress=lambda p: None), params=params)
    assert person.family_names not in body
    assert person.given_names not in body


def test_requested_in_arabic_the_pdf_is_in_arabic_and_right_to_left(
    reached, official, client_for, django_capture_on_commit_callbacks, tmp_path
):
    client = client_for(official)
    data = {
        "report": "people-reached",
        "people-reached-date_from": "2026-01-01",
        "people-reached-date_to": "2026-03-31",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:request"), data, HTTP_ACCEPT_LANGUAGE="ar")
    assert response.status_code == 302
    report_request = ReportRequest.objects.get(requested_by=official)
    assert report_request.language == "ar"
    assert report_request.status == ReportRequest.Status.DONE, report_request.error

    with report_request.file.open("rb") as handle:
        pdf = handle.read()
    text = pdf_text(pdf, tmp_path, layout=False)
    assert ARABIC_LETTER.search(text), text[:500]
    assert "<5" in text  # isolated left to right: not turned into "5>"
    assert "Noto-Sans-Arabic" in pdf_fonts(pdf, tmp_path)  # a font that shapes Arabic, not a fallback box
    assert b'dir="rtl"' in rendering.render_document(get_builder("people-reached"), "").encode()


def test_the_document_carries_lang_and_dir():
    builder = get_builder("people-reached")
    with translation.override("it"):
        assert '<html lang="it" dir="ltr">' in rendering.render_document(builder, "")
    with translation.override("ar"):
        assert '<html lang="ar" dir="rtl">' in rendering.render_document(builder, "")
