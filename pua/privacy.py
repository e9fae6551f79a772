"""The PUA app's part of access and erasure requests (aipim.core.privacy registry).

Export: everything the desks hold about the person, notes decrypted (an access request is the
person's own right to read them). Staff are named by organisation, not by name, as in the core.

Erase: notes, documents (files first) and the notes of needs go; free text about the person
(reasons, outcomes, goals, purposes) is blanked, in the write history too; what statistics need
stays: each case keeps its desk, number, dates, status and closing reason, each need its domain and
severity, each referral its service, status and dates."""

from __future__ import annotations

from typing import Any

from django.apps import apps

from aipim.core.models import Person
from aipim.core.privacy import ANONYMISED, register_person_data
from pua.models import (
    Appointment,
    BreakGlassGrant,
    Case,
    CaseShare,
    CaseStatusChange,
    Document,
    Goal,
    Need,
    Note,
    PlanAction,
    Referral,
    ReferralUpdate,
    Task,
)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _export_case(case: Case) -> dict[str, Any]:
    return {
        "number": case.number,
        "desk": case.desk.name,
        "status": case.status,
        "closing_reason": case.closing_reason,
        "opened_at": _iso(case.opened_at),
        "closed_at": _iso(case.closed_at),
        "history": [
            {"from": c.from_status, "to": c.to_status, "reason": c.reason, "at": _iso(c.changed_at)}
            for c in case.status_changes.all()
        ],
        "assessments": [
            {
                "assessed_at": _iso(assessment.assessed_at),
                "needs": [
                    {"domain": need.domain, "severity": need.severity, "notes": need.notes or ""}
                    for need in assessment.needs.all()
                ],
            }
            for assessment in case.assessments.all()
        ],
        "care_plan": [
            {
                "domain": goal.domain,
                "goal": goal.description,
                "status": goal.status,
                "actions": [
                    {
                        "action": action.description,
                        "owner": action.owner_label,
                        "due_date": _iso(action.due_date),
                        "outcome": action.outcome,
                        "done_at": _iso(action.done_at),
                    }
                    for action in goal.actions.all()
                ],
            }
            for goal in case.goals.all()
        ],
        "referrals": [
            {
                "service": referral.service.name,
                "provider": referral.service.organisation.name,
                "reason": referral.reason,
                "status": referral.status,
                "created_at": _iso(referral.created_at),
                "sent_at": _iso(referral.sent_at),
                "accepted_at": _iso(referral.accepted_at),
                "closed_at": _iso(referral.closed_at),
                "outcome": referral.outcome,
                "updates": [
                    {"status": u.status, "note": u.note, "by_service": u.by_service, "at": _iso(u.at)}
                    for u in referral.updates.all()
                ],
            }
            for referral in case.referrals.all()
        ],
        "appointments": [
            {
                "starts_at": _iso(a.starts_at),
                "ends_at": _iso(a.ends_at),
                "place": a.place,
                "purpose": a.purpose,
                "cancelled_at": _iso(a.cancelled_at),
            }
            for a in case.appointments.all()
        ],
        "tasks": [
            {"task": t.title, "due_date": _iso(t.due_date), "done_at": _iso(t.done_at)} for t in case.tasks.all()
        ],
        "notes": [
            {"kind": n.kind, "note": n.body, "restricted": n.restricted, "created_at": _iso(n.created_at)}
            for n in case.notes.all()
        ],
        # The files themselves are handed over on request from the case page; here what they are.
        "documents": [
            {
                "file_name": d.original_name,
                "content_type": d.content_type,
                "size": d.size,
                "description": d.description,
                "uploaded_at": _iso(d.uploaded_at),
            }
            for d in case.documents.all()
        ],
        "transfers_and_shares": [
            {
                "kind": s.kind,
                "from_desk": s.from_desk.name,
                "to_desk": s.desk.name,
                "status": s.status,
                "reason": s.reason,
                "requested_at": _iso(s.requested_at),
                "decided_at": _iso(s.decided_at),
                "ended_at": _iso(s.ended_at),
            }
            for s in case.shares.all()
        ],
        # Who opened the case in an emergency from another desk (art. 15(1)(c): recipients).
        "emergency_accesses": [
            {"reason": g.reason, "granted_at": _iso(g.granted_at), "expires_at": _iso(g.expires_at)}
            for g in case.break_glass_grants.all()
        ],
    }


def export_pua(person: Person) -> dict[str, Any]:
    cases = (
        Case.objects.filter(person=person)
        .select_related("desk")
        .prefetch_related(
            "status_changes",
            "assessments__needs",
            "goals__actions",
            "referrals__service__organisation",
            "referrals__updates",
            "appointments",
            "tasks",
            "notes",
            "documents",
            "shares__from_desk",
            "shares__desk",
            "break_glass_grants",
        )
        .order_by("opened_at", "pk")
    )
    return {"cases": [_export_case(case) for case in cases]}


def erase_pua(person: Person, *, by: Any) -> dict[str, int]:
    """Idempotent: a second run finds nothing left to delete or blank and returns zeros."""
    cases = Case.objects.filter(person=person)
    counts: dict[str, int] = {}

    counts["notes_deleted"], _ = Note.objects.filter(case__in=cases).delete()
    documents = Document.objects.filter(case__in=cases)
    for document in documents:
        # The file first: a row without its file is harmless, a file without its row is a leak.
        document.file.delete(save=False)
    counts["documents_deleted"], _ = documents.delete()
    counts["need_notes_cleared"] = (
        Need.objects.filter(assessment__case__in=cases).exclude(notes__isnull=True).update(notes=None)
    )

    referrals = Referral.objects.filter(case__in=cases)
    counts["referrals_anonymised"] = referrals.exclude(reason=ANONYMISED, outcome="").update(
        reason=ANONYMISED, outcome=""
    )
    # The write history keeps every earlier version of a referral, with its reason and outcome.
    counts["referral_history_cleared"] = (
        apps.get_model("pua", "ReferralEvent")
        .objects.filter(pgh_obj__in=referrals)
        .exclude(reason=ANONYMISED, outcome="")
        .update(reason=ANONYMISED, outcome="")
    )
    counts["referral_updates_cleared"] = (
        ReferralUpdate.objects.filter(referral__in=referrals).exclude(note="").update(note="")
    )
    counts["goals_anonymised"] = (
        Goal.objects.filter(case__in=cases).exclude(description=ANONYMISED).update(description=ANONYMISED)
    )
    counts["plan_actions_anonymised"] = (
        PlanAction.objects.filter(goal__case__in=cases)
        .exclude(description=ANONYMISED, owner_label="", outcome="")
        .update(description=ANONYMISED, owner_label="", outcome="")
    )
    counts["appointments_anonymised"] = (
        Appointment.objects.filter(case__in=cases)
        .exclude(purpose=ANONYMISED, place="")
        .update(purpose=ANONYMISED, place="")
    )
    counts["tasks_anonymised"] = Task.objects.filter(case__in=cases).exclude(title=ANONYMISED).update(title=ANONYMISED)
    counts["status_reasons_cleared"] = (
        CaseStatusChange.objects.filter(case__in=cases).exclude(reason="").update(reason="")
    )
    counts["share_reasons_cleared"] = CaseShare.objects.filter(case__in=cases).exclude(reason="").update(reason="")
    counts["emergency_reasons_cleared"] = (
        BreakGlassGrant.objects.filter(case__in=cases)
        .exclude(reason="", review_note="")
        .update(reason="", review_note="")
    )
    counts["cases_kept"] = cases.count()
    return counts


register_person_data("pua", export=export_pua, erase=erase_pua)
