"""The school help desk (sportello): desks and their opening hours, bookable slots with a cultural
mediator, the walk-in log, and the support case file for a student or a family (notes, actions,
hand-off to a PUA desk). `open_case_from_risk` is how the early warning opens a case.

Who may do what: the help-desk operators of a school configure its desks and slots; every school
role of the school (operators and staff) books, logs walk-ins and works on cases."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from aipim.accounts.models import SCHOOL_ROLES, Role, users_with_role
from aipim.core import audit
from aipim.core.models import Consent, Organisation, Person
from aipim.core.services import link_person, require_consent
from schools.models import (
    DeskSlot,
    HelpDesk,
    MessageTemplate,
    OpeningHours,
    RiskSettings,
    RiskSignal,
    Student,
    SupportAction,
    SupportCase,
    SupportCaseNote,
    WalkIn,
)

# The PersonLink reason of a hand-off: the PUA desk then finds the person at intake.
HANDOFF_REASON = "school_handoff"
# The template of the message a risk case proposes to the family.
RISK_TEMPLATE = "risk"
logger = logging.getLogger(__name__)


def school_ids(user: Any) -> set[int]:
    """Schools where the user works (any school role)."""
    if not user.is_authenticated:
        return set()
    return user.organisation_ids(*SCHOOL_ROLES)


def operator_school_ids(user: Any) -> set[int]:
    if not user.is_authenticated:
        return set()
    return user.organisation_ids(Role.SCHOOL_OPERATOR)


def require_school(user: Any, school_id: int, *, operator: bool = False) -> None:
    allowed = operator_school_ids(user) if operator else school_ids(user)
    if school_id not in allowed:
        raise PermissionDenied


# --- Desks and opening hours -------------------------------------------------------------------


@transaction.atomic
def save_desk(*, desk: HelpDesk, by: Any) -> HelpDesk:
    """Create or change a desk (the form built it); only the school's operators."""
    require_school(by, desk.school_id, operator=True)
    if desk.site is not None and desk.site.school_id != desk.school_id:
        raise ValidationError(_("The site belongs to another school."))
    created = desk.pk is None
    desk.save()
    audit.record(by, "helpdesk.create" if created else "helpdesk.change", desk, organisation=desk.school)
    return desk


@transaction.atomic
def set_opening_hours(
    *, desk: HelpDesk, hours: Iterable[tuple[int, datetime.time, datetime.time]], by: Any
) -> list[OpeningHours]:
    """Replace the desk's weekly opening hours with `hours` (weekday 0 = Monday, opens, closes)."""
    require_school(by, desk.school_id, operator=True)
    rows = []
    for weekday, opens, closes in hours:
        if not 0 <= weekday <= 6:
            raise ValidationError(_("Choose a day of the week."))
        if closes <= opens:
            raise ValidationError(_("The desk must close after it opens."))
        rows.append(OpeningHours(help_desk=desk, weekday=weekday, opens=opens, closes=closes))
    OpeningHours.objects.filter(help_desk=desk).delete()
    OpeningHours.objects.bulk_create(rows)
    audit.record(by, "helpdesk.hours", desk, organisation=desk.school, periods=len(rows))
    return rows


# --- Slots -------------------------------------------------------------------------------------


def _lock_desk(desk: HelpDesk) -> HelpDesk:
    # Slots of one desk are created one at a time: two operators must not both see a time free.
    return HelpDesk.objects.select_for_update().get(pk=desk.pk)


def overlapping_slots(
    desk: HelpDesk, starts_at: datetime.datetime, ends_at: datetime.datetime, *, mediator_name: str, mediator: Any
) -> QuerySet[DeskSlot]:
    same_mediator = (
        DeskSlot.objects.filter(mediator=mediator)
        if mediator
        else DeskSlot.objects.filter(help_desk=desk, mediator__isnull=True, mediator_name__iexact=mediator_name.strip())
    )
    return same_mediator.exclude(status=DeskSlot.Status.CANCELLED).filter(starts_at__lt=ends_at, ends_at__gt=starts_at)


