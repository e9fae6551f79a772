"""PUA desks (Action 2): one unified case per person (*presa in carico unitaria*), from intake to closure.

A desk is a core Organisation of kind PUA_DESK. Everything here hangs off a Case, and every
queryset that returns personal data is scoped by `for_user` (see CaseQuerySet.for_user)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aipim.accounts.models import PUA_ROLES, Role
from aipim.core.fields import EncryptedTextField
from aipim.core.storage import private_storage

if TYPE_CHECKING:
    from aipim.accounts.models import User


BREAK_GLASS_HOURS = 24


class NeedDomain(models.TextChoices):
    HEALTH = "health", _("Health")
    WORK = "work", _("Work")
    HOUSING = "housing", _("Housing")
    LEGAL = "legal", _("Legal status and documents")
    LANGUAGE = "language", _("Language")
    SCHOOLING = "schooling", _("Schooling")
    FAMILY = "family", _("Family")
    INCOME = "income", _("Income")


# Domains whose notes are special-category data: seen only with valid data-protection training.
SENSITIVE_DOMAINS = (NeedDomain.HEALTH, NeedDomain.LEGAL)


class CaseQuerySet(models.QuerySet["Case"]):
    def for_user(self, user: User) -> CaseQuerySet:
        """Cases of the user's desks, cases shared with those desks, and cases the user opened
        by emergency access (break glass) in the last 24 hours. No other role sees cases."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        desks = user.organisation_ids(*PUA_ROLES)
        if not desks:
            return self.none()
        # The few cases shared with the desks or opened by break glass are looked up first (one small
        # query), so that the scope is one index walk over the desks' own cases, with no join or
        # DISTINCT: at 200,000 cases that is the difference between an index scan and a full scan.
        shared = CaseShare.objects.filter(
            desk__in=desks, status=CaseShare.Status.ACCEPTED, ended_at__isnull=True
        ).values_list("case_id")
        glass = BreakGlassGrant.objects.filter(user=user, expires_at__gt=timezone.now()).values_list("case_id")
        extra = [case_id for (case_id,) in shared.union(glass)]
        return self.filter(Q(desk__in=desks) | Q(pk__in=extra))

    def open(self) -> CaseQuerySet:
        return self.exclude(status=Case.Status.CLOSED)


@pghistory.track()
class Case(models.Model):
    """The unified case of one person at one desk."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ASSESSED = "assessed", _("Assessed")
        PLAN_ACTIVE = "plan_active", _("Care plan active")
        CLOSED = "closed", _("Closed")

    class ClosingReason(models.TextChoices):
        GOALS_MET = "goals_met", _("Goals met")
        MOVED = "moved", _("Moved to another area")
        TRANSFERRED = "transferred", _("Transferred to another desk")
        NO_CONTACT = "no_contact", _("No longer in contact")
        WITHDRAWN = "withdrawn", _("The person withdrew")
        OTHER = "other", _("Other")

    # The status can only move forward along this path (or close from any open state).
    NEXT_STATUSES = {
        Status.OPEN: {Status.ASSESSED, Status.CLOSED},
        Status.ASSESSED: {Status.PLAN_ACTIVE, Status.CLOSED},
        Status.PLAN_ACTIVE: {Status.CLOSED},
        Status.CLOSED: set(),
    }

    number = models.CharField(_("case number"), max_length=30, unique=True)
    person = models.ForeignKey(
        "core.Person", on_delete=models.PROTECT, related_name="pua_cases", verbose_name=_("person")
    )
    desk = models.ForeignKey(
        "core.Organisation",
        on_delete=models.PROTECT,
        related_name="pua_cases",
        limit_choices_to={"kind": "pua_desk"},
        verbose_name=_("desk"),
    )
    caseworker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="pua_cases",
        verbose_name=_("caseworker"),
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    closing_reason = models.CharField(_("closing reason"), max_length=12, choices=ClosingReason.choices, blank=True)
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(_("last update"), auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-opened_at", "-pk"]
        indexes = [
            models.Index(fields=["desk", "status", "-opened_at"]),
            models.Index(fields=["caseworker", "status"]),
            models.Index(fields=["-opened_at", "-id"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="closed", closed_at__isnull=False) | ~Q(status="closed"),
                name="case_closed_has_date",
            )
        ]

    def __str__(self) -> str:
        return self.number


class CaseNumberCounter(models.Model):
    """The last case number given by a desk in a year (locked while a case is opened)."""

    desk = models.ForeignKey("core.Organisation", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["desk", "year"], name="case_counter_per_desk_year")]

    def __str__(self) -> str:
        return f"{self.desk_id}/{self.year}: {self.last}"


class CaseChildQuerySet(models.QuerySet[Any]):
    """For records that belong to a case: scoped through the case."""

    def for_user(self, user: User) -> models.QuerySet[Any]:
        return self.filter(case__in=Case.objects.for_user(user))


class CaseStatusChange(models.Model):
    """Every change of a case's status, with who and when: the case's history."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=12, choices=Case.Status.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=Case.Status.choices)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        ordering = ["changed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.from_status} → {self.to_status}"


