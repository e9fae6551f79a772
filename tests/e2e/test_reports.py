"""The report journey: a regional official requests the people-reached report and downloads its PDF."""

from __future__ import annotations

import re

from django.urls import reverse

from aipim.accounts.models import Role
from tests.factories import MembershipFactory, OrganisationFactory, PersonFactory, UserFactory


def test_official_requests_a_report_and_downloads_the_pdf(new_page, tmp_path):
    office = OrganisationFactory(name="Regione Basilicata", code="REG-E2E")
    desk = OrganisationFactory(name="PUA Irsina", code="IRS-E2E")
    official = UserFactory(email="official.e2e@example.org", full_name="Paolo Funzionario")
    MembershipFactory(user=official, organisation=office, role=Role.REGIONAL_OFFICIAL)
    PersonFactory(organisation=desk)

    page = new_page(language="en", user=official)
    page.goto("/")
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Reports").click()
    page.wait_for_url(re.compile(re.escape(reverse("reports:list")) + "$"))

    report = page.locator("section", has=page.locator("input[name='report'][value='people-reached']"))
    report.locator("input[name$='date_from']").fill("2026-01-01")
    report.locator("input[name$='date_to']").fill("2026-12-31")
    report.get_by_role("button", name="Request this report").click()
    page.wait_for_url(re.compile(r"/reports/\d+/$"))

    # Without Redis the build runs in-process; with a worker the status part polls until it is done.
    download_link = page.locator("#report-request-status").get_by_role("link", name="Download PDF")
    download_link.wait_for(timeout=60_000)
    with page.expect_download() as download_info:
        download_link.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    assert path.read_bytes().startswith(b"%PDF-")
