"""Journeys through the browser: logging in with password and second factor, the Arabic switch, the lockout."""

from __future__ import annotations

import re
from urllib.parse import urlparse

from django.conf import settings
from django.urls import reverse

from aipim.accounts.models import Role
from tests.e2e.conftest import current_totp_code
from tests.factories import PASSWORD, MembershipFactory, OrganisationFactory, UserFactory


def caseworker():
    desk = OrganisationFactory(name="PUA Irsina", code="IRS-E2E")
    user = UserFactory(email="giulia.e2e@example.org", full_name="Giulia Rossi")
    MembershipFactory(user=user, organisation=desk, role=Role.CASEWORKER)
    return user


def submit_login(page, email: str, password: str) -> None:
    page.goto(reverse("account_login"))
    page.locator('input[name="login"]').fill(email)
    page.locator('input[name="password"]').fill(password)
    page.locator('main form button[type="submit"]').click()


def test_log_in_with_password_and_code_then_land_on_the_dashboard(new_page, live_server):
    user = caseworker()
    page = new_page(language="en")
    submit_login(page, user.email, PASSWORD)
    page.wait_for_url(re.compile(re.escape(reverse("mfa_authenticate")) + "$"))
    assert page.locator("h1").inner_text() == "Two-factor authentication"

    page.locator('input[name="code"]').fill(current_totp_code(user))
    page.locator('main form button[type="submit"]:not([form])').click()
    page.wait_for_url(live_server.url + reverse("core:dashboard"))
    assert page.locator("h1").inner_text() == "My work"
    # The navigation now shows what a caseworker's role opens, and nothing else.
    nav = page.get_by_role("navigation", name="Main navigation")
    assert nav.get_by_role("link", name="PUA desks").count() == 1
    assert nav.get_by_role("link", name="People").count() == 1
    assert nav.get_by_role("link", name="Schools").count() == 0
    assert nav.get_by_role("link", name="Audit log").count() == 0


def test_wrong_code_keeps_the_visitor_out(new_page):
    user = caseworker()
    page = new_page(language="en")
    submit_login(page, user.email, PASSWORD)
    page.wait_for_url(re.compile(re.escape(reverse("mfa_authenticate")) + "$"))
    page.locator('input[name="code"]').fill("000000")
    page.locator('main form button[type="submit"]:not([form])').click()
    assert page.url.endswith(reverse("mfa_authenticate"))
    assert page.locator(".invalid-feedback, .alert-danger, .errorlist").count() > 0
    # Still not logged in: the dashboard sends the visitor back to the pending log-in.
    assert urlparse(page.goto(reverse("core:dashboard")).url).path != reverse("core:dashboard")


def test_switch_to_arabic_with_the_language_switcher(new_page):
    page = new_page(language="it", width=375)
    page.goto(reverse("core:privacy"))
    assert page.locator("html").get_attribute("dir") == "ltr"
    # The switcher is visible on a phone without opening any menu.
    arabic = page.locator('form.portal-lang-form button[value="ar"]')
    assert arabic.is_visible()
    arabic.click()
    page.wait_for_load_state()
    assert page.url.endswith(reverse("core:privacy"))
    assert page.locator("html").get_attribute("lang") == "ar"
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator('link[href$="bootstrap-italia.rtl.min.css"]').count() == 1
    # Right to left for real: the region's name sits on the right of the top bar, the login on the left.
    brand = page.locator(".it-header-slim-wrapper .navbar-brand").bounding_box()
    login = page.locator(".it-header-slim-wrapper .btn").bounding_box()
    assert brand["x"] > login["x"]


def test_mobile_menu_opens_and_closes(new_page):
    page = new_page(language="en", width=375)
    page.goto("/")
    toggler = page.locator("button.custom-navbar-toggler")
    home_link = page.locator("#portal-nav a.nav-link").first
    assert toggler.is_visible()
    assert not home_link.is_visible()
    toggler.click()
    home_link.wait_for(state="visible")
    assert toggler.get_attribute("aria-expanded") == "true"
    # Bootstrap Italia ignores the close button while the menu is still sliding in.
    page.wait_for_timeout(600)
    page.locator("#portal-nav .close-menu").click()
    home_link.wait_for(state="hidden")


def test_fonts_load_from_the_portal(new_page):
    page = new_page(language="it")
    failed = []
    page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))
    page.goto("/")
    page.evaluate("document.fonts.ready")
    assert page.evaluate("document.fonts.check('16px \"Titillium Web\"')")
    loaded = page.evaluate("[...document.fonts].filter(f => f.status === 'loaded').map(f => f.family)")
    assert any("Titillium Web" in family for family in loaded)
    assert failed == []


def test_lockout_after_repeated_wrong_passwords(new_page, browser_problems):
    user = caseworker()
    page = new_page(language="en")
    # The lockout page answers 429, which Chromium logs as a failed resource.
    browser_problems.expected.append("status of 429")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        submit_login(page, user.email, "not the password")
    submit_login(page, user.email, PASSWORD)
    assert page.locator("h1").inner_text() == "Too many attempts"
    assert page.locator("html").get_attribute("lang") == "en"
    assert urlparse(page.goto(reverse("core:dashboard")).url).path != reverse("core:dashboard")
