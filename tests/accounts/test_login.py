"""Logging in: email and password, then the second factor; lockout after repeated failures;
password rules of OWASP ASVS level 2; every staff role must set up a second factor."""

from __future__ import annotations

import datetime
import time

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from aipim.accounts.models import Role
from aipim.core.middleware import SessionIdleTimeoutMiddleware
from tests.conftest import logged_in
from tests.factories import PASSWORD, MembershipFactory, UserFactory


def current_code(user) -> str:
    secret = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP).wrap().instance.data["secret"]
    from allauth.mfa.utils import decrypt

    # Only the current period's code is taken (TOTP_TOLERANCE 0): near its end, wait for the next one.
    left = mfa_settings.TOTP_PERIOD - time.time() % mfa_settings.TOTP_PERIOD
    if left < 3:
        time.sleep(left + 0.2)
    counter = int(time.time()) // mfa_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(decrypt(secret), counter))


def test_login_asks_for_the_second_factor_then_lets_in(caseworker_irsina):
    client = Client()
    response = client.post(reverse("account_login"), {"login": caseworker_irsina.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session  # not logged in before the code

    response = client.post(reverse("mfa_authenticate"), {"code": current_code(caseworker_irsina)})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(caseworker_irsina.pk)
    assert client.get(reverse("core:dashboard")).status_code == 200


def test_wrong_code_keeps_the_door_closed(caseworker_irsina):
    client = Client()
    client.post(reverse("account_login"), {"login": caseworker_irsina.email, "password": PASSWORD})
    response = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_staff_without_second_factor_must_set_it_up(desk_irsina):
    user = UserFactory(mfa=False)
    MembershipFactory(user=user, organisation=desk_irsina, role=Role.CASEWORKER)
    client = Client()
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert client.session["_auth_user_id"] == str(user.pk)
    response = client.get(reverse("core:person_list"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    # The API refuses instead of redirecting.
    assert client.get("/api/v1/").status_code == 403
    # The set-up pages stay reachable (allauth first asks for the password again, then shows the QR code).
    response = client.get(reverse("mfa_activate_totp"), follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].startswith(reverse("account_reauthenticate"))
    response = client.post(response.redirect_chain[-1][0], {"password": PASSWORD}, follow=True)
    assert response.status_code == 200
    assert response.request["PATH_INFO"] == reverse("mfa_activate_totp")


def test_local_demo_may_turn_the_requirement_off(settings, desk_irsina):
    settings.MFA_REQUIRED = False
    user = UserFactory(mfa=False)
    MembershipFactory(user=user, organisation=desk_irsina, role=Role.CASEWORKER)
    client = Client()
    client.force_login(user)
    assert client.get(reverse("core:person_list")).status_code == 200


def test_lockout_after_repeated_failures_with_every_attempt_logged(caseworker_irsina, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("account_login"), {"login": caseworker_irsina.email, "password": "wrong password"})
    response = client.post(reverse("account_login"), {"login": caseworker_irsina.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert (
        AccessAttempt.objects.get(username=caseworker_irsina.email).failures_since_start >= settings.AXES_FAILURE_LIMIT
    )
    # The cool-off is finite.
    assert settings.AXES_COOLOFF_TIME.total_seconds() > 0


def test_every_attempt_is_logged(caseworker_irsina):
    client = Client()
    client.post(reverse("account_login"), {"login": caseworker_irsina.email, "password": "wrong password"})
    assert AccessFailureLog.objects.filter(username=caseworker_irsina.email).count() == 1
    client.post(reverse("account_login"), {"login": caseworker_irsina.email, "password": PASSWORD})
    client.post(reverse("mfa_authenticate"), {"code": current_code(caseworker_irsina)})
    assert AccessLog.objects.filter(username=caseworker_irsina.email).exists()


def test_nobody_signs_up_alone(db, client):
    response = client.post(
        reverse("account_signup"), {"email": "someone@example.org", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code in (200, 302, 403)
    from aipim.accounts.models import User

    assert not User.objects.filter(email="someone@example.org").exists()


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("short7!", False),  # under 8 characters
        ("password", False),  # a common password
        ("x" * 65, False),  # over 64 characters
        ("a" * 30 + " lucania blue", True),  # a long passphrase, no composition rules
        ("tramonto sul basento", True),
    ],
)
def test_password_rules_follow_asvs_level_2(db, password, ok):
    if ok:
        validate_password(password)
    else:
        with pytest.raises(ValidationError):
            validate_password(password)


def test_sessions_expire_after_inactivity(settings):
    assert 0 < settings.SESSION_COOKIE_AGE <= 60 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    middleware = settings.MIDDLEWARE
    touch = middleware.index("aipim.core.middleware.SessionIdleTimeoutMiddleware")
    assert touch == middleware.index("django.contrib.sessions.middleware.SessionMiddleware") + 1


def _session_row(client: Client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


def _session_writes(client: Client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in queries if q["sql"].startswith(("UPDATE", "INSERT")) and "django_session" in q["sql"]]


def test_each_request_pushes_the_idle_timeout_forward_at_most_once_a_minute(caseworker_irsina, settings):
    client = logged_in(caseworker_irsina)
    home = reverse("pua:home")
    assert _session_writes(client, home)  # the first request sets the clock
    assert _session_writes(client, home) == []  # a second one within the minute writes nothing

    # A minute and more later, the next request pushes the expiry forward again.
    store = SessionStore(session_key=client.session.session_key)
    store[SessionIdleTimeoutMiddleware.KEY] = int(time.time()) - SessionIdleTimeoutMiddleware.TOUCH_SECONDS - 1
    store.save()
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() + datetime.timedelta(seconds=60)
    )
    before = _session_row(client).expire_date
    assert _session_writes(client, home)
    after = _session_row(client).expire_date
    assert after - before > datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE - 120)


def test_an_idle_session_ends(caseworker_irsina):
    client = logged_in(caseworker_irsina)
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    response = client.get(reverse("pua:case_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    # The dead session is not revived for the visitor either.
    assert not Session.objects.filter(expire_date__gt=timezone.now()).exists()
