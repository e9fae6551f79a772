"""The admin site for the shared records.

Reference data (places, organisations, the service directory) is edited here. Personal data
(people, households, links, consents and their history) is only viewed here, and every view writes an
AuditEvent like the people pages do: writes go through `aipim.core.services` and erasure through the
privacy page, which keep the audit trail and the business rules. The audit log cannot be changed by
anyone; retention deletes it by policy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.apps import apps
from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from modeltranslation.admin import TranslationAdmin

from aipim.core import audit
from aipim.core.models import (
    AuditEvent,
    Consent,
    Contact,
    Feedback,
    Household,
    Location,
    Municipality,
    Organisation,
    Person,
    PersonLink,
    Schedule,
    Service,
)

# Links are typed without a scheme by hand; Django 6 assumes https, and so do we already.
URL_FIELDS_ASSUME_HTTPS: Mapping[type[models.Field[Any, Any]], Mapping[str, Any]] = {
    models.URLField: {"assume_scheme": "https"}
}

# --- Reference data ----------------------------------------------------------------------------


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ("name", "province_code", "istat_code", "cadastral_code")
    list_filter = ("province",)
    search_fields = ("name", "istat_code")


@admin.register(Organisation)
class OrganisationAdmin(TranslationAdmin):
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS
    list_display = ("name", "code", "kind", "municipality", "is_active", "is_example")
    list_filter = ("kind", "is_active", "is_example")
    list_select_related = ("municipality",)
    search_fields = ("name", "code", "tax_id")
    autocomplete_fields = ("municipality",)


class ScheduleInline(admin.TabularInline):
    model = Schedule
    extra = 0
    autocomplete_fields = ("location",)


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


@admin.register(Service)
class ServiceAdmin(TranslationAdmin):
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS
    list_display = ("name", "organisation", "category", "status", "updated_at")
    list_filter = ("category", "status")
    list_select_related = ("organisation",)
    search_fields = ("name", "organisation__name", "external_id")
    autocomplete_fields = ("organisation", "locations")
    inlines = (ScheduleInline, ContactInline)


@admin.register(Location)
class LocationAdmin(TranslationAdmin):
    list_display = ("name", "organisation", "municipality", "address")
    list_select_related = ("organisation", "municipality")
    search_fields = ("name", "address", "organisation__name")
    autocomplete_fields = ("organisation", "municipality")


# --- Personal data: view only, every view audited ------------------------------------------------


class AuditedReadOnlyAdmin(admin.ModelAdmin):
    """Shows personal data without a way around the audit trail: no add, change or delete, and the
    list and detail pages each write an AuditEvent. No search by name: a search string would land in
    URLs and access logs (the people pages search by POST for the same reason)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        audit.record(request.user, f"{self.opts.model_name}.list", object_type=self.opts.label_lower, via="admin")
        return super().changelist_view(request, extra_context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        audit.record(
            request.user,
            f"{self.opts.model_name}.view",
            object_type=self.opts.label_lower,
            object_id=object_id,
            via="admin",
        )
        return super().change_view(request, object_id, form_url, extra_context)


class PersonLinkInline(admin.TabularInline):
    model = PersonLink
    extra = 0
    fields = ("organisation", "reason", "created_at", "ended_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[PersonLink]:
        return super().get_queryset(request).select_related("organisation")


@admin.register(Person)
class PersonAdmin(AuditedReadOnlyAdmin):
    # The list shows ids and statistics, not names: names are seen one person at a time.
    list_display = ("public_id", "citizenship", "sex", "municipality", "created_at", "anonymised_at")
    list_filter = ("sex", ("anonymised_at", admin.EmptyFieldListFilter), "created_at")
    list_select_related = ("municipality",)
    search_fields = ("=public_id",)
    exclude = ("address",)  # encrypted; shown on the people pages, which decrypt on purpose
    inlines = (PersonLinkInline,)


@admin.register(Household)
class HouseholdAdmin(AuditedReadOnlyAdmin):
    list_display = ("pk", "municipality", "created_at")
    list_select_related = ("municipality",)
    exclude = ("address",)


@admin.register(PersonLink)
class PersonLinkAdmin(AuditedReadOnlyAdmin):
    list_display = ("person_id", "organisation", "reason", "created_at", "ended_at")
    list_filter = ("reason", ("ended_at", admin.EmptyFieldListFilter))
    list_select_related = ("organisation",)


@admin.register(Consent)
class ConsentAdmin(AuditedReadOnlyAdmin):
    list_display = ("person_id", "purpose", "organisation", "given_at", "withdrawn_at")
    list_filter = ("purpose", ("withdrawn_at", admin.EmptyFieldListFilter))
    list_select_related = ("organisation",)


# --- History of tracked models (django-pghistory) ----------------------------------------------


class EventAdmin(admin.ModelAdmin):
    """History snapshots written by database triggers: read only, for everyone."""

    list_display = ("pgh_created_at", "pgh_label", "pgh_obj_id")
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS
    list_filter = ("pgh_label",)
    date_hierarchy = "pgh_created_at"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AuditedEventAdmin(EventAdmin, AuditedReadOnlyAdmin):
    """History of personal records: the snapshots hold names, so reading them is audited too."""


admin.site.register(apps.get_model("core", "OrganisationEvent"), EventAdmin)
admin.site.register(apps.get_model("core", "ServiceEvent"), EventAdmin)
admin.site.register(apps.get_model("core", "PersonEvent"), AuditedEventAdmin)
admin.site.register(apps.get_model("core", "ConsentEvent"), AuditedEventAdmin)


# --- Audit log and feedback --------------------------------------------------------------------


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "user_email", "action", "object_type", "object_id", "organisation", "ip_address")
    list_filter = ("action", ("at", admin.DateFieldListFilter))
    list_select_related = ("organisation",)
    search_fields = ("=user_email", "=object_id", "^action")
    date_hierarchy = "at"
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ("created_at", "rating", "page", "language")
    list_filter = ("rating", "language", ("created_at", admin.DateFieldListFilter))
    readonly_fields = ("page", "rating", "message", "language", "created_at")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
