"""The schools app's part of access and erasure requests (aipim.core.privacy registry).

A Person may be a pupil (Student rows, at one or more schools over time) and a parent or guardian
(Guardian rows). Export: everything the schools hold about them, encrypted texts decrypted (an access
request is the person's own right to read them); staff are not named.

Erase, as a pupil: the register records (attendance, results, behaviour notes) and the messages'
texts go; the sensitive notes, the register id (in the write history too) and the explanations of risk
signals are cleared; the pupil's guardians lose the link to them; help-desk case files about this pupil
alone lose their notes and free text, family files just drop the pupil; walk-ins and desk bookings lose
their notes and names. What statistics need stays: school, class, dates, leaving reason, risk levels,
interventions (kind, dates, outcome), course enrolments and attendance.
As a guardian: their guardianships go (with their history) and so do the texts of messages written
to them; the school's link to them ends where they were only a guardian."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db.models import Count, Q
from django.utils import timezone

from aipim.core.models import Person, PersonLink
from aipim.core.privacy import ANONYMISED, register_person_data
from schools.models import (
    LINK_GUARDIAN,
    AttendanceRecord,
    BehaviourNote,
    DeskSlot,
    Enrolment,
    FamilyMessage,
    Guardian,
    Intervention,
    ResultRecord,
    RiskSignal,
    SessionAttendance,
    Student,
    SupportAction,
    SupportCase,
    SupportCaseNote,
    WalkIn,
)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _decimal(value: Any) -> str | None:
    return str(value) if value is not None else None


def _export_messages(messages: Any) -> list[dict[str, Any]]:
    return [
        {
            "language": message.language,
            "subject": message.subject or "",
            "body": message.body or "",
            "channel": message.channel,
            "status": message.status,
            "created_at": _iso(message.created_at),
            "sent_at": _iso(message.sent_at),
            "acknowledged_at": _iso(message.acknowledged_at),
            "acknowledged_how": message.acknowledged_how,
        }
        for message in messages
    ]


def _export_student(student: Student) -> dict[str, Any]:
    school_class = student.school_class
    attended = {
        row["enrolment_id"]: row
        for row in SessionAttendance.objects.filter(enrolment__student=student)
        .values("enrolment_id")
        .annotate(sessions=Count("pk"), present=Count("pk", filter=Q(present=True)))
    }
    return {
        "school": student.school.name,
        "class": None
        if school_class is None
        else {"name": school_class.name, "school_year": school_class.school_year.name, "stage": school_class.stage},
        "register_id": student.register_id,
        "arrived_in_italy_on": _iso(student.arrived_in_italy_on),
        "first_language": student.first_language,
        "enrolled_on": _iso(student.enrolled_on),
        "left_on": _iso(student.left_on),
        "leaving_reason": student.leaving_reason,
        "sensitive_notes": student.sensitive_notes or "",
        "risk_level": student.risk_level,
        "guardians": [
            {
                "person": str(guardian.person.public_id),
                "relationship": guardian.relationship,
                "primary_contact": guardian.is_primary_contact,
            }
            for guardian in student.guardians.all()
        ],
        "attendance": [
            {
                "date": _iso(record.date),
                "status": record.status,
                "absent_hours": _decimal(record.absent_hours),
                "justified": record.justified,
            }
            for record in student.attendance.all()
        ],
        "results": [
            {
                "date": _iso(result.date),
                "subject": result.subject,
                "grade": _decimal(result.grade),
                "core_subject": result.is_core_subject,
                "term": result.term,
            }
            for result in student.results.all()
        ],
        "behaviour_notes": [
            {"date": _iso(note.date), "severity": note.severity, "text": note.text or ""}
            for note in student.behaviour_notes.all()
        ],
        "risk_signals": [
            {
                "computed_at": _iso(signal.computed_at),
                "level": signal.level,
                "previous_level": signal.previous_level,
                "score": signal.score,
                "indicators": signal.indicators,
                "review": signal.review,
                "reviewed_at": _iso(signal.reviewed_at),
                "review_note": signal.review_note or "",
            }
            for signal in student.risk_signals.all()
        ],
        "interventions": [
            {
                "kind": intervention.kind,
                "starts_on": _iso(intervention.starts_on),
                "ends_on": _iso(intervention.ends_on),
                "status": intervention.status,
                "outcome": intervention.outcome,
                "outcome_note": intervention.outcome_note,
            }
            for intervention in student.interventions.all()
        ],
        "help_desk_cases": [
            {
                "title": case.title,
                "status": case.status,
                "opened_at": _iso(case.opened_at),
                "closed_at": _iso(case.closed_at),
                "closing_note": case.closing_note,
                "notes": [{"at": _iso(note.created_at), "note": note.body or ""} for note in case.notes.all()],
                "actions": [
                    {
                        "action": action.title,
                        "due_on": _iso(action.due_on),
                        "done_at": _iso(action.done_at),
                        "outcome": action.outcome,
                    }
                    for action in case.actions.all()
                ],
            }
            for case in student.support_cases.all()
        ],
        "help_desk_bookings": [
            {
                "starts_at": _iso(slot.starts_at),
                "language": slot.language,
                "status": slot.status,
                "notes": slot.notes or "",
            }
            for slot in student.desk_slots.all()
        ],
        "help_desk_visits": [
            {"at": _iso(visit.at), "topic": visit.topic, "language": visit.language, "notes": visit.notes or ""}
            for visit in student.walk_ins.all()
        ],
        "courses": [
            {
                "course": enrolment.course.title,
                "kind": enrolment.course.kind,
                "enrolled_on": _iso(enrolment.enrolled_on),
                "withdrawn_on": _iso(enrolment.withdrawn_on),
                "sessions_recorded": attended.get(enrolment.pk, {}).get("sessions", 0),
                "sessions_present": attended.get(enrolment.pk, {}).get("present", 0),
            }
            for enrolment in student.course_enrolments.all()
        ],
        "messages_to_family": _export_messages(student.family_messages.all()),
    }


def export_schools(person: Person) -> dict[str, Any]:
    students = (
        Student.objects.filter(person=person)
        .select_related("school", "school_class__school_year")
        .prefetch_related(
            "guardians__person",
            "attendance",
            "results",
            "behaviour_notes",
            "risk_signals",
            "interventions",
            "support_cases__notes",
            "support_cases__actions",
            "desk_slots",
            "walk_ins",
            "course_enrolments__course",
            "family_messages",
        )
        .order_by("enrolled_on", "pk")
    )
    guardianships = Guardian.objects.filter(person=person).select_related("student__school", "student__person")
    return {
        "as_pupil": [_export_student(student) for student in students],
        "as_guardian": [
            {
                "school": guardian.student.school.name,
                "pupil": str(guardian.student.person.public_id),
                "relationship": guardian.relationship,
                "primary_contact": guardian.is_primary_contact,
                "messages": _export_messages(guardian.messages.all()),
            }
            for guardian in guardianships.prefetch_related("messages")
        ],
    }


def _clear_messages(messages: Any) -> int:
    """Blank the texts of messages, keeping language, channel, status and dates for statistics."""
    count = 0
    for message in messages:  # encrypted: compared in clear, one by one
        if message.subject != ANONYMISED or message.body != ANONYMISED:
            # Encrypted fields store "" as NULL, which the columns refuse: the placeholder instead.
            message.subject = ANONYMISED
            message.body = ANONYMISED
            message.save(update_fields=["subject", "body"])
            count += 1
    return count


def erase_schools(person: Person, *, by: Any) -> dict[str, int]:
    """Idempotent: a second run finds nothing left to delete or clear and returns zeros (the counts of
    what is kept aside)."""
    students = Student.objects.filter(person=person)
    counts: dict[str, int] = {}

    # --- As a pupil ---
    counts["attendance_deleted"], _ = AttendanceRecord.objects.filter(student__in=students).delete()
    counts["results_deleted"], _ = ResultRecord.objects.filter(student__in=students).delete()
    counts["behaviour_notes_deleted"], _ = BehaviourNote.objects.filter(student__in=students).delete()
    counts["risk_explanations_cleared"] = (
        RiskSignal.objects.filter(student__in=students).exclude(indicators=[]).update(indicators=[])
    )
    # Why an alert was dismissed is free text about the pupil (null once cleared: idempotent).
    counts["risk_review_notes_cleared"] = RiskSignal.objects.filter(
        student__in=students, review_note__isnull=False
    ).update(review_note=None)
    counts["intervention_notes_cleared"] = (
        Intervention.objects.filter(student__in=students).exclude(outcome_note="").update(outcome_note="")
    )
    counts["messages_cleared"] = _clear_messages(FamilyMessage.objects.filter(student__in=students))

    # Help-desk case files: those about this pupil alone lose their notes and free text; a family's
    # file (several pupils) keeps its notes for the others and only drops this pupil.
    cases = SupportCase.objects.filter(
        pk__in=SupportCase.students.through.objects.filter(student__in=students).values("supportcase_id")
    ).annotate(pupils=Count("students", distinct=True))
    own_cases = SupportCase.objects.filter(pk__in=[case.pk for case in cases if case.pupils == 1])
    shared_cases = [case for case in cases if case.pupils > 1]
    counts["case_notes_deleted"], _ = SupportCaseNote.objects.filter(case__in=own_cases).delete()
    counts["cases_anonymised"] = own_cases.exclude(title=ANONYMISED, closing_note="").update(
        title=ANONYMISED, closing_note=""
    )
    counts["case_history_cleared"] = (
        apps.get_model("schools", "SupportCaseEvent")
        .objects.filter(pgh_obj__in=own_cases)
        .exclude(title=ANONYMISED)
        .update(title=ANONYMISED)
    )
    counts["case_actions_anonymised"] = (
        SupportAction.objects.filter(case__in=own_cases)
        .exclude(title=ANONYMISED, outcome="")
        .update(title=ANONYMISED, outcome="")
    )
    counts["family_cases_left"] = 0
    for case in shared_cases:
        case.students.remove(*students)
        counts["family_cases_left"] += 1

    counts["desk_bookings_cleared"] = (
        DeskSlot.objects.filter(booked_student__in=students)
        .filter(Q(notes__isnull=False) | ~Q(booked_family_name=""))
        .update(notes=None, booked_family_name="")
    )
    counts["desk_visits_cleared"] = (
        WalkIn.objects.filter(student__in=students)
        .filter(Q(notes__isnull=False) | ~Q(visitor_name=""))
        .update(notes=None, visitor_name="")
    )

    # The pupil's guardians stay (they are people of their own) but are no longer tied to this pupil.
    pupil_guardians = Guardian.objects.filter(student__in=students)
    parents = list(pupil_guardians.values_list("person_id", "student__school_id"))
    counts["guardianships_of_pupil_deleted"], _ = pupil_guardians.delete()
    for parent_id, school_id in parents:
        if not Guardian.objects.filter(person_id=parent_id, student__school_id=school_id).exists():
            PersonLink.objects.filter(
                person_id=parent_id, organisation_id=school_id, reason=LINK_GUARDIAN, ended_at__isnull=True
            ).update(ended_at=timezone.now())

    counts["students_anonymised"] = 0
    for student in students.filter(Q(sensitive_notes__isnull=False) | ~Q(register_id="")):
        student.sensitive_notes = None  # type: ignore[assignment]
        student.register_id = ""
        student.save(update_fields=["sensitive_notes", "register_id", "updated_at"])
        counts["students_anonymised"] += 1
    # The write history keeps every earlier version of the pupil's record, with the register id.
    counts["student_history_cleared"] = (
        apps.get_model("schools", "StudentEvent")
        .objects.filter(pgh_obj__in=students)
        .exclude(register_id="")
        .update(register_id="")
    )
    counts["course_enrolments_kept"] = Enrolment.objects.filter(student__in=students).count()
    counts["students_kept"] = students.count()

    # --- As a guardian ---
    guardianships = Guardian.objects.filter(person=person)
    counts["messages_to_guardian_cleared"] = _clear_messages(FamilyMessage.objects.filter(guardian__in=guardianships))
    counts["guardian_history_deleted"], _ = (
        apps.get_model("schools", "GuardianEvent").objects.filter(person=person).delete()
    )
    counts["guardianships_deleted"], _ = guardianships.delete()
    return counts


register_person_data("schools", export=export_schools, erase=erase_schools)
