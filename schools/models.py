"""Schools (Action 1): help desks, dropout early warning, courses and school–family communication.

A school is a core Organisation of kind SCHOOL (the *istituto*); its staff (Role.SCHOOL_OPERATOR,
Role.SCHOOL_STAFF) see only its students. A student is a core Person enrolled at a school; everything
about a student hangs off Student, and every queryset that returns personal data is scoped by
`for_user` (see StudentQuerySet.for_user): records of a student through `student__in`, records of a
school through `school__in`. Administrators manage accounts, not pupils: they see no student here.
"""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from aipim.accounts.models import SCHOOL_ROLES
from aipim.core.fields import EncryptedTextField
from aipim.core.storage import private_storage

if TYPE_CHECKING:
    from aipim.accounts.models import User
    from aipim.core.models import Organisation


SCHOOL_ONLY = {"kind": "school"}
# A pupil who arrived in Italy within this many years is "newly arrived" (the ministry's NAI).
NEWLY_ARRIVED_YEARS = 2
# PersonLink reasons: a school holds a record about its pupils and about their guardians.
LINK_STUDENT = "student"
LINK_GUARDIAN = "guardian"


def school_ids_for(user: User) -> set[int]:
    """The schools where `user` holds a school role (empty for anyone else, administrators included)."""
    if not user.is_authenticated or not user.is_active:
        return set()
    return user.organisation_ids(*SCHOOL_ROLES)


def years_between(start: datetime.date, end: datetime.date) -> int:
    """Whole years from `start` to `end` (an age on a given day)."""
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


# --- Querysets ---------------------------------------------------------------------------------


class SchoolScopedQuerySet(models.QuerySet[Any]):
    """Records that belong to a school: the user's schools only."""

    school_path = "school"

    def for_user(self, user: User) -> models.QuerySet[Any]:
        schools = school_ids_for(user)
        if not schools:
            return self.none()
        return self.filter(**{f"{self.school_path}__in": schools})


class HelpDeskChildQuerySet(SchoolScopedQuerySet):
    school_path = "help_desk__school"


class CourseChildQuerySet(SchoolScopedQuerySet):
    school_path = "course__school"


class SupportCaseChildQuerySet(SchoolScopedQuerySet):
    school_path = "case__school"


class SessionAttendanceQuerySet(SchoolScopedQuerySet):
    school_path = "session__course__school"


class StudentQuerySet(models.QuerySet["Student"]):
    def for_user(self, user: User) -> StudentQuerySet:
        """Students of the schools where the user holds a school role. No other role sees pupils."""
        schools = school_ids_for(user)
        if not schools:
            return self.none()
        return self.filter(school__in=schools)

    def current(self) -> StudentQuerySet:
        """Students who have not left."""
        return self.filter(left_on__isnull=True)

    def newly_arrived(self, on: datetime.date | None = None) -> StudentQuerySet:
        return self.filter(arrived_in_italy_on__gte=newly_arrived_since(on))


class StudentChildQuerySet(models.QuerySet[Any]):
    """Records about one student: scoped through the student (same schools)."""

    def for_user(self, user: User) -> models.QuerySet[Any]:
        schools = school_ids_for(user)
        if not schools:
            return self.none()
        return self.filter(student__school__in=schools)


class MessageTemplateQuerySet(models.QuerySet["MessageTemplate"]):
    def for_user(self, user: User) -> MessageTemplateQuerySet:
        """Regional templates (no school) and those of the user's schools."""
        schools = school_ids_for(user)
        if not schools:
            return self.none()
        return self.filter(Q(school__isnull=True) | Q(school__in=schools))


def newly_arrived_since(on: datetime.date | None = None) -> datetime.date:
    """The earliest arrival date of a newly arrived pupil on day `on` (today by default)."""
    day = on or timezone.localdate()
    try:
        return day.replace(year=day.year - NEWLY_ARRIVED_YEARS)
    except ValueError:  # 29 February
        return day.replace(year=day.year - NEWLY_ARRIVED_YEARS, day=28)


# --- Choices shared by several models ----------------------------------------------------------


class RiskLevel(models.TextChoices):
    NONE = "none", _("No risk")
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class RegisterKind(models.TextChoices):
    ATTENDANCE = "attendance", _("Attendance")
    RESULTS = "results", _("Results")
    BEHAVIOUR = "behaviour", _("Behaviour notes")


# --- Schools, sites, years, classes --------------------------------------------------------------