class Assessment(models.Model):
    """A needs assessment of a case at one moment; its needs are scored by domain."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assessments")
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assessed_at = models.DateTimeField(_("assessed on"), default=timezone.now)

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["-assessed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.case_id} @ {self.assessed_at:%Y-%m-%d}"


class NeedQuerySet(models.QuerySet["Need"]):
    def for_user(self, user: User) -> NeedQuerySet:
        return self.filter(assessment__case__in=Case.objects.for_user(user))


class Need(models.Model):
    class Severity(models.IntegerChoices):
        NONE = 0, _("No need")
        LOW = 1, _("Low")
        MEDIUM = 2, _("Medium")
        HIGH = 3, _("High")
        URGENT = 4, _("Urgent")

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="needs")
    domain = models.CharField(_("domain"), max_length=12, choices=NeedDomain.choices)
    severity = models.PositiveSmallIntegerField(_("severity"), choices=Severity.choices)
    notes = EncryptedTextField(_("notes"), blank=True, null=True)

    objects = NeedQuerySet.as_manager()

    class Meta:
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        constraints = [models.UniqueConstraint(fields=["assessment", "domain"], name="need_one_per_domain")]
        indexes = [models.Index(fields=["domain", "severity"])]

    def __str__(self) -> str:
        return f"{self.get_domain_display()}: {self.get_severity_display()}"


class Goal(models.Model):
    """A goal of the care plan (*progetto personalizzato*)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        ACHIEVED = "achieved", _("Achieved")
        DROPPED = "dropped", _("Dropped")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="goals")
    domain = models.CharField(_("domain"), max_length=12, choices=NeedDomain.choices)
    description = models.CharField(_("goal"), max_length=300)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.description


class PlanActionQuerySet(models.QuerySet["PlanAction"]):
    def for_user(self, user: User) -> PlanActionQuerySet:
        return self.filter(goal__case__in=Case.objects.for_user(user))


class PlanAction(models.Model):
    """One step towards a goal, with an owner, a due date and an outcome."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="actions")
    description = models.CharField(_("action"), max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    owner_label = models.CharField(
        _("owner (outside the desk)"),
        max_length=150,
        blank=True,
        help_text=_("E.g. the person, a family member, a service."),
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=300, blank=True)
    done_at = models.DateTimeField(_("done on"), null=True, blank=True)

    objects = PlanActionQuerySet.as_manager()

    class Meta:
        verbose_name = _("care plan action")
        verbose_name_plural = _("care plan actions")
        ordering = ["due_date", "pk"]

    def __str__(self) -> str:
        return self.description


@pghistory.track()
class Referral(models.Model):
    """A referral of the case to a service of the shared directory, sent only with consent."""

    class Status(models.TextChoices):
        DRAFTED = "drafted", _("Drafted")
        SENT = "sent", _("Sent")
        ACCEPTED = "accepted", _("Accepted")
        COMPLETED = "completed", _("Completed")
        REFUSED = "refused", _("Refused")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="referrals")
    service = models.ForeignKey(
        "core.Service", on_delete=models.PROTECT, related_name="pua_referrals", verbose_name=_("service")
    )
    reason = models.TextField(_("reason for the referral"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFTED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(_("sent on"), null=True, blank=True)
    acknowledge_by = models.DateTimeField(_("to acknowledge by"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted on"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated on"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed on"), null=True, blank=True)
    outcome = models.TextField(_("outcome"), blank=True)

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "acknowledge_by"]),
            models.Index(fields=["service", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.case.number} → {self.service}"

    @property
    def is_overdue(self) -> bool:
        return (
            self.status == self.Status.SENT and self.acknowledge_by is not None and self.acknowledge_by < timezone.now()
        )


class ReferralUpdate(models.Model):
    """What happened to a referral and who said so (the caseworker, the service by signed link)."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="updates")
    status = models.CharField(max_length=10, choices=Referral.Status.choices)
    note = models.CharField(max_length=300, blank=True)
    by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    by_service = models.BooleanField(default=False)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.referral_id}: {self.status}"


