"""Writes about students: enrol (a new or an existing core Person), update, add a guardian, record a
guardian's consent by purpose, record that a student left. Each owns its transaction and audit.

A student is a minor: consents are recorded on the student's Person, with the name of the guardian who
gave them (Consent.given_by_name). The people (pupils and guardians) are linked to the school through
core PersonLinks, which is what lets the school's staff see them in the core pages."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from aipim.accounts.models import SCHOOL_ROLES
from aipim.core import audit
from aipim.core.models import Consent, Organisation, Person
from aipim.core.services import (
    give_consent,
    has_consent,
    link_person,
    unlink_person,
    update_person,
    withdraw_consent,
)
from schools.models import LINK_GUARDIAN, LINK_STUDENT, Guardian, SchoolClass, Student
from schools.selectors import SCHOOL_PURPOSES

# Fields of Student a service may set (the others are the system's: risk, timestamps, school).
STUDENT_FIELDS = frozenset(
    {
        "school_class",
        "register_id",
        "arrived_in_italy_on",
        "first_language",
        "referent",
        "enrolled_on",
        "sensitive_notes",
    }
)


def check_school(school: Organisation | int, by: Any) -> None:
    """Only the school's own staff enrol and change its pupils."""
    school_id = school if isinstance(school, int) else school.pk
    if school_id not in by.organisation_ids(*SCHOOL_ROLES):
        raise PermissionDenied(_("You can change only the pupils of your own school."))


def _check_fields(school_id: int, fields: dict[str, Any], *, student_pk: int | None = None) -> None:
    unknown = set(fields) - STUDENT_FIELDS
    if unknown:
        raise TypeError(f"not a student field: {', '.join(sorted(unknown))}")
    school_class: SchoolClass | None = fields.get("school_class")
    if school_class is not None and school_class.school_id != school_id:
        raise ValidationError(_("The class belongs to another school."))
    referent = fields.get("referent")
    if referent is not None and school_id not in referent.organisation_ids(*SCHOOL_ROLES):
        raise ValidationError(_("The referent must be a member of the school's staff."))
    register_id = fields.get("register_id")
    if register_id:
        clash = Student.objects.filter(school_id=school_id, register_id=register_id)
        if student_pk is not None:
            clash = clash.exclude(pk=student_pk)
        if clash.exists():
            raise ValidationError(_("Another pupil of the school has this register id."))


def _record_consents(
    *,
    student: Student,
    purposes: Iterable[str],
    evidence: str,
    given_by_name: str,
    by: Any,
) -> list[Consent]:
    """Record each school purpose not already in force."""
    recorded = []
    for purpose in dict.fromkeys(purposes):
        if purpose not in SCHOOL_PURPOSES:
            raise ValidationError(_("A school records only the school's consents."))
        if has_consent(student.person, purpose):
            continue
        recorded.append(
            give_consent(
                person=student.person,
                purpose=purpose,
                organisation=student.school,
                evidence=evidence,
                given_by_name=given_by_name,
                by=by,
            )
        )
    return recorded


@transaction.atomic
def enrol_student(
    *,
    school: Organisation,
    by: Any,
    person: Person | None = None,
    person_fields: dict[str, Any] | None = None,
    purposes: Iterable[str] = (),
    evidence: str = "",
    given_by_name: str = "",
    possible_duplicate_confirmed: bool = False,
    **fields: Any,
) -> Student:
    """Enrol a pupil at `school`: an existing Person (`person`, found by searching first) or a new
    one (`person_fields`); link them to the school, record the consents given now by a guardian, and
    create the Student (`fields`: school_class, register_id, arrived_in_italy_on, first_language,
    referent, enrolled_on, sensitive_notes)."""
    check_school(school, by)
    if school.kind != Organisation.Kind.SCHOOL:
        raise ValidationError(_("Pupils are enrolled at schools only."))
    _check_fields(school.pk, fields)
    purposes = list(purposes)
    if purposes and not evidence:
        raise ValidationError(_("Say how the consent was given."))
    if person is None:
        if not person_fields:
            raise ValueError("enrol_student needs a person or person_fields")
        person = Person.objects.create(**person_fields)
        audit.record(
            by,
            "person.create",
            person,
            organisation=school,
            possible_duplicate_confirmed=possible_duplicate_confirmed,
        )
    elif Student.objects.filter(person=person, school=school, left_on__isnull=True).exists():
        raise ValidationError(_("This person is already a pupil of the school."))
    link_person(person=person, organisation=school, reason=LINK_STUDENT, by=by)
    student = Student.objects.create(person=person, school=school, **fields)
    audit.record(by, "student.create", student, organisation=school, person=person.pk)
    _record_consents(student=student, purposes=purposes, evidence=evidence, given_by_name=given_by_name, by=by)
    return student


