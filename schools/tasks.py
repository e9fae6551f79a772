"""Celery tasks of the early warning (thin: take ids, call schools.services.risk). The register
import's task lives in schools/tasks_imports.py; it is imported here so autodiscovery finds it."""

from __future__ import annotations

import importlib
import importlib.util
import smtplib

from celery import shared_task
from django.db import OperationalError

from schools.services import risk

if importlib.util.find_spec("schools.tasks_imports") is not None:
    importlib.import_module("schools.tasks_imports")


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=60, max_retries=3)
def recompute_risk_nightly() -> int:
    """Every night (beat): the windows move on, so every current student is recomputed."""
    return risk.recompute_students().signals_written


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=60, max_retries=3)
def recompute_school_risk(school_id: int) -> int:
    """After a school's thresholds change."""
    return risk.recompute_students(school_id=school_id).signals_written


@shared_task(
    acks_late=True, autoretry_for=(OSError, smtplib.SMTPException, OperationalError), retry_backoff=True, max_retries=8
)
def act_on_high_risk(signal_id: int) -> str:
    """A student entered high risk: open the case or ask the referent, and tell the referent (once)."""
    return risk.act_on_high_risk(signal_id=signal_id)
