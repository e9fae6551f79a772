"""Opening a case, moving it along its statuses, assigning it, and handing its open work (tasks,
appointments, care plan actions) from one holder to another."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aipim.accounts.models import PUA_ROLES
from aipim.core import audit
from aipim.core.models import Consent, Organisation, Person
from aipim.core.services import link_person, require_consent, unlink_person
from pua.models import Appointment, Case, CaseNumberCounter, CaseStatusChange, PlanAction, Task

LINK_REASON = "pua_case"


def next_case_number(desk: Organisation, year: int) -> str:
    """PUA-<desk code>-<year>-<5 digits>, gap-free per desk and year (the counter row is locked)."""
    counter, _created = CaseNumberCounter.objects.select_for_update().get_or_create(desk=desk, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"PUA-{desk.code.upper()}-{year}-{counter.last:05d}"


@transaction.atomic
def open_case(*, person: Person, desk: Organisation, by: Any, caseworker: Any = None) -> Case:
    """Open a case for `person` at `desk`: needs the person's consent to case management."""
    if desk.kind != Organisation.Kind.PUA_DESK:
        raise ValidationError(_("Cases are opened at a PUA desk."))
    require_consent(person, Consent.Purpose.CASE_MANAGEMENT)
    now = timezone.now()
    case = Case.objects.create(
        number=next_case_number(desk, timezone.localdate(now).year),
        person=person,
        desk=desk,
        caseworker=caseworker,
        opened_at=now,
        opened_by=by,
    )
    CaseStatusChange.objects.create(case=case, to_status=Case.Status.OPEN, changed_by=by, changed_at=now)
    link_person(person=person, organisation=desk, reason=LINK_REASON, by=by)
    audit.record(by, "case.open", case, organisation=desk)
    return case


@transaction.atomic
def change_status(*, case: Case, to: str, by: Any, reason: str = "", closing_reason: str = "") -> Case:
    """Move the case forward (open → assessed → plan active → closed), keeping the history."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    if to not in Case.NEXT_STATUSES[Case.Status(case.status)]:
        raise ValidationError(
            _("A case that is %(current)s cannot become %(new)s.")
            % {"current": case.get_status_display(), "new": Case.Status(to).label}
        )
    if to == Case.Status.CLOSED and not closing_reason:
        raise ValidationError(_("Give the reason for closing the case."))
    previous = case.status
    case.status = to
    update = ["status", "updated_at"]
    if to == Case.Status.CLOSED:
        case.closed_at = timezone.now()
        case.closing_reason = closing_reason
        update += ["closed_at", "closing_reason"]
    case.save(update_fields=update)
    CaseStatusChange.objects.create(
        case=case, from_status=previous, to_status=to, reason=reason or closing_reason, changed_by=by
    )
    if to == Case.Status.CLOSED and not case.person.pua_cases.open().filter(desk=case.desk).exists():
        # The desk's link is what retention counts from: it ends with the desk's last open case.
        unlink_person(person=case.person, organisation=case.desk, reason=LINK_REASON, by=by)
    audit.record(by, "case.status", case, organisation=case.desk, status=to)
    return case


@transaction.atomic
def assign_caseworker(*, case: Case, caseworker: Any, by: Any) -> Case:
    """Give the case to a caseworker of its desk (or to nobody). A case's first caseworker, after
    opening or after a transfer, also takes over the open work that nobody holds (see open_work)."""
    # Under the lock a transfer takes: the desk and the previous caseworker are the current ones.
    desk_id, previous = Case.objects.select_for_update().values_list("desk_id", "caseworker_id").get(pk=case.pk)
    if caseworker is not None and desk_id not in caseworker.organisation_ids(*PUA_ROLES):
        raise ValidationError(_("The caseworker must work at the case's desk."))
    case.caseworker = caseworker
    case.save(update_fields=["caseworker", "updated_at"])
    audit.record(by, "case.assign", case, organisation=case.desk, caseworker=getattr(caseworker, "pk", None))
    if previous is None and caseworker is not None:
        for rows, holder in open_work(case, timezone.now()):
            hand_over(rows.filter(**{f"{holder}__isnull": True}), holder, to=caseworker, case=case, by=by)
    return case


def open_work(case: Case, now: datetime.datetime) -> list[tuple[models.QuerySet[Any], str]]:
    """The case's work still to do, each kind with the field naming who holds it: open tasks,
    appointments yet to come (not cancelled), care plan actions not done and not held by someone
    outside the desk. Done and past work is history and never changes hands."""
    return [
        (Task.objects.filter(case=case, done_at__isnull=True), "assigned_to"),
        (Appointment.objects.filter(case=case, starts_at__gt=now, cancelled_at__isnull=True), "caseworker"),
        (PlanAction.objects.filter(goal__case=case, done_at__isnull=True, owner_label=""), "owner"),
    ]


def hand_over(rows: models.QuerySet[Any], holder: str, *, to: Any, case: Case, by: Any) -> int:
    """Give each row to `to` (None: left for the desk to assign), one audit record per row."""
    count = 0
    for row in rows.select_for_update(of=("self",)).order_by("pk"):
        previous = getattr(row, f"{holder}_id")
        setattr(row, holder, to)
        row.save(update_fields=[holder])
        audit.record(
            by,
            f"{row._meta.model_name}.handover",
            row,
            organisation=case.desk,
            case=case.pk,
            from_user=previous,
            to_user=getattr(to, "pk", None),
        )
        count += 1
    return count
