"""Associations (Action 4): migrant associations and their networks, workshops and events, and the
public booking of their sessions.

An association is a core Organisation of kind ASSOCIATION with a public profile (`Association`);
its managers hold Role.ASSOCIATION_MANAGER there and see only its events and bookings. A network
is associations working together on one specialised service, which it publishes in the core
service directory (`Network.service`), so PUA caseworkers can refer people to it.

An event (a workshop, an event, or a partner institution's cultural event) has translated texts and
one or more sessions. People book a session without an account; a workshop series
(`Event.booking_mode == SERIES`) is booked as a whole, and its bookings have no session. Seats are
never counted twice: a booking takes `seats` on its session (or on every session of its series)
while it is CONFIRMED or OFFERED, and every change of seats happens in `associations.services.booking`
with the session rows locked (`SELECT ... FOR UPDATE`, sessions in id order), so capacity holds
whatever the concurrency. Bookers' data (name, email, phone) is personal data: managers read it
through `Booking.objects.for_user`, every read of a list is audited, and it is anonymised
ASSOCIATIONS_ATTENDEE_RETENTION_DAYS after the event by the retention job.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aipim.accounts.models import Role

if TYPE_CHECKING:
    from aipim.accounts.models import User

ASSOCIATION_ONLY = {"kind": "association"}
# Roles that manage associations' events and bookings (within their association), and the regional
# roles that manage partner institutions' events and every association (administrators).
MANAGER_ROLES = (Role.ASSOCIATION_MANAGER,)
REGIONAL_EDITOR_ROLES = (Role.EDITOR, Role.ADMINISTRATOR)


def association_ids_for(user: User) -> set[int]:
    """Organisation ids of the associations `user` manages (empty for anyone else)."""
    if not user.is_authenticated or not user.is_active:
        return set()
    return user.organisation_ids(*MANAGER_ROLES)


# --- Choices ------------------------------------------------------------------------------------


class LegalForm(models.TextChoices):
    APS = "aps", _("Social promotion association (APS)")
    ODV = "odv", _("Voluntary organisation (ODV)")
    OTHER_ETS = "ets", _("Other third-sector body (ETS)")
    ASSOCIATION = "association", _("Association not in the third-sector register")
    COOPERATIVE = "cooperative", _("Social cooperative")
    INFORMAL = "informal", _("Informal group")


class NetworkSpecialty(models.TextChoices):
    """The specialised service a network offers; each maps to a category of the service directory."""

    LEGAL = "legal", _("Legal guidance")
    HEALTH_MEDIATION = "health_mediation", _("Health mediation")
    INTERPRETING = "interpreting", _("Interpreting and cultural mediation")
    JOB_ORIENTATION = "job_orientation", _("Job orientation")
    OTHER = "other", _("Other")


# NetworkSpecialty -> aipim.core.models.ServiceCategory value of the network's directory service.
SPECIALTY_SERVICE_CATEGORY = {
    NetworkSpecialty.LEGAL: "legal",
    NetworkSpecialty.HEALTH_MEDIATION: "health",
    NetworkSpecialty.INTERPRETING: "interpreting",
    NetworkSpecialty.JOB_ORIENTATION: "work",
    NetworkSpecialty.OTHER: "social",
}


class EventKind(models.TextChoices):
    WORKSHOP = "workshop", _("Workshop")
    EVENT = "event", _("Event")
    PARTNER = "partner", _("Cultural event of a partner institution")


class EventCategory(models.TextChoices):
    LANGUAGE = "language", _("Languages and conversation")
    CULTURE = "culture", _("Culture and traditions")
    ARTS = "arts", _("Arts and crafts")
    MUSIC_DANCE = "music_dance", _("Music and dance")
    FOOD = "food", _("Food and cooking")
    SPORT = "sport", _("Sport and games")
    WORK = "work", _("Work and skills")
    RIGHTS = "rights", _("Rights and services")
    HEALTH = "health", _("Health and well-being")
    FAMILIES = "families", _("Children and families")


class Audience(models.TextChoices):
    RESIDENTS = "residents", _("Residents")
    MIGRANTS = "migrants", _("Migrants")
    FAMILIES = "families", _("Families")
    SCHOOLS = "schools", _("Schools")


class EventStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    CANCELLED = "cancelled", _("Cancelled")


class BookingMode(models.TextChoices):
    NONE = "none", _("No booking: free entry")
    SESSION = "session", _("Book each session")
    SERIES = "series", _("Book the whole series")


class BookingStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    WAITING = "waiting", _("On the waiting list")
    OFFERED = "offered", _("Seat offered")
    CANCELLED = "cancelled", _("Cancelled")
    DECLINED = "declined", _("Offer declined")
    EXPIRED = "expired", _("Offer expired")


# Statuses that hold seats, and those that keep the booker's place (one per email per session).
HOLDS_SEATS = (BookingStatus.CONFIRMED, BookingStatus.OFFERED)
ACTIVE_STATUSES = (BookingStatus.CONFIRMED, BookingStatus.OFFERED, BookingStatus.WAITING)


# --- Querysets ------------------------------------------------------------------------------------


class AssociationQuerySet(models.QuerySet["Association"]):
    def public(self) -> AssociationQuerySet:
        return self.filter(is_public=True, organisation__is_active=True)

    def for_user(self, user: User) -> AssociationQuerySet:
        """Associations the user manages; editors and administrators manage them all."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser or user.has_role(*REGIONAL_EDITOR_ROLES):
            return self.all()
        return self.filter(organisation__in=association_ids_for(user))