class SchoolSite(models.Model):
    """A site (*plesso*) of a school."""

    school = models.ForeignKey(
        "core.Organisation",
        on_delete=models.PROTECT,
        related_name="school_sites",
        limit_choices_to=SCHOOL_ONLY,
        verbose_name=_("school"),
    )
    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(_("ministerial code"), max_length=20, blank=True)
    municipality = models.ForeignKey(
        "core.Municipality", on_delete=models.PROTECT, related_name="+", verbose_name=_("municipality")
    )
    address = models.CharField(_("address"), max_length=200, blank=True)

    objects = SchoolScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("school site")
        verbose_name_plural = _("school sites")
        ordering = ["school", "name"]
        constraints = [models.UniqueConstraint(fields=["school", "name"], name="schoolsite_name_per_school")]

    def __str__(self) -> str:
        return self.name


class SchoolYear(models.Model):
    name = models.CharField(_("name"), max_length=20, unique=True, help_text=_("E.g. 2026/27."))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))

    class Meta:
        verbose_name = _("school year")
        verbose_name_plural = _("school years")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gt=F("starts_on")), name="schoolyear_ends_after_start")
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def current(cls, on: datetime.date | None = None) -> SchoolYear | None:
        """The school year that contains `on` (today by default); in the summer break, the last
        one that started; None if there is none."""
        day = on or timezone.localdate()
        return (
            cls.objects.filter(starts_on__lte=day, ends_on__gte=day).first()
            or cls.objects.filter(starts_on__lte=day).order_by("-starts_on").first()
        )

    @staticmethod
    def name_for(starts_on: datetime.date) -> str:
        """The usual name of a year that starts on `starts_on`: '2026/27'."""
        return f"{starts_on.year}/{(starts_on.year + 1) % 100:02d}"


class Stage(models.TextChoices):
    PRIMARY = "primary", _("Primary school")
    LOWER_SECONDARY = "lower_secondary", _("Lower secondary school")
    UPPER_SECONDARY = "upper_secondary", _("Upper secondary school")


# The usual age, at the start of the school year, of pupils in grade 1 of each stage.
STAGE_FIRST_AGE = {Stage.PRIMARY: 6, Stage.LOWER_SECONDARY: 11, Stage.UPPER_SECONDARY: 14}
STAGE_GRADES = {Stage.PRIMARY: 5, Stage.LOWER_SECONDARY: 3, Stage.UPPER_SECONDARY: 5}


def usual_age_for(stage: str, grade: int) -> int:
    return STAGE_FIRST_AGE[Stage(stage)] + grade - 1


class SchoolClass(models.Model):
    school = models.ForeignKey(
        "core.Organisation",
        on_delete=models.PROTECT,
        related_name="school_classes",
        limit_choices_to=SCHOOL_ONLY,
        verbose_name=_("school"),
    )
    site = models.ForeignKey(
        SchoolSite,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="classes",
        verbose_name=_("site"),
    )
    school_year = models.ForeignKey(
        SchoolYear, on_delete=models.PROTECT, related_name="classes", verbose_name=_("school year")
    )
    name = models.CharField(_("name"), max_length=20, help_text=_("E.g. 2B."))
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices)
    grade = models.PositiveSmallIntegerField(
        pgettext_lazy("year of a class", "grade"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    usual_age = models.PositiveSmallIntegerField(
        _("usual age"),
        blank=True,
        help_text=_("The usual age of its pupils at the start of the year; left empty, it follows stage and grade."),
    )
    referent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="school_classes",
        verbose_name=_("coordinator"),
    )

    objects = SchoolScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("class")
        verbose_name_plural = _("classes")
        ordering = ["school_year", "school", "grade", "name"]
        constraints = [
            models.UniqueConstraint(fields=["school", "school_year", "name"], name="schoolclass_name_per_year"),
            models.CheckConstraint(condition=Q(grade__gte=1, grade__lte=5), name="schoolclass_grade_1_5"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.school_year})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.usual_age is None:
            self.usual_age = usual_age_for(self.stage, self.grade)
        super().save(*args, **kwargs)


# --- Students and guardians ---------------------------------------------------------------------


# The history keeps who changed a pupil's record, not the risk level (a copy of the latest RiskSignal,
# whose rows are already its history) nor the encrypted notes: an update of those alone writes no event.
@pghistory.track(exclude=["sensitive_notes", "risk_level", "risk_updated_at", "updated_at"])
class Student(models.Model):
    """A Person enrolled at a school."""

    class LeavingReason(models.TextChoices):
        FINISHED = "finished", _("Finished school")
        MOVED = "moved", _("Moved to another school")
        DROPPED_OUT = "dropped_out", _("Dropped out")
        OTHER = "other", _("Other")

    person = models.ForeignKey(
        "core.Person", on_delete=models.PROTECT, related_name="school_enrolments", verbose_name=_("person")
    )
    school = models.ForeignKey(
        "core.Organisation",
        on_delete=models.PROTECT,
        related_name="students",
        limit_choices_to=SCHOOL_ONLY,
        verbose_name=_("school"),
    )
    school_class = models.ForeignKey(
        SchoolClass,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="students",
        verbose_name=_("class"),
    )
    register_id = models.CharField(
        _("register id"), max_length=64, blank=True, help_text=_("The pupil's id in the school's electronic register.")
    )
    arrived_in_italy_on = models.DateField(_("arrived in Italy on"), null=True, blank=True)
    first_language = models.CharField(_("first language"), max_length=16, blank=True)
    referent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referent_students",
        verbose_name=_("referent"),
        help_text=_("The staff member who follows the student."),
    )
    enrolled_on = models.DateField(_("enrolled on"), default=timezone.localdate)
    left_on = models.DateField(_("left on"), null=True, blank=True)
    leaving_reason = models.CharField(_("reason for leaving"), max_length=12, choices=LeavingReason.choices, blank=True)
    sensitive_notes = EncryptedTextField(
        _("sensitive notes"),
        blank=True,
        null=True,
        help_text=_("Family situation, legal status of the family: shown only on the student's page."),
    )
    risk_level = models.CharField(_("risk level"), max_length=8, choices=RiskLevel.choices, default=RiskLevel.NONE)
    risk_updated_at = models.DateTimeField(_("risk updated"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("last update"), auto_now=True)

    objects = StudentQuerySet.as_manager()

    class Meta:
        verbose_name = _("student")
        verbose_name_plural = _("students")
        ordering = ["pk"]  # lists order by name explicitly (see schools.selectors)
        indexes = [
            models.Index(fields=["school", "risk_level"]),
            models.Index(fields=["school_class", "risk_level"]),
            models.Index(fields=["school", "arrived_in_italy_on"]),
            models.Index(fields=["school", "left_on"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "register_id"],
                condition=~Q(register_id=""),
                name="student_register_id_per_school",
            ),
            models.UniqueConstraint(
                fields=["person", "school"],
                condition=Q(left_on__isnull=True),
                name="student_one_current_enrolment_per_school",
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=F("enrolled_on")),
                name="student_leaves_after_enrolling",
            ),
        ]

    def __str__(self) -> str:
        return str(self.person)

    @property
    def is_newly_arrived(self) -> bool:
        """Arrived in Italy within the last two years (the ministry's *NAI*)."""
        return self.arrived_in_italy_on is not None and self.arrived_in_italy_on >= newly_arrived_since()

    @property
    def age_grade_gap(self) -> int:
        """Whole years older than the class's usual age at the start of its school year (0 if not
        older, or if the birth date or the class is unknown)."""
        school_class = self.school_class
        birth_date = self.person.birth_date
        if school_class is None or birth_date is None:
            return 0
        age = years_between(birth_date, school_class.school_year.starts_on)
        return max(0, age - school_class.usual_age)

    @property
    def has_left(self) -> bool:
        return self.left_on is not None


