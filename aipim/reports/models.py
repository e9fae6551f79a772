"""A request for a report: who asked for which report with which parameters, how far its build
has got, and the PDF it produced (kept in private storage for REPORT_RETENTION_DAYS)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aipim.core.storage import private_storage

if TYPE_CHECKING:
    from aipim.accounts.models import User


def report_file_path(instance: ReportRequest, filename: str) -> str:
    # No names or parameters in the path: the id is enough to find it, and says nothing about anyone.
    return f"reports/{timezone.now():%Y/%m}/report-{instance.pk}.pdf"


class ReportRequestQuerySet(models.QuerySet["ReportRequest"]):
    def for_user(self, user: User | Any) -> ReportRequestQuerySet:
        """A report is seen only by whoever asked for it (administrators use the admin site)."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        return self.filter(requested_by=user)


class ReportRequest(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Being built")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="report_requests",
        verbose_name=_("requested by"),
    )
    # The builder's slug from the registry (aipim.reports.registry), never a class path.
    report = models.CharField(_("report"), max_length=60)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    language = models.CharField(_("language"), max_length=8, default="it")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0, validators=[MaxValueValidator(100)])
    file = models.FileField(_("file"), storage=private_storage, upload_to=report_file_path, blank=True)
    preview_html = models.TextField(
        _("preview"), blank=True, help_text=_("The body of the report as rendered for the PDF, shown on its page.")
    )
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = ReportRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("report request")
        verbose_name_plural = _("report requests")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["requested_by", "created_at"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="reportrequest_progress_lte_100"),
        ]

    def __str__(self) -> str:
        return f"{self.report} #{self.pk} ({self.status})"

    @property
    def is_pending(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def title(self) -> str:
        """The report's title in the active language, or its slug if its builder is gone."""
        from aipim.reports.registry import UnknownReport, get_builder

        try:
            return str(get_builder(self.report).title)
        except UnknownReport:
            return self.report

    @property
    def download_name(self) -> str:
        return f"{self.report}-{self.created_at:%Y%m%d}-{self.pk}.pdf"
