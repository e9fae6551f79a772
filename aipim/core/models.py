"""The few concepts every action shares: places, organisations, the service directory (HSDS),
the people the programme serves, their consents, and the audit trail."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from aipim.accounts.models import Role
from aipim.core.fields import EncryptedTextField
from aipim.core.names import name_key

if TYPE_CHECKING:
    from aipim.accounts.models import User


class Municipality(models.Model):
    """An Italian comune, from ISTAT's list (loaded by a data migration)."""

    istat_code = models.CharField(_("ISTAT code"), max_length=6, unique=True)
    name = models.CharField(_("name"), max_length=120)
    province = models.CharField(_("province"), max_length=60)
    province_code = models.CharField(_("province code"), max_length=2)
    cadastral_code = models.CharField(_("cadastral code"), max_length=4, blank=True)

    class Meta:
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.province_code})"


@pghistory.track()
class Organisation(models.Model):
    """Anyone who acts in the programme: a PUA desk, a school, an association, a service
    provider, the regional office. Memberships give users roles within one."""

    class Kind(models.TextChoices):
        PUA_DESK = "pua_desk", _("PUA desk")
        SCHOOL = "school", _("School")
        ASSOCIATION = "association", _("Association")
        SERVICE_PROVIDER = "service_provider", _("Service provider")
        REGIONAL_OFFICE = "regional_office", _("Regional office")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    code = models.SlugField(
        _("code"), max_length=20, unique=True, help_text=_("Short code used in case numbers, e.g. IRS.")
    )
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="organisations", verbose_name=_("municipality")
    )
    description = models.TextField(_("description"), blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    website = models.URLField(_("website"), blank=True)
    tax_id = models.CharField(_("tax code"), max_length=20, blank=True)
    is_example = models.BooleanField(
        _("example"), default=False, help_text=_("Demo organisation that stands in for a real one.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("last update"), auto_now=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        indexes = [models.Index(fields=["kind", "municipality"])]

    def __str__(self) -> str:
        return self.name


# --- Service directory (Open Referral HSDS 3.0: Organisation → Service → Location) ----------


class ServiceCategory(models.TextChoices):
    HEALTH = "health", _("Health")
    WORK = "work", _("Work and job placement")
    HOUSING = "housing", _("Housing")
    LEGAL = "legal", _("Legal guidance and documents")
    LANGUAGE = "language", _("Italian language")
    EDUCATION = "education", _("School and education")
    SOCIAL = "social", _("Social services")
    INTERPRETING = "interpreting", _("Interpreting and cultural mediation")
    CULTURE = "culture", _("Culture and community")


class ServiceQuerySet(models.QuerySet["Service"]):
    def published(self) -> ServiceQuerySet:
        return self.filter(status=Service.Status.ACTIVE, organisation__is_active=True)


@pghistory.track()
class Service(models.Model):
    """A service offered by an organisation: what PUA referrals target, what association
    networks and school help desks publish, what portal sync exchanges as HSDS."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        INACTIVE = "inactive", _("Inactive")
        DEFUNCT = "defunct", _("Defunct")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="services", verbose_name=_("organisation")
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(_("category"), max_length=20, choices=ServiceCategory.choices)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    eligibility_description = models.TextField(_("who can use it"), blank=True)
    application_process = models.TextField(_("how to access it"), blank=True)
    fees_description = models.CharField(_("fees"), max_length=200, blank=True)
    languages = ArrayField(models.CharField(max_length=8), default=list, blank=True, verbose_name=_("languages spoken"))
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    url = models.URLField(_("website"), blank=True)
    acknowledgement_days = models.PositiveSmallIntegerField(_("days to acknowledge a referral"), default=5)
    locations = models.ManyToManyField(  # type: ignore[var-annotated]
        "Location", related_name="services", blank=True, verbose_name=_("locations")
    )
    external_id = models.CharField(_("external id"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("last update"), auto_now=True)

    objects = ServiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["name"]
        indexes = [models.Index(fields=["category", "status"])]

    def __str__(self) -> str:
        return self.name


class Location(models.Model):
    """Where a service is offered (HSDS location with its physical address)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="locations", verbose_name=_("organisation")
    )
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=200)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, verbose_name=_("municipality"))
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    accessibility = models.TextField(_("accessibility"), blank=True)
    transportation = models.CharField(_("how to get there"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}, {self.municipality.name}"


class Schedule(models.Model):
    """Weekly opening hours of a service (HSDS schedule with freq=WEEKLY)."""

    class Weekday(models.TextChoices):
        MO = "MO", _("Monday")
        TU = "TU", _("Tuesday")
        WE = "WE", _("Wednesday")
        TH = "TH", _("Thursday")
        FR = "FR", _("Friday")
        SA = "SA", _("Saturday")
        SU = "SU", _("Sunday")

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="schedules")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, null=True, blank=True, related_name="schedules")
    weekday = models.CharField(_("day"), max_length=2, choices=Weekday.choices)
    opens_at = models.TimeField(_("opens at"))
    closes_at = models.TimeField(_("closes at"))
    notes = models.CharField(_("notes"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["service", "weekday", "opens_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")), name="schedule_opens_before_closes"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}–{self.closes_at:%H:%M}"


