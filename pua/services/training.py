"""Staff training (*qualificazione del personale*): attendance records, and the data-protection
training that unlocks health notes and legal-status details until it expires."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from aipim.accounts.models import PUA_ROLES, Membership, Role
from aipim.core import audit
from aipim.core.models import Organisation
from pua.models import TrainingCourse, TrainingRecord, TrainingSession


def has_valid_data_protection(user: Any, *, on: datetime.date | None = None) -> bool:
    """Whether `user` holds data-protection training in force today (or `on`): read at every
    request, so an expired record stops unlocking sensitive data at once."""
    if not getattr(user, "is_authenticated", False):
        return False
    return TrainingRecord.objects.filter(user=user).valid_data_protection(on).exists()


def valid_until_for(course: TrainingCourse, completed_on: datetime.date) -> datetime.date | None:
    if course.valid_for_days is None:
        return None
    return completed_on + datetime.timedelta(days=course.valid_for_days)


@transaction.atomic
def record_training(
    *,
    user: Any,
    desk: Organisation,
    course: TrainingCourse,
    completed_on: datetime.date,
    hours_attended: Decimal,
    by: Any,
    session: TrainingSession | None = None,
    certificate_reference: str = "",
) -> TrainingRecord:
    """Record that a member of a desk's staff attended a course; recorded by a supervisor of that desk."""
    if desk.pk not in by.organisation_ids(Role.PUA_SUPERVISOR):
        raise ValidationError(_("Only a supervisor of the desk can record its staff's training."))
    if desk.pk not in user.organisation_ids(*PUA_ROLES):
        raise ValidationError(_("The staff member must work at the desk."))
    if session is not None and session.course_id != course.pk:
        raise ValidationError(_("The session belongs to another course."))
    if hours_attended <= 0:
        raise ValidationError(_("Give the hours attended."))
    record = TrainingRecord.objects.create(
        user=user,
        desk=desk,
        course=course,
        session=session,
        completed_on=completed_on,
        hours_attended=hours_attended,
        valid_until=valid_until_for(course, completed_on),
        certificate_reference=certificate_reference,
    )
    audit.record(by, "trainingrecord.create", record, organisation=desk, staff=user.pk)
    return record


@transaction.atomic
def add_course(
    *, title: str, hours: Decimal, data_protection: bool, valid_for_days: int | None, by: Any
) -> TrainingCourse:
    if not by.has_role(Role.PUA_SUPERVISOR):
        raise ValidationError(_("Only PUA supervisors manage training courses."))
    course = TrainingCourse.objects.create(
        title=title, hours=hours, data_protection=data_protection, valid_for_days=valid_for_days
    )
    audit.record(by, "trainingcourse.create", course)
    return course


@transaction.atomic
def add_session(
    *, course: TrainingCourse, starts_at: datetime.datetime, hours: Decimal, place: str, by: Any
) -> TrainingSession:
    if not by.has_role(Role.PUA_SUPERVISOR):
        raise ValidationError(_("Only PUA supervisors manage training sessions."))
    session = TrainingSession.objects.create(course=course, starts_at=starts_at, hours=hours, place=place)
    audit.record(by, "trainingsession.create", session)
    return session


def desk_coverage(desks: list[Organisation], *, on: datetime.date | None = None) -> list[dict[str, Any]]:
    """Per desk: staff holding a PUA role today, how many of them have data-protection training in
    force, and the training hours recorded at the desk. Three queries whatever the number of desks."""
    day = on or timezone.localdate()
    trained = TrainingRecord.objects.filter(user=OuterRef("user")).valid_data_protection(day)
    rows = (
        Membership.objects.filter(organisation__in=desks, role__in=PUA_ROLES, valid_from__lte=day, user__is_active=True)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day))
        .annotate(trained=Exists(trained))
        .values_list("organisation_id", "user_id", "trained")
    )
    staff: dict[int, set[int]] = {desk.pk: set() for desk in desks}
    with_training: dict[int, set[int]] = {desk.pk: set() for desk in desks}
    for desk_id, user_id, is_trained in rows:
        staff[desk_id].add(user_id)
        if is_trained:
            with_training[desk_id].add(user_id)
    hours = dict(
        TrainingRecord.objects.filter(desk__in=desks)
        .values("desk")
        .annotate(total=Sum("hours_attended"))
        .values_list("desk", "total")
    )
    return [
        {
            "desk": desk,
            "staff": len(staff[desk.pk]),
            "trained": len(with_training[desk.pk]),
            "percent": round(100 * len(with_training[desk.pk]) / len(staff[desk.pk])) if staff[desk.pk] else 0,
            "hours": hours.get(desk.pk) or Decimal("0"),
        }
        for desk in desks
    ]
