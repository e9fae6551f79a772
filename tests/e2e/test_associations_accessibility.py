"""WCAG 2.1 AA with axe-core on the public pages of Action 4 that visitors book through, in Arabic
(right to left) and Italian, on a phone and on a desktop: the catalogue, a workshop's page, the
booking form showing its errors, the confirmation page and the booking's own page (signed link)
of someone offered a seat.
With data on them: a workshop with seats left and one full with a waiting list, a series, a partner
event. Each page is also photographed (AIPIM_SHOTS_DIR, /tmp/shots by default) for people to look
at, and none may scroll sideways on a phone. The new_page fixture fails a test on any CSP violation,
script error or console error."""

from __future__ import annotations

import datetime
import os
import re
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from associations import signing
from associations.models import BookingMode, BookingStatus, EventCategory
from associations.services import booking as booking_service
from tests.associations import conftest as associations_fixtures
from tests.e2e.conftest import axe_violations

# The associations' fixtures (tests/associations/conftest.py), made visible to this folder.
ponti = associations_fixtures.ponti
make_event = associations_fixtures.make_event
make_session = associations_fixtures.make_session
make_booking = associations_fixtures.make_booking
workshop = associations_fixtures.workshop

SHOTS = Path(os.environ.get("AIPIM_SHOTS_DIR", "/tmp/shots"))
PHONE, DESKTOP = 390, 1280


@pytest.fixture
def programme(ponti, workshop, make_event, make_session, make_booking) -> dict[str, Any]:
    """What the catalogue shows on an ordinary week: the Syrian cooking workshop (texts in Italian and
    Arabic, 3 seats, 1 booked), a conversation workshop already full with someone waiting, a
    three-date series, and a museum's evening (a partner event)."""
    workshop.summary_it = "Un laboratorio di cucina condotto da Rasha, per residenti e nuovi arrivati."
    workshop.summary_ar = "ورشة طبخ تقودها رشا، للسكان والقادمين الجدد."
    workshop.description_it = "Prepariamo insieme il pane e i piatti della tradizione siriana."
    workshop.description_ar = "نحضّر معًا الخبز والأطباق التقليدية السورية."
    workshop.accessibility_notes_it = "Sala al piano terra, senza gradini."
    workshop.accessibility_notes_ar = "قاعة في الطابق الأرضي بدون درج."
    workshop.save()
    session = make_session(workshop, capacity=3)
    make_booking(session, seats=1, name="Giulia Rossi", email="giulia.rossi@example.org")

    conversation = make_event(
        ponti,
        slug="caffe-delle-lingue",
        title_it="Caffè delle lingue",
        title_ar="مقهى اللغات",
        category=EventCategory.LANGUAGE,
    )
    full = make_session(conversation, capacity=2, starts_at=timezone.now() + datetime.timedelta(days=3))
    make_booking(full, seats=1)
    leaving = make_booking(full, seats=1)
    offered = make_booking(full, seats=1, status="waiting", name="Yonas Tesfaye", email="yonas@example.org")
    make_booking(full, seats=1, status="waiting")
    # A seat frees: Yonas, first in the queue, is offered it; the session stays full.
    booking_service.cancel(leaving)
    offered.refresh_from_db()
    assert offered.status == BookingStatus.OFFERED

    series = make_event(
        ponti,
        slug="arabo-base",
        title_it="Arabo di base",
        title_ar="العربية للمبتدئين",
        booking_mode=BookingMode.SERIES,
    )
    first = timezone.now().replace(minute=0, second=0, microsecond=0) + datetime.timedelta(days=10)
    for week in range(3):
        make_session(series, starts_at=first + datetime.timedelta(weeks=week), capacity=8)

    partner = make_event(None, slug="notte-al-museo", title_it="Una notte al museo", title_ar="ليلة في المتحف",
                         booking_mode=BookingMode.NONE)  # fmt: skip
    make_session(partner, capacity=0, starts_at=timezone.now() + datetime.timedelta(days=12))
    confirmed = booking_service.book(event=workshop, session=session, name="Samira Haddad",
                                     email="samira.haddad@example.org", phone="", seats=1, language="ar")  # fmt: skip
    assert confirmed.status == BookingStatus.CONFIRMED
    return {"workshop": workshop, "session": session, "confirmed": confirmed, "offered": offered}


def look(page: Any, name: str, language: str, width: int) -> list[str]:
    """Photograph the page, and return its axe problems and whether it scrolls sideways."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("document.fonts.ready")
    page.screenshot(path=str(SHOTS / f"events-{name}-{language}-{width}.png"), full_page=True)
    problems = [f"{name}: {problem}" for problem in axe_violations(page)]
    if page.evaluate("document.documentElement.scrollWidth") > width:
        problems.append(f"{name}: scrolls sideways at {width}px")
    return problems


def assert_language(page: Any, language: str) -> None:
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
@pytest.mark.parametrize("language", ["ar", "it"])
def test_public_event_pages_pass_axe(new_page, browser_problems, programme, language, width):
    browser_problems.expected.append("status of 400")  # the form sent with errors
    page = new_page(language=language, width=width)
    workshop = programme["workshop"]
    title = "المطبخ السوري للجميع" if language == "ar" else "Cucina siriana per tutti"
    problems: list[str] = []

    assert page.goto(reverse("events:list")).status == 200
    assert_language(page, language)
    assert page.locator("main").get_by_role("link", name=title).count() == 1
    assert page.locator("main article").count() == 4
    problems += look(page, "catalogue", language, width)

    assert page.goto(reverse("events:event", args=[workshop.slug])).status == 200
    assert_language(page, language)
    assert page.locator("main h1").inner_text() == title
    problems += look(page, "event", language, width)

    # The booking form, sent without contact or consent: the errors listed on top and at their fields.
    session = programme["session"]
    page.locator(f'main a[href$="?session={session.public_id}"]').click()
    page.wait_for_url(re.compile(re.escape(reverse("events:book", args=[workshop.slug]))))
    assert_language(page, language)
    form = page.locator("main form[method=post]").filter(has=page.locator('input[name="name"]'))
    form.locator('input[name="name"]').fill("Samira Haddad")
    form.locator('button[type="submit"]').click()
    page.locator("#error-summary").wait_for()
    assert page.locator("#error-summary li").count() >= 2
    assert form.locator('input[name="consent"][aria-invalid="true"]').count() == 1
    problems += look(page, "booking-form-errors", language, width)

    # The confirmation: the booking's page as the form leads to it.
    token = signing.booking_token(programme["confirmed"])
    assert page.goto(reverse("events:booking", args=[token]) + "?booked=1").status == 200
    assert_language(page, language)
    assert programme["confirmed"].reference in page.locator("main").inner_text()
    assert page.locator('main [role="status"]').count() == 1
    problems += look(page, "confirmation", language, width)

    # The booking's page of someone offered a seat (accept or decline), reached from the email.
    token = signing.booking_token(programme["offered"])
    assert page.goto(reverse("events:booking", args=[token])).status == 200
    assert page.locator(f'main a[href="{reverse("events:booking_accept", args=[token])}"]').count() == 1
    assert page.locator(f'main a[href="{reverse("events:booking_decline", args=[token])}"]').count() == 1
    problems += look(page, "manage-offer", language, width)

    assert problems == [], "\n".join(problems)


def test_no_server_error_for_a_missing_event(new_page, browser_problems, programme):
    browser_problems.expected.append("status of 404")
    page = new_page(language="ar", width=PHONE)
    assert page.goto(reverse("events:event", args=["no-such-event"])).status == 404
    assert_language(page, "ar")
    assert re.search(r"\S", page.locator("main h1").inner_text())
