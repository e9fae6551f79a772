"""Retention of login records: django-axes' attempt logs and expired sessions (they hold staff
emails and IP addresses). Registered with aipim.core.retention at start-up."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from aipim.core.retention import RetentionPolicy, delete_all, register_policy


def login_logs_keep_for() -> timedelta:
    return timedelta(days=settings.RETENTION_LOGIN_LOG_DAYS)


# The three django-axes tables hold the same kind of record and are kept equally long.
_LOGIN_RECORDS = [
    ("accounts.accesslog", _("Log-in records"), AccessLog),
    ("accounts.accessfailurelog", _("Failed log-in attempts"), AccessFailureLog),
    ("accounts.accessattempt", _("Lockout counters"), AccessAttempt),
]


def _older_than_login_retention(model: type[Any]) -> Callable[[datetime], QuerySet[Any]]:
    return lambda now: model.objects.filter(attempt_time__lt=now - login_logs_keep_for())


for key, label, model in _LOGIN_RECORDS:
    register_policy(
        RetentionPolicy(
            key=key,
            label=label,
            keep_for=login_logs_keep_for,
            due=_older_than_login_retention(model),
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
