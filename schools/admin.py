"""The admin site for the schools' reference data: sites, school years, classes, risk thresholds,
message templates with their translations, help desks with their opening hours.

Pupils' personal data (students, guardians, records, cases, messages) is not here: administrators
manage accounts, not pupils; school staff work with pupils on the schools pages, and access and
erasure requests go through the privacy page (aipim.core.privacy), which every part of the app joins
through schools/privacy.py."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from schools.models import (
    HelpDesk,
    MessageTemplate,
    MessageTemplateTranslation,
    OpeningHours,
    RiskSettings,
    SchoolClass,
    SchoolSite,
    SchoolYear,
)
from schools.services.messages import validate_template_text


@admin.register(SchoolSite)
class SchoolSiteAdmin(admin.ModelAdmin):
    list_display = ("name", "school", "code", "municipality")
    list_filter = ("school",)
    list_select_related = ("school", "municipality")
    search_fields = ("name", "code", "school__name")
    autocomplete_fields = ("school", "municipality")


@admin.register(SchoolYear)
class SchoolYearAdmin(admin.ModelAdmin):
    list_display = ("name", "starts_on", "ends_on")
    search_fields = ("name",)


@admin.register(SchoolClass)
class SchoolClassAdmin(admin.ModelAdmin):
    list_display = ("name", "school", "school_year", "stage", "grade", "usual_age", "referent", "pupils")
    list_filter = ("school_year", "stage", "school")
    list_select_related = ("school", "school_year", "referent")
    search_fields = ("name", "school__name")
    autocomplete_fields = ("school", "site", "referent")

    def get_queryset(self, request: HttpRequest) -> QuerySet[SchoolClass]:
        return super().get_queryset(request).annotate(pupil_count=Count("students"))

    @admin.display(description=_("pupils"), ordering="pupil_count")
    def pupils(self, obj: SchoolClass) -> int:
        return obj.pupil_count  # type: ignore[attr-defined]


@admin.register(RiskSettings)
class RiskSettingsAdmin(admin.ModelAdmin):
    list_display = ("school", "attendance_30_min", "attendance_90_min", "medium_at", "high_at", "updated_at")
    list_select_related = ("school",)
    autocomplete_fields = ("school",)
    readonly_fields = ("updated_by", "updated_at")

    def save_model(self, request: HttpRequest, obj: RiskSettings, form: object, change: bool) -> None:
        obj.updated_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)


class MessageTemplateTranslationForm(forms.ModelForm):
    """A translation's placeholders must be ones the messages fill: an unknown one would reach the
    family as "{nome_studente}"."""

    class Meta:
        model = MessageTemplateTranslation
        fields = ("language", "subject", "body")

    def clean_subject(self) -> str:
        validate_template_text(self.cleaned_data["subject"])
        return self.cleaned_data["subject"]

    def clean_body(self) -> str:
        validate_template_text(self.cleaned_data["body"])
        return self.cleaned_data["body"]


class MessageTemplateTranslationInline(admin.StackedInline):
    model = MessageTemplateTranslation
    form = MessageTemplateTranslationForm
    extra = 1
    fields = ("language", "subject", "body")


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "school", "purpose", "languages", "active")
    list_filter = ("purpose", "active", ("school", admin.EmptyFieldListFilter))
    list_select_related = ("school",)
    search_fields = ("name", "code")
    autocomplete_fields = ("school",)
    inlines = (MessageTemplateTranslationInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[MessageTemplate]:
        return super().get_queryset(request).prefetch_related("translations")

    @admin.display(description=_("languages"))
    def languages(self, obj: MessageTemplate) -> str:
        return ", ".join(sorted(translation.language for translation in obj.translations.all()))


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 1


@admin.register(HelpDesk)
class HelpDeskAdmin(admin.ModelAdmin):
    list_display = ("name", "school", "site", "active")
    list_filter = ("active", "school")
    list_select_related = ("school", "site")
    search_fields = ("name", "school__name")
    autocomplete_fields = ("school", "site")
    inlines = (OpeningHoursInline,)
