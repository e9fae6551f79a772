"""Screenshots of the main pages, desktop and phone, Italian and Arabic, for people to look at
(saved under AIPIM_SHOTS_DIR, /tmp/shots by default); and no page may scroll sideways on a phone."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.urls import reverse

from aipim.accounts.models import Role
from tests.factories import MembershipFactory, OrganisationFactory, PersonFactory, UserFactory

SHOTS = Path(os.environ.get("AIPIM_SHOTS_DIR", "/tmp/shots"))


@pytest.mark.parametrize("language", ["it", "ar"])
@pytest.mark.parametrize("width", [1280, 375])
def test_screenshots_and_no_sideways_scroll(new_page, language, width):
    SHOTS.mkdir(parents=True, exist_ok=True)
    office = OrganisationFactory(name="Regione Basilicata", code="REG-E2E")
    desk = OrganisationFactory(name="PUA Irsina", code="IRS-E2E")
    user = UserFactory(email="admin.shots@example.org", full_name="Ada Amministratrice")
    MembershipFactory(user=user, organisation=office, role=Role.ADMINISTRATOR)
    person = PersonFactory(given_names="محمد", family_names="العلي", given_names_latin="Mohamed",
                           family_names_latin="Al Ali", organisation=desk)  # fmt: skip
    PersonFactory(given_names="Amina", family_names="Diallo", citizenship="SN", organisation=desk)

    anonymous = new_page(language=language, width=width)
    staff = new_page(language=language, width=width, user=user)
    pages = [
        (anonymous, "home", "/"),
        (anonymous, "login", reverse("account_login")),
        (staff, "dashboard", reverse("core:dashboard")),
        (staff, "people", reverse("core:person_list")),
        (staff, "person", reverse("core:person_detail", args=[person.public_id])),
    ]
    overflowing = []
    for page, name, path in pages:
        page.goto(path)
        page.evaluate("document.fonts.ready")
        page.screenshot(path=str(SHOTS / f"{name}-{language}-{width}.png"), full_page=True)
        if page.evaluate("document.documentElement.scrollWidth") > width:
            overflowing.append(name)
    assert overflowing == []
