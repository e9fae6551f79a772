"""Retention policies of the schools app (aipim.core.retention registry). The reasons for each period
are in docs/privacy.md §3.

- Register records (attendance, results, behaviour notes) and risk signals of a pupil who left, per
  pupil:
  SCHOOLS_RECORDS_RETENTION_DAYS after leaving (default five years, as the core keeps a person no
  organisation follows: the school path and the fund's audits both need them that long). A pupil who
  left has no open link to the school, so the core policy (`core.person`) anonymises them five years
  after that too, with this app's eraser; these policies also reach pupils who are still followed
  elsewhere (a PUA desk, another school), whose old school details are no longer needed.
- Sensitive notes of a pupil who left: one year after leaving (they serve the support while the pupil
  is at the school; a year covers a return or the hand-over to the next school).
- Help-desk case notes: five years after the case file was closed (as PUA case notes).
- Messages to families: two years after they were written (long enough to show that the school
  told the family, e.g. about absences, through the next school year).
- Walk-in notes and visitors' names, and the notes and family names of desk bookings: two years.
- Uploaded register files (the whole class's data): 180 days after upload, file and row; what was
  imported lives in the records above.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from aipim.core.retention import RetentionPolicy, delete_all, register_policy
from schools.models import (
    AttendanceRecord,
    BehaviourNote,
    DeskSlot,
    FamilyMessage,
    RegisterImport,
    ResultRecord,
    RiskSignal,
    Student,
    SupportCase,
    SupportCaseNote,
    WalkIn,
)

SENSITIVE_NOTES_KEEP_FOR = timedelta(days=365)
MESSAGES_KEEP_FOR = timedelta(days=2 * 365)
DESK_NOTES_KEEP_FOR = timedelta(days=2 * 365)
REGISTER_FILES_KEEP_FOR = timedelta(days=180)


def records_keep_for() -> timedelta:
    return timedelta(days=getattr(settings, "SCHOOLS_RECORDS_RETENTION_DAYS", 5 * 365))


def case_notes_keep_for() -> timedelta:
    return timedelta(days=getattr(settings, "SCHOOLS_CASE_RETENTION_DAYS", 5 * 365))


def _left_before(cutoff: datetime) -> QuerySet[Student]:
    return Student.objects.filter(left_on__lt=cutoff.date())


def student_records_due(now: datetime) -> QuerySet[Student]:
    """Pupils who left before the period and still have register records or risk signals. The policy
    works per pupil (not per row): a school year is ~200 attendance rows a pupil, and the audit entry
    of a run lists the ids it handled."""
    students = _left_before(now - records_keep_for())
    return students.filter(
        Exists(AttendanceRecord.objects.filter(student=OuterRef("pk")))
        | Exists(ResultRecord.objects.filter(student=OuterRef("pk")))
        | Exists(BehaviourNote.objects.filter(student=OuterRef("pk")))
        | Exists(RiskSignal.objects.filter(student=OuterRef("pk")))
    )


def delete_student_records(students: QuerySet[Student]) -> int:
    """Delete the register records and risk signals of `students`; returns how many pupils."""
    ids = list(students.values_list("pk", flat=True))
    for model in (AttendanceRecord, ResultRecord, BehaviourNote, RiskSignal):
        model.objects.filter(student__in=ids).delete()  # type: ignore[attr-defined]
    return len(ids)


def sensitive_notes_due(now: datetime) -> QuerySet[Student]:
    return _left_before(now - SENSITIVE_NOTES_KEEP_FOR).filter(sensitive_notes__isnull=False)


def clear_sensitive_notes(students: QuerySet[Student]) -> int:
    return students.update(sensitive_notes=None)


def case_notes_due(now: datetime) -> QuerySet[SupportCaseNote]:
    closed = SupportCase.objects.filter(status=SupportCase.Status.CLOSED, closed_at__lt=now - case_notes_keep_for())
    return SupportCaseNote.objects.filter(case__in=closed)


def messages_due(now: datetime) -> QuerySet[FamilyMessage]:
    return FamilyMessage.objects.filter(created_at__lt=now - MESSAGES_KEEP_FOR)


def walk_ins_due(now: datetime) -> QuerySet[WalkIn]:
    return WalkIn.objects.filter(at__lt=now - DESK_NOTES_KEEP_FOR).filter(Q(notes__isnull=False) | ~Q(visitor_name=""))


def clear_walk_ins(walk_ins: QuerySet[WalkIn]) -> int:
    return walk_ins.update(notes=None, visitor_name="")


def desk_slots_due(now: datetime) -> QuerySet[DeskSlot]:
    return DeskSlot.objects.filter(ends_at__lt=now - DESK_NOTES_KEEP_FOR).filter(
        Q(notes__isnull=False) | ~Q(booked_family_name="")
    )


def clear_desk_slots(slots: QuerySet[DeskSlot]) -> int:
    return slots.update(notes=None, booked_family_name="")


def register_files_due(now: datetime) -> QuerySet[RegisterImport]:
    return RegisterImport.objects.filter(created_at__lt=now - REGISTER_FILES_KEEP_FOR)


def delete_register_imports(imports: QuerySet[RegisterImport]) -> int:
    count = 0
    for register_import in imports:
        # The file first: a row without its file is harmless, a file without its row is a leak.
        if register_import.file:
            register_import.file.delete(save=False)
        register_import.delete()
        count += 1
    return count


for policy in (
    RetentionPolicy(
        key="schools.student_records",
        label=_("Attendance, grades, behaviour notes and risk signals of pupils who left school"),
        keep_for=records_keep_for,
        due=student_records_due,
        apply=delete_student_records,
        action="delete",
    ),
    RetentionPolicy(
        key="schools.sensitive_notes",
        label=_("Sensitive notes of pupils who left school"),
        keep_for=SENSITIVE_NOTES_KEEP_FOR,
        due=sensitive_notes_due,
        apply=clear_sensitive_notes,
        action="anonymise",
    ),
    RetentionPolicy(
        key="schools.supportcasenote",
        label=_("Notes of closed help-desk case files"),
        keep_for=case_notes_keep_for,
        due=case_notes_due,
        apply=delete_all,
        action="delete",
    ),
    RetentionPolicy(
        key="schools.familymessage",
        label=_("Messages to pupils' families"),
        keep_for=MESSAGES_KEEP_FOR,
        due=messages_due,
        apply=delete_all,
        action="delete",
    ),
    RetentionPolicy(
        key="schools.walkin",
        label=_("Notes and visitors' names of help-desk walk-ins"),
        keep_for=DESK_NOTES_KEEP_FOR,
        due=walk_ins_due,
        apply=clear_walk_ins,
        action="anonymise",
    ),
    RetentionPolicy(
        key="schools.deskslot",
        label=_("Notes and family names of help-desk bookings"),
        keep_for=DESK_NOTES_KEEP_FOR,
        due=desk_slots_due,
        apply=clear_desk_slots,
        action="anonymise",
    ),
    RetentionPolicy(
        key="schools.registerimport",
        label=_("Uploaded electronic-register files"),
        keep_for=REGISTER_FILES_KEEP_FOR,
        due=register_files_due,
        apply=delete_register_imports,
        action="delete",
    ),
):
    register_policy(policy)
