"""Opening a case, moving it along its statuses, assigning it."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aipim.core import audit
from aipim.core.models import Consent, Organisation, Person
from aipim.core.services import link_person, require_consent, unlink_person
from pua.models import Case, CaseNumberCounter, CaseStatusChange

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
    from aipim.accounts.models import PUA_ROLES

    if caseworker is not None and case.desk_id not in caseworker.organisation_ids(*PUA_ROLES):
        raise ValidationError(_("The caseworker must work at the case's desk."))
    case.caseworker = caseworker
    case.save(update_fields=["caseworker", "updated_at"])
    audit.record(by, "case.assign", case, organisation=case.desk, caseworker=getattr(caseworker, "pk", None))
    return case
