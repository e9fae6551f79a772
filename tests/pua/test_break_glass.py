"""Emergency access ("break glass"): a caseworker of another desk reads a case at once for 24 hours on
a stated reason, never writes to it; it is audited, both desks' supervisors are emailed and review it."""

from __future__ import annotations

import smtplib
import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail.backends import locmem
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from aipim.accounts.models import Role
from aipim.core.models import AuditEvent
from pua.models import BreakGlassGrant, Case
from pua.services import sharing
from pua.services.sharing import can_write_case, grant_break_glass, notify_break_glass, review_break_glass
from tests.personas import PERSONAS

PUA_PERSONAS = {"caseworker_irsina", "caseworker_picerno", "supervisor_irsina"}
REASON = "Came to our desk in crisis, needs shelter tonight"


@pytest.fixture
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def supervisor_picerno(make_member, desk_picerno):
    return make_member(Role.PUA_SUPERVISOR, desk_picerno, email="supervisor.picerno@example.org")


@pytest.fixture
def grant(case_irsina, caseworker_picerno) -> BreakGlassGrant:
    return grant_break_glass(case=case_irsina, reason=REASON, by=caseworker_picerno)


def visible(user, case) -> bool:
    return Case.objects.for_user(user).filter(pk=case.pk).exists()


def test_caseworker_of_another_desk_gets_24_hours_of_reading(
    client_for,
    caseworker_picerno,
    case_irsina,
    supervisor_irsina,
    supervisor_picerno,
    django_capture_on_commit_callbacks,
):
    assert not visible(caseworker_picerno, case_irsina)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(caseworker_picerno).post(
            reverse("pua:break_glass"), {"number": case_irsina.number.lower(), "reason": REASON}
        )
    assert response.status_code == 302
    grant = BreakGlassGrant.objects.get()
    assert (grant.case, grant.user, grant.reason) == (case_irsina, caseworker_picerno, REASON)
    assert grant.expires_at - grant.granted_at == timedelta(hours=24)
    assert visible(caseworker_picerno, case_irsina)
    assert not can_write_case(caseworker_picerno, case_irsina)
    assert AuditEvent.objects.filter(
        user=caseworker_picerno, action="case.break_glass", object_id=str(case_irsina.pk)
    ).exists()
    # Both desks' supervisors are told, with the case number but not the person's name.
    assert len(mail.outbox) == 1
    assert set(mail.outbox[0].to) == {supervisor_irsina.email, supervisor_picerno.email}
    assert case_irsina.number in mail.outbox[0].subject
    assert "Abdel" not in mail.outbox[0].body
    assert reverse("pua:break_glass_review") in mail.outbox[0].body


def test_notification_is_sent_once_even_if_the_task_runs_twice(grant, supervisor_irsina):
    assert notify_break_glass(grant_id=grant.pk) == 1
    assert notify_break_glass(grant_id=grant.pk) == 0
    assert len(mail.outbox) == 1
    grant.refresh_from_db()
    assert grant.notified_at is not None
    assert AuditEvent.objects.filter(action="break_glass.notify", object_id=str(grant.pk)).count() == 1