class NetworkQuerySet(models.QuerySet["Network"]):
    def public(self) -> NetworkQuerySet:
        return self.filter(is_active=True)

    def for_user(self, user: User) -> NetworkQuerySet:
        """Networks the user may edit: those whose lead association the user manages (all for editors)."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser or user.has_role(*REGIONAL_EDITOR_ROLES):
            return self.all()
        return self.filter(lead__organisation__in=association_ids_for(user))


class EventQuerySet(models.QuerySet["Event"]):
    def public(self) -> EventQuerySet:
        """Published events of public associations, and partner events (no association)."""
        return self.filter(status__in=(EventStatus.PUBLISHED, EventStatus.CANCELLED)).filter(
            Q(association__isnull=True) | Q(association__is_public=True, association__organisation__is_active=True)
        )

    def for_user(self, user: User) -> EventQuerySet:
        """Events the user manages: its associations' events; editors and administrators all."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser or user.has_role(*REGIONAL_EDITOR_ROLES):
            return self.all()
        return self.filter(association__organisation__in=association_ids_for(user))


class SessionQuerySet(models.QuerySet["Session"]):
    def public(self) -> SessionQuerySet:
        return self.filter(event__in=Event.objects.public())

    def upcoming(self) -> SessionQuerySet:
        return self.filter(ends_at__gte=timezone.now())

    def for_user(self, user: User) -> SessionQuerySet:
        return self.filter(event__in=Event.objects.for_user(user))


