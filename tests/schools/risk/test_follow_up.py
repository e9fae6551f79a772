"""From signal to action: a student entering high risk gets one case (or one alert to confirm) and
the referent one email; staying high does nothing more; leaving and entering again starts over."""

from __future__ import annotations

import pytest
from django.core import mail

from aipim.core.models import AuditEvent
from schools.models import RiskSettings, RiskSignal, Student, SupportCase
from schools.services import risk
from schools.services.risk import recompute_students
from tests.schools.risk.conftest import make_high, note

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def recompute(capture, **kwargs):
    with capture(execute=True):
        return recompute_students(**kwargs)


def risk_cases(student: Student):
    return SupportCase.objects.filter(students=student, origin=SupportCase.Origin.RISK)


def test_entering_high_opens_the_case_and_tells_the_referent_once(
    student_potenza, operator_school_potenza, django_capture_on_commit_callbacks
):
    make_high(student_potenza)
    result = recompute(django_capture_on_commit_callbacks)
    assert result.entered_high == [student_potenza.pk]
    case = risk_cases(student_potenza).get()
    signal = RiskSignal.objects.get(student=student_potenza)
    assert case.status == "open" and case.origin_signal == signal and case.act_by is not None
    assert case.opened_by is None and case.referent == operator_school_potenza  # the nightly run: no user
    opened = AuditEvent.objects.get(action="supportcase.open", object_id=str(case.pk))
    assert opened.user is None
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [operator_school_potenza.email]
    assert email.subject == "High risk of dropping out: A. H., IC Potenza"
    assert "Amina" not in email.subject + email.body and "Haddad" not in email.body
    assert f"/schools/students/{student_potenza.pk}/" in email.body
    assert "A case was opened at the help desk" in email.body

    # Staying high: no second email, no second case, even with a new indicator.
    for days_ago in range(1, 5):
        note(student_potenza, days_ago)
    again = recompute(django_capture_on_commit_callbacks)
    assert again.entered_high == [] and again.signals_written == 1
    assert len(mail.outbox) == 1 and risk_cases(student_potenza).count() == 1


def test_the_follow_up_of_one_signal_runs_once(student_potenza, django_capture_on_commit_callbacks):
    make_high(student_potenza)
    recompute(django_capture_on_commit_callbacks)
    signal = RiskSignal.objects.get(student=student_potenza)
    assert risk.act_on_high_risk(signal_id=signal.pk) == "done"  # a retried task
    assert len(mail.outbox) == 1
    assert AuditEvent.objects.filter(action=risk.NOTIFIED, object_id=str(signal.pk)).count() == 1


def test_leaving_high_and_entering_again_notifies_again(student_potenza, django_capture_on_commit_callbacks):
    make_high(student_potenza)
    recompute(django_capture_on_commit_callbacks)
    risk_cases(student_potenza).update(status="closed", closed_at=RiskSignal.objects.get().computed_at)
    student_potenza.results.all().delete()
    student_potenza.attendance.all().delete()
    left = recompute(django_capture_on_commit_callbacks)
    assert left.left_high == [student_potenza.pk]
    student_potenza.refresh_from_db()
    assert student_potenza.risk_level == "low"  # recent arrival only
    make_high(student_potenza)
    back = recompute(django_capture_on_commit_callbacks)
    assert back.entered_high == [student_potenza.pk]
    assert len(mail.outbox) == 2 and risk_cases(student_potenza).count() == 2


def test_a_stale_signal_does_nothing(student_potenza, django_capture_on_commit_callbacks):
    make_high(student_potenza)
    with django_capture_on_commit_callbacks(execute=False):
        recompute_students()
    signal = RiskSignal.objects.get()
    student_potenza.results.all().delete()
    student_potenza.attendance.all().delete()
    with django_capture_on_commit_callbacks(execute=False):
        recompute_students()
    assert risk.act_on_high_risk(signal_id=signal.pk) == "stale"
    assert mail.outbox == [] and not risk_cases(student_potenza).exists()


