"""The schools' part of access and erasure requests, and their retention policies."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from aipim.core import retention
from aipim.core.models import PersonLink
from aipim.core.privacy import ANONYMISED, erase_person, export_person, registered_handlers
from schools.models import (
    LINK_GUARDIAN,
    LINK_STUDENT,
    AttendanceRecord,
    BehaviourNote,
    Course,
    DeskSlot,
    Enrolment,
    FamilyMessage,
    Guardian,
    HelpDesk,
    Intervention,
    RegisterImport,
    ResultRecord,
    RiskSignal,
    Student,
    SupportCase,
    SupportCaseNote,
    WalkIn,
)
from schools.services.students import record_leaving

pytestmark = pytest.mark.django_db


@pytest.fixture
def full_record(student_potenza: Student, operator_school_potenza, school_potenza, school_year, make_student):
    """Everything the schools hold about Amina: records, signals, help desk, courses, messages; and a
    sibling sharing a family case file."""
    student = student_potenza
    today = datetime.date.today()
    AttendanceRecord.objects.create(student=student, date=today, status="absent", absent_hours=Decimal("5"))
    ResultRecord.objects.create(student=student, date=today, subject="Matematica", grade=Decimal("4.5"))
    BehaviourNote.objects.create(student=student, date=today, text="Left the classroom twice.", text_hash="x")
    signal = RiskSignal.objects.create(
        student=student,
        level="high",
        score=5,
        indicators=[{"code": "attendance_30", "value": "0.6"}],
        review="dismissed",
        review_note="The family moved to Milan last week.",
    )
    Intervention.objects.create(
        student=student, kind="tutoring", outcome_note="Talked with the mother.", created_by=operator_school_potenza
    )
    desk = HelpDesk.objects.create(school=school_potenza, name="Sportello", languages=["ar"])
    now = timezone.now()
    DeskSlot.objects.create(
        help_desk=desk,
        starts_at=now,
        ends_at=now + datetime.timedelta(hours=1),
        mediator_name="M",
        language="ar",
        status="booked",
        booked_student=student,
        booked_family_name="Haddad",
        notes="Mother worried about the permit.",
    )
    WalkIn.objects.create(
        help_desk=desk,
        student=student,
        visitor_name="Fatima Haddad",
        topic="documents",
        notes="Brought the papers.",
        handled_by=operator_school_potenza,
    )
    own_case = SupportCase.objects.create(
        school=school_potenza, title="Amina Haddad – absences", opened_by=operator_school_potenza, origin_signal=signal
    )
    own_case.students.add(student)
    SupportCaseNote.objects.create(case=own_case, author=operator_school_potenza, body="Phoned the family.")
    sibling = make_student(school_potenza, given_names="Youssef", family_names="Haddad")
    family_case = SupportCase.objects.create(
        school=school_potenza, title="Haddad family", opened_by=operator_school_potenza
    )
    family_case.students.add(student, sibling)
    SupportCaseNote.objects.create(case=family_case, author=operator_school_potenza, body="Both children.")
    course = Course.objects.create(
        school=school_potenza,
        kind="italian_l2",
        cefr_level="A2",
        title="Italiano A2",
        teacher_name="T",
        starts_on=school_year.starts_on,
        ends_on=school_year.ends_on,
        hours_planned=30,
        school_year=school_year,
    )
    Enrolment.objects.create(course=course, student=student)
    guardian = student.guardians.get()
    FamilyMessage.objects.create(
        student=student,
        guardian=guardian,
        language="ar",
        subject="غياب",
        body="عزيزتي فاطمة",
        created_by=operator_school_potenza,
    )
    return {"student": student, "own_case": own_case, "family_case": family_case, "sibling": sibling}


def test_schools_part_is_registered() -> None:
    assert "schools" in {handler.name for handler in registered_handlers()}


def test_export_of_a_pupil(full_record, operator_school_potenza) -> None:
    student = full_record["student"]
    export = export_person(student.person, by=operator_school_potenza)["sections"]["schools"]
    pupil = export["as_pupil"][0]
    assert pupil["sensitive_notes"] == "Father's residence permit under renewal."
    assert pupil["class"]["name"] == "2B"
    assert pupil["attendance"][0]["status"] == "absent"
    assert pupil["results"][0]["grade"] == "4.50"
    assert pupil["behaviour_notes"][0]["text"] == "Left the classroom twice."
    assert pupil["risk_signals"][0]["level"] == "high"
    assert pupil["risk_signals"][0]["review"] == "dismissed"
    assert pupil["risk_signals"][0]["review_note"] == "The family moved to Milan last week."
    assert {case["title"] for case in pupil["help_desk_cases"]} == {"Amina Haddad – absences", "Haddad family"}
    assert pupil["help_desk_bookings"][0]["notes"] == "Mother worried about the permit."
    assert pupil["help_desk_visits"][0]["notes"] == "Brought the papers."
    assert pupil["courses"][0]["course"] == "Italiano A2"
    assert pupil["messages_to_family"][0]["body"] == "عزيزتي فاطمة"
    assert export["as_guardian"] == []


def test_export_of_a_guardian(full_record, operator_school_potenza) -> None:
    guardian = full_record["student"].guardians.get()
    export = export_person(guardian.person, by=operator_school_potenza)["sections"]["schools"]
    assert export["as_pupil"] == []
    assert export["as_guardian"][0]["relationship"] == "mother"
    assert export["as_guardian"][0]["messages"][0]["subject"] == "غياب"


def test_erase_a_pupil_keeps_statistics_and_is_idempotent(full_record, operator_school_potenza) -> None:
    student = full_record["student"]
    guardian_person = student.guardians.get().person
    counts = erase_person(student.person, by=operator_school_potenza, reason="request")["schools"]

    assert counts["attendance_deleted"] == 1
    assert not AttendanceRecord.objects.filter(student=student).exists()
    assert not ResultRecord.objects.filter(student=student).exists()
    assert not BehaviourNote.objects.filter(student=student).exists()
    signal = RiskSignal.objects.get(student=student)
    assert signal.level == "high" and signal.indicators == []
    assert signal.review == "dismissed" and signal.review_note is None  # the decision stays, its reason goes
    assert Intervention.objects.get(student=student).outcome_note == ""
    message = FamilyMessage.objects.get(student=student)
    assert message.subject == ANONYMISED and message.body == ANONYMISED
    own_case = SupportCase.objects.get(pk=full_record["own_case"].pk)
    assert own_case.title == ANONYMISED
    assert not own_case.notes.exists()
    family_case = SupportCase.objects.get(pk=full_record["family_case"].pk)
    assert list(family_case.students.all()) == [full_record["sibling"]]
    assert family_case.notes.count() == 1
    slot = DeskSlot.objects.get(booked_student=student)
    assert slot.notes is None and slot.booked_family_name == ""
    visit = WalkIn.objects.get(student=student)
    assert visit.notes is None and visit.visitor_name == ""
    student.refresh_from_db()
    assert student.sensitive_notes is None and student.register_id == ""
    assert student.school_class is not None and student.risk_level == "none"
    from django.apps import apps

    assert (
        not apps.get_model("schools", "StudentEvent").objects.filter(pgh_obj=student).exclude(register_id="").exists()
    )
    assert Enrolment.objects.filter(student=student).exists()
    # The mother stays a person of her own but is no longer the guardian of an erased pupil, and the
    # school stops following her (she has no other child there).
    assert not Guardian.objects.filter(student=student).exists()
    assert not PersonLink.objects.filter(person=guardian_person, reason=LINK_GUARDIAN, ended_at__isnull=True).exists()

    again = erase_person(student.person, by=operator_school_potenza, reason="request")["schools"]
    kept = {"students_kept", "course_enrolments_kept"}
    assert {key: value for key, value in again.items() if key not in kept and value} == {}


def test_erase_a_guardian(full_record, operator_school_potenza) -> None:
    student = full_record["student"]
    guardian = student.guardians.get()
    erase_person(guardian.person, by=operator_school_potenza, reason="request")
    assert not Guardian.objects.filter(pk=guardian.pk).exists()
    message = FamilyMessage.objects.get(student=student)
    assert message.subject == ANONYMISED and message.guardian is None
    student.refresh_from_db()
    assert student.sensitive_notes  # the pupil's own record is not the guardian's to erase


def test_leaving_ends_the_links_and_the_pupil_stays_findable(
    student_potenza: Student, operator_school_potenza, client_for
) -> None:
    from django.urls import reverse

    guardian = student_potenza.guardians.get()
    record_leaving(student=student_potenza, by=operator_school_potenza, left_on=datetime.date.today(), reason="moved")
    open_links = PersonLink.objects.filter(ended_at__isnull=True)
    assert not open_links.filter(person=student_potenza.person, reason=LINK_STUDENT).exists()
    assert not open_links.filter(person=guardian.person, reason=LINK_GUARDIAN).exists()
    client = client_for(operator_school_potenza)
    found = client.post(reverse("schools:student_enrol"), {"name": "Amina Haddad"})
    assert [p.pk for p in found.context["results"]] == [student_potenza.person_id]
    assert found.context["elsewhere"] == 0
    assert client.get(reverse("schools:student_detail", args=[student_potenza.pk])).status_code == 200


# --- Retention ----------------------------------------------------------------------------------


SCHOOL_KEYS = {
    "schools.student_records",
    "schools.sensitive_notes",
    "schools.supportcasenote",
    "schools.familymessage",
    "schools.walkin",
    "schools.deskslot",
    "schools.registerimport",
}


def test_policies_are_registered_and_documented() -> None:
    keys = {policy.key for policy in retention.registered_policies()}
    assert keys >= SCHOOL_KEYS
    document = (Path(__file__).resolve().parents[2] / "docs" / "privacy.md").read_text()
    for key in SCHOOL_KEYS:
        assert f"`{key}`" in document


def test_retention_of_a_pupil_who_left(full_record, operator_school_potenza, school_potenza) -> None:
    student = full_record["student"]
    left_on = datetime.date.today() - datetime.timedelta(days=30)
    student.enrolled_on = left_on - datetime.timedelta(days=300)
    student.left_on = left_on
    student.save()
    now = timezone.now()

    retention.apply_retention(now)
    student.refresh_from_db()
    assert student.sensitive_notes  # not yet
    assert AttendanceRecord.objects.filter(student=student).exists()

    retention.apply_retention(now + datetime.timedelta(days=400))
    student.refresh_from_db()
    assert student.sensitive_notes is None
    assert AttendanceRecord.objects.filter(student=student).exists()
    assert FamilyMessage.objects.exists()

    retention.apply_retention(now + datetime.timedelta(days=800))
    assert not FamilyMessage.objects.exists()
    assert WalkIn.objects.get(student=student).notes is None
    assert DeskSlot.objects.get(booked_student=student).booked_family_name == ""
    assert AttendanceRecord.objects.filter(student=student).exists()
    assert SupportCaseNote.objects.count() == 2  # the case files are still open

    case = full_record["own_case"]
    case.status, case.closed_at = "closed", now
    case.save()
    retention.apply_retention(now + datetime.timedelta(days=5 * 365 + 40))
    for model in (AttendanceRecord, ResultRecord, BehaviourNote, RiskSignal):
        assert not model.objects.filter(student=student).exists(), model
    assert Student.objects.filter(pk=student.pk).exists()
    assert list(SupportCaseNote.objects.values_list("case_id", flat=True)) == [full_record["family_case"].pk]
    # One audit entry per policy and run, listing the pupils (not the thousands of rows).
    from aipim.core.models import AuditEvent

    purge = AuditEvent.objects.filter(action="retention.purge", details__policy="schools.student_records").latest("pk")
    assert purge.details["ids"] == [str(student.pk)]
    # A second run finds nothing left to do.
    retention.apply_retention(now + datetime.timedelta(days=5 * 365 + 40))
    assert (
        AuditEvent.objects.filter(action="retention.purge", details__policy="schools.student_records")
        .latest("pk")
        .details["count"]
        == 0
    )


def test_register_files_are_deleted_after_180_days(school_potenza, operator_school_potenza) -> None:
    upload = RegisterImport.objects.create(
        school=school_potenza,
        kind="attendance",
        original_name="assenze.csv",
        sha256="0" * 64,
        created_by=operator_school_potenza,
        created_at=timezone.now() - datetime.timedelta(days=181),
    )
    upload.file.save("x", ContentFile(b"alunno;data\n"), save=True)
    name = upload.file.name
    storage = upload.file.storage
    assert storage.exists(name)
    retention.apply_retention(timezone.now())
    assert not RegisterImport.objects.filter(pk=upload.pk).exists()
    assert not storage.exists(name)
