"""WCAG 2.1 AA with axe-core on the managers' pages of Action 4 (Italian and English, the staff
languages), with data on them; the check-in page also on a phone, where it must not scroll sideways.
Browser tests: they run with Debian's chromium (AIPIM_REQUIRE_E2E=1 makes its absence a failure)."""

from __future__ import annotations

import datetime
import os
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from associations.models import BookingMessage, BookingStatus, CheckIn
from tests.e2e.conftest import axe_violations, browser_problems, browser_type_launch_args, new_page

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# The browser fixtures of tests/e2e, made visible to this folder.
__all__ = ["browser_problems", "browser_type_launch_args", "new_page"]

PHONE = 390
SHOTS = Path(os.environ.get("AIPIM_SHOTS_DIR", "/tmp/shots"))


@pytest.fixture
def at_work(workshop, workshop_session, series, make_booking, make_event, make_session) -> dict[str, Any]:
    make_booking(workshop_session, name="Amina Diallo", seats=2)
    arabic = make_booking(workshop_session, name="كريم الحسن", language="ar")
    make_booking(workshop_session, name="Lucia Verdi", status=BookingStatus.WAITING)
    CheckIn.objects.create(booking=arabic, session=workshop_session)
    BookingMessage.objects.create(
        booking=arabic,
        kind=BookingMessage.Kind.CONFIRMATION,
        language="ar",
        recipient=arabic.email,
        subject="s",
        body="b",
        status=BookingMessage.Status.FAILED,
        attempts=8,
        last_error="Connection refused",
    )
    past = make_event(workshop.association, title_it="Festa passata", title_en="Past party")
    make_session(past, starts_at=timezone.now() - datetime.timedelta(days=3))
    return {"event": workshop, "session": workshop_session}


def pages(data: dict[str, Any], language: str) -> dict[str, tuple[str, str]]:
    event, session = data["event"], data["session"]
    title = getattr(event, f"title_{language}")
    return {
        "dashboard": (reverse("associations:home"), title),
        "event list": (reverse("associations:event_list"), title),
        "event page": (reverse("associations:event_detail", args=[event.pk]), title),
        "event form": (reverse("associations:event_edit", args=[event.pk]), ""),
        "session form": (reverse("associations:session_edit", args=[session.pk]), ""),
        "bookings": (reverse("associations:session_bookings", args=[session.pk]), "Amina Diallo"),
        "check-in": (reverse("associations:checkin", args=[session.pk]), "Amina Diallo"),
        "failed messages": (reverse("associations:failed_messages"), "Connection refused"),
        "profile": (reverse("associations:association_edit", args=[event.association.slug]), "manager.ponti"),
        "network form": (reverse("associations:network_add"), ""),
    }


@pytest.mark.parametrize("language", ["it", "en"])
def test_managers_pages_pass_axe(new_page, at_work, manager_association, language):
    page = new_page(language=language, user=manager_association)
    for name, (path, shown) in pages(at_work, language).items():
        response = page.goto(path)
        assert response.status == 200, name
        if shown:
            assert page.locator("main").get_by_text(shown).count() > 0, f"{name}: no data shown"
        assert axe_violations(page) == [], f"{name} ({language})"
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SHOTS / f"manage-{name.replace(' ', '-')}-{language}.png", full_page=True)


def test_check_in_on_a_phone(new_page, at_work, manager_association):
    page = new_page(language="en", width=PHONE, user=manager_association)
    page.goto(reverse("associations:checkin", args=[at_work["session"].pk]))
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_label("Name or booking code").fill("amina")
    page.get_by_role("button", name="Search").click()
    button = page.get_by_role("button", name="Amina Diallo is present")
    box = button.bounding_box()
    assert box is not None and box["height"] >= 44  # a big enough target for a thumb
    button.click()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "manage-check-in-phone.png", full_page=True)
    assert page.get_by_text("present", exact=True).count() > 0
    assert CheckIn.objects.filter(booking__name="Amina Diallo").exists()
    assert axe_violations(page) == []


def test_managers_pages_never_scroll_sideways_on_a_phone(new_page, at_work, manager_association):
    """Wide tables scroll inside their box: a visually hidden header label once widened the whole page."""
    page = new_page(language="en", width=PHONE, user=manager_association)
    for name, (path, _shown) in pages(at_work, "en").items():
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
