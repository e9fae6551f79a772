"""Login records and expired sessions are purged by the nightly retention job."""

from __future__ import annotations

from datetime import timedelta

from axes.models import AccessFailureLog, AccessLog
from django.contrib.sessions.models import Session
from django.utils import timezone

from aipim.core.models import AuditEvent
from aipim.core.retention import apply_retention


def test_old_login_records_and_expired_sessions_are_deleted(db, settings):
    now = timezone.now()
    old = now - timedelta(days=settings.RETENTION_LOGIN_LOG_DAYS + 1)
    recent = now - timedelta(days=1)
    for when in (old, recent):
        # attempt_time is set on creation: move it afterwards.
        log = AccessLog.objects.create(username="a@example.org", ip_address="127.0.0.1", user_agent="x")
        AccessLog.objects.filter(pk=log.pk).update(attempt_time=when)
        failure = AccessFailureLog.objects.create(username="a@example.org", ip_address="127.0.0.1", user_agent="x")
        AccessFailureLog.objects.filter(pk=failure.pk).update(attempt_time=when)
    Session.objects.create(session_key="expired", session_data="", expire_date=now - timedelta(minutes=1))
    Session.objects.create(session_key="alive", session_data="", expire_date=now + timedelta(minutes=30))

    apply_retention(now)

    assert list(AccessLog.objects.values_list("attempt_time", flat=True)) == [recent]
    assert list(AccessFailureLog.objects.values_list("attempt_time", flat=True)) == [recent]
    assert list(Session.objects.values_list("session_key", flat=True)) == ["alive"]
    purge = AuditEvent.objects.filter(action="retention.purge", object_type="axes.accesslog").get()
    assert "a@example.org" not in str(purge.details)
