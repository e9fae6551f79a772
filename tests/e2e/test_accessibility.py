"""WCAG 2.1 AA with axe-core in a real browser: public pages in the four languages, staff pages in the two
staff languages. No serious or critical violation, and no CSP violation or script error on the way."""

from __future__ import annotations

import pytest
from django.urls import Resolver404, resolve, reverse

from aipim.accounts.models import Role
from tests.e2e.conftest import axe_violations
from tests.factories import MembershipFactory, OrganisationFactory, PersonFactory, UserFactory


def public_paths() -> list[str]:
    paths = ["/", "/privacy/", "/accessibility/", "/feedback/", "/accounts/login/"]
    try:  # the public service directory, once its pages are installed
        resolve("/services/")
        paths.append("/services/")
    except Resolver404:
        pass
    return paths


@pytest.mark.parametrize("language", ["it", "en", "fr", "ar"])
def test_public_pages_pass_axe(new_page, language):
    page = new_page(language=language)
    failures = {}
    for path in public_paths():
        page.goto(path)
        assert page.locator("html").get_attribute("lang") == language
        problems = axe_violations(page)
        if problems:
            failures[path] = problems
    assert failures == {}


@pytest.fixture
def administrator_with_a_person():
    office = OrganisationFactory(name="Regione Basilicata", code="REG-E2E")
    desk = OrganisationFactory(name="PUA Irsina", code="IRS-E2E")
    user = UserFactory(email="admin.e2e@example.org", full_name="Ada Amministratrice")
    MembershipFactory(user=user, organisation=office, role=Role.ADMINISTRATOR)
    person = PersonFactory(given_names="Amina", family_names="Benali", organisation=desk)
    return user, person


@pytest.mark.parametrize("language", ["it", "en"])
def test_staff_pages_pass_axe(new_page, administrator_with_a_person, language):
    user, person = administrator_with_a_person
    page = new_page(language=language, user=user)
    paths = [
        reverse("core:dashboard"),
        reverse("schools:home"),
        reverse("pua:home"),
        reverse("portal_sync:home"),
        reverse("associations:home"),
        reverse("core:person_list"),
        reverse("core:person_detail", args=[person.public_id]),
    ]
    failures = {}
    for path in paths:
        response = page.goto(path)
        assert response.status == 200, path
        problems = axe_violations(page)
        if problems:
            failures[path] = problems
    assert failures == {}


def test_axe_check_catches_real_violations(new_page):
    """Negative control: the same check fails a page with an unlabelled field and text without contrast."""
    page = new_page()
    page.set_content(
        '<html lang="en"><body><main><h1>Form</h1><input type="text">'
        '<p><span class="low">faint text</span></p></main></body></html>'
    )
    page.add_style_tag(content=".low { color: #ddd; background: #fff; }")
    problems = "\n".join(axe_violations(page))
    assert "label" in problems
    assert "color-contrast" in problems
