"""The signed links that need no account: the receiving service answers a referral, the person
follows their referrals in their language. Tampered, expired or stale links get a clear 400."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from aipim.core.models import AuditEvent, Consent, ServiceCategory
from aipim.core.services import withdraw_consent
from pua.models import Referral
from pua.services.referrals import create_referral, person_token, send_referral, service_token
from tests.factories import ConsentFactory, ServiceFactory


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def sent_referral(case_irsina, desk_irsina, caseworker_irsina) -> Referral:
    service = ServiceFactory(name="Sportello casa", category=ServiceCategory.HOUSING, email="casa@example.org")
    referral = create_referral(case=case_irsina, service=service, reason="Needs a flat", by=caseworker_irsina)
    return send_referral(referral=referral, by=caseworker_irsina)


def respond_url(referral: Referral) -> str:
    return reverse("pua:referral_respond", args=[service_token(referral)])


def test_the_service_sees_the_referral_and_accepts_it_then_reports_the_outcome(client, sent_referral):
    url = respond_url(sent_referral)
    page = client.get(url)
    assert page.status_code == 200
    assert "Abdel Aziz" in page.content.decode() and "Needs a flat" in page.content.decode()
    assert page["Referrer-Policy"] == "same-origin"
    assert "no-cache" in page["Cache-Control"] or "max-age=0" in page["Cache-Control"]

    assert client.post(url, {"status": "accepted", "note": "Meeting on 3 March"}).status_code == 302
    sent_referral.refresh_from_db()
    assert sent_referral.status == Referral.Status.ACCEPTED
    update = sent_referral.updates.last()
    assert update.by_service and update.by_user is None and update.note == "Meeting on 3 March"

    assert client.post(url, {"status": "completed", "note": "Flat found"}).status_code == 302
    sent_referral.refresh_from_db()
    assert sent_referral.status == Referral.Status.COMPLETED
    assert sent_referral.outcome == "Flat found"
    assert "closed" in client.get(url).content.decode()
    assert AuditEvent.objects.filter(action="referral.service_view", object_id=str(sent_referral.pk)).exists()


def test_the_service_cannot_skip_a_step(client, sent_referral):
    response = client.post(respond_url(sent_referral), {"status": "completed"})
    assert response.status_code == 400
    sent_referral.refresh_from_db()
    assert sent_referral.status == Referral.Status.SENT


def test_after_withdrawal_of_consent_the_service_no_longer_sees_who_it_is(client, sent_referral, caseworker_irsina):
    consent = sent_referral.case.person.consents.get(purpose=Consent.Purpose.CASE_MANAGEMENT)
    withdraw_consent(consent=consent, by=caseworker_irsina)
    page = client.get(respond_url(sent_referral)).content.decode()
    assert "Abdel Aziz" not in page and "Needs a flat" not in page
    assert "withdrawn their consent" in page


@pytest.mark.parametrize(
    "token",
    ["", "garbage", "eyJyZWZlcnJhbCI6MX0:1u0000:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"],
)
def test_a_tampered_service_link_is_refused_with_a_reason(client, sent_referral, token):
    url = reverse("pua:referral_respond", args=[token or "x"])
    for response in (client.get(url), client.post(url, {"status": "accepted"})):
        assert response.status_code == 400
        assert "This link is not valid" in response.content.decode()
    sent_referral.refresh_from_db()
    assert sent_referral.status == Referral.Status.SENT


def test_a_link_signed_for_the_person_does_not_open_a_referral(client, sent_referral):
    # Same signing key, other salt: a person's link is no service link, even if the payload fitted.
    url = reverse("pua:referral_respond", args=[person_token(sent_referral.case.person)])
    assert client.get(url).status_code == 400


def test_an_expired_service_link_says_so(client, settings, sent_referral):
    url = respond_url(sent_referral)
    settings.PUA_REFERRAL_LINK_DAYS = -1
    response = client.get(url)
    assert response.status_code == 400
    assert "expired" in response.content.decode()


def test_a_link_to_a_deleted_referral_is_refused(client, sent_referral):
    url = respond_url(sent_referral)
    sent_referral.delete()
    assert client.get(url).status_code == 400


# --- The person's page -------------------------------------------------------------------------


def status_url(person) -> str:
    return reverse("pua:person_referrals_status", args=[person_token(person)])


def test_the_person_sees_service_status_and_dates_but_no_reason(client, sent_referral, caseworker_irsina):
    drafted = create_referral(
        case=sent_referral.case,
        service=ServiceFactory(name="Draft service"),
        reason="internal",
        by=caseworker_irsina,
    )
    response = client.get(status_url(sent_referral.case.person))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Sportello casa" in page and "Sent" in page
    assert "Needs a flat" not in page  # the reason and notes are for the services, not for this page
    assert drafted.service.name not in page  # drafts are not referrals yet
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize(("language", "direction"), [("fr", "ltr"), ("ar", "rtl"), ("", "ltr")])
def test_the_person_page_speaks_their_language(client, sent_referral, language, direction):
    person = sent_referral.case.person
    person.preferred_language = language
    person.save()
    response = client.get(status_url(person))
    page = response.content.decode()
    expected = language or "en"  # no preference: the portal's default (English in these tests)
    assert f'lang="{expected}" dir="{direction}"' in page
    assert response["Content-Language"] == expected


def test_the_person_link_stops_working_after_anonymisation_or_expiry(client, settings, sent_referral):
    person = sent_referral.case.person
    url = status_url(person)
    settings.PUA_PERSON_LINK_DAYS = -1
    assert "expired" in client.get(url).content.decode()
    settings.PUA_PERSON_LINK_DAYS = 180
    person.anonymised_at = timezone.now()
    person.save()
    response = client.get(url)
    assert response.status_code == 400
    assert "Sportello casa" not in response.content.decode()


def test_a_tampered_person_link_is_refused(client, sent_referral):
    token = person_token(sent_referral.case.person)
    response = client.get(reverse("pua:person_referrals_status", args=[token[:-2] + "xx"]))
    assert response.status_code == 400
    assert "not valid" in response.content.decode()


def test_service_and_person_links_work_for_logged_in_staff_too(client_for, caseworker_picerno, sent_referral):
    # A link opened by anyone gives the same (limited) page; staff of another desk get no more.
    response = client_for(caseworker_picerno).get(status_url(sent_referral.case.person))
    assert response.status_code == 200
    assert "Needs a flat" not in response.content.decode()


def test_consent_withdrawn_for_a_health_referral_hides_the_person(client, case_irsina, desk_irsina, caseworker_irsina):
    ConsentFactory(
        person=case_irsina.person,
        purpose=Consent.Purpose.HEALTH_SHARING,
        organisation=desk_irsina,
        recorded_by=caseworker_irsina,
    )
    referral = create_referral(
        case=case_irsina, service=ServiceFactory(category=ServiceCategory.HEALTH), reason="Visit", by=caseworker_irsina
    )
    send_referral(referral=referral, by=caseworker_irsina)
    assert "Abdel Aziz" in client.get(respond_url(referral)).content.decode()
    withdraw_consent(
        consent=case_irsina.person.consents.get(purpose=Consent.Purpose.HEALTH_SHARING), by=caseworker_irsina
    )
    assert "Abdel Aziz" not in client.get(respond_url(referral)).content.decode()
