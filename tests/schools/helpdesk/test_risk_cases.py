"""From signal to action: a high-risk signal opens one support case per student, with a deadline
to act and a draft message to the family in their language."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from aipim.core.models import AuditEvent
from schools.models import FamilyMessage, RiskSettings, SupportCase
from schools.services.helpdesk import add_action, open_case_from_risk
from schools.services.interventions import create_intervention
from schools.services.messages import ensure_regional_templates

pytestmark = pytest.mark.django_db


def test_a_high_signal_opens_a_case_with_a_deadline_and_an_arabic_draft(
    student_potenza, high_signal, operator_school_potenza, desk_potenza
):
    case = open_case_from_risk(student=student_potenza, signal=high_signal, by=operator_school_potenza)

    assert case.origin == SupportCase.Origin.RISK and case.status == SupportCase.Status.OPEN
    assert case.origin_signal == high_signal
    assert list(case.students.all()) == [student_potenza]
    assert case.help_desk == desk_potenza
    assert case.referent == student_potenza.referent  # the operator, in the fixture
    assert case.opened_by == operator_school_potenza
    assert case.act_by == timezone.localdate() + datetime.timedelta(days=7)
    assert case.acted_at is None
    message = FamilyMessage.objects.get(student=student_potenza)
    assert message.status == FamilyMessage.Status.DRAFT
    assert message.language == "ar"
    assert message.template.code == "risk"
    assert "Amina Haddad" in message.body and "عائلتنا الكريمة" in message.body
    assert message.channel == FamilyMessage.Channel.EMAIL  # address and consent to messages
    assert AuditEvent.objects.filter(action="supportcase.open", object_id=str(case.pk)).exists()


def test_it_is_idempotent_while_the_case_is_open(student_potenza, high_signal, operator_school_potenza):
    first = open_case_from_risk(student=student_potenza, signal=high_signal, by=operator_school_potenza)
    second = open_case_from_risk(student=student_potenza, signal=high_signal, by=None)
    assert first == second
    assert SupportCase.objects.count() == 1
    assert FamilyMessage.objects.count() == 1


def test_a_closed_risk_case_lets_a_new_one_open(student_potenza, high_signal, operator_school_potenza):
    from schools.services.helpdesk import close_case

    first = open_case_from_risk(student=student_potenza, signal=high_signal, by=operator_school_potenza)
    close_case(case=first, note="Attendance back to normal", by=operator_school_potenza)
    second = open_case_from_risk(student=student_potenza, signal=high_signal, by=operator_school_potenza)
    assert second != first and second.status == SupportCase.Status.OPEN


def test_the_deadline_follows_the_schools_setting(student_potenza, high_signal, school_potenza):
    RiskSettings.objects.create(school=school_potenza, act_within_days=3)
    case = open_case_from_risk(student=student_potenza, signal=high_signal, by=None)
    assert case.act_by == timezone.localdate() + datetime.timedelta(days=3)


def test_without_a_user_the_system_is_recorded_as_the_opener_and_the_referent_gets_the_case(
    student_potenza, high_signal, operator_school_potenza
):
    case = open_case_from_risk(student=student_potenza, signal=high_signal, by=None)
    case.refresh_from_db()
    assert case.opened_by is None  # nobody opened it: the early warning did
    assert case.referent == operator_school_potenza  # the responsible staff member follows it
    event = AuditEvent.objects.get(action="supportcase.open", object_id=str(case.pk))
    assert event.user is None  # the system did it


def test_without_a_student_referent_the_class_coordinator_gets_the_case(
    student_potenza, high_signal, operator_school_potenza
):
    from schools.models import Student

    Student.objects.filter(pk=student_potenza.pk).update(referent=None)
    student_potenza.refresh_from_db()
    case = open_case_from_risk(student=student_potenza, signal=high_signal, by=None)
    assert case.opened_by is None and case.referent == operator_school_potenza  # the class's coordinator


def test_a_user_opening_it_is_recorded_as_the_opener(student_potenza, high_signal, make_member, school_potenza):
    from aipim.accounts.models import Role

    teacher = make_member(Role.SCHOOL_STAFF, school_potenza, email="teacher.potenza@example.org")
    case = open_case_from_risk(student=student_potenza, signal=high_signal, by=teacher)
    assert case.opened_by == teacher
    assert AuditEvent.objects.get(action="supportcase.open", object_id=str(case.pk)).user == teacher


def test_the_case_pages_say_the_early_warning_opened_it(
    student_potenza, high_signal, operator_school_potenza, client_for
):
    from django.urls import reverse

    case = open_case_from_risk(student=student_potenza, signal=high_signal, by=None)
    client = client_for(operator_school_potenza)
    for url in (
        reverse("schools:supportcase_detail", args=[case.pk]),
        reverse("schools:supportcase_list"),
        reverse("schools:risk_follow_up"),
    ):
        assert "opened automatically by the early warning" in client.get(url).content.decode(), url


def test_the_regional_templates_are_created_when_missing(student_potenza, high_signal):
    open_case_from_risk(student=student_potenza, signal=high_signal, by=None)
    assert ensure_regional_templates() == 0


def test_the_first_action_marks_the_case_as_acted_on(student_potenza, high_signal, operator_school_potenza):
    case = open_case_from_risk(student=student_potenza, signal=high_signal, by=operator_school_potenza)
    add_action(case=case, title="Call the family", by=operator_school_potenza, owner=operator_school_potenza)
    case.refresh_from_db()
    first = case.acted_at
    assert first is not None
    add_action(case=case, title="Meet the class council", by=operator_school_potenza)
    case.refresh_from_db()
    assert case.acted_at == first


def test_an_intervention_on_the_case_marks_it_as_acted_on_and_remembers_the_signal(
    student_potenza, high_signal, operator_school_potenza
):
    case = open_case_from_risk(student=student_potenza, signal=high_signal, by=operator_school_potenza)
    intervention = create_intervention(
        student=student_potenza,
        kind="tutoring",
        starts_on=timezone.localdate(),
        by=operator_school_potenza,
        support_case=case,
    )
    case.refresh_from_db()
    assert case.acted_at is not None
    assert intervention.triggered_by == high_signal


def test_a_template_without_italian_does_not_cost_the_case(student_potenza, high_signal, regional_templates):
    from schools.models import MessageTemplateTranslation

    MessageTemplateTranslation.objects.filter(template__code="risk").delete()
    case = open_case_from_risk(student=student_potenza, signal=high_signal, by=None)
    assert case.pk and not FamilyMessage.objects.exists()


def test_the_case_page_proposes_the_draft(client_for, student_potenza, high_signal, operator_school_potenza):
    from django.urls import reverse

    case = open_case_from_risk(student=student_potenza, signal=high_signal, by=None)
    message = FamilyMessage.objects.get()
    page = client_for(operator_school_potenza).get(reverse("schools:supportcase_detail", args=[case.pk]))
    text = page.content.decode()
    assert "ready to check and send" in text and reverse("schools:message_detail", args=[message.pk]) in text


def test_a_school_with_nobody_to_own_the_case_is_told(make_student, school_matera, high_signal):
    from django.core.exceptions import ValidationError

    from schools.models import RiskSignal

    orphan = make_student(school_matera)
    signal = RiskSignal.objects.create(student=orphan, level="high", score=5, indicators=[])
    with pytest.raises(ValidationError):
        open_case_from_risk(student=orphan, signal=signal, by=None)
    assert not SupportCase.objects.exists()