class Appointment(models.Model):
    """A meeting at the desk (or elsewhere) with the person, in the desk's and the caseworker's calendar."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="appointments")
    # Empty only when a transfer took the case away from its caseworker's desk: the appointment then
    # waits for the receiving desk's caseworker (see pua.services.cases.open_work).
    caseworker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pua_appointments",
        verbose_name=_("caseworker"),
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    purpose = models.CharField(_("purpose"), max_length=200)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["starts_at", "pk"]
        indexes = [models.Index(fields=["caseworker", "starts_at"]), models.Index(fields=["starts_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="appointment_ends_after_start")
        ]

    def __str__(self) -> str:
        return f"{self.case_id} @ {self.starts_at:%Y-%m-%d %H:%M}"


class Task(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(_("task"), max_length=200)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="pua_tasks",
        verbose_name=_("assigned to"),
    )
    due_date = models.DateField(_("due date"))
    done_at = models.DateTimeField(_("done on"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due_date", "pk"]
        indexes = [models.Index(fields=["done_at", "due_date"])]

    def __str__(self) -> str:
        return self.title


class Note(models.Model):
    """A case note, encrypted at rest; a restricted note is for the case's caseworker and the
    desk's supervisors only; a health or legal note needs valid data-protection training."""

    class Kind(models.TextChoices):
        GENERAL = "general", _("General")
        HEALTH = "health", _("Health")
        LEGAL = "legal", _("Legal status")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.GENERAL)
    body = EncryptedTextField(_("note"))
    restricted = models.BooleanField(
        _("restricted"),
        default=False,
        help_text=_("Only the case's caseworker and the desk's supervisors can read it."),
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} note #{self.pk}"


def document_path(document: Document, filename: str) -> str:
    # No names in paths (the original name is kept in the row): a random name, never guessable.
    return f"pua/documents/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class Document(models.Model):
    """An uploaded PDF, JPEG or PNG (checked by content), in private storage."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(upload_to=document_path, storage=private_storage, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    description = models.CharField(_("description"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self) -> str:
        return f"document #{self.pk}"


class CaseShare(models.Model):
    """A transfer of the case to another desk, or a share with it; needs consent and the
    receiving desk's acceptance."""

    class Kind(models.TextChoices):
        TRANSFER = "transfer", _("Transfer")
        SHARE = "share", _("Share")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="shares")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    from_desk = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="+")
    desk = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("to desk"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    reason = models.CharField(_("reason"), max_length=300)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["desk", "status"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.case_id} → {self.desk_id}"


class BreakGlassGrant(models.Model):
    """Emergency read access to another desk's case for 24 hours, with a stated reason;
    notified to both desks' supervisors, who review it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="break_glass_grants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=300)
    granted_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(max_length=300, blank=True)
    # Set in the same transaction as the email to the supervisors: see notify_break_glass.
    notified_at = models.DateTimeField(null=True, blank=True)

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        ordering = ["-granted_at"]
        indexes = [models.Index(fields=["user", "expires_at"])]

    def __str__(self) -> str:
        return f"break glass {self.case_id} by {self.user_id}"


# --- Staff training (qualificazione del personale) ---------------------------------------------


class TrainingCourse(models.Model):
    title = models.CharField(_("title"), max_length=200)
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1)
    data_protection = models.BooleanField(
        _("data-protection training"),
        default=False,
        help_text=_("Completing it unlocks health notes and legal-status details until it expires."),
    )
    valid_for_days = models.PositiveIntegerField(_("valid for (days)"), null=True, blank=True)

    class Meta:
        verbose_name = _("training course")
        verbose_name_plural = _("training courses")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class TrainingSession(models.Model):
    """One sitting of a course: when, where, how many hours."""

    course = models.ForeignKey(TrainingCourse, on_delete=models.CASCADE, related_name="sessions")
    starts_at = models.DateTimeField(_("starts at"))
    hours = models.DecimalField(_("hours"), max_digits=4, decimal_places=1)
    place = models.CharField(_("place"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["starts_at"]

    def __str__(self) -> str:
        return f"{self.course} {self.starts_at:%Y-%m-%d}"


class TrainingRecordQuerySet(models.QuerySet["TrainingRecord"]):
    def for_user(self, user: User) -> TrainingRecordQuerySet:
        """A user's own records; supervisors see those of their desks' staff."""
        if not user.is_authenticated:
            return self.none()
        desks = user.organisation_ids(Role.PUA_SUPERVISOR)
        return self.filter(Q(user=user) | Q(desk__in=desks))

    def valid_data_protection(self, on: Any = None) -> TrainingRecordQuerySet:
        day = on or timezone.localdate()
        return self.filter(course__data_protection=True, completed_on__lte=day).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=day)
        )


class TrainingRecord(models.Model):
    """A staff member attended a course (hours, certificate); data-protection ones expire."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="training_records")
    desk = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="+")
    course = models.ForeignKey(TrainingCourse, on_delete=models.PROTECT, related_name="records")
    session = models.ForeignKey(
        TrainingSession, on_delete=models.SET_NULL, null=True, blank=True, related_name="attendees"
    )
    completed_on = models.DateField(_("completed on"))
    hours_attended = models.DecimalField(_("hours attended"), max_digits=5, decimal_places=1)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    certificate_reference = models.CharField(_("certificate"), max_length=100, blank=True)

    objects = TrainingRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("training record")
        verbose_name_plural = _("training records")
        ordering = ["-completed_on"]
        indexes = [models.Index(fields=["user", "valid_until"])]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.course_id} ({self.completed_on})"