class Contact(models.Model):
    """A named contact for a service (HSDS contact with one phone)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=120)
    title = models.CharField(_("role"), max_length=120, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return self.name


# --- People the programme serves ---------------------------------------------------------------


class Household(models.Model):
    """People who live together; a Person may belong to one."""

    label = models.CharField(_("label"), max_length=120, help_text=_("A short name, e.g. the family name."))
    address = EncryptedTextField(_("address"), blank=True, null=True)
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("municipality")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return self.label


class PersonQuerySet(models.QuerySet["Person"]):
    def for_user(self, user: User) -> PersonQuerySet:
        """People linked to one of the user's organisations; administrators see everyone
        (they answer access and erasure requests); every other role sees no one."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_administrator:
            return self.all()
        # Association managers, editors and officials hold no beneficiary records (least privilege).
        organisations = user.organisation_ids(
            Role.CASEWORKER, Role.PUA_SUPERVISOR, Role.SCHOOL_OPERATOR, Role.SCHOOL_STAFF
        )
        if not organisations:
            return self.none()
        return self.filter(
            pk__in=PersonLink.objects.filter(organisation__in=organisations, ended_at__isnull=True).values("person")
        )


@pghistory.track(exclude=["address"])
class Person(models.Model):
    """A beneficiary of the programme (a third-country national, or a family member).

    Names are kept as written (any script) and in a Latin transliteration for searching."""

    class Sex(models.TextChoices):
        FEMALE = "F", _("Female")
        MALE = "M", _("Male")
        OTHER = "X", _("Other")
        UNKNOWN = "U", _("Not stated")

    class HouseholdRole(models.TextChoices):
        HEAD = "head", _("Head of household")
        PARTNER = "partner", _("Partner")
        CHILD = "child", _("Child")
        PARENT = "parent", _("Parent")
        OTHER = "other", _("Other relative")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    given_names = models.CharField(_("given names (as written)"), max_length=150)
    family_names = models.CharField(_("family names (as written)"), max_length=150)
    given_names_latin = models.CharField(_("given names (Latin letters)"), max_length=150, blank=True)
    family_names_latin = models.CharField(_("family names (Latin letters)"), max_length=150, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    citizenship = CountryField(_("citizenship"), blank=True)
    languages = ArrayField(models.CharField(max_length=8), default=list, blank=True, verbose_name=_("languages"))
    preferred_language = models.CharField(_("preferred language"), max_length=8, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    address = EncryptedTextField(_("address"), blank=True, null=True)
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("municipality of residence")
    )
    household = models.ForeignKey(
        Household, on_delete=models.SET_NULL, null=True, blank=True, related_name="members", verbose_name=_("household")
    )
    household_role = models.CharField(_("role in household"), max_length=10, choices=HouseholdRole.choices, blank=True)
    # Normalised words of every name (aipim.core.names.name_key), for spelling-proof search.
    name_key = models.CharField(max_length=400, blank=True, default="", db_default="", editable=False)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last update"), auto_now=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["family_names_latin", "given_names_latin", "pk"]
        indexes = [
            models.Index(fields=["family_names_latin", "given_names_latin"]),
            models.Index(fields=["birth_date"]),
            GinIndex(fields=["name_key"], opclasses=["gin_trgm_ops"], name="person_name_key_trgm"),
        ]

    def __str__(self) -> str:
        return self.display_name

    def save(self, *args: object, **kwargs: object) -> None:
        # The Latin form defaults to the written one, so every person can be found by search.
        self.given_names_latin = self.given_names_latin or self.given_names
        self.family_names_latin = self.family_names_latin or self.family_names
        self.name_key = name_key(self.given_names_latin, self.family_names_latin, self.given_names, self.family_names)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "name_key"}  # type: ignore[misc]
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def display_name(self) -> str:
        written = f"{self.given_names} {self.family_names}".strip()
        latin = f"{self.given_names_latin} {self.family_names_latin}".strip()
        if latin and latin != written:
            return f"{written} ({latin})"
        return written


