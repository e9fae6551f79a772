"""Pages opened from a signed link (no account) whose form a person answers in a real browser.

Such pages are sent with a Referrer-Policy that keeps the token in the URL from other sites. With
"no-referrer", Chromium posts the page's own form with "Origin: null" and Django's CSRF check refuses
it (403): the Django test client sends no Origin header and never saw it. Hence these tests."""

from __future__ import annotations

from urllib.parse import urlparse

from aipim.core.models import ServiceCategory
from pua.models import Referral
from pua.services.referrals import create_referral, send_referral, service_link
from tests.factories import ServiceFactory
from tests.pua import conftest as pua_fixtures

person_with_consent = pua_fixtures.person_with_consent
case_irsina = pua_fixtures.case_irsina


def test_the_service_accepts_a_referral_through_its_link(new_page, case_irsina, caseworker_irsina):
    service = ServiceFactory(name="Sportello casa", category=ServiceCategory.HOUSING, email="casa@example.org")
    referral = create_referral(case=case_irsina, service=service, reason="Needs a flat", by=caseworker_irsina)
    referral = send_referral(referral=referral, by=caseworker_irsina)

    page = new_page(language="en")
    response = page.goto(urlparse(service_link(referral)).path)
    assert response.headers["referrer-policy"] == "same-origin"
    page.get_by_text("We accept the referral").click()  # Bootstrap Italia draws the radio under its label
    page.get_by_role("button", name="Send the answer").click()
    page.wait_for_load_state()

    referral.refresh_from_db()
    assert referral.status == Referral.Status.ACCEPTED
