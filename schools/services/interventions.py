"""Interventions for a student (tutoring, an Italian L2 course, a family meeting, a mediator, a
referral to a PUA desk or an association): owner, dates, status and outcome, and the list per
school with its filters. Recording an intervention on a support case marks the case as acted on."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from aipim.accounts.models import SCHOOL_ROLES
from aipim.core import audit
from schools.models import Intervention, RiskSignal, Student, SupportCase
from schools.services.helpdesk import mark_acted, require_school

KEEP: Any = object()  # "leave this field as it is" in update_intervention
OPEN_STATUSES = (Intervention.Status.PLANNED, Intervention.Status.IN_PROGRESS)
# Where an intervention may go next.
NEXT_STATUSES = {
    Intervention.Status.PLANNED: {
        Intervention.Status.IN_PROGRESS,
        Intervention.Status.DONE,
        Intervention.Status.CANCELLED,
    },
    Intervention.Status.IN_PROGRESS: {Intervention.Status.DONE, Intervention.Status.CANCELLED},
    Intervention.Status.DONE: set(),
    Intervention.Status.CANCELLED: set(),
}


def overdue_q(today: datetime.date | None = None) -> Q:
    """Open interventions whose end date has passed, or planned ones that should have started."""
    today = today or timezone.localdate()
    return Q(status__in=OPEN_STATUSES) & (
        Q(ends_on__lt=today) | Q(status=Intervention.Status.PLANNED, starts_on__lt=today)
    )


def interventions_for(user: Any, filters: dict[str, Any]) -> QuerySet[Intervention]:
    """The interventions of the user's schools, filtered by school, kind, status and overdue."""
    queryset = Intervention.objects.filter(student__school__in=user.organisation_ids(*SCHOOL_ROLES))
    if filters.get("school"):
        queryset = queryset.filter(student__school=filters["school"])
    if filters.get("kind"):
        queryset = queryset.filter(kind=filters["kind"])
    if filters.get("status"):
        queryset = queryset.filter(status=filters["status"])
    if filters.get("overdue"):
        queryset = queryset.filter(overdue_q())
    return queryset.select_related(
        "student__person", "student__school", "student__school_class", "owner", "support_case"
    ).order_by("-starts_on", "-pk")


def _check_owner(owner: Any, school_id: int) -> None:
    if owner is not None and school_id not in owner.organisation_ids(*SCHOOL_ROLES):
        raise ValidationError(_("The owner must work at the student's school."))


def _check_dates(starts_on: datetime.date, ends_on: datetime.date | None) -> None:
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError(_("The intervention cannot end before it starts."))


@transaction.atomic
def create_intervention(
    *,
    student: Student,
    kind: str,
    starts_on: datetime.date,
    by: Any,
    owner: Any = None,
    ends_on: datetime.date | None = None,
    status: str = Intervention.Status.PLANNED,
    support_case: SupportCase | None = None,
    triggered_by: RiskSignal | None = None,
) -> Intervention:
    require_school(by, student.school_id)
    _check_owner(owner, student.school_id)
    _check_dates(starts_on, ends_on)
    if status not in OPEN_STATUSES:
        raise ValidationError(_("A new intervention is planned or in progress."))
    if support_case is not None:
        support_case = SupportCase.objects.select_for_update(of=("self",)).get(pk=support_case.pk)
        if support_case.status == SupportCase.Status.CLOSED:
            raise ValidationError(_("This case is closed."))
        if not support_case.students.filter(pk=student.pk).exists():
            raise ValidationError(_("The student is not part of this case."))
    if triggered_by is not None and triggered_by.student_id != student.pk:
        raise ValidationError(_("This signal is about another student."))
    intervention = Intervention.objects.create(
        student=student,
        support_case=support_case,
        kind=kind,
        owner=owner,
        starts_on=starts_on,
        ends_on=ends_on,
        status=status,
        triggered_by=triggered_by or (support_case.origin_signal if support_case else None),
        created_by=by,
        created_at=timezone.now(),
    )
    if support_case is not None:
        mark_acted(support_case, at=intervention.created_at)
    audit.record(by, "intervention.create", intervention, organisation=student.school, kind=kind)
    return intervention


@transaction.atomic
def update_intervention(
    *,
    intervention: Intervention,
    by: Any,
    status: str,
    owner: Any = KEEP,
    ends_on: Any = KEEP,
    outcome: str = "",
    outcome_note: str = "",
) -> Intervention:
    """Move the intervention on (planned → in progress → done, or cancelled) and record its outcome.
    An outcome is recorded only when it is done. The owner and the end date stay as they are unless
    given (None clears them)."""
    intervention = (
        Intervention.objects.select_for_update(of=("self",)).select_related("student__school").get(pk=intervention.pk)
    )
    school = intervention.student.school
    require_school(by, school.pk)
    current = Intervention.Status(intervention.status)
    if status != current and status not in NEXT_STATUSES[current]:
        raise ValidationError(
            _("An intervention that is %(current)s cannot become %(new)s.")
            % {"current": current.label, "new": Intervention.Status(status).label}
        )
    if owner is KEEP:
        owner = intervention.owner
    if ends_on is KEEP:
        ends_on = intervention.ends_on
    _check_owner(owner, school.pk)
    _check_dates(intervention.starts_on, ends_on)
    if outcome and status != Intervention.Status.DONE:
        raise ValidationError(_("Record the outcome when the intervention is done."))
    if status == Intervention.Status.DONE and not outcome:
        raise ValidationError(_("Say whether things improved."))
    if status == Intervention.Status.DONE and ends_on is None:
        ends_on = timezone.localdate()
    intervention.status = status
    intervention.owner = owner
    intervention.ends_on = ends_on
    intervention.outcome = outcome
    intervention.outcome_note = outcome_note
    intervention.save(update_fields=["status", "owner", "ends_on", "outcome", "outcome_note"])
    audit.record(by, "intervention.change", intervention, organisation=school, status=status)
    return intervention
