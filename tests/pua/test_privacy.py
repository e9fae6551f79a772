"""The PUA part of access and erasure requests, and the PUA retention policies."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from aipim.core import privacy, retention
from aipim.core.models import AuditEvent
from pua.models import (
    Appointment,
    Assessment,
    BreakGlassGrant,
    Case,
    Document,
    Goal,
    Need,
    NeedDomain,
    Note,
    PlanAction,
    Referral,
    ReferralUpdate,
    Task,
)
from pua.services.cases import change_status
from tests.factories import ServiceFactory

NEED_NOTE = "insulina da rinnovare"
NOTE = "racconta di minacce dal datore di lavoro"
REASON = "cerca lavoro dopo il ricovero"
YEAR = datetime.timedelta(days=365)


@pytest.fixture(autouse=True)
def _documents_in_tmp(monkeypatch, private_storage_in_tmp):
    """Django resolves a FileField's storage callable once, when the model is defined, so the
    field still points at var/private: point it at this test's private folder instead."""
    from pua.models import private_storage

    monkeypatch.setattr(Document._meta.get_field("file"), "storage", private_storage())


def _document(case, user) -> Document:
    return Document.objects.create(
        case=case,
        file=ContentFile(b"%PDF-1.7\n%%EOF\n", name="scan.pdf"),
        original_name="permesso.pdf",
        content_type="application/pdf",
        size=15,
        uploaded_by=user,
    )


@pytest.fixture
def full_case(case_irsina, caseworker_irsina, desk_picerno) -> Case:
    case, user = case_irsina, caseworker_irsina
    assessment = Assessment.objects.create(case=case, assessed_by=user)
    Need.objects.create(assessment=assessment, domain=NeedDomain.HEALTH, severity=Need.Severity.HIGH, notes=NEED_NOTE)
    goal = Goal.objects.create(case=case, domain=NeedDomain.WORK, description="Trovare un tirocinio", created_by=user)
    PlanAction.objects.create(goal=goal, description="Iscrizione al CPI", owner_label="la persona", outcome="fatto")
    referral = Referral.objects.create(
        case=case, service=ServiceFactory(name="CPI Potenza", category="work"), reason=REASON, created_by=user
    )
    referral.outcome = "tirocinio avviato"
    referral.save()  # a second version in the write history
    ReferralUpdate.objects.create(referral=referral, status=Referral.Status.SENT, note="inviata per email")
    start = timezone.now() + datetime.timedelta(days=1)
    Appointment.objects.create(
        case=case,
        caseworker=user,
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=1),
        place="Sportello",
        purpose="Visita cardiologica",
    )
    Task.objects.create(case=case, title="Chiamare la cardiologia", due_date=timezone.localdate(), created_by=user)
    Note.objects.create(case=case, body=NOTE, kind=Note.Kind.LEGAL, restricted=True, author=user)
    _document(case, user)
    BreakGlassGrant.objects.create(
        case=case, user=user, reason="arrivato in crisi", expires_at=timezone.now() + datetime.timedelta(hours=24)
    )
    return case


def test_the_pua_part_is_registered():
    assert "pua" in {handler.name for handler in privacy.registered_handlers()}


def test_export_holds_every_record_with_notes_decrypted(full_case, caseworker_irsina):
    export = privacy.export_person(full_case.person, by=caseworker_irsina)
    [case] = export["sections"]["pua"]["cases"]
    assert case["number"] == full_case.number and case["desk"] == "PUA Irsina" and case["status"] == "open"
    assert [(h["from"], h["to"]) for h in case["history"]] == [("", "open")]
    assert case["assessments"][0]["needs"] == [{"domain": "health", "severity": 3, "notes": NEED_NOTE}]
    assert case["care_plan"][0]["goal"] == "Trovare un tirocinio"
    assert case["care_plan"][0]["actions"][0]["outcome"] == "fatto"
    [referral] = case["referrals"]
    assert (referral["service"], referral["reason"], referral["outcome"]) == (
        "CPI Potenza",
        REASON,
        "tirocinio avviato",
    )
    assert referral["updates"][0]["note"] == "inviata per email"
    assert case["appointments"][0]["purpose"] == "Visita cardiologica"
    assert case["tasks"][0]["task"] == "Chiamare la cardiologia"
    assert case["notes"] == [
        {"kind": "legal", "note": NOTE, "restricted": True, "created_at": case["notes"][0]["created_at"]}
    ]
    assert case["documents"][0]["file_name"] == "permesso.pdf" and case["documents"][0]["size"] == 15
    assert case["emergency_accesses"][0]["reason"] == "arrivato in crisi"
    json.dumps(export)  # serialisable as it is


def test_export_runs_a_fixed_number_of_queries(full_case, caseworker_irsina, django_assert_max_num_queries):
    from pua.privacy import export_pua

    with django_assert_max_num_queries(20) as one:
        export_pua(full_case.person)
    for domain in (NeedDomain.WORK, NeedDomain.HOUSING):
        Goal.objects.create(case=full_case, domain=domain, description="altro", created_by=caseworker_irsina)
        Note.objects.create(case=full_case, body="altra nota", author=caseworker_irsina)
    with django_assert_max_num_queries(len(one.captured_queries)):
        export_pua(full_case.person)


