"""Retention of login records: django-axes' attempt logs and expired sessions (they hold staff
emails and IP addresses). Registered with aipim.core.retention at start-up."""

from __future__ import annotations

from datetime import timedelta

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils.translation import gettext_lazy as _

from aipim.core.retention import RetentionPolicy, delete_all, register_policy


def login_logs_keep_for() -> timedelta:
    return timedelta(days=settings.RETENTION_LOGIN_LOG_DAYS)


register_policy(
    RetentionPolicy(
        key="accounts.accesslog",
        label=_("Log-in records"),
        keep_for=login_logs_keep_for,
        due=lambda now: AccessLog.objects.filter(attempt_time__lt=now - login_logs_keep_for()),
        apply=delete_all,
        action="delete",
    )
)
register_policy(
    RetentionPolicy(
        key="accounts.accessfailurelog",
        label=_("Failed log-in attempts"),
        keep_for=login_logs_keep_for,
        due=lambda now: AccessFailureLog.objects.filter(attempt_time__lt=now - login_logs_keep_for()),
        apply=delete_all,
        action="delete",
    )
)
register_policy(
    RetentionPolicy(
        key="accounts.accessattempt",
        label=_("Lockout counters"),
        keep_for=login_logs_keep_for,
        due=lambda now: AccessAttempt.objects.filter(attempt_time__lt=now - login_logs_keep_for()),
        apply=delete_all,
        action="delete",
    )
)
register_policy(
    RetentionPolicy(
        key="sessions.session",
        label=_("Expired sessions"),
        keep_for=timedelta(0),
        due=lambda now: Session.objects.filter(expire_date__lt=now),
        apply=delete_all,
        action="delete",
    )
)
