"""Public pages: every one answers anonymous visitors in each language, with the right lang and dir, the
language switcher, the footer links the AgID guidelines ask for, and the security headers."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import Resolver404, resolve, reverse

LANGUAGES = [code for code, _ in settings.LANGUAGES]


def public_paths() -> list[str]:
    paths = [
        reverse("core:home"),
        reverse("core:privacy"),
        reverse("core:accessibility"),
        reverse("core:feedback"),
        reverse("account_login"),
    ]
    # The service directory is public too; include it as soon as its pages are installed.
    try:
        resolve("/services/")
        paths.append("/services/")
    except Resolver404:
        pass
    return paths


def client_in(language: str) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("path", public_paths())
def test_public_page_answers_in_every_language(path, language):
    response = client_in(language).get(path)
    assert response.status_code == 200
    html = response.content.decode()
    direction = "rtl" if language == "ar" else "ltr"
    assert re.search(rf'<html lang="{language}" dir="{direction}">', html)
    # The language switcher: a POST form to set_language with one button per language.
    assert f'action="{reverse("set_language")}" method="post"' in html
    for code in LANGUAGES:
        assert f'name="language" value="{code}" lang="{code}"' in html
    assert f'value="{language}" lang="{language}" dir="{direction}" aria-current="true"' in html
    # Footer links required by the AgID guidelines.
    for name in ("core:accessibility", "core:privacy", "core:feedback"):
        assert f'href="{reverse(name)}' in html
    # Skip link and landmarks.
    assert 'href="#main"' in html and '<main id="main"' in html and "<footer" in html


@pytest.mark.django_db
@pytest.mark.parametrize("path", public_paths())
def test_public_pages_send_the_security_headers(client, path):
    response = client.get(path)
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", public_paths())
def test_pages_have_no_inline_script_style_or_handlers(client, path):
    """The CSP refuses them, so any that slipped in would silently break the page in the browser."""
    html = client.get(path).content.decode()
    for script in re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.S):
        attributes, body = script
        assert "src=" in attributes or 'type="application/json"' in attributes, script
        assert not body.strip() or 'type="application/json"' in attributes, script
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)
    assert "<style" not in html


@pytest.mark.django_db
def test_content_pages_show_their_last_update(client):
    for name in ("core:privacy", "core:accessibility"):
        html = client.get(reverse(name)).content.decode()
        assert re.search(r'<time datetime="\d{4}-\d{2}-\d{2}">', html), name


@pytest.mark.django_db
def test_statics_are_served_locally(client):
    html = client.get(reverse("core:home")).content.decode()
    external = re.findall(r'(?:src|href)="(https?://[^"]+\.(?:css|js))"', html)
    assert external == []
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        response = client.get(asset)
        response.close()  # a FileResponse: close its file
        assert response.status_code == 200, asset


@pytest.mark.django_db
def test_not_found_page_keeps_the_portal_layout(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert '<main id="main"' in html and 'href="/accessibility/' in html
