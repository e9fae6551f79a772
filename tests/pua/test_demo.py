"""PUA demo data: cases at every desk, made through the services, and nothing new on a second run."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from aipim.core.models import AuditEvent, Organisation
from pua import demo
from pua.models import (
    Appointment,
    Assessment,
    Case,
    CaseStatusChange,
    Goal,
    Note,
    PlanAction,
    Referral,
    ReferralUpdate,
    Task,
)

DESK_CODES = {"IRS", "PTG", "PIC", "MCV", "PZA", "MTA", "MLF", "PLC", "LAU", "PST"}


@pytest.fixture
def seeded(db, settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())


def organisations() -> dict[str, Organisation]:
    return {org.code: org for org in Organisation.objects.all()}


def test_every_desk_has_cases(seeded):
    per_desk = dict(Case.objects.values_list("desk__code").annotate(n=Count("pk")))
    assert set(per_desk) == DESK_CODES
    assert all(count >= 3 for count in per_desk.values())
    assert set(Case.objects.values_list("status", flat=True)) == set(Case.Status.values)


def test_the_demo_caseworkers_have_cases_and_appointments_next_week(seeded):
    today = timezone.localdate()
    for email, code in (("caseworker@demo.aipim.it", "IRS"), ("caseworker.picerno@demo.aipim.it", "PIC")):
        cases = Case.objects.filter(caseworker__email=email)
        assert cases.count() >= 3 and set(cases.values_list("desk__code", flat=True)) == {code}
        days = [
            (timezone.localdate(start) - today).days
            for start in Appointment.objects.filter(caseworker__email=email).values_list("starts_at", flat=True)
        ]
        assert days and all(1 <= day <= 14 for day in days)


def test_the_records_around_the_cases(seeded):
    assert Assessment.objects.count() >= 10 and Goal.objects.count() >= 10
    assert Task.objects.filter(due_date__lt=timezone.localdate(), done_at__isnull=True).exists()  # an overdue list
    referrals = Referral.objects.select_related("service")
    assert {r.service.external_id.split(":")[0] for r in referrals} == {"demo"}
    assert {r.service.category for r in referrals} >= {"work", "health", "legal"}
    sent = referrals.filter(status=Referral.Status.SENT)
    assert sent.exists() and all(r.acknowledge_by for r in sent)


def test_cases_were_opened_through_the_services(seeded):
    case = Case.objects.filter(status=Case.Status.CLOSED).first()
    assert case is not None and case.closing_reason == Case.ClosingReason.GOALS_MET
    history = list(CaseStatusChange.objects.filter(case=case).values_list("to_status", flat=True))
    assert history == ["open", "assessed", "closed"]
    assert AuditEvent.objects.filter(action="case.open").count() == Case.objects.count()
    assert AuditEvent.objects.filter(action="consent.give").exists()


def test_every_record_around_the_cases_was_made_through_its_service(seeded):
    """Each record has the audit entry its service writes, as if a caseworker had made it."""
    for model, action in [
        (Assessment, "assessment.create"),
        (Goal, "goal.create"),
        (PlanAction, "planaction.create"),
        (Task, "task.create"),
        (Note, "note.create"),
        (Referral, "referral.create"),
        (Appointment, "appointment.create"),
    ]:
        ids = {str(pk) for pk in model.objects.values_list("pk", flat=True)}
        assert ids, model
        assert set(AuditEvent.objects.filter(action=action).values_list("object_id", flat=True)) == ids, model


def test_the_referrals_carry_their_trail_and_the_story_its_dates(seeded):
    for referral in Referral.objects.prefetch_related("updates"):
        trail = [update.status for update in referral.updates.all()]
        assert trail == (["drafted", "sent"] if referral.status == Referral.Status.SENT else ["drafted"])
    assert AuditEvent.objects.filter(action="referral.send").count() == Referral.objects.filter(status="sent").count()
    # A story's dates are in the past: the case opened before it was assessed, and both before today.
    for assessment in Assessment.objects.select_related("case"):
        assert assessment.case.opened_at < assessment.assessed_at < timezone.now()
    assert ReferralUpdate.objects.filter(status="sent", at__lt=timezone.now() - datetime.timedelta(days=1)).exists()
    assert {note.body for note in Note.objects.all()} == {"Primo colloquio svolto con il mediatore linguistico."}


def test_people_have_names_in_their_scripts_and_latin(seeded):
    from aipim.core.models import Person

    selam = Person.objects.get(given_names_latin="Selam")
    assert selam.given_names == "ሰላም" and selam.citizenship == "ER"
    assert Person.objects.filter(given_names_latin="Ayesha", languages__contains=["bn"]).exists()


def test_a_second_run_creates_nothing(seeded):
    before = Case.objects.count(), Referral.objects.count(), Appointment.objects.count()
    assert demo.seed(organisations()) == 0
    assert (Case.objects.count(), Referral.objects.count(), Appointment.objects.count()) == before


def test_without_the_demo_users_nothing_is_made(db):
    assert demo.seed({}) == 0