class PersonLinkQuerySet(models.QuerySet["PersonLink"]):
    def for_user(self, user: User) -> PersonLinkQuerySet:
        return self.filter(person__in=Person.objects.for_user(user))

    def active(self) -> PersonLinkQuerySet:
        return self.filter(ended_at__isnull=True)


class PersonLink(models.Model):
    """An organisation holds a record about a person (a desk's case, a school's student).

    This is what scopes Person: a user sees the people linked to their organisations."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="links")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="person_links")
    reason = models.CharField(_("reason"), max_length=40)
    created_at = models.DateTimeField(_("since"), default=timezone.now)
    ended_at = models.DateTimeField(_("until"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    objects = PersonLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("link to an organisation")
        verbose_name_plural = _("links to organisations")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "organisation", "reason"],
                condition=models.Q(ended_at__isnull=True),
                name="personlink_one_open_per_reason",
            )
        ]
        indexes = [models.Index(fields=["organisation", "ended_at"])]

    def __str__(self) -> str:
        return f"{self.person_id} · {self.organisation_id} · {self.reason}"


class ConsentQuerySet(models.QuerySet["Consent"]):
    def for_user(self, user: User) -> ConsentQuerySet:
        return self.filter(person__in=Person.objects.for_user(user))

    def in_force(self) -> ConsentQuerySet:
        return self.filter(withdrawn_at__isnull=True)


@pghistory.track()
class Consent(models.Model):
    """A person's consent (or a guardian's, for a minor) to one purpose, until withdrawn."""

    class Purpose(models.TextChoices):
        CASE_MANAGEMENT = "case_management", _("Case management at a PUA desk")
        HEALTH_SHARING = "health_sharing", _("Sharing with health services")
        JOB_SHARING = "job_sharing", _("Sharing with job-placement services")
        DESK_SHARING = "desk_sharing", _("Sharing with another PUA desk")
        SCHOOL_SUPPORT = "school_support", _("School help-desk support")
        SCHOOL_TO_PUA = "school_to_pua", _("Hand-off from school to a PUA desk")
        COMMUNICATIONS = "communications", _("Messages and reminders")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consents", verbose_name=_("person"))
    purpose = models.CharField(_("purpose"), max_length=32, choices=Purpose.choices)
    given_at = models.DateTimeField(_("given on"), default=timezone.now)
    given_by_name = models.CharField(
        _("given by"),
        max_length=150,
        blank=True,
        help_text=_("Leave empty if the person gave it; else the guardian's name."),
    )
    evidence = models.CharField(
        _("evidence"), max_length=200, help_text=_("How it was given, e.g. 'signed form, protocol 123/2026'.")
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("collected by")
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    withdrawn_at = models.DateTimeField(_("withdrawn on"), null=True, blank=True)
    withdrawn_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ConsentQuerySet.as_manager()

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-given_at"]
        indexes = [models.Index(fields=["person", "purpose", "withdrawn_at"])]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} ({self.given_at:%Y-%m-%d})"

    @property
    def in_force(self) -> bool:
        return self.withdrawn_at is None


class AuditEvent(models.Model):
    """Who did what to which record, when and from where. Written by `aipim.core.audit.record`.

    Holds references (type and id), never the personal data itself."""

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    user_email = models.CharField(_("user email"), max_length=254, blank=True)
    action = models.CharField(_("action"), max_length=60, db_index=True)
    object_type = models.CharField(_("record type"), max_length=80, blank=True)
    object_id = models.CharField(_("record id"), max_length=64, blank=True)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("organisation")
    )
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["user", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_email} {self.action} {self.object_type}#{self.object_id}"


class Feedback(models.Model):
    """A message from the feedback form in the footer (AgID guidelines)."""

    class Rating(models.IntegerChoices):
        VERY_BAD = 1, _("Very bad")
        BAD = 2, _("Bad")
        FAIR = 3, _("Fair")
        GOOD = 4, _("Good")
        VERY_GOOD = 5, _("Very good")

    page = models.CharField(_("page"), max_length=200, blank=True)
    rating = models.PositiveSmallIntegerField(_("how was your visit?"), choices=Rating.choices)
    message = models.TextField(_("your comment"), max_length=2000, blank=True)
    language = models.CharField(max_length=8, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d} {self.rating}"
