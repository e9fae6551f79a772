"""The PUA journey in the browser: a caseworker at Irsina logs in with password and code, finds no one
under a new name, registers the person with their consents (which opens the case), assesses the needs,
refers the case to the job centre, sends the referral, books an appointment and downloads the referral
letter. A caseworker of another desk who tries the same case address gets "page not found"."""

from __future__ import annotations

import datetime
import re

from django.urls import reverse
from django.utils import timezone

from aipim.core.models import Consent, Organisation
from pua.models import Appointment, Case, Need, NeedDomain, Referral
from tests.e2e.conftest import current_totp_code
from tests.e2e.test_journeys import submit_login
from tests.factories import PASSWORD, OrganisationFactory, ServiceFactory, municipality


def job_centre():
    provider = OrganisationFactory(
        name="Centro per l'impiego di Irsina",
        code="CPI-IRS-E2E",
        kind=Organisation.Kind.SERVICE_PROVIDER,
        municipality=municipality("Irsina"),
    )
    return ServiceFactory(
        organisation=provider,
        name="Job placement and training",
        category="work",
        email="cpi.irsina@example.org",
        acknowledgement_days=5,
    )


def test_caseworker_from_intake_to_referral_letter(
    new_page, live_server, browser_problems, caseworker_irsina, caseworker_picerno, tmp_path
):
    service = job_centre()
    page = new_page(language="en")
    page.set_default_timeout(10_000)

    # Logging in through the real forms: password, then the authenticator's code.
    submit_login(page, caseworker_irsina.email, PASSWORD)
    page.wait_for_url(re.compile(re.escape(reverse("mfa_authenticate")) + "$"))
    page.locator('input[name="code"]').fill(current_totp_code(caseworker_irsina))
    page.locator('main form button[type="submit"]:not([form])').click()
    page.wait_for_url(live_server.url + reverse("core:dashboard"))

    # Intake: search first; the name finds no one, so the caseworker registers the person.
    page.goto(reverse("pua:intake"))
    search = page.locator("main form[role=search]")
    search.locator('input[name="name"]').fill("Tesfalem Weldemariam")
    search.get_by_role("button", name="Search").click()
    page.get_by_text("No one matches among the people your desks follow.").wait_for()
    page.get_by_role("button", name="Register a new person").click()
    page.wait_for_url(live_server.url + reverse("pua:intake_new_person"))
    # The name searched for starts the form.
    assert page.locator('input[name="given_names"]').input_value() == "Tesfalem"
    assert page.locator('input[name="family_names"]').input_value() == "Weldemariam"
    page.locator('input[name="birth_date"]').fill("1994-03-12")
    page.locator('select[name="citizenship"]').select_option("ER")
    # Bootstrap Italia draws its own check boxes over the inputs: the visitor clicks the labels.
    for value, label in [
        ("case_management", "Case management at a PUA desk"),
        ("job_sharing", "Sharing with job-placement services"),
    ]:
        page.locator("label", has_text=label).click()
        assert page.locator(f'input[name="purposes"][value="{value}"]').is_checked()
    page.locator('input[name="evidence"]').fill("signed form, protocol 12/2026")
    page.get_by_role("button", name="Register and open the case").click()
    page.wait_for_url(re.compile(r"/cases/\d+/$"))

    case = Case.objects.select_related("person").get(person__family_names="Weldemariam")
    case_path = reverse("pua:case_detail", args=[case.pk])
    assert page.url == live_server.url + case_path
    assert re.fullmatch(r"PUA-IRS-\d{4}-\d{5}", case.number)
    assert page.locator("h1").inner_text() == f"Case {case.number}"
    assert case.caseworker == caseworker_irsina
    assert set(case.person.consents.in_force().values_list("purpose", flat=True)) == {
        Consent.Purpose.CASE_MANAGEMENT,
        Consent.Purpose.JOB_SHARING,
    }

    # Assessment: a high need for work.
    page.get_by_role("link", name="Assess the needs").click()
    page.wait_for_url(live_server.url + reverse("pua:assess", args=[case.pk]))
    page.locator('select[name="severity_work"]').select_option(str(Need.Severity.HIGH))
    page.locator('textarea[name="notes_work"]').fill("Welder, looking for work since January.")
    page.get_by_role("button", name="Save the assessment").click()
    page.wait_for_url(live_server.url + case_path)
    assert page.get_by_role("row", name=re.compile("^Work")).get_by_role("cell", name="High").count() == 1
    case.refresh_from_db()
    assert case.status == Case.Status.ASSESSED
    assert case.assessments.get().needs.get(domain=NeedDomain.WORK).severity == Need.Severity.HIGH

    # Referral to the job centre, chosen among the work services of the directory, then sent.
    page.get_by_role("link", name="Refer to a service").click()
    page.wait_for_url(re.compile(re.escape(reverse("pua:referral_add", args=[case.pk]))))
    page.locator('select[name="category"]').select_option("work")
    page.get_by_role("button", name="Show services").click()
    page.wait_for_url(re.compile(r"category=work"))
    page.locator('select[name="service"]').select_option(str(service.pk))
    page.locator('textarea[name="reason"]').fill("Enrolment in the job placement programme; welding experience.")
    page.get_by_role("button", name="Save the referral").click()
    page.wait_for_url(re.compile(r"/referrals/\d+/$"))
    referral = Referral.objects.get(case=case)
    assert referral.status == Referral.Status.DRAFTED
    page.get_by_role("button", name="Send the referral").click()
    page.get_by_text("Referral sent to the service.").wait_for()
    referral.refresh_from_db()
    assert referral.status == Referral.Status.SENT
    assert referral.acknowledge_by is not None
    referral_path = page.url

    # An appointment tomorrow, booked from the case page; it shows in the desk's calendar.
    page.goto(case_path)
    page.get_by_role("link", name="Book an appointment").click()
    page.wait_for_url(live_server.url + reverse("pua:appointment_add", args=[case.pk]))
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    page.locator('input[name="date"]').fill(tomorrow.isoformat())
    page.locator('input[name="start"]').fill("10:00")
    page.locator('input[name="end"]').fill("10:30")
    page.locator('input[name="purpose"]').fill("Interview before the job centre meeting")
    page.get_by_role("button", name="Book", exact=True).click()
    page.wait_for_url(re.compile(re.escape(reverse("pua:desk_calendar"))))
    assert page.get_by_role("row", name=re.compile("Interview before the job centre meeting")).count() == 1
    appointment = Appointment.objects.get(case=case)
    assert timezone.localtime(appointment.starts_at).date() == tomorrow
    assert appointment.caseworker == caseworker_irsina

    # The referral letter, a PDF.
    page.goto(referral_path)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the referral letter (PDF)").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    assert case.person.family_names not in download.suggested_filename
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    assert path.read_bytes().startswith(b"%PDF")

    # Another desk's caseworker who guesses the case's address learns nothing of it.
    # Chromium logs the 404 answer as a console error: that one is expected.
    browser_problems.expected.append("status of 404")
    page_picerno = new_page(language="en", user=caseworker_picerno)
    response = page_picerno.goto(case_path)
    assert response.status == 404
    assert page_picerno.locator("h1").inner_text() == "Page not found"
    assert case.number not in page_picerno.content()
    assert "Weldemariam" not in page_picerno.content()
