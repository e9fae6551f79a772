"""Referrals: consent by service category, the status path with its history, escalation of late
acknowledgements, the referral letter, and who can reach each page."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from aipim.accounts.models import Role
from aipim.core.models import AuditEvent, Consent, Organisation, ServiceCategory
from aipim.core.services import ConsentMissing
from pua.forms.referrals import Nearness, services_near
from pua.letters import render_letter_document
from pua.models import BreakGlassGrant, Referral
from pua.services.referrals import (
    consent_purpose_for,
    create_referral,
    escalate_overdue_referrals,
    send_referral,
    update_referral,
)
from pua.tasks.referrals import escalate_overdue_referrals as escalate_task
from tests.factories import ConsentFactory, OrganisationFactory, ServiceFactory, municipality
from tests.personas import PERSONAS

SEES_IRSINA_CASE = {"caseworker_irsina", "supervisor_irsina"}
MATRIX = [(persona, persona in SEES_IRSINA_CASE) for persona in PERSONAS]


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    settings.LANGUAGE_CODE = "en"


def provider(name: str, town: str) -> Organisation:
    return OrganisationFactory(name=name, kind=Organisation.Kind.SERVICE_PROVIDER, municipality=municipality(town))


@pytest.fixture
def health_service(db):
    return ServiceFactory(
        name="Consultorio familiare",
        category=ServiceCategory.HEALTH,
        email="consultorio@example.org",
        acknowledgement_days=5,
        organisation=provider("ASM Matera", "Irsina"),
    )


@pytest.fixture
def job_centre(db):
    return ServiceFactory(
        name="Centro per l'impiego",
        category=ServiceCategory.WORK,
        email="cpi@example.org",
        acknowledgement_days=3,
        organisation=provider("ARLAB", "Matera"),
    )


@pytest.fixture
def referral(case_irsina, health_service, caseworker_irsina) -> Referral:
    return create_referral(case=case_irsina, service=health_service, reason="Prenatal visits", by=caseworker_irsina)


def consent_to(person, purpose, desk, by):
    return ConsentFactory(person=person, purpose=purpose, organisation=desk, recorded_by=by)


@pytest.mark.parametrize(
    ("category", "purpose"),
    [
        (ServiceCategory.HEALTH, Consent.Purpose.HEALTH_SHARING),
        (ServiceCategory.WORK, Consent.Purpose.JOB_SHARING),
        (ServiceCategory.HOUSING, Consent.Purpose.CASE_MANAGEMENT),
        (ServiceCategory.LEGAL, Consent.Purpose.CASE_MANAGEMENT),
    ],
)
def test_each_category_needs_its_consent(db, category, purpose):
    assert consent_purpose_for(ServiceFactory(category=category)) == purpose


def test_a_referral_cannot_be_sent_without_the_matching_consent(referral, caseworker_irsina):
    with pytest.raises(ConsentMissing, match="Sharing with health services"):
        send_referral(referral=referral, by=caseworker_irsina)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.DRAFTED
    assert referral.sent_at is None


def test_sending_starts_the_deadline_and_emails_the_service_a_link(
    referral, desk_irsina, caseworker_irsina, django_capture_on_commit_callbacks
):
    consent_to(referral.case.person, Consent.Purpose.HEALTH_SHARING, desk_irsina, caseworker_irsina)
    with django_capture_on_commit_callbacks(execute=True):
        send_referral(referral=referral, by=caseworker_irsina)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.SENT
    assert referral.acknowledge_by == referral.sent_at + datetime.timedelta(days=5)
    assert [u.status for u in referral.updates.all()] == ["drafted", "sent"]
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["consultorio@example.org"]
    assert "/pua/referrals/respond/" in message.body
    assert referral.case.number in message.body
    # Email is not a safe channel: the person's name stays behind the link.
    assert "Abdel Aziz" not in message.body and "Abdel Aziz" not in message.subject


def test_status_path_keeps_a_history_and_refuses_jumps(referral, desk_irsina, caseworker_irsina):
    consent_to(referral.case.person, Consent.Purpose.HEALTH_SHARING, desk_irsina, caseworker_irsina)
    with pytest.raises(Exception, match="cannot become"):
        update_referral(referral=referral, to=Referral.Status.ACCEPTED, by=caseworker_irsina)
    send_referral(referral=referral, by=caseworker_irsina)
    update_referral(referral=referral, to=Referral.Status.ACCEPTED, note="First visit on Monday", by=caseworker_irsina)
    with pytest.raises(Exception, match="cannot become"):
        update_referral(referral=referral, to=Referral.Status.SENT, by=caseworker_irsina)
    update_referral(referral=referral, to=Referral.Status.COMPLETED, note="Visits done", by=caseworker_irsina)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.COMPLETED
    assert referral.accepted_at is not None and referral.closed_at is not None
    assert referral.outcome == "Visits done"
    assert [u.status for u in referral.updates.all()] == ["drafted", "sent", "accepted", "completed"]
    assert AuditEvent.objects.filter(action="referral.completed", object_id=str(referral.pk)).exists()


def test_an_overdue_referral_is_escalated_once_to_the_desk_supervisors(
    referral, desk_irsina, caseworker_irsina, supervisor_irsina, make_member, desk_picerno
):
    make_member(Role.PUA_SUPERVISOR, desk_picerno, email="supervisor.picerno@example.org")
    consent_to(referral.case.person, Consent.Purpose.HEALTH_SHARING, desk_irsina, caseworker_irsina)
    send_referral(referral=referral, by=caseworker_irsina)
    mail.outbox.clear()
    assert escalate_overdue_referrals() == 0  # not late yet

    Referral.objects.filter(pk=referral.pk).update(acknowledge_by=timezone.now() - datetime.timedelta(hours=1))
    escalate_task.delay()
    escalate_task.delay()  # a second run changes nothing
    referral.refresh_from_db()
    assert referral.escalated_at is not None
    assert referral.is_overdue
    assert [m.to for m in mail.outbox] == [[supervisor_irsina.email]]
    assert referral.case.number in mail.outbox[0].subject


def test_an_acknowledged_referral_is_not_escalated(referral, desk_irsina, caseworker_irsina, supervisor_irsina):
    consent_to(referral.case.person, Consent.Purpose.HEALTH_SHARING, desk_irsina, caseworker_irsina)
    send_referral(referral=referral, by=caseworker_irsina)
    update_referral(referral=referral, to=Referral.Status.ACCEPTED, by=caseworker_irsina)
    Referral.objects.filter(pk=referral.pk).update(acknowledge_by=timezone.now() - datetime.timedelta(days=1))
    assert escalate_overdue_referrals() == 0


def test_services_of_the_desk_municipality_come_first(desk_irsina, health_service, job_centre):
    far = ServiceFactory(name="Aaa far away", category=ServiceCategory.HEALTH, organisation=provider("ASP", "Potenza"))
    assert list(services_near(desk_irsina)) == [health_service, job_centre, far]
    assert list(services_near(desk_irsina, category=ServiceCategory.WORK)) == [job_centre]
    assert list(services_near(desk_irsina, within=Nearness.MUNICIPALITY)) == [health_service]
    assert list(services_near(desk_irsina, within=Nearness.PROVINCE)) == [health_service, job_centre]


# --- Pages -------------------------------------------------------------------------------------


def test_the_form_says_why_a_referral_cannot_be_sent(client_for, caseworker_irsina, case_irsina, job_centre):
    response = client_for(caseworker_irsina).post(
        reverse("pua:referral_add", args=[case_irsina.pk]),
        {"service": job_centre.pk, "reason": "Looking for work", "send_now": "on"},
    )
    assert response.status_code == 400
    assert "This needs the person&#x27;s consent to: Sharing with job-placement services" in response.content.decode()
    assert not Referral.objects.exists()


def test_a_caseworker_refers_and_sends_in_one_step(
    client_for, caseworker_irsina, case_irsina, desk_irsina, job_centre, django_capture_on_commit_callbacks
):
    consent_to(case_irsina.person, Consent.Purpose.JOB_SHARING, desk_irsina, caseworker_irsina)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(caseworker_irsina).post(
            reverse("pua:referral_add", args=[case_irsina.pk]) + "?category=work",
            {"service": job_centre.pk, "reason": "Looking for work", "send_now": "on"},
        )
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("pua:referral_detail", args=[referral.pk])
    assert referral.status == Referral.Status.SENT
    assert mail.outbox[0].to == ["cpi@example.org"]


def test_the_detail_page_shows_the_missing_consent(client_for, caseworker_irsina, referral):
    response = client_for(caseworker_irsina).get(reverse("pua:referral_detail", args=[referral.pk]))
    assert "Sharing with health services" in response.content.decode()
    response = client_for(caseworker_irsina).post(reverse("pua:referral_send", args=[referral.pk]))
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == Referral.Status.DRAFTED


def test_the_caseworker_logs_what_the_service_said(client_for, caseworker_irsina, referral, desk_irsina):
    consent_to(referral.case.person, Consent.Purpose.HEALTH_SHARING, desk_irsina, caseworker_irsina)
    send_referral(referral=referral, by=caseworker_irsina)
    client = client_for(caseworker_irsina)
    response = client.post(reverse("pua:referral_update", args=[referral.pk]), {"status": "refused", "note": "Full"})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == Referral.Status.REFUSED
    assert referral.updates.last().by_user == caseworker_irsina
    # A closed referral offers nothing more.
    response = client.post(reverse("pua:referral_update", args=[referral.pk]), {"status": "accepted"})
    assert response.status_code == 400


def test_emergency_access_reads_but_cannot_refer(client_for, caseworker_picerno, case_irsina, referral):
    BreakGlassGrant.objects.create(
        case=case_irsina,
        user=caseworker_picerno,
        reason="Person in crisis at Picerno",
        expires_at=timezone.now() + datetime.timedelta(hours=24),
    )
    client = client_for(caseworker_picerno)
    assert client.get(reverse("pua:referral_detail", args=[referral.pk])).status_code == 200
    assert client.get(reverse("pua:referral_add", args=[case_irsina.pk])).status_code == 403
    assert client.post(reverse("pua:referral_send", args=[referral.pk])).status_code == 403


def test_the_letter_has_an_italian_part_and_one_in_the_persons_language(referral):
    person = referral.case.person
    person.preferred_language = "ar"
    person.save()
    document = render_letter_document(referral)
    assert '<article class="letter-part" lang="it" dir="ltr">' in document
    assert '<article class="letter-part" lang="ar" dir="rtl">' in document
    assert "/pua/referrals/status/" in document

    person.preferred_language = "ur"  # not a portal language: Italian only
    person.save()
    assert 'lang="ur"' not in render_letter_document(referral)


def test_the_letter_is_a_pdf_and_its_download_is_audited(client_for, caseworker_irsina, referral):
    response = client_for(caseworker_irsina).get(reverse("pua:referral_letter", args=[referral.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert "Abdel" not in response["Content-Disposition"]
    assert AuditEvent.objects.filter(user=caseworker_irsina, action="referral.letter").exists()


@pytest.mark.parametrize(("persona", "allowed"), MATRIX)
def test_referral_pages_by_role_and_organisation(request, client_for, referral, persona, allowed):
    user = request.getfixturevalue(persona)
    client = client_for(user)
    pages = [
        reverse("pua:referral_detail", args=[referral.pk]),
        reverse("pua:referral_add", args=[referral.case_id]),
        reverse("pua:referral_letter", args=[referral.pk]),
    ]
    for url in pages:
        response = client.get(url)
        if allowed:
            assert response.status_code == 200, url
        else:
            assert response.status_code in (403, 404), url
            assert b"Abdel Aziz" not in response.content
    for url in [reverse("pua:referral_send", args=[referral.pk]), reverse("pua:referral_update", args=[referral.pk])]:
        response = client.post(url, {"status": "accepted"})
        assert response.status_code in ((302, 400) if allowed else (403, 404)), url


@pytest.mark.parametrize(("persona", "allowed"), MATRIX)
def test_overdue_list_by_role_and_organisation(
    request, client_for, referral, desk_irsina, caseworker_irsina, persona, allowed
):
    consent_to(referral.case.person, Consent.Purpose.HEALTH_SHARING, desk_irsina, caseworker_irsina)
    send_referral(referral=referral, by=caseworker_irsina)
    Referral.objects.filter(pk=referral.pk).update(acknowledge_by=timezone.now() - datetime.timedelta(days=1))
    response = client_for(request.getfixturevalue(persona)).get(reverse("pua:overdue_referrals"))
    assert response.status_code in (200, 403)
    assert (referral.case.number in response.content.decode()) is allowed


def test_overdue_list_runs_a_fixed_number_of_queries(
    client_for, caseworker_irsina, case_irsina, health_service, django_assert_max_num_queries
):
    def add_overdue(count: int) -> None:
        for _ in range(count):
            Referral.objects.create(
                case=case_irsina,
                service=ServiceFactory(),
                reason="x",
                created_by=caseworker_irsina,
                status=Referral.Status.SENT,
                sent_at=timezone.now() - datetime.timedelta(days=9),
                acknowledge_by=timezone.now() - datetime.timedelta(days=2),
            )

    client = client_for(caseworker_irsina)
    add_overdue(2)
    client.get(reverse("pua:overdue_referrals"))  # warm the session and the user
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("pua:overdue_referrals"))
    add_overdue(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("pua:overdue_referrals"))
    assert response.content.decode().count("/pua/referrals/") >= 22


def test_the_case_page_lists_the_referrals(client_for, caseworker_irsina, referral):
    page = client_for(caseworker_irsina).get(reverse("pua:case_detail", args=[referral.case_id])).content.decode()
    assert "Consultorio familiare" in page
    assert reverse("pua:referral_detail", args=[referral.pk]) in page
    assert reverse("pua:referral_add", args=[referral.case_id]) in page