def test_without_auto_open_the_referent_confirms(
    student_potenza, school_potenza, operator_school_potenza, client_for, django_capture_on_commit_callbacks
):
    RiskSettings.objects.create(school=school_potenza, auto_open_intervention=False)
    make_high(student_potenza)
    recompute(django_capture_on_commit_callbacks)
    assert not risk_cases(student_potenza).exists()
    assert "Please decide whether to open a case" in mail.outbox[0].body
    signal = RiskSignal.objects.get()
    assert list(risk.to_confirm(operator_school_potenza)) == [signal]

    case = risk.confirm_case(signal_id=signal.pk, by=operator_school_potenza)
    assert case.origin_signal == signal and case.status == "open"
    signal.refresh_from_db()
    assert signal.review == RiskSignal.Review.CONFIRMED and signal.reviewed_by == operator_school_potenza
    assert signal.reviewed_at is not None and signal.notified_at is not None
    assert case.opened_by == operator_school_potenza  # the referent who confirmed opened it
    assert AuditEvent.objects.get(action="supportcase.open", object_id=str(case.pk)).user == operator_school_potenza
    assert list(risk.to_confirm(operator_school_potenza)) == []
    assert AuditEvent.objects.filter(action="risksignal.confirm", object_id=str(signal.pk)).exists()


def test_dismissing_keeps_the_reason(
    student_potenza, school_potenza, operator_school_potenza, django_capture_on_commit_callbacks
):
    RiskSettings.objects.create(school=school_potenza, auto_open_intervention=False)
    make_high(student_potenza)
    recompute(django_capture_on_commit_callbacks)
    signal = RiskSignal.objects.get()
    with pytest.raises(Exception, match="Say why"):
        risk.dismiss_alert(signal_id=signal.pk, reason="  ", by=operator_school_potenza)
    dismissed = risk.dismiss_alert(
        signal_id=signal.pk, reason="Family moved; enrolment ends next week.", by=operator_school_potenza
    )
    signal.refresh_from_db()
    assert dismissed == signal and signal.review == RiskSignal.Review.DISMISSED
    assert signal.reviewed_by == operator_school_potenza and signal.reviewed_at is not None
    assert signal.review_note == "Family moved; enrolment ends next week."
    assert not SupportCase.objects.exists()  # a decision, not a case: nothing counts the pupil as supported
    assert list(risk.to_confirm(operator_school_potenza)) == []
    event = AuditEvent.objects.get(action="risksignal.dismiss", object_id=str(signal.pk))
    assert event.user == operator_school_potenza
    with pytest.raises(Exception, match="already handled"):
        risk.confirm_case(signal_id=signal.pk, by=operator_school_potenza)


def test_alerts_to_confirm_are_for_the_referent_and_the_school_s_operators(
    student_potenza,
    school_potenza,
    make_member,
    staff_school_matera,
    django_capture_on_commit_callbacks,
):
    from aipim.accounts.models import Role

    RiskSettings.objects.create(school=school_potenza, auto_open_intervention=False)
    teacher = make_member(Role.SCHOOL_STAFF, school_potenza, email="teacher.potenza@example.org")
    make_high(student_potenza)
    recompute(django_capture_on_commit_callbacks)
    assert list(risk.to_confirm(teacher)) == []  # staff who do not follow the student
    assert list(risk.to_confirm(staff_school_matera)) == []
    Student.objects.filter(pk=student_potenza.pk).update(referent=teacher)
    assert len(risk.to_confirm(teacher)) == 1


def test_no_one_to_open_the_case_for_leaves_the_alert_to_confirm(
    make_student, school_matera, class_matera, django_capture_on_commit_callbacks
):
    student = make_student(school_matera, school_class=class_matera)
    make_high(student)
    recompute(django_capture_on_commit_callbacks)
    assert not risk_cases(student).exists()
    assert mail.outbox == []  # no referent, no coordinator
    assert AuditEvent.objects.filter(action=risk.NOTIFIED).count() == 1


def test_the_review_note_is_encrypted(
    student_potenza, school_potenza, operator_school_potenza, django_capture_on_commit_callbacks
):
    from django.db import connection

    RiskSettings.objects.create(school=school_potenza, auto_open_intervention=False)
    make_high(student_potenza)
    recompute(django_capture_on_commit_callbacks)
    signal = RiskSignal.objects.get()
    risk.dismiss_alert(signal_id=signal.pk, reason="Followed by social services", by=operator_school_potenza)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT review_note FROM {RiskSignal._meta.db_table} WHERE id = %s", [signal.pk])
        stored = cursor.fetchone()[0]
    assert stored and "social services" not in str(stored)


