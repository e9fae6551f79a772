"""The early warning's Celery tasks: the nightly beat entry, and the tasks run (eagerly, as in tests)."""

from __future__ import annotations

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core import mail

from aipim.celery import app as celery_app
from schools import tasks
from schools.models import RiskSignal, SupportCase
from tests.schools.risk.conftest import make_high

pytestmark = pytest.mark.django_db


def test_the_nightly_recompute_is_scheduled_and_registered():
    entry = settings.CELERY_BEAT_SCHEDULE["schools-risk-nightly"]
    assert entry["task"] == "schools.tasks.recompute_risk_nightly"
    assert isinstance(entry["schedule"], crontab)
    celery_app.loader.import_default_modules()
    assert "schools.tasks.recompute_risk_nightly" in celery_app.tasks
    assert "schools.tasks.act_on_high_risk" in celery_app.tasks


def test_the_nightly_task_recomputes_and_acts(student_potenza, student_matera, django_capture_on_commit_callbacks):
    make_high(student_potenza)
    with django_capture_on_commit_callbacks(execute=True):
        result = tasks.recompute_risk_nightly.delay()
    assert result.get() == 2
    assert RiskSignal.objects.count() == 2
    assert SupportCase.objects.filter(students=student_potenza, origin="risk").exists()
    assert len(mail.outbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.recompute_risk_nightly.delay().get() == 0


def test_a_school_s_recompute_task(student_potenza, student_matera, school_matera):
    assert tasks.recompute_school_risk.delay(school_matera.pk).get() == 1
    assert list(RiskSignal.objects.values_list("student", flat=True)) == [student_matera.pk]
