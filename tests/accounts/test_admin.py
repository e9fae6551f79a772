"""User administration on the admin site: email login (no username), roles given as memberships."""

from __future__ import annotations

import pytest
from django.urls import reverse

from aipim.accounts.models import Membership, Role, User
from tests.factories import UserFactory

NEW_PASSWORD = "a long enough passphrase 42"


@pytest.fixture
def admin_client(client_for, db):
    superuser = UserFactory(email="root@example.org", is_superuser=True, is_staff=True)
    return client_for(superuser)


def inline_management(prefix: str = "memberships", total: int = 0, initial: int = 0) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def test_add_form_asks_for_an_email_and_no_username(admin_client):
    page = admin_client.get(reverse("admin:accounts_user_add")).content.decode()

    assert 'name="email"' in page
    assert 'name="username"' not in page


def test_an_administrator_creates_a_user_with_a_role(admin_client, desk_irsina):
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "New.Caseworker@Example.org",
            "full_name": "Nuova Operatrice",
            "usable_password": "true",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            **inline_management(total=1),
            "memberships-0-organisation": desk_irsina.pk,
            "memberships-0-role": Role.CASEWORKER,
            "memberships-0-valid_from": "2026-01-01",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    user = User.objects.get(email="new.caseworker@example.org")
    assert user.check_password(NEW_PASSWORD)
    assert user.has_role(Role.CASEWORKER)
    assert Membership.objects.get(user=user).organisation == desk_irsina


def test_emails_may_not_differ_only_in_case(admin_client):
    UserFactory(email="taken@example.org")

    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "TAKEN@example.org",
            "usable_password": "true",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            **inline_management(),
        },
    )

    assert response.status_code == 200
    assert "email" in response.context["adminform"].form.errors
    assert User.objects.filter(email__iexact="taken@example.org").count() == 1


def test_change_page_edits_the_user_and_shows_memberships(admin_client, caseworker_irsina):
    url = reverse("admin:accounts_user_change", args=[caseworker_irsina.pk])
    page = admin_client.get(url).content.decode()
    membership = caseworker_irsina.memberships.get()

    assert 'name="memberships-0-role"' in page
    response = admin_client.post(
        url,
        {
            "email": caseworker_irsina.email,
            "full_name": "Renamed",
            "preferred_language": "it",
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "09:00:00",
            **inline_management(total=1, initial=1),
            "memberships-0-id": membership.pk,
            "memberships-0-user": caseworker_irsina.pk,
            "memberships-0-organisation": membership.organisation_id,
            "memberships-0-role": Role.PUA_SUPERVISOR,
            "memberships-0-valid_from": "2026-01-01",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    caseworker_irsina.refresh_from_db()
    assert caseworker_irsina.full_name == "Renamed"
    assert caseworker_irsina.memberships.get().role == Role.PUA_SUPERVISOR


def test_user_list_searches_by_email(admin_client, caseworker_irsina, caseworker_picerno):
    response = admin_client.get(reverse("admin:accounts_user_changelist"), {"q": "irsina"})

    assert [user.email for user in response.context["cl"].result_list] == [caseworker_irsina.email]


def test_staff_roles_without_the_admin_flag_do_not_reach_the_admin_site(client_for, administrator):
    response = client_for(administrator).get(reverse("admin:index"))

    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