@transaction.atomic
def update_student(*, student: Student, by: Any, person_fields: dict[str, Any] | None = None, **fields: Any) -> Student:
    """Change a pupil's school record (`fields`) and their Person (`person_fields`: names, birth
    date...). The audit record lists the names of the fields that changed, never their values."""
    check_school(student.school_id, by)
    _check_fields(student.school_id, fields, student_pk=student.pk)
    changed = sorted(name for name, value in fields.items() if getattr(student, name) != value)
    for name in changed:
        setattr(student, name, fields[name])
    if changed:
        student.save(update_fields=[*changed, "updated_at"])
        audit.record(by, "student.change", student, organisation=student.school, fields=changed)
    if person_fields:
        person_changed = {
            name: value for name, value in person_fields.items() if getattr(student.person, name) != value
        }
        if person_changed:
            update_person(person=student.person, by=by, **person_changed)
    return student


@transaction.atomic
def record_leaving(*, student: Student, by: Any, left_on: datetime.date, reason: str) -> Student:
    """The pupil left the school (finished, moved, dropped out). The record stays, read-only in
    spirit, until the retention policies erase it (see schools/retention.py)."""
    check_school(student.school_id, by)
    if reason not in Student.LeavingReason.values:
        raise ValidationError(_("Choose why the pupil left."))
    if left_on < student.enrolled_on:
        raise ValidationError(_("A pupil cannot leave before enrolling."))
    student.left_on = left_on
    student.leaving_reason = reason
    student.save(update_fields=["left_on", "leaving_reason", "updated_at"])
    audit.record(by, "student.leave", student, organisation=student.school, reason=reason)
    end_links_after_leaving(student, by=by)
    return student


def end_links_after_leaving(student: Student, *, by: Any) -> None:
    """The school stops following the pupil as a Person (the core pages), and the guardians who have
    no other pupil at the school. The pupil's school record stays in the school's lists (Student is
    scoped by school, not by link) until the retention policies; once every organisation's link has
    ended, the core's policy anonymises the person after its period (schools/retention.py)."""
    school = student.school
    current = Student.objects.filter(school=school, left_on__isnull=True)
    if not current.filter(person=student.person_id).exists():
        unlink_person(person=student.person, organisation=school, reason=LINK_STUDENT, by=by)
    for guardian in student.guardians.select_related("person"):
        if not Guardian.objects.filter(person=guardian.person_id, student__in=current).exists():
            unlink_person(person=guardian.person, organisation=school, reason=LINK_GUARDIAN, by=by)


@transaction.atomic
def add_guardian(
    *,
    student: Student,
    by: Any,
    relationship: str,
    is_primary_contact: bool = False,
    person: Person | None = None,
    person_fields: dict[str, Any] | None = None,
) -> Guardian:
    """Add a parent or guardian: an existing Person (e.g. already the guardian of a sibling) or a new
    one; link them to the school. A new primary contact replaces the previous one."""
    check_school(student.school_id, by)
    if person is None:
        if not person_fields:
            raise ValueError("add_guardian needs a person or person_fields")
        person = Person.objects.create(**person_fields)
        audit.record(by, "person.create", person, organisation=student.school)
    elif person.pk == student.person_id:
        raise ValidationError(_("A pupil cannot be their own guardian."))
    elif Guardian.objects.filter(student=student, person=person).exists():
        raise ValidationError(_("This person is already a guardian of the pupil."))
    link_person(person=person, organisation=student.school, reason=LINK_GUARDIAN, by=by)
    if is_primary_contact:
        student.guardians.filter(is_primary_contact=True).update(is_primary_contact=False)
    elif not student.guardians.exists():
        is_primary_contact = True  # the first guardian is the one the school contacts
    guardian = Guardian.objects.create(
        student=student, person=person, relationship=relationship, is_primary_contact=is_primary_contact
    )
    audit.record(by, "guardian.create", guardian, organisation=student.school, student=student.pk)
    return guardian


@transaction.atomic
def record_consent(
    *, student: Student, by: Any, purpose: str, evidence: str, given_by_name: str = ""
) -> Consent | None:
    """A guardian gives consent to a school purpose for the pupil (None if already in force)."""
    check_school(student.school_id, by)
    if not evidence:
        raise ValidationError(_("Say how the consent was given."))
    recorded = _record_consents(
        student=student, purposes=[purpose], evidence=evidence, given_by_name=given_by_name, by=by
    )
    return recorded[0] if recorded else None


@transaction.atomic
def withdraw_student_consent(*, student: Student, consent: Consent, by: Any) -> Consent:
    """The guardian withdraws a consent to a school purpose."""
    check_school(student.school_id, by)
    if consent.person_id != student.person_id or consent.purpose not in SCHOOL_PURPOSES:
        raise PermissionDenied(_("This consent is not one of the pupil's school consents."))
    return withdraw_consent(consent=consent, by=by)