class BookingQuerySet(models.QuerySet["Booking"]):
    def for_user(self, user: User) -> BookingQuerySet:
        """Bookings of the events the user manages (personal data: the caller audits the read).
        Editors manage partner events but read only those events' bookings, not associations'."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser or user.has_role(Role.ADMINISTRATOR):
            return self.all()
        scope = Q(event__association__organisation__in=association_ids_for(user))
        if user.has_role(Role.EDITOR):
            scope |= Q(event__association__isnull=True)
        return self.filter(scope)

    def holding_seats(self) -> BookingQuerySet:
        return self.filter(status__in=HOLDS_SEATS)

    def active(self) -> BookingQuerySet:
        return self.filter(status__in=ACTIVE_STATUSES)


class CheckInQuerySet(models.QuerySet["CheckIn"]):
    def for_user(self, user: User) -> CheckInQuerySet:
        return self.filter(booking__in=Booking.objects.for_user(user))


class BookingMessageQuerySet(models.QuerySet["BookingMessage"]):
    def for_user(self, user: User) -> BookingMessageQuerySet:
        return self.filter(booking__in=Booking.objects.for_user(user))


# --- Associations and networks ------------------------------------------------------------------


class Association(models.Model):
    """The public profile of an association (a core Organisation of kind ASSOCIATION): name,
    municipality, contacts and translated description live on the Organisation."""

    organisation = models.OneToOneField(
        "core.Organisation",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="association",
        limit_choices_to=ASSOCIATION_ONLY,
        verbose_name=_("organisation"),
    )
    slug = models.SlugField(_("web address"), max_length=80, unique=True)
    legal_form = models.CharField(_("legal form"), max_length=16, choices=LegalForm.choices)
    runts_number = models.CharField(
        _("RUNTS number"),
        max_length=20,
        blank=True,
        help_text=_("Number in the national third-sector register (RUNTS), when the association is registered."),
    )
    founded_year = models.PositiveSmallIntegerField(
        _("year founded"), null=True, blank=True, validators=[MinValueValidator(1900), MaxValueValidator(2100)]
    )
    languages = ArrayField(models.CharField(max_length=8), default=list, blank=True, verbose_name=_("languages spoken"))
    is_migrant_led = models.BooleanField(
        _("run by migrants"), default=False, help_text=_("Most of its board are people with a migrant background.")
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    is_public = models.BooleanField(_("public page"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(_("last update"), auto_now=True)

    objects = AssociationQuerySet.as_manager()

    class Meta:
        verbose_name = _("association")
        verbose_name_plural = _("associations")
        ordering = ["organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["runts_number"], condition=~Q(runts_number=""), name="association_unique_runts_number"
            ),
        ]

    def __str__(self) -> str:
        return self.organisation.name

    @property
    def name(self) -> str:
        return self.organisation.name


class Network(models.Model):
    """Associations working together on one specialised service, published in the service directory."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("web address"), max_length=80, unique=True)
    specialty = models.CharField(_("specialised service"), max_length=20, choices=NetworkSpecialty.choices)
    description = models.TextField(_("the service, for the public"))
    how_to_access = models.TextField(_("how to access it"), blank=True)
    lead = models.ForeignKey(
        Association,
        on_delete=models.PROTECT,
        related_name="led_networks",
        verbose_name=_("lead association"),
        help_text=_("The association that coordinates the network and answers referrals."),
    )
    members = models.ManyToManyField(  # type: ignore[var-annotated]
        Association, through="NetworkMembership", related_name="networks", verbose_name=_("member associations")
    )
    service = models.OneToOneField(
        "core.Service",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="network",
        verbose_name=_("directory service"),
        help_text=_("The network's service in the directory that PUA caseworkers refer people to."),
    )
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(_("last update"), auto_now=True)

    objects = NetworkQuerySet.as_manager()

    class Meta:
        verbose_name = _("network")
        verbose_name_plural = _("networks")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class NetworkMembership(models.Model):
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="memberships")
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="network_memberships")
    joined_on = models.DateField(_("joined on"), default=timezone.localdate)
    left_on = models.DateField(_("left on"), null=True, blank=True)
    role = models.CharField(_("role in the network"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("network member")
        verbose_name_plural = _("network members")
        constraints = [
            models.UniqueConstraint(fields=["network", "association"], name="network_member_once"),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=F("joined_on")), name="network_member_left_after"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.association} · {self.network}"


# --- Events and sessions ------------------------------------------------------------------------


class Event(models.Model):
    """A workshop or an event with one or more sessions. Translated fields (title, summary,
    description, accessibility_notes, led_by_description) through django-modeltranslation."""

    association = models.ForeignKey(
        Association,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("association"),
        help_text=_("Empty for a partner institution's event, which regional editors manage."),
    )
    partner_name = models.CharField(
        _("partner institution"), max_length=200, blank=True, help_text=_("Who organises a partner event.")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=EventKind.choices, default=EventKind.WORKSHOP)
    slug = models.SlugField(_("web address"), max_length=100, unique=True)
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(_("category"), max_length=16, choices=EventCategory.choices)
    audiences = ArrayField(
        models.CharField(max_length=12, choices=Audience.choices), default=list, verbose_name=_("audience")
    )
    languages = ArrayField(models.CharField(max_length=8), default=list, verbose_name=_("languages spoken"))
    is_migrant_led = models.BooleanField(_("led by migrants"), default=False)
    led_by = models.CharField(_("led by"), max_length=200, blank=True)
    accessibility_notes = models.TextField(_("accessibility"), blank=True)
    external_url = models.URLField(_("web page"), blank=True)
    status = models.CharField(_("status"), max_length=12, choices=EventStatus.choices, default=EventStatus.DRAFT)
    booking_mode = models.CharField(
        _("booking"), max_length=8, choices=BookingMode.choices, default=BookingMode.SESSION
    )
    max_seats_per_booking = models.PositiveSmallIntegerField(
        _("seats per booking, at most"), default=4, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    offer_hours = models.PositiveSmallIntegerField(
        _("hours to claim an offered seat"), default=24, validators=[MinValueValidator(1), MaxValueValidator(168)]
    )
    cancelled_reason = models.TextField(_("reason for cancelling"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(_("last update"), auto_now=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["title"]
        indexes = [models.Index(fields=["status", "category"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(association__isnull=False) | ~Q(partner_name=""), name="event_has_organiser"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def organiser_name(self) -> str:
        return self.association.name if self.association_id else self.partner_name  # type: ignore[union-attr]

    @property
    def is_bookable(self) -> bool:
        return self.status == EventStatus.PUBLISHED and self.booking_mode != BookingMode.NONE


class Session(models.Model):
    """One date of an event: when, where, how many seats. `capacity` 0 means no limit only when the
    event has no booking; bookable sessions need a capacity of at least 1."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        CANCELLED = "cancelled", _("Cancelled")

    id = models.BigAutoField(primary_key=True)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("event"))
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    venue = models.CharField(_("place"), max_length=200)
    address = models.CharField(_("address"), max_length=200)
    municipality = models.ForeignKey(
        "core.Municipality", on_delete=models.PROTECT, related_name="+", verbose_name=_("municipality")
    )
    capacity = models.PositiveIntegerField(_("seats"), default=20)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.SCHEDULED)
    cancelled_at = models.DateTimeField(_("cancelled on"), null=True, blank=True)
    cancelled_reason = models.TextField(_("reason for cancelling"), blank=True)
    # Set by the booking service when the session's attendee list is anonymised (retention).
    attendees_anonymised_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = SessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["starts_at"]),
            models.Index(fields=["municipality", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="session_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.event} · {timezone.localtime(self.starts_at):%d/%m/%Y %H:%M}"


# --- Bookings -------------------------------------------------------------------------------------


class Booking(models.Model):
    """Seats booked by one person for a session, or for a whole series (session empty).

    Lifecycle: CONFIRMED (holds seats) or WAITING (queued, in created_at order) → OFFERED (holds
    `seats_offered` seats until `offer_expires_at`) → CONFIRMED / DECLINED / EXPIRED; any of them →
    CANCELLED. `contact_key` is the lower-cased email, or the phone's digits when there is no email:
    one active booking per contact per session (per series)."""

    id = models.BigAutoField(primary_key=True)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("booking code"), max_length=12, unique=True)
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("event"))
    session = models.ForeignKey(
        Session, on_delete=models.PROTECT, null=True, blank=True, related_name="bookings", verbose_name=_("session")
    )
    status = models.CharField(_("status"), max_length=12, choices=BookingStatus.choices)
    seats = models.PositiveSmallIntegerField(_("seats"), validators=[MinValueValidator(1)])
    seats_offered = models.PositiveSmallIntegerField(_("seats offered"), default=0)
    name = models.CharField(_("name"), max_length=150)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    contact_key = models.CharField(max_length=254, editable=False)
    language = models.CharField(_("language for messages"), max_length=8, default="it")
    audience = models.CharField(
        _("I am"), max_length=12, choices=Audience.choices, blank=True, help_text=_("Optional, for statistics.")
    )
    consent_at = models.DateTimeField(_("privacy notice accepted on"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bookings",
        help_text=_("The light account that made the booking, if any."),
    )
    offered_at = models.DateTimeField(_("offered on"), null=True, blank=True)
    offer_expires_at = models.DateTimeField(_("offer expires on"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed on"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled on"), null=True, blank=True)
    created_at = models.DateTimeField(_("booked on"), default=timezone.now)
    anonymised_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = BookingQuerySet.as_manager()

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["session", "status", "created_at"]),
            models.Index(fields=["event", "status", "created_at"]),
            models.Index(fields=["status", "offer_expires_at"]),
            models.Index(fields=["contact_key"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "contact_key"],
                condition=Q(session__isnull=False, status__in=ACTIVE_STATUSES),
                name="booking_one_active_per_contact_and_session",
            ),
            models.UniqueConstraint(
                fields=["event", "contact_key"],
                condition=Q(session__isnull=True, status__in=ACTIVE_STATUSES),
                name="booking_one_active_per_contact_and_series",
            ),
            models.CheckConstraint(condition=Q(seats__gte=1), name="booking_at_least_one_seat"),
            models.CheckConstraint(condition=Q(seats_offered__lte=F("seats")), name="booking_offer_within_seats"),
            models.CheckConstraint(
                condition=~Q(status=BookingStatus.OFFERED) | Q(seats_offered__gte=1, offer_expires_at__isnull=False),
                name="booking_offer_has_seats_and_deadline",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def seats_held(self) -> int:
        """Seats this booking takes on its session(s) now."""
        if self.status == BookingStatus.CONFIRMED:
            return self.seats
        if self.status == BookingStatus.OFFERED:
            return self.seats_offered
        return 0


class CheckIn(models.Model):
    """A booked person came to a session (ticked by a manager at the door)."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="check_ins")
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="check_ins")
    seats = models.PositiveSmallIntegerField(_("people present"), default=1, validators=[MinValueValidator(1)])
    checked_in_at = models.DateTimeField(default=timezone.now)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = CheckInQuerySet.as_manager()

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        constraints = [models.UniqueConstraint(fields=["booking", "session"], name="checkin_once_per_session")]

    def __str__(self) -> str:
        return f"{self.booking_id} · {self.session_id}"


class BookingMessage(models.Model):
    """An email (or SMS later) to a booker, written in the booker's language before it is sent, so
    that none is lost when the mail server is down: Celery sends it with retries, and one that gives
    up stays FAILED, shown to the event's managers, who can send it again."""

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", _("Booking confirmed")
        WAITING = "waiting", _("On the waiting list")
        OFFER = "offer", _("Seat offered")
        CANCELLED = "cancelled", _("Booking cancelled")
        SESSION_CANCELLED = "session_cancelled", _("Session cancelled")
        OFFER_EXPIRED = "offer_expired", _("Offer expired")

    class Status(models.TextChoices):
        PENDING = "pending", _("To send")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("message"), max_length=20, choices=Kind.choices)
    language = models.CharField(_("language"), max_length=8)
    recipient = models.EmailField(_("to"), blank=True)
    subject = models.CharField(_("subject"), max_length=250)
    body = models.TextField(_("text"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(_("sent on"), null=True, blank=True)

    objects = BookingMessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("message to a booker")
        verbose_name_plural = _("messages to bookers")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.booking_id}"


def contact_key(email: str, phone: str) -> str:
    """The key that makes one booking per person per session: the lower-cased email, else the phone's digits."""
    if email.strip():
        return email.strip().lower()
    digits = "".join(ch for ch in phone if ch.isdigit())
    return f"tel:{digits[-10:]}" if digits else ""


def free_seats(session: Session, held: int) -> int:
    """Seats left on `session` when bookings hold `held` of them (never negative)."""
    return max(session.capacity - held, 0)
