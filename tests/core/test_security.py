"""Production settings pass `check --deploy`, refuse the demo shortcuts, and every response carries
the security headers; personal data stays out of logs."""

from __future__ import annotations

import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.urls import reverse

from aipim.core.logging import StripQueryStringFilter

ROOT = Path(__file__).resolve().parents[2]


def production_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AIPIM_"))}
    env.update(
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(60),
        DJANGO_ALLOWED_HOSTS="aipim.regione.basilicata.it",
        DATABASE_URL=os.environ.get("DATABASE_URL") or "postgres://aipim@db.invalid:5432/aipim",
        REDIS_URL="redis://127.0.0.1:6379/0",
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
    )
    env.update(overrides)
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"AIPIM_MFA_REQUIRED": "false"}, "AIPIM_MFA_REQUIRED"),
        ({"DJANGO_SECRET_KEY": ""}, "DJANGO_SECRET_KEY"),
        ({"FIELD_ENCRYPTION_KEYS": ""}, "FIELD_ENCRYPTION_KEYS"),
        ({"DJANGO_DEBUG": "true"}, "DJANGO_DEBUG"),
        ({"REDIS_URL": ""}, "REDIS_URL"),
    ],
)
def test_production_refuses_to_start_without_its_secrets_or_with_demo_shortcuts(override, message):
    env = production_env(**override)
    for key, value in override.items():
        if not value:
            env.pop(key)
    result = manage("check", env=env)
    assert result.returncode != 0
    assert message in result.stderr


def test_demo_data_is_refused_in_production_mode():
    result = manage("seed_demo", env=production_env())
    assert result.returncode != 0
    assert "DEBUG" in result.stderr


def test_security_headers_on_every_page(client, db):
    response = client.get(reverse("core:home"))
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


def test_public_pages_may_be_cached_but_staff_pages_are_not(client, client_for, caseworker_irsina):
    assert "no-store" not in client.get(reverse("core:home")).get("Cache-Control", "")
    assert "no-store" in client_for(caseworker_irsina).get(reverse("core:dashboard"))["Cache-Control"]


def test_query_strings_are_stripped_from_request_logs():
    record = logging.LogRecord(
        "django.server", logging.INFO, "", 0, '"%s" %s %s', ("GET /people/?q=Amina HTTP/1.1", "200", "5"), None
    )
    StripQueryStringFilter().filter(record)
    assert "Amina" not in record.getMessage()


def test_production_cookies_are_secure():
    code = "from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0)"
    env = production_env(DJANGO_SETTINGS_MODULE="aipim.settings")
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.stdout.split() == ["True", "True", "True"], result.stderr
    assert settings.SESSION_COOKIE_HTTPONLY
