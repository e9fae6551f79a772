"""The data migration that moves dismissed alerts off the support cases and onto their signals."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("schools", "0004_supportcase_opened_by_system"), ("core", "0004_recompute_name_keys")]
AFTER = [("schools", "0005_risksignal_review")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_dismissed_cases_become_reviews_on_their_signals(operator_school_potenza, student_potenza, school_potenza):
    from django.core.management import call_command

    user_id, student_id, school_id = operator_school_potenza.pk, student_potenza.pk, school_potenza.pk
    try:
        apps = migrate(BEFORE)
        RiskSignal = apps.get_model("schools", "RiskSignal")
        SupportCase = apps.get_model("schools", "SupportCase")
        SupportCaseNote = apps.get_model("schools", "SupportCaseNote")
        AuditEvent = apps.get_model("core", "AuditEvent")
        now = timezone.now()

        def signal():
            return RiskSignal.objects.create(student_id=student_id, computed_at=now, level="high", score=5)

        def dismissed(sig, note):
            case = SupportCase.objects.create(
                school_id=school_id,
                title="Early warning dismissed",
                status="closed",
                opened_by_id=user_id,
                opened_at=now,
                closed_at=now,
                closing_note=note,
                origin="risk",
                origin_signal=sig,
            )
            case.students.add(student_id)
            return case

        plain, with_note = signal(), signal()
        plain_case = dismissed(plain, "Family moved away.")
        kept_case = dismissed(with_note, "Followed by social services.")
        SupportCaseNote.objects.create(case=kept_case, author_id=user_id, body="Called the family.")
        confirmed, nightly = signal(), signal()
        for sig, by in ((confirmed, user_id), (nightly, None)):
            case = SupportCase.objects.create(
                school_id=school_id,
                title="High risk of dropping out",
                opened_by_id=user_id,
                origin="risk",
                origin_signal=sig,
                act_by=now.date() + datetime.timedelta(days=7),
            )
            AuditEvent.objects.create(
                user_id=by, action="supportcase.open", object_type="schools.supportcase", object_id=str(case.pk)
            )
        AuditEvent.objects.create(
            action="risksignal.notify", object_type="schools.risksignal", object_id=str(nightly.pk)
        )

        apps = migrate(AFTER)
        RiskSignal = apps.get_model("schools", "RiskSignal")
        SupportCase = apps.get_model("schools", "SupportCase")
        plain = RiskSignal.objects.get(pk=plain.pk)
        assert plain.review == "dismissed" and plain.reviewed_by_id == user_id and plain.reviewed_at == now
        assert plain.review_note == "Family moved away."
        assert not SupportCase.objects.filter(pk=plain_case.pk).exists()  # nothing hung on it
        with_note = RiskSignal.objects.get(pk=with_note.pk)
        assert with_note.review == "dismissed" and with_note.review_note == "Followed by social services."
        assert SupportCase.objects.filter(pk=kept_case.pk).exists()  # it has a note: left alone
        assert RiskSignal.objects.get(pk=confirmed.pk).review == "confirmed"
        nightly_signal = RiskSignal.objects.get(pk=nightly.pk)
        assert nightly_signal.review == "" and nightly_signal.notified_at is not None
        assert SupportCase.objects.get(origin_signal_id=nightly.pk).opened_by_id is None
        assert SupportCase.objects.get(origin_signal_id=confirmed.pk).opened_by_id == user_id
    finally:
        call_command("migrate", verbosity=0)
