"""Report pages: who may request, see and download what; the status that refreshes by itself."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from aipim.accounts.models import Role
from aipim.core.models import AuditEvent
from aipim.reports.models import ReportRequest
from aipim.reports.registry import ReportBuilder, ReportError
from tests.personas import PERSONAS

FORM = {"report": "people-reached", "people-reached-date_from": "2026-01-01", "people-reached-date_to": "2026-03-31"}
MAY_REQUEST = {"official", "administrator"}


def read(response) -> bytes:
    # The test client closes the response (and the file) once its content has been read.
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("persona", PERSONAS)
def test_request_by_role(request, client_for, persona, django_capture_on_commit_callbacks):
    user = request.getfixturevalue(persona)
    with django_capture_on_commit_callbacks(execute=False):
        response = client_for(user).post(reverse("reports:request"), FORM)
    if persona in MAY_REQUEST:
        report_request = ReportRequest.objects.get(requested_by=user)
        assert response.status_code == 302
        assert response["Location"] == reverse("reports:detail", args=[report_request.pk])
    else:
        assert response.status_code == 403
        assert not ReportRequest.objects.exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_list_shows_the_reports_each_role_may_request(request, client_for, persona):
    response = client_for(request.getfixturevalue(persona)).get(reverse("reports:list"))
    assert response.status_code == 200
    page = response.content.decode()
    assert ("People reached per municipality and month" in page) is (persona in MAY_REQUEST)
    if persona not in MAY_REQUEST | {
        "supervisor_irsina",
        "operator_school_potenza",
        "editor",
    }:  # PUA activity, schools results, portal sync results
        assert "No report is available to your role." in page


def test_an_invalid_period_shows_the_form_again(client_for, official):
    data = {**FORM, "people-reached-date_from": "2026-04-01"}
    response = client_for(official).post(reverse("reports:request"), data)
    assert response.status_code == 400
    assert "The period must start before it ends." in response.content.decode()
    assert not ReportRequest.objects.exists()


def test_an_unknown_report_is_not_found(client_for, official):
    response = client_for(official).post(reverse("reports:request"), {**FORM, "report": "nope"})
    assert response.status_code == 404


@pytest.mark.parametrize("name", ["reports:list", "reports:detail", "reports:download"])
def test_anonymous_is_sent_to_login(client, name, official, done_request):
    args = [] if name == "reports:list" else [done_request(official).pk]
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_anonymous_cannot_request(client):
    response = client.post(reverse("reports:request"), FORM)
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_the_requester_downloads_the_pdf_and_it_is_audited(client_for, official, done_request):
    report_request = done_request(official)
    response = client_for(official).get(reverse("reports:download", args=[report_request.pk]))
    assert response.status_code == 200
    assert read(response).startswith(b"%PDF")
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    assert f'filename="{report_request.download_name}"' in response["Content-Disposition"]
    assert AuditEvent.objects.filter(
        user=official, action="report.download", object_type="reports.reportrequest", object_id=str(report_request.pk)
    ).exists()


@pytest.mark.parametrize("persona", sorted(set(PERSONAS) - {"official"}))
def test_nobody_else_sees_or_downloads_a_report(request, client_for, official, done_request, persona):
    report_request = done_request(official)
    client = client_for(request.getfixturevalue(persona))
    for name in ("reports:detail", "reports:download"):
        assert client.get(reverse(name, args=[report_request.pk])).status_code == 404
    assert client.post(reverse("reports:retry", args=[report_request.pk])).status_code == 404
    assert not AuditEvent.objects.filter(action="report.download").exists()


def test_a_report_not_ready_cannot_be_downloaded(client_for, official):
    report_request = ReportRequest.objects.create(requested_by=official, report="people-reached")
    assert client_for(official).get(reverse("reports:download", args=[report_request.pk])).status_code == 404


def test_pending_status_polls_with_htmx_and_no_inline_script_or_style(client_for, official):
    report_request = ReportRequest.objects.create(
        requested_by=official, report="people-reached", status=ReportRequest.Status.RUNNING, progress=40
    )
    client = client_for(official)
    page = client.get(reverse("reports:detail", args=[report_request.pk])).content.decode()
    detail_url = reverse("reports:detail", args=[report_request.pk])
    assert f'hx-get="{detail_url}"' in page
    assert 'hx-trigger="every 2s"' in page
    assert '<progress id="report-progress" class="report-progress" max="100" value="40">' in page
    assert re.search(r'<script src="[^"]*django_htmx/htmx-2(\.min)?\.js"', page)  # served locally
    # The CSP forbids inline scripts and styles.
    assert " style=" not in page
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)

    partial = client.get(detail_url, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial
    assert 'hx-trigger="every 2s"' in partial

    ReportRequest.objects.filter(pk=report_request.pk).update(status=ReportRequest.Status.DONE, progress=100)
    partial = client.get(detail_url, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in partial  # polling stops once the report is ready
    assert reverse("reports:download", args=[report_request.pk]) in partial


class Broken(ReportBuilder):
    slug = "test-broken-view"
    title = "Broken"
    roles = (Role.REGIONAL_OFFICIAL,)
    template_name = "reports/core/people_reached.html"

    def build(self, params, *, progress):
        raise ReportError("The register of March has not been imported yet.")


def test_a_failed_report_shows_its_error_and_a_try_again_button(
    client_for, official, registered, django_capture_on_commit_callbacks
):
    registered(Broken)
    client = client_for(official)
    data = {"report": Broken.slug, f"{Broken.slug}-date_from": "2026-01-01", f"{Broken.slug}-date_to": "2026-01-31"}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("reports:request"), data)
    report_request = ReportRequest.objects.get(requested_by=official)
    assert report_request.status == ReportRequest.Status.FAILED
    page = client.get(reverse("reports:detail", args=[report_request.pk])).content.decode()
    assert "The register of March has not been imported yet." in page
    assert reverse("reports:retry", args=[report_request.pk]) in page
    assert "Try again" in page

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("reports:retry", args=[report_request.pk]))
    assert response.status_code == 302
    report_request.refresh_from_db()
    assert report_request.status == ReportRequest.Status.QUEUED
    assert report_request.error == ""
    assert len(callbacks) == 1


def test_end_to_end_request_build_preview_download(client_for, official, reached, django_capture_on_commit_callbacks):
    client = client_for(official)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("reports:request"), FORM)
    report_request = ReportRequest.objects.get(requested_by=official)
    assert report_request.status == ReportRequest.Status.DONE, report_request.error
    page = client.get(reverse("reports:detail", args=[report_request.pk])).content.decode()
    assert "Irsina (MT)" in page  # the preview: the same body as the PDF
    assert "How this was counted" in page
    assert read(client.get(reverse("reports:download", args=[report_request.pk]))).startswith(b"%PDF")


@pytest.mark.parametrize("past", [1, 12])
def test_list_runs_a_fixed_number_of_queries(client_for, official, done_request, django_assert_max_num_queries, past):
    for _ in range(past):
        done_request(official)
    client = client_for(official)
    client.get(reverse("reports:list"))  # session and user loaded once outside the count
    with django_assert_max_num_queries(10):  # 9, plus the desk choices of the PUA activity report
        response = client.get(reverse("reports:list"))
    assert len(re.findall(r'href="/reports/\d+/download/"', response.content.decode())) == past
