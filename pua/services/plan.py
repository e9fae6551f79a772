"""The work on a case: needs assessment, care plan (*presa in carico unitaria*: goals and actions)
and tasks. Status moves ride along: the first assessment makes an open case assessed, the first goal
makes an assessed case's plan active."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from aipim.accounts.models import PUA_ROLES, User
from aipim.core import audit
from pua.models import (
    SENSITIVE_DOMAINS,
    Assessment,
    Case,
    Goal,
    Need,
    NeedDomain,
    PlanAction,
    Task,
)
from pua.services.cases import change_status
from pua.services.training import has_valid_data_protection


def desk_staff(desk_id: int) -> QuerySet[User]:
    """People who hold a PUA role at the desk today: who can be given a case, an action or a task."""
    today = timezone.localdate()
    return (
        User.objects.filter(
            is_active=True,
            memberships__organisation_id=desk_id,
            memberships__role__in=PUA_ROLES,
            memberships__valid_from__lte=today,
        )
        .filter(Q(memberships__valid_until__isnull=True) | Q(memberships__valid_until__gte=today))
        .distinct()
        .order_by("full_name", "email")
    )


def _require_open(case: Case) -> None:
    if case.status == Case.Status.CLOSED:
        raise ValidationError(_("The case is closed."))


def _require_desk_staff(case: Case, user: Any) -> None:
    if user is not None and not desk_staff(case.desk_id).filter(pk=user.pk).exists():
        raise ValidationError(_("Choose someone who works at the case's desk."))


@transaction.atomic
def record_assessment(*, case: Case, needs: Iterable[tuple[str, int, str]], by: Any) -> Assessment:
    """Assess the case's needs, one (domain, severity, notes) per domain; the first assessment moves an
    open case to assessed. Health and legal notes need data-protection training in force."""
    _require_open(case)
    needs = list(needs)
    domains = [domain for domain, _severity, _notes in needs]
    if len(set(domains)) != len(domains) or not set(domains) <= set(NeedDomain.values):
        raise ValidationError(_("Assess each need domain once."))
    sensitive = any(notes and domain in SENSITIVE_DOMAINS for domain, _severity, notes in needs)
    if sensitive and not has_valid_data_protection(by):
        raise ValidationError(_("Health and legal-status notes need data-protection training in force."))
    assessment = Assessment.objects.create(case=case, assessed_by=by)
    Need.objects.bulk_create(
        Need(assessment=assessment, domain=domain, severity=severity, notes=notes or None)
        for domain, severity, notes in needs
    )
    if case.status == Case.Status.OPEN:
        change_status(case=case, to=Case.Status.ASSESSED, by=by)
        case.refresh_from_db(fields=["status", "updated_at"])
    audit.record(by, "assessment.create", assessment, organisation=case.desk, needs=len(needs))
    return assessment


@transaction.atomic
def add_goal(*, case: Case, domain: str, description: str, by: Any) -> Goal:
    """Add a goal to the care plan; the first goal of an assessed case makes its plan active."""
    _require_open(case)
    if case.status == Case.Status.OPEN:
        raise ValidationError(_("Assess the case's needs before setting goals."))
    goal = Goal.objects.create(case=case, domain=domain, description=description, created_by=by)
    if case.status == Case.Status.ASSESSED:
        change_status(case=case, to=Case.Status.PLAN_ACTIVE, by=by)
        case.refresh_from_db(fields=["status", "updated_at"])
    audit.record(by, "goal.create", goal, organisation=case.desk)
    return goal


@transaction.atomic
def set_goal_status(*, goal: Goal, status: str, by: Any) -> Goal:
    _require_open(goal.case)
    goal.status = Goal.Status(status)
    goal.save(update_fields=["status"])
    audit.record(by, "goal.status", goal, organisation=goal.case.desk, status=status)
    return goal


@transaction.atomic
def add_action(
    *,
    goal: Goal,
    description: str,
    by: Any,
    owner: Any = None,
    owner_label: str = "",
    due_date: datetime.date | None = None,
) -> PlanAction:
    """An action towards a goal, owned by a member of the desk's staff or by someone outside it."""
    _require_open(goal.case)
    if owner is None and not owner_label:
        raise ValidationError(_("Say who does it: a member of the desk's staff or someone outside the desk."))
    if owner is not None and owner_label:
        raise ValidationError(_("Give one owner: a member of the desk's staff or someone outside the desk."))
    _require_desk_staff(goal.case, owner)
    action = PlanAction.objects.create(
        goal=goal, description=description, owner=owner, owner_label=owner_label, due_date=due_date
    )
    audit.record(by, "planaction.create", action, organisation=goal.case.desk)
    return action


@transaction.atomic
def complete_action(*, action: PlanAction, outcome: str, by: Any) -> PlanAction:
    if action.done_at is not None:
        raise ValidationError(_("The action is already done."))
    action.outcome = outcome
    action.done_at = timezone.now()
    action.save(update_fields=["outcome", "done_at"])
    audit.record(by, "planaction.done", action, organisation=action.goal.case.desk)
    return action


@transaction.atomic
def add_task(*, case: Case, title: str, due_date: datetime.date, by: Any, assigned_to: Any = None) -> Task:
    _require_open(case)
    _require_desk_staff(case, assigned_to)
    task = Task.objects.create(case=case, title=title, due_date=due_date, assigned_to=assigned_to, created_by=by)
    audit.record(by, "task.create", task, organisation=case.desk)
    return task


@transaction.atomic
def complete_task(*, task: Task, by: Any) -> Task:
    if task.done_at is not None:
        raise ValidationError(_("The task is already done."))
    task.done_at = timezone.now()
    task.save(update_fields=["done_at"])
    audit.record(by, "task.done", task, organisation=task.case.desk)
    return task
