"""Portal sync (Action 3): the two-way link between the national Portale Integrazione Migranti and
the regional information system.

An `Endpoint` is one remote system seen through one adapter (`portal_sync/adapters/<adapter>.py`):
a feed or API we pull from, or a system we push to. A pull run (`SyncRun`) upserts each remote
record as a `ContentItem` keyed by (endpoint, external_id) with a content hash: an unchanged record
writes nothing; a changed one becomes a new `ContentVersion` (the old one is kept) and goes back to
review when it was published; a record gone from the remote is withdrawn. Records the adapter cannot
read are `RejectedRecord`s with a reason, never a crashed run. Editors move items through
received → in review → approved → published → withdrawn.

Every push is an `OutboxMessage`, written in the same transaction as the change that causes it,
drained by Celery with exponential backoff and jitter; one that fails `Endpoint.max_attempts` times
is DEAD, shown on the operations page, and retried or discarded by an editor.

Nothing here is personal data: items are public information and services; runs and messages hold
counts and public records. Credentials are encrypted and never shown back.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from aipim.accounts.models import Role
from aipim.core.fields import EncryptedTextField

if TYPE_CHECKING:
    from aipim.accounts.models import User

# Who works in this app: editors run the editorial workflow and the operations page; regional
# officials read the dashboard and the report; administrators configure endpoints.
EDITOR_ROLES = (Role.EDITOR, Role.ADMINISTRATOR)
READER_ROLES = (Role.EDITOR, Role.REGIONAL_OFFICIAL, Role.ADMINISTRATOR)


def can_edit(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and (user.is_superuser or user.has_role(*EDITOR_ROLES)))


class Adapter(models.TextChoices):
    FEED = "feed", _("Atom or RSS feed")
    HSDS = "hsds", _("Open Referral HSDS 3.0 API")
    ICAL = "ical", _("iCalendar feed")
    CKAN = "ckan", _("CKAN open-data portal")


class Direction(models.TextChoices):
    PULL = "pull", _("Pull: we read from it")
    PUSH = "push", _("Push: we send to it")


class ItemKind(models.TextChoices):
    NEWS = "news", _("News")
    OPPORTUNITY = "opportunity", _("Opportunity")
    SERVICE = "service", _("Service")
    EVENT = "event", _("Event")


class ItemState(models.TextChoices):
    RECEIVED = "received", _("Received")
    IN_REVIEW = "in_review", _("In review")
    APPROVED = "approved", _("Approved")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class EndpointQuerySet(models.QuerySet["Endpoint"]):
    def enabled(self) -> EndpointQuerySet:
        return self.filter(enabled=True)

    def for_user(self, user: User) -> EndpointQuerySet:
        """Endpoints are configuration, not personal data: the app's roles read them all."""
        if user.is_authenticated and user.is_active and (user.is_superuser or user.has_role(*READER_ROLES)):
            return self.all()
        return self.none()