@transaction.atomic
def create_slot(
    *,
    desk: HelpDesk,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    mediator_name: str,
    language: str,
    by: Any,
    mediator: Any = None,
) -> DeskSlot:
    """A free slot with a cultural mediator speaking `language`. A mediator cannot hold two slots
    at once (slots that overlap in time)."""
    require_school(by, desk.school_id, operator=True)
    if ends_at <= starts_at:
        raise ValidationError(_("The slot must end after it starts."))
    if not desk.active:
        raise ValidationError(_("This desk is closed: open it again before adding slots."))
    if not (mediator_name.strip() or mediator):
        raise ValidationError(_("Name the cultural mediator."))
    desk = _lock_desk(desk)
    if overlapping_slots(desk, starts_at, ends_at, mediator_name=mediator_name, mediator=mediator).exists():
        raise ValidationError(_("The mediator already has a slot at that time."))
    slot = DeskSlot.objects.create(
        help_desk=desk,
        starts_at=starts_at,
        ends_at=ends_at,
        mediator_name=mediator_name.strip() or (mediator.get_full_name() if mediator else ""),
        mediator=mediator,
        language=language,
        status=DeskSlot.Status.FREE,
    )
    audit.record(by, "deskslot.create", slot, organisation=desk.school)
    return slot


def _locked_slot(slot: DeskSlot) -> DeskSlot:
    # Lock the slot row: two bookings of the last free slot must not both see it free.
    return DeskSlot.objects.select_for_update(of=("self",)).select_related("help_desk__school").get(pk=slot.pk)


@transaction.atomic
def book_slot(*, slot: DeskSlot, by: Any, student: Student | None = None, family_name: str = "") -> DeskSlot:
    """Book a free slot for a student of the desk's school, or for a family by name."""
    slot = _locked_slot(slot)
    require_school(by, slot.help_desk.school_id)
    if slot.status != DeskSlot.Status.FREE:
        raise ValidationError(_("This slot is no longer free."))
    if student is None and not family_name.strip():
        raise ValidationError(_("Choose a student or write the family's name."))
    if student is not None and student.school_id != slot.help_desk.school_id:
        raise ValidationError(_("The student attends another school."))
    slot.status = DeskSlot.Status.BOOKED
    slot.booked_student = student
    slot.booked_family_name = family_name.strip()
    slot.booked_by = by
    slot.booked_at = timezone.now()
    slot.save(update_fields=["status", "booked_student", "booked_family_name", "booked_by", "booked_at"])
    audit.record(by, "deskslot.book", slot, organisation=slot.help_desk.school, student=student.pk if student else None)
    return slot


@transaction.atomic
def cancel_booking(*, slot: DeskSlot, by: Any) -> DeskSlot:
    """The family cannot come: the slot is free again for someone else."""
    slot = _locked_slot(slot)
    require_school(by, slot.help_desk.school_id)
    if slot.status != DeskSlot.Status.BOOKED:
        raise ValidationError(_("This slot is not booked."))
    slot.status = DeskSlot.Status.FREE
    slot.booked_student = None
    slot.booked_family_name = ""
    slot.booked_by = None
    slot.booked_at = None
    slot.save(update_fields=["status", "booked_student", "booked_family_name", "booked_by", "booked_at"])
    audit.record(by, "deskslot.cancel_booking", slot, organisation=slot.help_desk.school)
    return slot


@transaction.atomic
def cancel_slot(*, slot: DeskSlot, by: Any) -> DeskSlot:
    """The desk cancels the slot itself (e.g. the mediator is away); a booking on it is cancelled too."""
    slot = _locked_slot(slot)
    require_school(by, slot.help_desk.school_id, operator=True)
    if slot.status in (DeskSlot.Status.DONE, DeskSlot.Status.CANCELLED):
        raise ValidationError(_("This slot is already over or cancelled."))
    slot.status = DeskSlot.Status.CANCELLED
    slot.save(update_fields=["status"])
    audit.record(by, "deskslot.cancel", slot, organisation=slot.help_desk.school)
    return slot


