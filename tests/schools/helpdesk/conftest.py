"""Fixtures of the help-desk, intervention and message tests: a desk at IC Potenza with opening
hours, the regional message templates, and a high-risk signal for the Potenza pupil."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from aipim.core.models import Organisation
from schools.models import HelpDesk, OpeningHours, RiskLevel, RiskSignal, Student
from schools.services.messages import ensure_regional_templates


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def regional_templates(db: None) -> None:
    ensure_regional_templates()


@pytest.fixture
def desk_potenza(school_potenza: Organisation) -> HelpDesk:
    desk = HelpDesk.objects.create(school=school_potenza, name="Sportello Potenza", languages=["ar", "fr"])
    OpeningHours.objects.create(help_desk=desk, weekday=0, opens=datetime.time(9), closes=datetime.time(12))
    OpeningHours.objects.create(help_desk=desk, weekday=2, opens=datetime.time(14), closes=datetime.time(16))
    return desk


@pytest.fixture
def desk_matera(school_matera: Organisation) -> HelpDesk:
    return HelpDesk.objects.create(school=school_matera, name="Sportello Matera", languages=["ti"])


@pytest.fixture
def high_signal(student_potenza: Student) -> RiskSignal:
    return RiskSignal.objects.create(
        student=student_potenza,
        computed_at=timezone.now(),
        level=RiskLevel.HIGH,
        score=5,
        indicators=[],
        previous_level=RiskLevel.MEDIUM,
    )
