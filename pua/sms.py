"""Sending text messages (appointment reminders) through a pluggable backend.

The backend is chosen by a dotted path in settings (PUA_SMS_BACKEND), never in the database:
a region plugs in its provider's gateway by deployment, not by data. The default only logs."""

from __future__ import annotations

import logging
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

DEFAULT_BACKEND = "pua.sms.LoggingSmsBackend"


class SmsBackend(Protocol):
    def send(self, *, to: str, text: str, recipient_id: str) -> None:
        """Send `text` to the phone number `to`; `recipient_id` names the recipient in logs
        (a record id, never the number or the text)."""


class LoggingSmsBackend:
    """Development and test default: writes one log line and sends nothing. The line holds the
    recipient's record id only: phone numbers and message texts are personal data, not log data."""

    def send(self, *, to: str, text: str, recipient_id: str) -> None:
        logger.info("SMS to %s sent", recipient_id)


def get_sms_backend() -> SmsBackend:
    backend_class = import_string(getattr(settings, "PUA_SMS_BACKEND", DEFAULT_BACKEND))
    backend: SmsBackend = backend_class()
    return backend


def send_sms(*, to: str, text: str, recipient_id: str) -> None:
    get_sms_backend().send(to=to, text=text, recipient_id=recipient_id)
