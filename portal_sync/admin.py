"""The admin site for Action 3: administrators configure endpoints here (credentials write-only:
the form never sends them back, only says whether they are set); runs, rejected records, items and
their versions are read-only, because every change to them goes through the engine or the editorial
services (which audit it and keep the workflow's rules)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from aipim.core import audit
from aipim.core.admin import URL_FIELDS_ASSUME_HTTPS
from portal_sync.forms import EndpointAdminForm
from portal_sync.models import ContentItem, ContentVersion, Endpoint, RejectedRecord, SyncRun


class ReadOnlyAdmin(admin.ModelAdmin):
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    form = EndpointAdminForm
    list_display = ("name", "title", "adapter", "direction", "enabled", "credentials_set", "health", "last_success_at")
    list_filter = ("adapter", "direction", "enabled")
    search_fields = ("name", "title", "url")
    readonly_fields = ("last_run_at", "last_success_at", "last_error", "consecutive_failures", "cursor")
    fieldsets = (
        (None, {"fields": ("name", "title", "adapter", "direction", "url", "item_kind", "enabled")}),
        (_("Credentials"), {"fields": ("credentials", "forget_credentials")}),
        (
            _("Schedule and limits"),
            {"fields": ("interval_minutes", "next_run_at", "timeout_seconds", "max_attempts", "options")},
        ),
        (
            pgettext_lazy("how well a connection works", "Health"),
            {"fields": ("last_run_at", "last_success_at", "consecutive_failures", "last_error", "cursor")},
        ),
    )

    @admin.display(description=_("credentials"))
    def credentials_set(self, obj: Endpoint) -> str:
        return str(_("set") if obj.credentials else _("not set"))

    @admin.display(description=_("health"), ordering="consecutive_failures")
    def health(self, obj: Endpoint) -> str:
        if obj.is_healthy:
            return str(_("working"))
        return str(_("failing (%(count)s in a row)") % {"count": obj.consecutive_failures})

    def save_model(self, request: HttpRequest, obj: Endpoint, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        # The audit trail says that the credentials changed, never what they are.
        audit.record(
            request.user,
            "portal_sync.endpoint_change" if change else "portal_sync.endpoint_add",
            obj,
            fields=sorted(form.changed_data),
        )


class RejectedRecordInline(ReadOnlyInline):
    model = RejectedRecord
    fields = ("external_id", "reason", "detail", "created_at")
    readonly_fields = fields


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = ("endpoint", "started_at", "status", "trigger", "seen", "created", "updated", "withdrawn", "failed")
    list_filter = ("status", "trigger", "direction", "endpoint")
    list_select_related = ("endpoint",)
    date_hierarchy = "started_at"
    inlines = (RejectedRecordInline,)


@admin.register(RejectedRecord)
class RejectedRecordAdmin(ReadOnlyAdmin):
    list_display = ("endpoint", "external_id", "reason", "detail", "created_at")
    list_filter = ("reason", "endpoint")
    list_select_related = ("endpoint",)
    search_fields = ("external_id",)


class ContentVersionInline(ReadOnlyInline):
    model = ContentVersion
    fields = ("version", "title", "received_at", "run")
    readonly_fields = fields
    show_change_link = False


@admin.register(ContentItem)
class ContentItemAdmin(ReadOnlyAdmin):
    list_display = ("title", "kind", "endpoint", "state", "version", "received_at", "editor_page")
    list_filter = ("state", "kind", "endpoint")
    list_select_related = ("endpoint",)
    search_fields = ("title_it", "title_en", "external_id")
    inlines = (ContentVersionInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[ContentItem]:
        return super().get_queryset(request).defer("body", "payload")

    @admin.display(description=_("editors' page"))
    def editor_page(self, obj: ContentItem) -> str:
        return format_html('<a href="{}">{}</a>', reverse("portal_sync:item", args=[obj.pk]), _("open"))