class Endpoint(models.Model):
    """One remote system through one adapter. `credentials` (a token, or "user:password") is
    encrypted and write-only: pages and the command never print it, only whether it is set.
    `options` holds adapter settings (e.g. a feed's item kind, a CKAN organisation and dataset)."""

    name = models.SlugField(_("name"), max_length=60, unique=True)
    title = models.CharField(_("title"), max_length=200)
    adapter = models.CharField(_("adapter"), max_length=8, choices=Adapter.choices)
    direction = models.CharField(_("direction"), max_length=4, choices=Direction.choices)
    url = models.URLField(_("address"), max_length=500)
    credentials = EncryptedTextField(_("credentials"), null=True, blank=True)
    options = models.JSONField(_("options"), default=dict, blank=True)
    item_kind = models.CharField(
        _("kind of items"),
        max_length=12,
        choices=ItemKind.choices,
        blank=True,
        help_text=_("For feeds: what their entries are (news, opportunities, events)."),
    )
    interval_minutes = models.PositiveIntegerField(
        _("run every (minutes)"), default=60, validators=[MinValueValidator(1), MaxValueValidator(7 * 24 * 60)]
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    max_attempts = models.PositiveSmallIntegerField(
        _("attempts before a message is dead"), default=8, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    timeout_seconds = models.PositiveSmallIntegerField(_("timeout (seconds)"), default=20)
    # Where the last successful pull stopped (e.g. the HSDS modified_after watermark); moved only
    # when a run finishes, so a run killed half-way is redone from the same point.
    cursor = models.CharField(max_length=200, blank=True, editable=False)
    next_run_at = models.DateTimeField(_("next run"), null=True, blank=True)
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True, editable=False)
    last_success_at = models.DateTimeField(_("last success"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)
    consecutive_failures = models.PositiveIntegerField(_("failures in a row"), default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EndpointQuerySet.as_manager()

    class Meta:
        verbose_name = _("endpoint")
        verbose_name_plural = _("endpoints")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.title or self.name

    @property
    def is_healthy(self) -> bool:
        return self.consecutive_failures == 0


class ContentItemQuerySet(models.QuerySet["ContentItem"]):
    def published(self) -> ContentItemQuerySet:
        return self.filter(state=ItemState.PUBLISHED)

    def for_user(self, user: User) -> ContentItemQuerySet:
        if user.is_authenticated and user.is_active and (user.is_superuser or user.has_role(*READER_ROLES)):
            return self.all()
        return self.none()


class ContentItem(models.Model):
    """A record pulled from a remote system, as the editors see it: the current version's texts
    (translated by editors: title, summary through django-modeltranslation) and its editorial state.
    `body` is sanitised HTML (never the remote's raw markup); `payload` the normalised remote record
    (for services: the HSDS service document)."""

    id = models.BigAutoField(primary_key=True)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    endpoint = models.ForeignKey(Endpoint, on_delete=models.PROTECT, related_name="items", verbose_name=_("source"))
    external_id = models.CharField(_("id at the source"), max_length=300)
    kind = models.CharField(_("kind"), max_length=12, choices=ItemKind.choices)
    state = models.CharField(_("state"), max_length=10, choices=ItemState.choices, default=ItemState.RECEIVED)
    title = models.CharField(_("title"), max_length=500)
    summary = models.TextField(_("summary"), blank=True)
    body = models.TextField(_("text"), blank=True)
    url = models.URLField(_("link"), max_length=1000, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    source_published_at = models.DateTimeField(_("published at the source"), null=True, blank=True)
    source_updated_at = models.DateTimeField(_("updated at the source"), null=True, blank=True)
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    location = models.CharField(_("place"), max_length=500, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    content_hash = models.CharField(max_length=64)
    version = models.PositiveIntegerField(_("version"), default=1)
    changed_after_publishing = models.BooleanField(
        _("changed at the source after publishing"), default=False, editable=False
    )
    removed_at_source_at = models.DateTimeField(_("removed at the source on"), null=True, blank=True)
    state_changed_at = models.DateTimeField(_("state changed on"), default=timezone.now)
    state_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(_("published on"), null=True, blank=True)
    withdrawn_reason = models.CharField(_("reason for withdrawing"), max_length=300, blank=True)
    # The core directory service a published SERVICE item became (aipim.core.hsds.service_from_hsds).
    service = models.ForeignKey(
        "core.Service", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    received_at = models.DateTimeField(_("received on"), default=timezone.now)
    updated_at = models.DateTimeField(_("last update"), auto_now=True)

    objects = ContentItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("content item")
        verbose_name_plural = _("content items")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "external_id"], name="item_once_per_endpoint"),
        ]
        indexes = [
            models.Index(fields=["state", "kind", "-published_at"]),
            models.Index(fields=["kind", "-published_at"], condition=Q(state="published"), name="item_published"),
        ]

    def __str__(self) -> str:
        return self.title


class ContentVersion(models.Model):
    """One version of an item as the source sent it, kept for the diff between versions."""

    item = models.ForeignKey(ContentItem, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField(_("version"))
    content_hash = models.CharField(max_length=64)
    title = models.CharField(_("title"), max_length=500)
    summary = models.TextField(_("summary"), blank=True)
    body = models.TextField(_("text"), blank=True)
    payload = models.JSONField(default=dict, blank=True)
    run = models.ForeignKey("SyncRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    received_at = models.DateTimeField(_("received on"), default=timezone.now)

    class Meta:
        verbose_name = _("version")
        verbose_name_plural = _("versions")
        ordering = ["item", "-version"]
        constraints = [models.UniqueConstraint(fields=["item", "version"], name="version_once_per_item")]

    def __str__(self) -> str:
        return f"{self.item_id} v{self.version}"


class SyncRun(models.Model):
    """One run of one endpoint: a pull (items seen, created, updated, unchanged, withdrawn, failed)
    or a drain of its outbox (pushed, failed). A run left RUNNING by a killed worker is marked
    ABANDONED by the next run of the same endpoint, which redoes its work."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        PARTIAL = "partial", _("Succeeded with rejected records")
        FAILED = "failed", _("Failed")
        ABANDONED = "abandoned", _("Abandoned (worker stopped)")

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("Schedule")
        PAGE = "page", _("Started from the page")
        COMMAND = "command", _("Command line")

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="runs")
    direction = models.CharField(_("direction"), max_length=4, choices=Direction.choices)
    trigger = models.CharField(_("started by"), max_length=10, choices=Trigger.choices, default=Trigger.SCHEDULE)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    seen = models.PositiveIntegerField(pgettext_lazy("number of items in a run", "seen"), default=0)
    created = models.PositiveIntegerField(pgettext_lazy("number of items in a run", "created"), default=0)
    updated = models.PositiveIntegerField(pgettext_lazy("number of items in a run", "updated"), default=0)
    unchanged = models.PositiveIntegerField(pgettext_lazy("number of items in a run", "unchanged"), default=0)
    withdrawn = models.PositiveIntegerField(pgettext_lazy("number of items in a run", "withdrawn"), default=0)
    failed = models.PositiveIntegerField(pgettext_lazy("number of items in a run", "failed"), default=0)
    pushed = models.PositiveIntegerField(pgettext_lazy("number of items in a run", "pushed"), default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("run")
        verbose_name_plural = _("runs")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["endpoint", "-started_at"])]
        constraints = [
            # Two runs of one endpoint never overlap (the run also holds an advisory lock).
            models.UniqueConstraint(fields=["endpoint"], condition=Q(status="running"), name="one_running_run"),
        ]

    def __str__(self) -> str:
        return f"{self.endpoint} · {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class RejectedRecord(models.Model):
    """A remote record a run could not take, with the reason in plain words and a short excerpt."""

    class Reason(models.TextChoices):
        INVALID_DOCUMENT = "invalid_document", _("Not a valid document")
        MISSING_FIELD = "missing_field", _("A required field is missing")
        BAD_VALUE = "bad_value", _("A value cannot be read")
        ENCODING = "encoding", _("Wrong text encoding")
        TOO_LARGE = "too_large", _("Too large")
        SCHEMA = "schema", _("Does not follow the standard's schema")

    run = models.ForeignKey(SyncRun, on_delete=models.CASCADE, related_name="rejections")
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="rejections")
    external_id = models.CharField(_("id at the source"), max_length=300, blank=True)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    excerpt = models.TextField(_("excerpt"), blank=True, help_text=_("At most 2,000 characters, shown as text."))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("rejected record")
        verbose_name_plural = _("rejected records")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.endpoint} · {self.external_id or '?'} · {self.reason}"


class OutboxMessageQuerySet(models.QuerySet["OutboxMessage"]):
    def due(self, now: object = None) -> OutboxMessageQuerySet:
        return self.filter(status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now or timezone.now())


class OutboxMessage(models.Model):
    """Something that must reach a push endpoint: an upsert or a deletion of one of our records
    (a directory service, a dataset), written in the same transaction as the change. The remote
    sees `idempotency_key` (or the `remote_id` once known), so a message sent twice counts once.
    Messages about the same record are sent in order (by id)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("To send")
        SENT = "sent", _("Sent")
        DEAD = "dead", _("Dead letter")
        DISCARDED = "discarded", _("Discarded")

    class Operation(models.TextChoices):
        UPSERT = "upsert", _("Create or update")
        DELETE = "delete", _("Delete")

    id = models.BigAutoField(primary_key=True)
    endpoint = models.ForeignKey(Endpoint, on_delete=models.PROTECT, related_name="outbox")
    operation = models.CharField(_("operation"), max_length=8, choices=Operation.choices)
    object_type = models.CharField(_("record type"), max_length=40)  # e.g. "service", "dataset"
    object_id = models.CharField(_("record id"), max_length=100)
    payload = models.JSONField(default=dict, blank=True)
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    last_error = models.TextField(_("last error"), blank=True)
    remote_id = models.CharField(_("id at the remote"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("written on"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent on"), null=True, blank=True)
    dead_at = models.DateTimeField(_("dead since"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved on"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = OutboxMessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["endpoint", "object_type", "object_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.endpoint} · {self.operation} {self.object_type} {self.object_id}"


class RemoteRecord(models.Model):
    """What a push endpoint holds of one of our records: its id there and the hash of what we last
    sent, so a later message updates that record (never a second copy) and an unchanged record is
    not sent again."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="remote_records")
    object_type = models.CharField(_("record type"), max_length=40)
    object_id = models.CharField(_("record id"), max_length=100)
    remote_id = models.CharField(_("id at the remote"), max_length=300, blank=True)
    content_hash = models.CharField(max_length=64, blank=True)
    pushed_at = models.DateTimeField(_("last sent on"), default=timezone.now)
    deleted_at = models.DateTimeField(_("deleted at the remote on"), null=True, blank=True)

    class Meta:
        verbose_name = _("record at a remote")
        verbose_name_plural = _("records at remotes")
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "object_type", "object_id"], name="remote_record_once"),
        ]

    def __str__(self) -> str:
        return f"{self.endpoint} · {self.object_type} {self.object_id} → {self.remote_id}"
