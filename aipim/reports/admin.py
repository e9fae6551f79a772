from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from aipim.reports.models import ReportRequest


@admin.register(ReportRequest)
class ReportRequestAdmin(admin.ModelAdmin):
    """Requests are followed here, not edited: the file path is shown, never served from here."""

    list_display = ("pk", "report", "requested_by", "status", "progress", "attempts", "created_at", "finished_at")
    list_filter = ("status", "report", "language")
    search_fields = ("requested_by__email",)
    date_hierarchy = "created_at"
    list_select_related = ("requested_by",)
    fields = (
        "requested_by",
        "report",
        "parameters",
        "language",
        "status",
        "progress",
        "attempts",
        "error",
        "file_path",
        "created_at",
        "started_at",
        "finished_at",
    )
    readonly_fields = fields

    @admin.display(description=_("file"))
    def file_path(self, obj: ReportRequest) -> str:
        return obj.file.name or "–"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