@transaction.atomic
def mark_slot_done(*, slot: DeskSlot, by: Any, notes: str = "") -> DeskSlot:
    """The meeting took place; `notes` are stored encrypted."""
    slot = _locked_slot(slot)
    require_school(by, slot.help_desk.school_id)
    if slot.status != DeskSlot.Status.BOOKED:
        raise ValidationError(_("Only a booked slot can be marked as done."))
    slot.status = DeskSlot.Status.DONE
    slot.notes = notes  # type: ignore[assignment]
    slot.save(update_fields=["status", "notes"])
    audit.record(by, "deskslot.done", slot, organisation=slot.help_desk.school, notes=bool(notes))
    return slot


# --- Week view ---------------------------------------------------------------------------------


def week_bounds(monday: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = timezone.make_aware(datetime.datetime.combine(monday, datetime.time.min))
    end = timezone.make_aware(datetime.datetime.combine(monday + datetime.timedelta(days=7), datetime.time.min))
    return start, end


def days_of_week(monday: datetime.date, slots: list[DeskSlot]) -> list[tuple[datetime.date, list[DeskSlot]]]:
    days: dict[datetime.date, list[DeskSlot]] = {monday + datetime.timedelta(days=n): [] for n in range(7)}
    for slot in slots:
        days.setdefault(timezone.localtime(slot.starts_at).date(), []).append(slot)
    return list(days.items())


# --- Walk-ins ----------------------------------------------------------------------------------


@transaction.atomic
def log_walk_in(
    *,
    desk: HelpDesk,
    at: datetime.datetime,
    topic: str,
    by: Any,
    student: Student | None = None,
    visitor_name: str = "",
    language: str = "",
    notes: str = "",
) -> WalkIn:
    """Someone came to the desk without a booking. Notes are stored encrypted."""
    require_school(by, desk.school_id)
    if student is not None and student.school_id != desk.school_id:
        raise ValidationError(_("The student attends another school."))
    if student is None and not visitor_name.strip():
        raise ValidationError(_("Choose a student or write who came."))
    if at > timezone.now() + datetime.timedelta(minutes=5):
        raise ValidationError(_("A visit cannot be in the future."))
    walk_in = WalkIn.objects.create(
        help_desk=desk,
        at=at,
        student=student,
        visitor_name=visitor_name.strip(),
        language=language,
        topic=topic,
        notes=notes,
        handled_by=by,
    )
    audit.record(by, "walkin.create", walk_in, organisation=desk.school, topic=topic)
    return walk_in


# --- Support cases -----------------------------------------------------------------------------


@transaction.atomic
def open_case(
    *,
    school: Organisation,
    students: list[Student],
    title: str,
    by: Any,
    help_desk: HelpDesk | None = None,
    referent: Any = None,
) -> SupportCase:
    """A case file for one student or a family (several students of the same school)."""
    require_school(by, school.pk)
    if not students:
        raise ValidationError(_("Choose at least one student."))
    if any(student.school_id != school.pk for student in students):
        raise ValidationError(_("Every student of the case must attend this school."))
    if help_desk is not None and help_desk.school_id != school.pk:
        raise ValidationError(_("The help desk belongs to another school."))
    if not title.strip():
        raise ValidationError(_("Give the case a title."))
    case = SupportCase.objects.create(
        school=school,
        help_desk=help_desk,
        title=title.strip(),
        status=SupportCase.Status.OPEN,
        opened_by=by,
        opened_at=timezone.now(),
        referent=referent,
        origin=SupportCase.Origin.DESK,
    )
    case.students.set(students)
    audit.record(by, "supportcase.open", case, organisation=school, students=[s.pk for s in students])
    return case


def open_case_from_risk(*, student: Student, signal: RiskSignal, by: Any) -> SupportCase:
    """The case a high-risk signal opens (by the early warning, or the referent confirming it).

    Idempotent: a student has at most one open case opened from risk, and a second call returns it.
    Someone must act by today + the school's act_within_days; a draft message to the family, in
    their language, is proposed on the case's page. Without a user (`by` None: the nightly early
    warning) the case is recorded as opened by no one (`opened_by` None, "opened automatically by
    the early warning"), and the audit event has no user; either way the case is given, as its
    referent, to the student's referent, else the class coordinator, else a help-desk operator.
    Without a user, raises ValidationError when the school has none of them."""
    with transaction.atomic():
        # Lock the student: two recomputations racing must open one case, not two.
        student = Student.objects.select_for_update(of=("self",)).select_related("school").get(pk=student.pk)
        existing = (
            SupportCase.objects.filter(students=student, origin=SupportCase.Origin.RISK, status=SupportCase.Status.OPEN)
            .order_by("pk")
            .first()
        )
        if existing is not None:
            return existing
        risk_settings = RiskSettings.for_school(student.school)
        today = timezone.localdate()
        desk = HelpDesk.objects.filter(school_id=student.school_id, active=True).order_by("pk").first()
        referent = responsible_staff(student) or by
        if referent is None:
            raise ValidationError(_("The school has no help-desk operator to give the case to."))
        case = SupportCase.objects.create(
            school=student.school,
            help_desk=desk,
            title=_("High risk of dropping out"),
            status=SupportCase.Status.OPEN,
            opened_by=by,
            opened_at=timezone.now(),
            referent=referent,
            origin=SupportCase.Origin.RISK,
            origin_signal=signal,
            act_by=today + datetime.timedelta(days=risk_settings.act_within_days),
        )
        case.students.add(student)
        audit.record(by, "supportcase.open", case, organisation=student.school, origin="risk", signal=signal.pk)
        # The referent who confirmed the alert wrote the draft; the nightly run's is the system's
        # (no author), for the case's referent to check and send.
        _propose_message(student, by=by)
    return case


def responsible_staff(student: Student) -> Any:
    """Who a case opened from risk is given to (its referent): the student's referent, else the
    class coordinator, else the school's first help-desk operator."""
    if student.referent_id:
        return student.referent
    if student.school_class_id and student.school_class.referent_id:  # type: ignore[union-attr]
        return student.school_class.referent  # type: ignore[union-attr]
    return users_with_role(Role.SCHOOL_OPERATOR, [student.school_id]).order_by("pk").first()


def _propose_message(student: Student, *, by: Any) -> None:
    """The draft message to the family that a risk case proposes. A template problem (none, or no
    Italian text) must not cost the case: it is logged, and staff write the message by hand."""
    from schools.services.messages import draft_message, ensure_regional_templates, template_for

    try:
        template_for(student, RISK_TEMPLATE)
    except MessageTemplate.DoesNotExist:
        ensure_regional_templates()
    try:
        with transaction.atomic():
            draft_message(student=student, template_code=RISK_TEMPLATE, by=by)
    except (MessageTemplate.DoesNotExist, ValidationError):
        logger.warning("no draft message for the risk case of student %s", student.pk, exc_info=True)


def mark_acted(case: SupportCase, *, at: datetime.datetime | None = None) -> None:
    """The first action or intervention on the case: someone acted (the early warning's deadline)."""
    SupportCase.objects.filter(pk=case.pk, acted_at__isnull=True).update(acted_at=at or timezone.now())


def _writable_case(case: SupportCase, by: Any) -> SupportCase:
    case = SupportCase.objects.select_for_update(of=("self",)).select_related("school").get(pk=case.pk)
    require_school(by, case.school_id)
    if case.status == SupportCase.Status.CLOSED:
        raise ValidationError(_("This case is closed."))
    return case


@transaction.atomic
def add_case_note(*, case: SupportCase, body: str, by: Any) -> SupportCaseNote:
    case = _writable_case(case, by)
    if not body.strip():
        raise ValidationError(_("Write the note."))
    note = SupportCaseNote.objects.create(case=case, author=by, body=body, created_at=timezone.now())
    audit.record(by, "supportcasenote.create", note, organisation=case.school, case=case.pk)
    return note


def read_case_notes(*, case: SupportCase, by: Any) -> list[SupportCaseNote]:
    """The case's notes, decrypted for `by`; the read is audited with the ids it showed."""
    require_school(by, case.school_id)
    notes = list(case.notes.select_related("author").order_by("-created_at", "-pk"))
    audit.record(by, "supportcasenote.read", case, organisation=case.school, notes=[n.pk for n in notes])
    return notes


@transaction.atomic
def add_action(
    *, case: SupportCase, title: str, by: Any, owner: Any = None, due_on: datetime.date | None = None
) -> SupportAction:
    """An action or follow-up with its owner and due date; the first one marks the case as acted on."""
    case = _writable_case(case, by)
    if not title.strip():
        raise ValidationError(_("Say what must be done."))
    if owner is not None and case.school_id not in owner.organisation_ids(*SCHOOL_ROLES):
        raise ValidationError(_("The owner must work at the school."))
    action = SupportAction.objects.create(
        case=case, title=title.strip(), owner=owner, due_on=due_on, created_by=by, created_at=timezone.now()
    )
    mark_acted(case, at=action.created_at)
    audit.record(by, "supportaction.create", action, organisation=case.school, case=case.pk)
    return action


@transaction.atomic
def complete_action(*, action: SupportAction, by: Any, outcome: str = "") -> SupportAction:
    action = SupportAction.objects.select_for_update(of=("self",)).select_related("case__school").get(pk=action.pk)
    require_school(by, action.case.school_id)
    if action.done_at is not None:
        raise ValidationError(_("This action is already done."))
    action.done_at = timezone.now()
    action.outcome = outcome
    action.save(update_fields=["done_at", "outcome"])
    audit.record(by, "supportaction.done", action, organisation=action.case.school, case=action.case_id)
    return action


@transaction.atomic
def close_case(*, case: SupportCase, note: str, by: Any) -> SupportCase:
    case = _writable_case(case, by)
    if not note.strip():
        raise ValidationError(_("Write how the case ends."))
    case.status = SupportCase.Status.CLOSED
    case.closed_at = timezone.now()
    case.closing_note = note.strip()
    case.save(update_fields=["status", "closed_at", "closing_note"])
    audit.record(by, "supportcase.close", case, organisation=case.school)
    return case


def handoff_people(case: SupportCase) -> list[Person]:
    """Who can be handed off from this case: its students and their guardians."""
    people: dict[int, Person] = {}
    for student in case.students.select_related("person").prefetch_related("guardians__person"):
        people.setdefault(student.person_id, student.person)
        for guardian in student.guardians.all():
            people.setdefault(guardian.person_id, guardian.person)
    return list(people.values())


@dataclass(frozen=True)
class Handoff:
    person: Person
    desk: Organisation
    created: bool


@transaction.atomic
def hand_off_to_pua(*, case: SupportCase, person: Person, desk: Organisation, reason: str, by: Any) -> Handoff:
    """Give a PUA desk access to the person's core record (a PersonLink), with the consent to the
    hand-off from school to PUA (raises ConsentMissing). Nothing is copied: the desk finds the person
    at intake, and sees nothing of the school's case."""
    case = _writable_case(case, by)
    if desk.kind != Organisation.Kind.PUA_DESK or not desk.is_active:
        raise ValidationError(_("Choose an open PUA desk."))
    if person.pk not in {p.pk for p in handoff_people(case)}:
        raise ValidationError(_("This person is not part of the case."))
    if not reason.strip():
        raise ValidationError(_("Say why the person is handed off."))
    require_consent(person, Consent.Purpose.SCHOOL_TO_PUA)
    before = person.links.filter(organisation=desk, reason=HANDOFF_REASON, ended_at__isnull=True).exists()
    link_person(person=person, organisation=desk, reason=HANDOFF_REASON, by=by)
    # The reason goes in the case file (a note, encrypted), not in the shared core record.
    SupportCaseNote.objects.create(
        case=case,
        author=by,
        created_at=timezone.now(),
        body=_("Handed off to %(desk)s: %(reason)s") % {"desk": desk.name, "reason": reason.strip()},
    )
    mark_acted(case)
    audit.record(by, "supportcase.handoff", case, organisation=case.school, desk=desk.pk, person=person.pk)
    return Handoff(person=person, desk=desk, created=not before)