class FailingEmailBackend(BaseEmailBackend):
    """A mail server that is down."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("mail server down")


def test_a_failed_send_leaves_the_notification_to_the_retry(grant, supervisor_irsina, settings):
    settings.EMAIL_BACKEND = "tests.pua.test_break_glass.FailingEmailBackend"
    with pytest.raises(OSError):  # what the task retries on (smtplib's errors are OSErrors)
        notify_break_glass(grant_id=grant.pk)
    grant.refresh_from_db()
    assert grant.notified_at is None
    assert not AuditEvent.objects.filter(action="break_glass.notify").exists()

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notify_break_glass(grant_id=grant.pk) == 1
    assert len(mail.outbox) == 1
    grant.refresh_from_db()
    assert grant.notified_at is not None


class SlowEmailBackend(locmem.EmailBackend):
    """The first message waits (up to 10 s) for `go`, as a slow mail server would: another run of
    the task starts meanwhile."""

    sending = threading.Event()
    go = threading.Event()

    def send_messages(self, email_messages):
        if not self.sending.is_set():
            self.sending.set()
            self.go.wait(10)
        return super().send_messages(email_messages)


def unchecked_claim(grant_id: int) -> bool:
    """The marker read without a lock, as an existence check does: the negative control."""
    return BreakGlassGrant.objects.filter(pk=grant_id, notified_at__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("locked", [True, False], ids=["claimed-under-lock", "negative-control-unlocked"])
def test_two_runs_at_once_send_one_email(
    case_irsina, caseworker_picerno, supervisor_irsina, settings, monkeypatch, locked
):
    settings.EMAIL_BACKEND = "tests.pua.test_break_glass.SlowEmailBackend"
    SlowEmailBackend.sending.clear()
    SlowEmailBackend.go.clear()
    if not locked:
        monkeypatch.setattr(sharing, "_claim_notification", unchecked_claim)
    # Created directly: granting queues the notification, which would run at once here.
    grant = BreakGlassGrant.objects.create(
        case=case_irsina, user=caseworker_picerno, reason=REASON, expires_at=timezone.now() + timedelta(hours=1)
    )
    results: list[int] = []

    def run() -> None:
        try:
            results.append(notify_break_glass(grant_id=grant.pk))
        finally:
            connection.close()

    first = threading.Thread(target=run)
    first.start()
    assert SlowEmailBackend.sending.wait(10)  # the first run is sending, its transaction still open
    second = threading.Thread(target=run)
    second.start()
    second.join(1)
    # Under the lock the second run waits for the first to commit; unlocked, it has already sent.
    assert second.is_alive() is locked
    SlowEmailBackend.go.set()
    first.join(10)
    second.join(10)
    assert not first.is_alive() and not second.is_alive()
    if locked:
        assert sorted(results) == [0, 1] and len(mail.outbox) == 1
    else:
        assert sorted(results) == [1, 1] and len(mail.outbox) == 2


def test_expired_grant_gives_nothing(grant, caseworker_picerno, case_irsina, monkeypatch):
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() + timedelta(hours=23, minutes=59))
    assert visible(caseworker_picerno, case_irsina)
    monkeypatch.setattr(timezone, "now", lambda: real_now() + timedelta(hours=24, minutes=1))
    assert not visible(caseworker_picerno, case_irsina)


def test_asking_again_while_live_returns_the_same_grant(grant, caseworker_picerno, case_irsina):
    assert grant_break_glass(case=case_irsina, reason="again, still needed", by=caseworker_picerno) == grant
    assert BreakGlassGrant.objects.count() == 1


def test_own_desk_does_not_break_glass(case_irsina, caseworker_irsina):
    with pytest.raises(ValidationError):
        grant_break_glass(case=case_irsina, reason=REASON, by=caseworker_irsina)


def test_only_pua_staff_break_glass(case_irsina, official):
    with pytest.raises(PermissionDenied):
        grant_break_glass(case=case_irsina, reason=REASON, by=official)


def test_unknown_number_is_a_field_error(client_for, caseworker_picerno, english):
    response = client_for(caseworker_picerno).post(
        reverse("pua:break_glass"), {"number": "PUA-IRS-2026-99999", "reason": REASON}
    )
    assert response.status_code == 400
    assert "No case has this number." in response.content.decode()
    assert not BreakGlassGrant.objects.exists()


def test_a_reason_is_required(client_for, caseworker_picerno, case_irsina):
    response = client_for(caseworker_picerno).post(
        reverse("pua:break_glass"), {"number": case_irsina.number, "reason": "x"}
    )
    assert response.status_code == 400
    assert not BreakGlassGrant.objects.exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_break_glass_page_by_role(request, client_for, case_irsina, persona):
    user = request.getfixturevalue(persona)
    client = client_for(user)
    assert client.get(reverse("pua:break_glass")).status_code == (200 if persona in PUA_PERSONAS else 403)
    response = client.post(reverse("pua:break_glass"), {"number": case_irsina.number, "reason": REASON})
    if persona == "caseworker_picerno":
        assert response.status_code == 302
        assert visible(user, case_irsina)
    elif persona in PUA_PERSONAS:
        assert response.status_code == 400  # their own desk's case: nothing to break
    else:
        assert response.status_code == 403
        assert not BreakGlassGrant.objects.exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_review_page_by_role(request, client_for, grant, persona):
    response = client_for(request.getfixturevalue(persona)).get(reverse("pua:break_glass_review"))
    if persona == "supervisor_irsina":
        assert response.status_code == 200
        assert REASON in response.content.decode()
        assert AuditEvent.objects.filter(action="break_glass.list").exists()
    else:
        assert response.status_code == 403


def test_supervisor_of_the_requesters_desk_reviews_too(client_for, grant, supervisor_picerno):
    response = client_for(supervisor_picerno).get(reverse("pua:break_glass_review"))
    assert REASON in response.content.decode()


def test_supervisor_of_an_unrelated_desk_sees_nothing(client_for, grant, make_member):
    from tests.factories import OrganisationFactory, municipality

    other = OrganisationFactory(code="MCV", kind="pua_desk", municipality=municipality("Marsicovetere"))
    response = client_for(make_member(Role.PUA_SUPERVISOR, other)).get(reverse("pua:break_glass_review"))
    assert response.status_code == 200
    assert REASON not in response.content.decode()


def test_review_and_revoke(client_for, grant, supervisor_irsina, caseworker_picerno, case_irsina):
    response = client_for(supervisor_irsina).post(
        reverse("pua:break_glass_review_grant", args=[grant.pk]), {"review_note": "Justified", "revoke": "on"}
    )
    assert response.status_code == 302
    grant.refresh_from_db()
    assert (grant.reviewed_by, grant.review_note) == (supervisor_irsina, "Justified")
    assert not visible(caseworker_picerno, case_irsina)
    assert AuditEvent.objects.filter(action="case.break_glass_review", object_id=str(grant.pk)).exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_review_post_by_role(request, client_for, grant, persona):
    response = client_for(request.getfixturevalue(persona)).post(
        reverse("pua:break_glass_review_grant", args=[grant.pk]), {"review_note": "ok"}
    )
    grant.refresh_from_db()
    if persona == "supervisor_irsina":
        assert response.status_code == 302 and grant.reviewed_at is not None
    else:
        assert response.status_code in (403, 404) and grant.reviewed_at is None


def test_review_service_refuses_other_supervisors(grant, caseworker_irsina):
    with pytest.raises(PermissionDenied):
        review_break_glass(grant=grant, note="", revoke=False, by=caseworker_irsina)


def test_case_page_opens_during_the_grant_only(client_for, grant, caseworker_picerno, case_irsina, monkeypatch):
    client = client_for(caseworker_picerno)
    assert client.get(reverse("pua:case_detail", args=[case_irsina.pk])).status_code == 200
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() + timedelta(hours=25))
    # A new log-in: the first session has expired too after a day without use.
    client = client_for(caseworker_picerno)
    assert client.get(reverse("pua:case_detail", args=[case_irsina.pk])).status_code == 404