def test_erasure_deletes_notes_and_files_and_blanks_free_text(
    full_case, caseworker_irsina, administrator, private_storage_in_tmp
):
    document_path = private_storage_in_tmp / Document.objects.get().file.name
    assert document_path.exists()

    counts = privacy.erase_person(full_case.person, by=administrator, reason="request")["pua"]

    assert counts["notes_deleted"] == 1 and counts["documents_deleted"] == 1 and counts["cases_kept"] == 1
    assert not Note.objects.exists() and not Document.objects.exists() and not document_path.exists()
    need = Need.objects.get()
    assert need.notes is None and (need.domain, need.severity) == ("health", 3)  # the statistics stay
    case = Case.objects.select_related("desk").get(pk=full_case.pk)
    assert (case.number, case.desk.code, case.status) == (full_case.number, "IRS", "open")
    referral = Referral.objects.get()
    assert (referral.reason, referral.outcome, referral.service.category) == ("Anonymised", "", "work")
    # Nothing of the free text survives anywhere in the PUA tables, the history included.
    exported = json.dumps(privacy.export_person(case.person, by=administrator))
    for secret in (NEED_NOTE, NOTE, REASON, "tirocinio avviato", "inviata per email", "Visita cardiologica", "crisi"):
        assert secret not in exported, secret
    from django.apps import apps

    history = list(apps.get_model("pua", "ReferralEvent").objects.values_list("reason", "outcome"))
    assert len(history) >= 2 and all(row == ("Anonymised", "") for row in history)


def test_erasure_is_idempotent(full_case, administrator):
    privacy.erase_person(full_case.person, by=administrator)
    second = privacy.erase_person(full_case.person, by=administrator)["pua"]
    assert second.pop("cases_kept") == 1
    assert set(second.values()) == {0}
    audit = AuditEvent.objects.filter(action="person.erase").order_by("pk").last()
    assert audit.details["counts"]["pua"] == {**second, "cases_kept": 1}


# --- retention -----------------------------------------------------------------------------------


@pytest.fixture
def now():
    return timezone.now()


def _close(case, user, closed_at):
    change_status(case=case, to=Case.Status.CLOSED, by=user, closing_reason="goals_met")
    Case.objects.filter(pk=case.pk).update(closed_at=closed_at)


def test_closed_cases_lose_notes_and_documents_after_the_retention_period(
    full_case, case_picerno, caseworker_irsina, caseworker_picerno, now, settings, private_storage_in_tmp
):
    settings.PUA_RETENTION_DAYS = 3 * 365
    _close(full_case, caseworker_irsina, now - 4 * YEAR)
    _close(case_picerno, caseworker_picerno, now - 2 * YEAR)  # closed, but not long enough ago
    recent_note = Note.objects.create(case=case_picerno, body="recente", author=caseworker_picerno)
    recent_document = _document(case_picerno, caseworker_picerno)
    old_file = private_storage_in_tmp / Document.objects.get(case=full_case).file.name

    retention.apply_retention(now)

    assert list(Note.objects.all()) == [recent_note]
    assert list(Document.objects.all()) == [recent_document] and not old_file.exists()
    assert Need.objects.get(assessment__case=full_case).notes is None
    assert Case.objects.filter(pk=full_case.pk).exists()  # the case row stays for the statistics
    events = {e.details["policy"]: e.details for e in AuditEvent.objects.filter(action="retention.purge")}
    assert events["pua.note"]["count"] == 1 and events["pua.document"]["count"] == 1
    assert events["pua.need_notes"]["count"] == 1 and events["pua.note"]["keep_for_days"] == 3 * 365

    outcomes = retention.apply_retention(now)
    assert all(outcome.count == 0 for outcome in outcomes if outcome.policy.key.startswith("pua."))


def test_open_cases_keep_everything_however_old(full_case, now):
    Case.objects.filter(pk=full_case.pk).update(opened_at=now - 20 * YEAR)
    retention.apply_retention(now)
    assert Note.objects.count() == 1 and Document.objects.count() == 1


def test_emergency_grants_are_kept_two_years(case_irsina, caseworker_picerno, now):
    def grant(granted_at):
        return BreakGlassGrant.objects.create(
            case=case_irsina,
            user=caseworker_picerno,
            reason="crisi",
            granted_at=granted_at,
            expires_at=granted_at + datetime.timedelta(hours=24),
        )

    old, fresh = grant(now - 2 * YEAR - datetime.timedelta(days=1)), grant(now - YEAR)
    retention.apply_retention(now)
    assert list(BreakGlassGrant.objects.all()) == [fresh]
    assert not BreakGlassGrant.objects.filter(pk=old.pk).exists()


def test_the_default_period_is_five_years(settings):
    from pua.retention import closed_case_keep_for

    if hasattr(settings, "PUA_RETENTION_DAYS"):
        del settings.PUA_RETENTION_DAYS
    assert closed_case_keep_for() == datetime.timedelta(days=5 * 365)
