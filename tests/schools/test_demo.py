"""Schools demo data: pupils with guardians, consents and a varied attendance history, a few clearly
at risk; fast, and nothing new on a second run."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db.models import Count

from aipim.core.models import AuditEvent, Consent, Organisation, PersonLink
from schools import demo
from schools.models import (
    AttendanceRecord,
    BehaviourNote,
    Course,
    CulturalInitiative,
    DeskSlot,
    Enrolment,
    Guardian,
    HelpDesk,
    Intervention,
    MessageTemplateTranslation,
    ResultRecord,
    RiskSignal,
    SchoolClass,
    SessionAttendance,
    Student,
    WalkIn,
)
from tests.factories import municipality

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(db, settings):
    settings.DEBUG = True
    municipality("Potenza")  # the browser tests' flush empties the ISTAT list: load it again if so
    call_command("seed_demo", stdout=io.StringIO())


def test_schools_have_classes_pupils_and_guardians(seeded):
    per_school = dict(Student.objects.values_list("school__code").annotate(n=Count("pk")))
    assert per_school["IC-PZ1"] >= 30 and per_school["IC-MT2"] >= 15 and per_school["IIS-MLF"] >= 15
    assert SchoolClass.objects.count() == 11
    assert HelpDesk.objects.count() == 3
    assert not Student.objects.filter(guardians__isnull=True).exclude(register_id="DEMO-IC-PZ1-CORE").exists()
    languages = {
        code for languages in Guardian.objects.values_list("person__languages", flat=True) for code in languages
    }
    assert {"ar", "ur", "bn", "ti", "fr", "en", "sq"} <= languages
    # Every pupil and guardian is linked to their school, so its staff see them.
    for student in Student.objects.select_related("school"):
        assert PersonLink.objects.filter(person=student.person, organisation=student.school).exists()
    assert Consent.objects.filter(purpose="school_support").count() >= 60


def test_attendance_history_is_varied_and_some_pupils_are_at_risk(seeded):
    counts = AttendanceRecord.objects.values("student").annotate(n=Count("pk"))
    assert min(row["n"] for row in counts) >= 20  # weekdays of 120 days, without the summer
    assert AttendanceRecord.objects.filter(status="absent").exists()
    assert AttendanceRecord.objects.filter(status="late").exists()
    assert ResultRecord.objects.filter(grade__lt=6, is_core_subject=True).exists()
    assert BehaviourNote.objects.filter(severity="serious").exists()
    levels = dict(Student.objects.values_list("risk_level").annotate(n=Count("pk")))
    assert levels.get("high", 0) >= 3
    assert levels.get("none", 0) + levels.get("low", 0) > levels.get("high", 0)
    assert RiskSignal.objects.exists()
    # The demo users' school has pupils at high risk to look at.
    assert Student.objects.filter(school__code="IC-PZ1", risk_level="high").exists()


def test_courses_registers_initiatives_and_message_templates_come_through_the_services(seeded):
    # Through the services, as each school's operator.
    for code in ("IC-PZ1", "IC-MT2", "IIS-MLF"):
        courses = Course.objects.filter(school__code=code)
        assert set(courses.values_list("kind", flat=True)) == {"italian_l2", "mother_tongue"}, code
        assert Enrolment.objects.filter(course__in=courses).count() >= 12, code
        assert CulturalInitiative.objects.filter(school__code=code).count() == 1
    assert SessionAttendance.objects.filter(present=True).exists()
    assert SessionAttendance.objects.filter(present=False).exists()
    assert AuditEvent.objects.filter(action="course.create").count() == 6  # audited as real use is
    assert WalkIn.objects.filter(help_desk__school__code="IC-PZ1").count() == 6
    assert DeskSlot.objects.filter(help_desk__school__code="IC-PZ1", status="booked").count() == 2
    assert Intervention.objects.filter(student__school__code="IC-PZ1", student__risk_level="high").count() == 3
    assert Intervention.objects.filter(status="done", outcome="improved").exists()
    languages = set(MessageTemplateTranslation.objects.values_list("language", flat=True))
    assert {"it", "en", "fr", "ar"} <= languages


def test_seed_is_idempotent(seeded):
    counts = (
        Student.objects.count(),
        Guardian.objects.count(),
        AttendanceRecord.objects.count(),
        Course.objects.count(),
        CulturalInitiative.objects.count(),
        MessageTemplateTranslation.objects.count(),
        WalkIn.objects.count(),
        Intervention.objects.count(),
    )
    organisations = {org.code: org for org in Organisation.objects.all()}
    assert demo.seed(organisations) == 0
    assert (
        Student.objects.count(),
        Guardian.objects.count(),
        AttendanceRecord.objects.count(),
        Course.objects.count(),
        CulturalInitiative.objects.count(),
        MessageTemplateTranslation.objects.count(),
        WalkIn.objects.count(),
        Intervention.objects.count(),
    ) == counts
