"""The booking pages in a browser on a phone, in Arabic (right to left) and Italian: axe-core finds
no WCAG 2.1 AA problem on the form, the form with its errors, the confirmation and the offer page;
the error summary lists every error and takes the focus; no page scrolls sideways."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from associations import signing
from associations.models import Booking, BookingStatus
from associations.services import booking as booking_service
from tests.e2e import conftest as e2e
from tests.e2e.conftest import axe_violations

# The browser fixtures of tests/e2e, for this file outside that folder.
browser_type_launch_args = e2e.browser_type_launch_args
browser_problems = e2e.browser_problems
new_page = e2e.new_page

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = 390
SHOTS = Path(os.environ.get("AIPIM_SHOTS_DIR", "/tmp/shots"))


def check(page: Any, name: str) -> list[str]:
    SHOTS.mkdir(parents=True, exist_ok=True)
    language = page.evaluate("document.documentElement.lang")
    page.screenshot(path=str(SHOTS / f"booking-{name}-{language}.png"), full_page=True)
    problems = [f"{name}: {problem}" for problem in axe_violations(page)]
    if page.evaluate("document.documentElement.scrollWidth") > PHONE:
        problems.append(f"{name}: scrolls sideways")
    return problems


@pytest.mark.parametrize("language", ["ar", "it"])
def test_booking_pages_on_a_phone_pass_axe(new_page, browser_problems, workshop, workshop_session, language) -> None:
    browser_problems.expected.append("status of 400")
    page = new_page(language=language, width=PHONE)
    problems: list[str] = []

    assert page.goto(reverse("events:book", args=[workshop.slug])).status == 200
    assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
    problems += check(page, "form")

    # Sent empty: the summary lists the errors, has the focus, and each input names its error.
    page.locator('main form button[type="submit"]').click()
    page.wait_for_selector("#error-summary")
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert page.locator("#error-summary li").count() == 3  # name, email or phone, consent
    assert "id_name_error" in (page.locator("#id_name").get_attribute("aria-describedby") or "")
    problems += check(page, "form-errors")

    page.fill("#id_name", "Samira Haddad")
    page.fill("#id_email", f"samira.{language}@example.org")
    page.select_option("#id_seats", "2")
    page.locator('label[for="id_consent"]').click()  # Bootstrap Italia draws the box on the label
    page.locator('main form button[type="submit"]').click()
    page.wait_for_url("**/my-booking/**")
    booking = Booking.objects.get(email=f"samira.{language}@example.org")
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.language == language
    assert booking.reference in page.locator("main").inner_text()
    problems += check(page, "confirmation")

    # An offer of fewer seats than asked for, answered from its page.
    workshop_session.capacity = 3
    workshop_session.save()
    waiting = booking_service.book(event=workshop, session=workshop_session, name="Yonas", email="yonas@example.org",
                                   phone="", seats=2, language=language)  # fmt: skip
    assert waiting.status == BookingStatus.OFFERED
    assert page.goto(reverse("events:booking_accept", args=[signing.booking_token(waiting)])).status == 200
    problems += check(page, "offer")

    assert problems == [], "\n".join(problems)
    browser_problems.assert_clean()
