"""The admin site for Action 4: association profiles with their network memberships, networks, and
events with their sessions (texts in every language through modeltranslation).

Bookings, check-ins and messages to bookers hold bookers' names and contacts: here they are view
only and every list and detail page is audited (like the core's people), and their lists show codes,
statuses and seats, never names. Every change to seats goes through `associations.services.booking`
(which locks the sessions and tells the people booked), so sessions' status and capacity changes
that affect bookings are made on the managers' pages, not here: a session's status is read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from aipim.core.admin import URL_FIELDS_ASSUME_HTTPS, AuditedReadOnlyAdmin, OrganisationAdmin
from aipim.core.models import Organisation
from associations.models import (
    Association,
    Booking,
    BookingMessage,
    CheckIn,
    Event,
    Network,
    NetworkMembership,
    Session,
)


class NetworkMembershipInline(admin.TabularInline):
    model = NetworkMembership
    extra = 0
    autocomplete_fields = ("association", "network")
    fields = ("network", "association", "role", "joined_on", "left_on")


class AssociationProfileInline(admin.StackedInline):
    """The public profile on the page of an organisation of kind association."""

    model = Association
    can_delete = False
    max_num = 1
    readonly_fields = ("created_at", "updated_at")


class OrganisationWithProfileAdmin(OrganisationAdmin):
    """The core's organisation page, with the association profile inline for associations."""

    def get_inlines(self, request: HttpRequest, obj: Organisation | None) -> list[type[admin.options.InlineModelAdmin]]:
        if obj is not None and obj.kind == Organisation.Kind.ASSOCIATION:
            return [*super().get_inlines(request, obj), AssociationProfileInline]
        return list(super().get_inlines(request, obj))


# The core registers Organisation first (aipim.core is listed before this app); the profile joins it.
admin.site.unregister(Organisation)
admin.site.register(Organisation, OrganisationWithProfileAdmin)


@admin.register(Association)
class AssociationAdmin(admin.ModelAdmin):
    """The public profile of an association; name, municipality and contacts are its Organisation's."""

    list_display = ("name", "slug", "legal_form", "runts_number", "municipality", "is_migrant_led", "is_public")
    list_filter = ("legal_form", "is_migrant_led", "is_public", "organisation__municipality__province")
    list_select_related = ("organisation__municipality",)
    search_fields = ("organisation__name", "slug", "runts_number")
    autocomplete_fields = ("organisation",)
    readonly_fields = ("created_at", "updated_at")
    inlines = (NetworkMembershipInline,)

    @admin.display(description=_("municipality"), ordering="organisation__municipality__name")
    def municipality(self, obj: Association) -> str:
        return obj.organisation.municipality.name


@admin.register(Network)
class NetworkAdmin(TranslationAdmin):
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS
    list_display = ("name", "specialty", "lead", "members_count", "service", "is_active")
    list_filter = ("specialty", "is_active")
    list_select_related = ("lead__organisation", "service")
    search_fields = ("name", "slug", "lead__organisation__name")
    autocomplete_fields = ("lead", "service")
    readonly_fields = ("created_at", "updated_at")
    inlines = (NetworkMembershipInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Network]:
        return super().get_queryset(request).annotate(member_count=Count("memberships"))

    @admin.display(description=_("member associations"), ordering="member_count")
    def members_count(self, obj: Network) -> int:
        return obj.member_count  # type: ignore[attr-defined]


class SessionInline(admin.TabularInline):
    model = Session
    extra = 0
    autocomplete_fields = ("municipality",)
    fields = ("starts_at", "ends_at", "venue", "address", "municipality", "capacity", "status", "public_id")
    # Cancelling a session tells everyone booked: the managers' page does it through the booking service.
    readonly_fields = ("status", "public_id")
    show_change_link = True


@admin.register(Event)
class EventAdmin(TranslationAdmin):
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS
    list_display = ("title", "organiser", "kind", "category", "status", "booking_mode", "is_migrant_led", "sessions")
    list_filter = ("status", "kind", "category", "booking_mode", "is_migrant_led")
    list_select_related = ("association__organisation",)
    search_fields = ("title", "slug", "association__organisation__name", "partner_name")
    autocomplete_fields = ("association",)
    readonly_fields = ("created_by", "created_at", "updated_at")
    inlines = (SessionInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Event]:
        return super().get_queryset(request).annotate(session_count=Count("sessions"))

    @admin.display(description=_("organiser"), ordering="association__organisation__name")
    def organiser(self, obj: Event) -> str:
        return obj.organiser_name

    @admin.display(description=_("sessions"), ordering="session_count")
    def sessions(self, obj: Event) -> int:
        return obj.session_count  # type: ignore[attr-defined]

    def save_model(self, request: HttpRequest, obj: Event, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    """Sessions on their own, for search (the event's page edits them inline)."""

    list_display = ("event", "starts_at", "municipality", "venue", "capacity", "status")
    list_filter = ("status", "municipality__province")
    list_select_related = ("event", "municipality")
    search_fields = ("event__title", "venue", "municipality__name")
    autocomplete_fields = ("event", "municipality")
    readonly_fields = ("public_id", "status", "cancelled_at", "cancelled_reason", "attendees_anonymised_at")
    date_hierarchy = "starts_at"


# --- Bookers' data: view only, every view audited ------------------------------------------------


class CheckInInline(admin.TabularInline):
    model = CheckIn
    extra = 0
    fields = ("session", "seats", "checked_in_at", "checked_in_by")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class BookingMessageInline(admin.TabularInline):
    model = BookingMessage
    extra = 0
    fields = ("kind", "language", "status", "attempts", "last_error", "created_at", "sent_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Booking)
class BookingAdmin(AuditedReadOnlyAdmin):
    """Listed by booking code, never by name; searched by code only."""

    list_display = ("reference", "event", "session", "status", "seats", "seats_offered", "language", "created_at")
    list_filter = ("status", "language")
    list_select_related = ("event", "session__event")
    search_fields = ("reference",)
    date_hierarchy = "created_at"
    inlines = (CheckInInline, BookingMessageInline)


@admin.register(BookingMessage)
class BookingMessageAdmin(AuditedReadOnlyAdmin):
    """Messages as written (the text holds the booker's name); a failed one is sent again from the
    event's bookings page, through the messages service."""

    list_display = ("booking", "kind", "language", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status", "kind", "language")
    list_select_related = ("booking",)
    search_fields = ("booking__reference",)
