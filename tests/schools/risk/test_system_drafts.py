"""The family message a risk case proposes says who wrote it: nobody when the nightly early warning
opened the case (the system drafted it), the referent when they confirmed the alert."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from aipim.core.models import AuditEvent
from schools.models import FamilyMessage, RiskSettings, RiskSignal
from schools.services import risk
from schools.services.messages import draft_message, ensure_regional_templates
from schools.services.risk import recompute_students
from tests.schools.risk.conftest import make_high

pytestmark = pytest.mark.django_db

SYSTEM = "drafted by the system"


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def drafted_event(message: FamilyMessage) -> AuditEvent:
    return AuditEvent.objects.get(action="familymessage.create", object_id=str(message.pk))


def test_the_nightly_case_proposes_a_draft_nobody_wrote(
    student_potenza, operator_school_potenza, client_for, django_capture_on_commit_callbacks
):
    make_high(student_potenza)
    with django_capture_on_commit_callbacks(execute=True):
        recompute_students()

    message = FamilyMessage.objects.get(student=student_potenza)
    assert message.status == FamilyMessage.Status.DRAFT and message.template.code == "risk"
    assert message.created_by is None  # not the referent: nobody wrote it
    event = drafted_event(message)
    assert event.user is None and event.user_email == ""

    # The referent still finds it, marked as the system's, and sees no author named.
    client = client_for(operator_school_potenza)
    detail = client.get(reverse("schools:message_detail", args=[message.pk])).content.decode()
    assert SYSTEM in detail
    assert operator_school_potenza.get_full_name() not in detail
    assert SYSTEM in client.get(reverse("schools:message_list")).content.decode()
    assert SYSTEM in client.get(reverse("schools:student_detail", args=[student_potenza.pk])).content.decode()


def test_a_referent_confirming_the_alert_writes_the_draft(
    student_potenza, school_potenza, operator_school_potenza, client_for, django_capture_on_commit_callbacks
):
    RiskSettings.objects.create(school=school_potenza, auto_open_intervention=False)
    make_high(student_potenza)
    with django_capture_on_commit_callbacks(execute=True):
        recompute_students()
    assert not FamilyMessage.objects.exists()  # nothing proposed before someone decides

    risk.confirm_case(signal_id=RiskSignal.objects.get().pk, by=operator_school_potenza)

    message = FamilyMessage.objects.get(student=student_potenza)
    assert message.created_by == operator_school_potenza
    assert drafted_event(message).user == operator_school_potenza
    client = client_for(operator_school_potenza)
    detail = client.get(reverse("schools:message_detail", args=[message.pk])).content.decode()
    assert SYSTEM not in detail and operator_school_potenza.get_full_name() in detail
    assert SYSTEM not in client.get(reverse("schools:message_list")).content.decode()


def test_draft_message_without_a_user_is_the_systems(student_potenza):
    ensure_regional_templates()
    message = draft_message(student=student_potenza, template_code="absence", by=None)
    message.refresh_from_db()
    assert message.created_by_id is None
    assert drafted_event(message).user is None


BEFORE = [("schools", "0005_risksignal_review")]
AFTER = [("schools", "0006_familymessage_drafted_by_system")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_migration_takes_the_referent_off_the_drafts_of_nightly_cases(
    operator_school_potenza, student_potenza, school_potenza
):
    from django.core.management import call_command

    user_id, student_id, school_id = operator_school_potenza.pk, student_potenza.pk, school_potenza.pk
    try:
        apps = migrate(BEFORE)
        SupportCase = apps.get_model("schools", "SupportCase")
        Message = apps.get_model("schools", "FamilyMessage")
        Template = apps.get_model("schools", "MessageTemplate")
        risk_template = Template.objects.create(code="risk", name="Risk")
        other_template = Template.objects.create(code="absence", name="Absence")
        now = timezone.now()

        def case(opened_by_id, at):
            opened = SupportCase.objects.create(
                school_id=school_id,
                title="High risk of dropping out",
                opened_by_id=opened_by_id,
                opened_at=at,
                referent_id=user_id,
                origin="risk",
                act_by=now.date() + datetime.timedelta(days=7),
            )
            opened.students.add(student_id)

        def message(template, at):
            return Message.objects.create(
                student_id=student_id,
                template=template,
                language="it",
                subject="s",
                body="b",
                created_by_id=user_id,
                created_at=at,
            ).pk

        moment = datetime.timedelta(milliseconds=30)
        case(None, now)  # the nightly run opened it (0005 cleared the opener)
        nightly_draft = message(risk_template, now + moment)
        other_draft = message(other_template, now + moment)
        confirmed_at = now + datetime.timedelta(days=3)
        case(user_id, confirmed_at)  # the referent confirmed a later alert
        confirmed_draft = message(risk_template, confirmed_at + moment)

        apps = migrate(AFTER)
        Message = apps.get_model("schools", "FamilyMessage")
        authors = dict(Message.objects.values_list("pk", "created_by_id"))
        assert authors == {nightly_draft: None, other_draft: user_id, confirmed_draft: user_id}
    finally:
        call_command("migrate", verbosity=0)
