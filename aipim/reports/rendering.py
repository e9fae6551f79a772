"""The one rendering path of every report: builder context -> body HTML (also the page's preview)
-> a standalone print document -> PDF/UA through WeasyPrint. No Bootstrap in the PDF: a small
print stylesheet and fonts that shape Arabic (Noto Sans Arabic, DejaVu Sans as fallback)."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone, translation

from aipim.reports.registry import ReportBuilder

STYLESHEETS = ("reports/report.css", "reports/print.css")


def text_direction(language: str) -> str:
    return "rtl" if translation.get_language_info(language)["bidi"] else "ltr"


def render_body(
    builder: ReportBuilder, context: dict[str, Any], *, params: dict[str, Any], requested_at: Any = None
) -> str:
    """The report itself (title, what it covers, the builder's sections), in the active language."""
    return render_to_string(
        "reports/_report_body.html",
        {
            **context,
            "builder": builder,
            "report_title": builder.title,
            "described_parameters": builder.describe_parameters(params),
            "generated_at": timezone.localtime(),
            "requested_at": requested_at,
            "REGION_NAME": settings.REGION_NAME,
            "PORTAL_NAME": settings.PORTAL_NAME,
        },
    )


def render_document(builder: ReportBuilder, body: str) -> str:
    """The body inside a print document with lang and dir on <html> (PDF/UA reads both)."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    return render_to_string(
        "reports/document.html",
        {
            "body": body,
            "report_title": builder.title,
            "language": language,
            "direction": text_direction(language),
            "orientation": builder.page_orientation,
            "REGION_NAME": settings.REGION_NAME,
            "PORTAL_NAME": settings.PORTAL_NAME,
        },
    )


@cache
def _stylesheets() -> tuple[Any, ...]:
    from weasyprint import CSS

    sheets = []
    for name in STYLESHEETS:
        path = finders.find(name)
        if path is None:
            raise FileNotFoundError(f"Static file {name} is missing.")
        sheets.append(CSS(filename=path))
    return tuple(sheets)


@cache
def _page_orientation_css(orientation: str) -> Any:
    from weasyprint import CSS

    return CSS(string="@page { size: A4 landscape; }" if orientation == "landscape" else "@page { size: A4; }")


def html_to_pdf(document: str, *, orientation: str = "portrait") -> bytes:
    """PDF/UA-1 bytes of a print document. Nothing is fetched: stylesheets come from our static
    files, and a report holds no images or links to load."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    html = HTML(string=document, url_fetcher=URLFetcher(allowed_protocols=()))
    return html.write_pdf(
        stylesheets=[*_stylesheets(), _page_orientation_css(orientation)],
        pdf_variant="pdf/ua-1",
    )


def render_pdf(builder: ReportBuilder, body: str) -> bytes:
    return html_to_pdf(render_document(builder, body), orientation=builder.page_orientation)