def test_a_reviewed_alert_stays_off_the_list_even_once_its_case_is_closed(
    student_potenza, school_potenza, operator_school_potenza, django_capture_on_commit_callbacks
):
    from schools.services.helpdesk import close_case

    RiskSettings.objects.create(school=school_potenza, auto_open_intervention=False)
    make_high(student_potenza)
    recompute(django_capture_on_commit_callbacks)
    signal = RiskSignal.objects.get()
    case = risk.confirm_case(signal_id=signal.pk, by=operator_school_potenza)
    close_case(case=case, note="Back at school", by=operator_school_potenza)
    assert list(risk.to_confirm(operator_school_potenza)) == []
    with pytest.raises(Exception, match="already handled"):
        risk.dismiss_alert(signal_id=signal.pk, reason="late second opinion", by=operator_school_potenza)


def test_only_the_to_confirm_list_reads_the_review(
    student_potenza, school_potenza, operator_school_potenza, django_capture_on_commit_callbacks
):
    RiskSettings.objects.create(school=school_potenza, auto_open_intervention=False)
    make_high(student_potenza)
    recompute(django_capture_on_commit_callbacks)
    signal = RiskSignal.objects.get()
    assert list(risk.to_confirm(operator_school_potenza)) == [signal]
    RiskSignal.objects.filter(pk=signal.pk).update(review=RiskSignal.Review.DISMISSED)
    assert list(risk.to_confirm(operator_school_potenza)) == []


def test_the_notification_is_claimed_on_the_signal_once(student_potenza, django_capture_on_commit_callbacks):
    make_high(student_potenza)
    with django_capture_on_commit_callbacks(execute=False):
        recompute_students()
    signal = RiskSignal.objects.get()
    assert signal.notified_at is None
    assert risk.act_on_high_risk(signal_id=signal.pk) == "opened"
    signal.refresh_from_db()
    assert signal.notified_at is not None
    # A second run that read the signal before the first one claimed it: the UPDATE claims nothing.
    RiskSignal.objects.filter(pk=signal.pk).update(notified_at=None)
    claimed = RiskSignal.objects.filter(pk=signal.pk, notified_at__isnull=True).update(notified_at=signal.notified_at)
    assert claimed == 1
    assert RiskSignal.objects.filter(pk=signal.pk, notified_at__isnull=True).update(notified_at=signal.notified_at) == 0
    assert risk.act_on_high_risk(signal_id=signal.pk) == "done"
    assert len(mail.outbox) == 1


def test_a_failed_send_leaves_the_notification_unclaimed(
    student_potenza, django_capture_on_commit_callbacks, monkeypatch
):
    make_high(student_potenza)
    with django_capture_on_commit_callbacks(execute=False):
        recompute_students()
    signal = RiskSignal.objects.get()

    def broken(*args, **kwargs):
        raise OSError("smtp down")

    monkeypatch.setattr(risk, "send_mail", broken)
    with pytest.raises(OSError):
        risk.act_on_high_risk(signal_id=signal.pk)
    signal.refresh_from_db()
    assert signal.notified_at is None and not AuditEvent.objects.filter(action=risk.NOTIFIED).exists()
    monkeypatch.undo()
    assert risk.act_on_high_risk(signal_id=signal.pk) == "opened"
    assert len(mail.outbox) == 1


def test_a_dismissed_alert_is_not_counted_by_the_report(
    student_potenza, school_potenza, operator_school_potenza, django_capture_on_commit_callbacks
):
    import datetime

    from django.utils import timezone

    from aipim.core.models import Organisation
    from schools.reports import cases_active_in

    RiskSettings.objects.create(school=school_potenza, auto_open_intervention=False)
    make_high(student_potenza)
    recompute(django_capture_on_commit_callbacks)
    signal = RiskSignal.objects.get()
    risk.dismiss_alert(signal_id=signal.pk, reason="Followed elsewhere", by=operator_school_potenza)
    now = timezone.now()
    schools = Organisation.objects.filter(pk=school_potenza.pk)
    assert not cases_active_in(schools, now - datetime.timedelta(days=30), now + datetime.timedelta(days=1)).exists()