@pghistory.track()
class Guardian(models.Model):
    """A parent or guardian of a student: a Person (names, languages, contacts come from there)."""

    class Relationship(models.TextChoices):
        MOTHER = "mother", _("Mother")
        FATHER = "father", _("Father")
        GUARDIAN = "guardian", _("Legal guardian")
        OTHER = "other", _("Other")

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="guardians", verbose_name=_("student"))
    person = models.ForeignKey(
        "core.Person", on_delete=models.PROTECT, related_name="guardianships", verbose_name=_("person")
    )
    relationship = models.CharField(_("relationship"), max_length=10, choices=Relationship.choices)
    is_primary_contact = models.BooleanField(_("primary contact"), default=False)

    objects = StudentChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("guardian")
        verbose_name_plural = _("guardians")
        ordering = ["-is_primary_contact", "pk"]
        constraints = [models.UniqueConstraint(fields=["student", "person"], name="guardian_once_per_student")]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_relationship_display()})"


# --- Electronic register imports -----------------------------------------------------------------


class ColumnMapping(models.Model):
    """The last mapping of a school's register export: our field name → the file's column header."""

    school = models.ForeignKey(
        "core.Organisation",
        on_delete=models.CASCADE,
        related_name="+",
        limit_choices_to=SCHOOL_ONLY,
        verbose_name=_("school"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=RegisterKind.choices)
    mapping = models.JSONField(_("mapping"), default=dict)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(_("last update"), auto_now=True)

    objects = SchoolScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("column mapping")
        verbose_name_plural = _("column mappings")
        constraints = [models.UniqueConstraint(fields=["school", "kind"], name="columnmapping_one_per_kind")]

    def __str__(self) -> str:
        return f"{self.school_id} · {self.kind}"


def register_import_path(instance: RegisterImport, filename: str) -> str:
    # No names in paths (the original name is kept in the row): a random name, never guessable.
    return f"schools/imports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class RegisterImport(models.Model):
    """One uploaded register export, from preview to the confirmed, atomic import."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        PREVIEWED = "previewed", _("Previewed")
        CONFIRMED = "confirmed", _("Confirmed")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    school = models.ForeignKey(
        "core.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to=SCHOOL_ONLY,
        verbose_name=_("school"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=RegisterKind.choices)
    file = models.FileField(upload_to=register_import_path, storage=private_storage, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(max_length=64, db_index=True)
    mapping = models.JSONField(_("mapping"), default=dict)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.UPLOADED)
    rows_total = models.IntegerField(_("rows"), default=0)
    rows_done = models.IntegerField(_("rows processed"), default=0)
    rows_created = models.IntegerField(_("rows added"), default=0)
    rows_unchanged = models.IntegerField(_("rows already there"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    failure = models.TextField(_("failure"), blank=True)

    objects = SchoolScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("register import")
        verbose_name_plural = _("register imports")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["school", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.original_name}"


class AttendanceRecord(models.Model):
    class Status(models.TextChoices):
        PRESENT = "present", _("Present")
        ABSENT = "absent", _("Absent")
        LATE = "late", _("Late")
        LEFT_EARLY = "left_early", _("Left early")

    student = models.ForeignKey(
        Student, on_delete=models.CASCADE, related_name="attendance", verbose_name=_("student"), db_index=False
    )
    date = models.DateField(_("date"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    absent_hours = models.DecimalField(_("hours absent"), max_digits=4, decimal_places=1, default=Decimal("0"))
    justified = models.BooleanField(_("justified"), default=False)
    source = models.ForeignKey(
        RegisterImport, on_delete=models.SET_NULL, null=True, blank=True, related_name="attendance_records"
    )

    objects = StudentChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("attendance record")
        verbose_name_plural = _("attendance records")
        ordering = ["-date"]
        # The unique constraint's index (student, date) also serves the per-student date ranges.
        constraints = [
            models.UniqueConstraint(fields=["student", "date"], name="attendance_once_per_day"),
            models.CheckConstraint(condition=Q(absent_hours__gte=0), name="attendance_hours_not_negative"),
        ]
        # No index of the student alone or of the date: the unique constraint's (student, date) serves
        # both the student's records and the risk windows, and every index slows the 200,000-row import.

    def __str__(self) -> str:
        return f"{self.student_id} {self.date}: {self.status}"


class ResultRecord(models.Model):
    student = models.ForeignKey(
        Student, on_delete=models.CASCADE, related_name="results", verbose_name=_("student"), db_index=False
    )
    date = models.DateField(_("date"))
    subject = models.CharField(pgettext_lazy("school subject", "subject"), max_length=80)
    grade = models.DecimalField(
        pgettext_lazy("mark", "grade"),
        max_digits=4,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("10"))],
    )
    is_core_subject = models.BooleanField(_("core subject"), default=False)
    term = models.CharField(_("term"), max_length=20, blank=True)
    source = models.ForeignKey(
        RegisterImport, on_delete=models.SET_NULL, null=True, blank=True, related_name="result_records"
    )

    objects = StudentChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("result")
        verbose_name_plural = _("results")
        ordering = ["-date", "subject"]
        constraints = [
            models.UniqueConstraint(fields=["student", "subject", "date"], name="result_once_per_subject_day"),
            models.CheckConstraint(condition=Q(grade__gte=0, grade__lte=10), name="result_grade_0_10"),
        ]
        indexes = [models.Index(fields=["student", "date"])]

    def __str__(self) -> str:
        return f"{self.student_id} {self.subject} {self.date}: {self.grade}"


class BehaviourNote(models.Model):
    class Severity(models.TextChoices):
        MINOR = "minor", _("Minor")
        SERIOUS = "serious", _("Serious")

    student = models.ForeignKey(
        Student, on_delete=models.CASCADE, related_name="behaviour_notes", verbose_name=_("student"), db_index=False
    )
    date = models.DateField(_("date"))
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices, default=Severity.MINOR)
    text = EncryptedTextField(_("note"))
    # sha256 of the normalised text, so that importing the same note again adds nothing.
    text_hash = models.CharField(max_length=64)
    source = models.ForeignKey(
        RegisterImport, on_delete=models.SET_NULL, null=True, blank=True, related_name="behaviour_notes"
    )

    objects = StudentChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("behaviour note")
        verbose_name_plural = _("behaviour notes")
        ordering = ["-date", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["student", "date", "text_hash"], name="behaviournote_once"),
        ]
        indexes = [models.Index(fields=["student", "date"])]

    def __str__(self) -> str:
        return f"{self.student_id} {self.date}: {self.get_severity_display()}"


# --- Early warning -------------------------------------------------------------------------------


class RiskSettings(models.Model):
    """A school's thresholds for the early-warning indicators."""

    school = models.OneToOneField(
        "core.Organisation",
        on_delete=models.CASCADE,
        related_name="risk_settings",
        limit_choices_to=SCHOOL_ONLY,
        verbose_name=_("school"),
    )
    attendance_30_min = models.DecimalField(
        _("minimum attendance over 30 days"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.90"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
        help_text=_("A share: 0.90 means 90%."),
    )
    attendance_90_min = models.DecimalField(
        _("minimum attendance over 90 days"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.90"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
        help_text=_("A share: 0.90 means 90%."),
    )
    failing_grade_below = models.DecimalField(
        _("failing grade below"), max_digits=4, decimal_places=2, default=Decimal("6.00")
    )
    failing_core_subjects_min = models.PositiveSmallIntegerField(_("failing core subjects (at least)"), default=2)
    behaviour_notes_90_max = models.PositiveSmallIntegerField(
        _("behaviour notes in 90 days (at most)"), default=3, help_text=_("More than this triggers the indicator.")
    )
    age_grade_gap_min = models.PositiveSmallIntegerField(_("age–grade gap (years, at least)"), default=2)
    recent_arrival_years = models.PositiveSmallIntegerField(_("recent arrival (years)"), default=2)
    medium_at = models.PositiveSmallIntegerField(_("points for medium risk"), default=2)
    high_at = models.PositiveSmallIntegerField(_("points for high risk"), default=4)
    auto_open_intervention = models.BooleanField(
        _("open the intervention case automatically"),
        default=True,
        help_text=_("If unticked, the student's referent confirms before the case opens."),
    )
    act_within_days = models.PositiveSmallIntegerField(_("act within (days)"), default=7)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("last update"), auto_now=True)

    objects = SchoolScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("risk settings")
        verbose_name_plural = _("risk settings")
        constraints = [
            models.CheckConstraint(condition=Q(high_at__gte=F("medium_at")), name="risksettings_high_above_medium")
        ]

    def __str__(self) -> str:
        return f"{self.school}"

    @classmethod
    def for_school(cls, school: Organisation | int) -> RiskSettings:
        """The school's saved settings, or an unsaved row with the defaults."""
        school_id = school if isinstance(school, int) else school.pk
        found = cls.objects.filter(school_id=school_id).first()
        return found if found is not None else cls(school_id=school_id)


class RiskSignal(models.Model):
    """A student's risk level and why; written only when the level or the triggered indicators
    change, so the rows are the timeline."""

    class Review(models.TextChoices):
        PENDING = "", _("Not reviewed")
        CONFIRMED = "confirmed", _("Confirmed")
        DISMISSED = "dismissed", _("Dismissed")

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="risk_signals")
    computed_at = models.DateTimeField(_("computed"), default=timezone.now)
    level = models.CharField(_("level"), max_length=8, choices=RiskLevel.choices)
    score = models.IntegerField(_("score"), default=0)
    # [{code, label, value, threshold, triggered, points}]
    indicators = models.JSONField(_("indicators"), default=list)
    previous_level = models.CharField(_("previous level"), max_length=8, choices=RiskLevel.choices, blank=True)
    # A high-risk alert's review by the referent (or an operator) when the case does not open by
    # itself: confirmed (the help desk's case opened) or dismissed (why, in the note).
    review = models.CharField(_("review"), max_length=9, choices=Review.choices, blank=True, default="", db_default="")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    review_note = EncryptedTextField(_("review note"), blank=True, null=True)
    # When the referent was told (claimed with a conditional UPDATE: one notification per signal).
    notified_at = models.DateTimeField(_("referent notified"), null=True, blank=True)

    objects = StudentChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("risk signal")
        verbose_name_plural = _("risk signals")
        ordering = ["-computed_at", "-pk"]
        indexes = [
            models.Index(fields=["student", "-computed_at"]),
            models.Index(fields=["computed_at", "level"]),
        ]

    def __str__(self) -> str:
        return f"{self.student_id}: {self.level} ({self.computed_at:%Y-%m-%d})"


# --- Help desk (*sportello*) --------------------------------------------------------------------


class HelpDesk(models.Model):
    school = models.ForeignKey(
        "core.Organisation",
        on_delete=models.PROTECT,
        related_name="help_desks",
        limit_choices_to=SCHOOL_ONLY,
        verbose_name=_("school"),
    )
    site = models.ForeignKey(
        SchoolSite, on_delete=models.SET_NULL, null=True, blank=True, related_name="help_desks", verbose_name=_("site")
    )
    name = models.CharField(_("name"), max_length=200)
    languages = ArrayField(models.CharField(max_length=16), default=list, blank=True, verbose_name=_("languages"))
    location = models.TextField(_("location"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    objects = SchoolScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("help desk")
        verbose_name_plural = _("help desks")
        ordering = ["school", "name"]

    def __str__(self) -> str:
        return self.name


class OpeningHours(models.Model):
    help_desk = models.ForeignKey(HelpDesk, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(
        _("weekday"),
        choices=[
            (0, _("Monday")),
            (1, _("Tuesday")),
            (2, _("Wednesday")),
            (3, _("Thursday")),
            (4, _("Friday")),
            (5, _("Saturday")),
            (6, _("Sunday")),
        ],
    )
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    objects = HelpDeskChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["weekday", "opens"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="openinghours_weekday_0_6"),
            models.CheckConstraint(condition=Q(closes__gt=F("opens")), name="openinghours_closes_after_opening"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class DeskSlot(models.Model):
    """A bookable slot with a cultural mediator who speaks a language."""

    class Status(models.TextChoices):
        FREE = "free", _("Free")
        BOOKED = "booked", _("Booked")
        CANCELLED = "cancelled", _("Cancelled")
        DONE = "done", _("Done")

    help_desk = models.ForeignKey(HelpDesk, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    mediator_name = models.CharField(_("mediator"), max_length=150)
    mediator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    language = models.CharField(_("language"), max_length=16)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.FREE)
    booked_student = models.ForeignKey(
        Student,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="desk_slots",
        verbose_name=_("student"),
    )
    booked_family_name = models.CharField(_("family"), max_length=150, blank=True)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    booked_at = models.DateTimeField(_("booked"), null=True, blank=True)
    notes = EncryptedTextField(_("notes"), blank=True, null=True)

    objects = HelpDeskChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("help-desk slot")
        verbose_name_plural = _("help-desk slots")
        ordering = ["starts_at", "pk"]
        indexes = [models.Index(fields=["help_desk", "starts_at"]), models.Index(fields=["status", "starts_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="deskslot_ends_after_start")
        ]

    def __str__(self) -> str:
        return f"{self.help_desk_id} @ {self.starts_at:%Y-%m-%d %H:%M} ({self.language})"


class WalkIn(models.Model):
    """A visit to the help desk without appointment."""

    class Topic(models.TextChoices):
        ENROLMENT = "enrolment", _("Enrolment")
        LANGUAGE = "language", _("Language")
        LEARNING = "learning", _("Learning")
        FAMILY = "family", _("Family")
        DOCUMENTS = "documents", _("Documents")
        HEALTH = "health", _("Health")
        OTHER = "other", _("Other")

    help_desk = models.ForeignKey(HelpDesk, on_delete=models.CASCADE, related_name="walk_ins")
    at = models.DateTimeField(_("at"), default=timezone.now)
    student = models.ForeignKey(
        Student, on_delete=models.SET_NULL, null=True, blank=True, related_name="walk_ins", verbose_name=_("student")
    )
    visitor_name = models.CharField(_("visitor"), max_length=150, blank=True)
    language = models.CharField(_("language"), max_length=16, blank=True)
    topic = models.CharField(_("topic"), max_length=10, choices=Topic.choices)
    notes = EncryptedTextField(_("notes"), blank=True, null=True)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = HelpDeskChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("walk-in")
        verbose_name_plural = _("walk-ins")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["help_desk", "-at"])]

    def __str__(self) -> str:
        return f"{self.help_desk_id} @ {self.at:%Y-%m-%d %H:%M}"


@pghistory.track(exclude=["closing_note"])
class SupportCase(models.Model):
    """The help desk's case file for a student or a family."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    class Origin(models.TextChoices):
        DESK = "desk", _("Help desk")
        RISK = "risk", _("Early warning")

    school = models.ForeignKey(
        "core.Organisation",
        on_delete=models.PROTECT,
        related_name="support_cases",
        limit_choices_to=SCHOOL_ONLY,
        verbose_name=_("school"),
    )
    help_desk = models.ForeignKey(
        HelpDesk,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("help desk"),
    )
    students = models.ManyToManyField(Student, related_name="support_cases", blank=True, verbose_name=_("students"))
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    # None: opened by the system (the nightly early warning), not by a person.
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("opened by"),
    )
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    referent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="school_support_cases",
        verbose_name=_("referent"),
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closing_note = models.TextField(_("closing note"), blank=True)
    origin = models.CharField(_("origin"), max_length=6, choices=Origin.choices, default=Origin.DESK)
    origin_signal = models.ForeignKey(
        RiskSignal, on_delete=models.SET_NULL, null=True, blank=True, related_name="support_cases"
    )
    act_by = models.DateField(_("act by"), null=True, blank=True)
    acted_at = models.DateTimeField(_("first action"), null=True, blank=True)

    objects = SchoolScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("support case")
        verbose_name_plural = _("support cases")
        ordering = ["-opened_at", "-pk"]
        indexes = [
            models.Index(fields=["school", "status", "-opened_at"]),
            models.Index(fields=["status", "act_by"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False), name="supportcase_closed_has_date"
            )
        ]

    def __str__(self) -> str:
        return self.title


class SupportCaseNote(models.Model):
    case = models.ForeignKey(SupportCase, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    body = EncryptedTextField(_("note"))

    objects = SupportCaseChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("case note")
        verbose_name_plural = _("case notes")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"note #{self.pk}"


class SupportAction(models.Model):
    """An action or follow-up of a support case."""

    case = models.ForeignKey(SupportCase, on_delete=models.CASCADE, related_name="actions")
    title = models.CharField(_("action"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    due_on = models.DateField(_("due on"), null=True, blank=True)
    done_at = models.DateTimeField(_("done on"), null=True, blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = SupportCaseChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["done_at", "due_on"])]

    def __str__(self) -> str:
        return self.title


@pghistory.track(exclude=["outcome_note"])
class Intervention(models.Model):
    class Kind(models.TextChoices):
        TUTORING = "tutoring", _("Tutoring")
        ITALIAN_L2 = "italian_l2", _("Italian L2 course")
        FAMILY_MEETING = "family_meeting", _("Family meeting")
        MEDIATOR = "mediator", _("Cultural mediator")
        REFERRAL_PUA = "referral_pua", _("Referral to a PUA desk")
        REFERRAL_ASSOCIATION = "referral_association", _("Referral to an association")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    class Outcome(models.TextChoices):
        IMPROVED = "improved", _("Improved")
        UNCHANGED = "unchanged", _("Unchanged")
        WORSENED = "worsened", _("Worsened")

    student = models.ForeignKey(
        Student, on_delete=models.CASCADE, related_name="interventions", verbose_name=_("student")
    )
    support_case = models.ForeignKey(
        SupportCase,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="interventions",
        verbose_name=_("support case"),
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="school_interventions",
        verbose_name=_("owner"),
    )
    starts_on = models.DateField(_("starts on"), default=timezone.localdate)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PLANNED)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)
    outcome_note = models.TextField(_("outcome note"), blank=True)
    triggered_by = models.ForeignKey(
        RiskSignal, on_delete=models.SET_NULL, null=True, blank=True, related_name="interventions"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = StudentChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("intervention")
        verbose_name_plural = _("interventions")
        ordering = ["-starts_on", "-pk"]
        indexes = [
            models.Index(fields=["student", "-starts_on"]),
            models.Index(fields=["status", "kind"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="intervention_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.student_id})"


# --- Courses -------------------------------------------------------------------------------------


class Course(models.Model):
    class Kind(models.TextChoices):
        ITALIAN_L2 = "italian_l2", _("Italian as a second language (L2)")
        MOTHER_TONGUE = "mother_tongue", _("Mother tongue")
        FOREIGN_LANGUAGE = "foreign_language", _("Non-EU foreign language")
        INTERCULTURAL_LAB = "intercultural_lab", _("Intercultural lab")

    class CefrLevel(models.TextChoices):
        A1 = "A1", "A1"
        A2 = "A2", "A2"
        B1 = "B1", "B1"
        B2 = "B2", "B2"

    school = models.ForeignKey(
        "core.Organisation",
        on_delete=models.PROTECT,
        related_name="school_courses",
        limit_choices_to=SCHOOL_ONLY,
        verbose_name=_("school"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    cefr_level = models.CharField(_("CEFR level"), max_length=2, choices=CefrLevel.choices, blank=True)
    language = models.CharField(_("language"), max_length=16, blank=True)
    teacher_name = models.CharField(_("teacher"), max_length=150)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    hours_planned = models.PositiveSmallIntegerField(_("hours planned"))
    capacity = models.PositiveSmallIntegerField(_("places"), null=True, blank=True)
    school_year = models.ForeignKey(
        SchoolYear, on_delete=models.PROTECT, related_name="courses", verbose_name=_("school year")
    )

    objects = SchoolScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["-starts_on", "title"]
        indexes = [models.Index(fields=["school", "school_year", "kind"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="italian_l2") | ~Q(cefr_level=""), name="course_italian_l2_has_cefr_level"
            ),
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="course_ends_after_start"),
        ]

    def __str__(self) -> str:
        return self.title


class CourseSession(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="sessions")
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    room = models.CharField(_("room"), max_length=100, blank=True)
    topic = models.CharField(_("topic"), max_length=200, blank=True)

    objects = CourseChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("course session")
        verbose_name_plural = _("course sessions")
        ordering = ["starts_at", "pk"]
        indexes = [models.Index(fields=["course", "starts_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="coursesession_ends_after_start")
        ]

    def __str__(self) -> str:
        return f"{self.course_id} @ {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def hours(self) -> Decimal:
        """The session's length in hours (two decimals: 45 minutes is 0.75)."""
        seconds = Decimal((self.ends_at - self.starts_at).total_seconds())
        return (seconds / Decimal(3600)).quantize(Decimal("0.01"))


class Enrolment(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrolments")
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="course_enrolments")
    enrolled_on = models.DateField(_("enrolled on"), default=timezone.localdate)
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)

    objects = StudentChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("course enrolment")
        verbose_name_plural = _("course enrolments")
        ordering = ["course", "pk"]
        constraints = [models.UniqueConstraint(fields=["course", "student"], name="enrolment_once_per_course")]

    def __str__(self) -> str:
        return f"{self.student_id} → {self.course_id}"


class SessionAttendance(models.Model):
    session = models.ForeignKey(CourseSession, on_delete=models.CASCADE, related_name="attendance")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="attendance")
    present = models.BooleanField(_("present"), default=False)

    objects = SessionAttendanceQuerySet.as_manager()

    class Meta:
        verbose_name = _("session attendance")
        verbose_name_plural = _("session attendance")
        constraints = [
            models.UniqueConstraint(fields=["session", "enrolment"], name="sessionattendance_once"),
        ]
        indexes = [models.Index(fields=["enrolment", "present"])]

    def __str__(self) -> str:
        return f"{self.session_id} · {self.enrolment_id}: {self.present}"


# --- School–family messages ----------------------------------------------------------------------


class MessageTemplate(models.Model):
    class Purpose(models.TextChoices):
        ABSENCE = "absence", _("Absences")
        MEETING = "meeting", _("Meeting")
        RISK = "risk", _("Early warning")
        COURSE = "course", _("Course")
        GENERAL = "general", _("General")

    school = models.ForeignKey(
        "core.Organisation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="message_templates",
        limit_choices_to=SCHOOL_ONLY,
        verbose_name=_("school"),
        help_text=_("Leave empty for a regional template that every school can use."),
    )
    code = models.SlugField(_("code"), max_length=50)
    name = models.CharField(_("name"), max_length=200)
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices, default=Purpose.GENERAL)
    active = models.BooleanField(_("active"), default=True)

    objects = MessageTemplateQuerySet.as_manager()

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["school", "code"], name="messagetemplate_code_per_school"),
            models.UniqueConstraint(
                fields=["code"], condition=Q(school__isnull=True), name="messagetemplate_code_regional"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class MessageTemplateTranslation(models.Model):
    template = models.ForeignKey(MessageTemplate, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(_("language"), max_length=16)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(
        _("body"),
        help_text=_("Placeholders: {student_name}, {class_name}, {date}, {school_name}, {desk_hours}."),
    )

    class Meta:
        verbose_name = _("translation")
        verbose_name_plural = _("translations")
        ordering = ["language"]
        constraints = [
            models.UniqueConstraint(fields=["template", "language"], name="messagetemplatetranslation_once"),
        ]

    def __str__(self) -> str:
        return f"{self.template_id} [{self.language}]"


class FamilyMessage(models.Model):
    """A message to a student's family, rendered in the family's language as it was sent."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        PRINT = "print", _("Printed letter")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENT = "sent", _("Sent")
        PRINTED = "printed", _("Printed")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        FAILED = "failed", _("Failed")

    class AcknowledgedHow(models.TextChoices):
        LINK = "link", _("Link in the message")
        IN_PERSON = "in_person", _("In person")
        PHONE = "phone", _("By phone")

    student = models.ForeignKey(
        Student, on_delete=models.CASCADE, related_name="family_messages", verbose_name=_("student")
    )
    guardian = models.ForeignKey(
        Guardian,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("guardian"),
    )
    template = models.ForeignKey(
        MessageTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    language = models.CharField(_("language"), max_length=16)
    subject = EncryptedTextField(_("subject"))
    body = EncryptedTextField(_("body"))
    channel = models.CharField(_("channel"), max_length=6, choices=Channel.choices, default=Channel.EMAIL)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    # Empty for a draft the system proposed (the nightly early warning's risk case): nobody wrote it.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_how = models.CharField(
        _("acknowledged how"), max_length=10, choices=AcknowledgedHow.choices, blank=True
    )
    failure = models.TextField(_("failure"), blank=True)

    objects = StudentChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("family message")
        verbose_name_plural = _("family messages")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["student", "-created_at"]),
            models.Index(fields=["status", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"message #{self.pk} ({self.language})"


# --- Cultural initiatives ------------------------------------------------------------------------


class CulturalInitiative(models.Model):
    """An event on multiculturalism at school with families."""

    school = models.ForeignKey(
        "core.Organisation",
        on_delete=models.PROTECT,
        related_name="cultural_initiatives",
        limit_choices_to=SCHOOL_ONLY,
        verbose_name=_("school"),
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    date = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    families_invited = models.PositiveIntegerField(_("families invited"), default=0)
    families_participated = models.PositiveIntegerField(_("families who took part"), default=0)
    students_participated = models.PositiveIntegerField(_("students who took part"), default=0)
    languages = ArrayField(models.CharField(max_length=16), default=list, blank=True, verbose_name=_("languages"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = SchoolScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("cultural initiative")
        verbose_name_plural = _("cultural initiatives")
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["school", "date"])]

    def __str__(self) -> str:
        return self.title
