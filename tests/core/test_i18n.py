"""Languages: Arabic pages run right to left with the right-to-left stylesheet, and the language switcher
(Django's set_language) changes the language of the next page."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse


@pytest.mark.django_db
def test_arabic_page_is_right_to_left_with_its_stylesheet():
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"
    html = client.get(reverse("core:home")).content.decode()
    assert '<html lang="ar" dir="rtl">' in html
    assert "css/bootstrap-italia.rtl.min.css" in html
    assert "css/bootstrap-italia.min.css" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["it", "en", "fr"])
def test_other_languages_are_left_to_right(language):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    html = client.get(reverse("core:home")).content.decode()
    assert f'<html lang="{language}" dir="ltr">' in html
    assert "css/bootstrap-italia.min.css" in html


@pytest.mark.django_db
def test_switching_language_through_set_language():
    client = Client()
    assert '<html lang="it"' in client.get(reverse("core:privacy")).content.decode()  # Italian by default

    response = client.post(reverse("set_language"), {"language": "ar", "next": reverse("core:privacy")})
    assert response.status_code == 302
    assert response["Location"] == reverse("core:privacy")
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ar"
    assert '<html lang="ar" dir="rtl">' in client.get(response["Location"]).content.decode()

    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    assert '<html lang="fr" dir="ltr">' in client.get("/").content.decode()


@pytest.mark.django_db
def test_switcher_refuses_to_redirect_elsewhere():
    response = Client().post(reverse("set_language"), {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_unknown_language_is_ignored():
    client = Client()
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    assert '<html lang="it"' in client.get("/").content.decode()


@pytest.mark.django_db
def test_staff_pages_follow_the_chosen_language(client_for, caseworker_irsina):
    client = client_for(caseworker_irsina)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert '<html lang="en" dir="ltr">' in client.get(reverse("core:dashboard")).content.decode()
