"""How callers authenticate: session or token, and never without the second factor."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from aipim.accounts.models import Role
from tests.factories import MembershipFactory, PersonFactory, UserFactory


@pytest.fixture
def person_at_irsina(desk_irsina):
    return PersonFactory(family_names="Benali", organisation=desk_irsina)


def test_token_authentication_reads_in_scope(caseworker_irsina, person_at_irsina):
    token = Token.objects.create(user=caseworker_irsina)
    response = Client().get("/api/v1/people/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    assert [row["family_names"] for row in response.json()["results"]] == ["Benali"]


def test_a_wrong_token_is_refused(caseworker_irsina):
    Token.objects.create(user=caseworker_irsina)
    response = Client().get("/api/v1/people/", HTTP_AUTHORIZATION="Token not-the-key")
    assert response.status_code in (401, 403)


@pytest.fixture
def caseworker_without_mfa(desk_irsina):
    user = UserFactory(email="no.mfa@example.org", mfa=False)
    MembershipFactory(user=user, organisation=desk_irsina, role=Role.CASEWORKER)
    return user


def test_staff_without_second_factor_get_403_by_session(caseworker_without_mfa, person_at_irsina):
    client = Client()
    client.force_login(caseworker_without_mfa)
    for url in ("/api/v1/people/", "/api/v1/services/"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Benali" not in response.content.decode()


def test_staff_without_second_factor_get_403_by_token(caseworker_without_mfa, person_at_irsina):
    # A token request has no session, so the middleware sees an anonymous user: the API checks again.
    token = Token.objects.create(user=caseworker_without_mfa)
    response = Client().get("/api/v1/people/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 403
    assert "Benali" not in response.content.decode()


def test_the_api_refuses_writes(client_for, administrator, person_at_irsina):
    client = client_for(administrator)
    assert client.delete(f"/api/v1/people/{person_at_irsina.public_id}/").status_code == 405
    assert client.post("/api/v1/services/", {}, content_type="application/json").status_code in (403, 405)
