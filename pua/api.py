"""The read API of the PUA desks: cases, referrals and appointments, scoped and audited like the pages.

What travels: statuses, dates, desk codes, case numbers and the person's opaque public id. What does
not: notes, need notes, referral reasons and outcomes (free text that may hold health or legal
details, which the pages show only with data-protection training) and documents. A list never names
anyone, so a bulk pull yields no names; one case's detail names its person, for a caller who may read
that case, and that read is audited as "case.view" like the page."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.routers import BaseRouter

from aipim.core.api import AuditedReadOnlyViewSet, RecordPersonSerializer
from aipim.core.models import Organisation, ServiceCategory
from pua.models import Appointment, Assessment, Case, CaseStatusChange, Need, Referral

CASE_NUMBER_PATTERN = r"PUA-[A-Za-z0-9]+-[0-9]{4}-[0-9]+"

# --- serializers ---------------------------------------------------------------------------------


class CasePersonSerializer(RecordPersonSerializer):
    """The person of a case: only the public id in a list; names and birth date in one case's detail."""


class StatusChangeSerializer(serializers.ModelSerializer):
    # Plain strings: the same choices as the case's status, which the schema names once.
    from_status = serializers.CharField(help_text=_("A case status, or empty for the first entry."))
    to_status = serializers.CharField(help_text=_("A case status."))

    class Meta:
        model = CaseStatusChange
        fields = ["from_status", "to_status", "changed_at"]
        read_only_fields = fields


class NeedSerializer(serializers.ModelSerializer):
    class Meta:
        model = Need
        fields = ["domain", "severity"]  # never the notes: encrypted, and partly special-category data
        read_only_fields = fields


class CaseSerializer(serializers.ModelSerializer):
    """One serializer for the list and the detail (one schema component): a list row carries no
    name and no history; the detail of one case adds the person's names, the status history and
    the needs of the latest assessment."""

    DETAIL_ONLY = ("history", "needs")

    desk = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text=_("Code of the desk."))
    person = CasePersonSerializer(read_only=True)
    caseworker = serializers.SlugRelatedField(
        slug_field="email", read_only=True, help_text=_("Email of the assigned caseworker, if any.")
    )
    history = StatusChangeSerializer(
        source="status_changes", many=True, read_only=True, help_text=_("Only in a single case's detail.")
    )
    needs = serializers.SerializerMethodField(
        help_text=_("Needs of the latest assessment, by domain. Only in a single case's detail.")
    )

    class Meta:
        model = Case
        fields = [
            "number",
            "desk",
            "person",
            "caseworker",
            "status",
            "closing_reason",
            "opened_at",
            "closed_at",
            "updated_at",
            "history",
            "needs",
        ]
        read_only_fields = fields

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        if not self.context.get("detail") and not getattr(self.context.get("view"), "swagger_fake_view", False):
            for name in self.DETAIL_ONLY:
                fields.pop(name)
        return fields

    @extend_schema_field(NeedSerializer(many=True))
    def get_needs(self, case: Case) -> Any:
        assessments = list(case.assessments.all())  # prefetched, newest first
        return NeedSerializer(assessments[0].needs.all() if assessments else [], many=True).data


class ReferralSerializer(serializers.ModelSerializer):
    case = serializers.SlugRelatedField(slug_field="number", read_only=True, help_text=_("The case's number."))
    desk = serializers.CharField(source="case.desk.code", read_only=True, help_text=_("Code of the referring desk."))
    service = serializers.UUIDField(source="service.id", read_only=True, help_text=_("The service's HSDS id."))
    service_name = serializers.CharField(
        source="service.name", read_only=True, help_text=_("In the request's language.")
    )
    # A plain string: the directory's schema already names this choice set.
    service_category = serializers.CharField(
        source="service.category", read_only=True, help_text=_("The service's category in the directory.")
    )
    is_overdue = serializers.BooleanField(read_only=True, help_text=_("Sent and not acknowledged by its deadline."))

    class Meta:
        model = Referral
        # Not the reason nor the outcome: free text about the person, read on the case's page.
        fields = [
            "id",
            "case",
            "desk",
            "service",
            "service_name",
            "service_category",
            "status",
            "created_at",
            "sent_at",
            "acknowledge_by",
            "accepted_at",
            "escalated_at",
            "closed_at",
            "is_overdue",
        ]
        read_only_fields = fields


class AppointmentSerializer(serializers.ModelSerializer):
    case = serializers.SlugRelatedField(slug_field="number", read_only=True, help_text=_("The case's number."))
    desk = serializers.CharField(source="case.desk.code", read_only=True, help_text=_("Code of the desk."))
    caseworker = serializers.SlugRelatedField(slug_field="email", read_only=True)

    class Meta:
        model = Appointment
        fields = ["id", "case", "desk", "caseworker", "starts_at", "ends_at", "place", "purpose", "cancelled_at"]
        read_only_fields = fields


# --- filters -------------------------------------------------------------------------------------


def _desks() -> QuerySet[Organisation]:
    return Organisation.objects.filter(kind=Organisation.Kind.PUA_DESK)


class CaseFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Case.Status.choices)
    desk = django_filters.ModelChoiceFilter(
        queryset=_desks(), to_field_name="code", help_text=_("Code of the desk, e.g. IRS.")
    )
    opened_from = django_filters.DateFilter(
        field_name="opened_at", lookup_expr="date__gte", help_text=_("Opened on or after this day.")
    )
    opened_to = django_filters.DateFilter(
        field_name="opened_at", lookup_expr="date__lte", help_text=_("Opened on or before this day.")
    )

    class Meta:
        model = Case
        fields = ["status", "desk", "opened_from", "opened_to"]


class ReferralFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Referral.Status.choices)
    desk = django_filters.ModelChoiceFilter(
        field_name="case__desk", queryset=_desks(), to_field_name="code", help_text=_("Code of the desk, e.g. IRS.")
    )
    case = django_filters.CharFilter(field_name="case__number", help_text=_("A case number."))
    category = django_filters.ChoiceFilter(field_name="service__category", choices=ServiceCategory.choices)

    class Meta:
        model = Referral
        fields = ["status", "desk", "case", "category"]


class AppointmentFilter(django_filters.FilterSet):
    desk = django_filters.ModelChoiceFilter(
        field_name="case__desk", queryset=_desks(), to_field_name="code", help_text=_("Code of the desk, e.g. IRS.")
    )
    case = django_filters.CharFilter(field_name="case__number", help_text=_("A case number."))
    starts_from = django_filters.DateFilter(
        field_name="starts_at", lookup_expr="date__gte", help_text=_("Starting on or after this day.")
    )
    starts_to = django_filters.DateFilter(
        field_name="starts_at", lookup_expr="date__lte", help_text=_("Starting on or before this day.")
    )

    class Meta:
        model = Appointment
        fields = ["desk", "case", "starts_from", "starts_to"]


# --- viewsets ------------------------------------------------------------------------------------


class CaseRecordViewSet(AuditedReadOnlyViewSet):
    """A record of a case (a referral, an appointment): audited in the name of the case's desk."""

    def organisation_of(self, obj: Any) -> Organisation:
        return obj.case.desk  # type: ignore[no-any-return]


class CaseViewSet(AuditedReadOnlyViewSet):
    """Cases of the caller's desks, of cases shared with them and of live emergency grants."""

    audit_noun = "case"
    serializer_class = CaseSerializer
    lookup_field = "number"
    lookup_value_regex = CASE_NUMBER_PATTERN
    filterset_class = CaseFilter
    not_found = _("No case with this number.")

    def get_queryset(self) -> QuerySet[Case]:
        queryset = Case.objects.for_user(self.request.user).select_related("desk", "person", "caseworker")
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(
                "status_changes",
                Prefetch("assessments", queryset=Assessment.objects.prefetch_related("needs")),
            )
        return queryset

    def organisation_of(self, obj: Any) -> Organisation:
        return obj.desk  # type: ignore[no-any-return]


class ReferralViewSet(CaseRecordViewSet):
    """Referrals of the cases the caller may read."""

    audit_noun = "referral"
    serializer_class = ReferralSerializer
    filterset_class = ReferralFilter
    not_found = _("No referral with this id.")
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[Referral]:
        return Referral.objects.for_user(self.request.user).select_related("case__desk", "service")


class AppointmentViewSet(CaseRecordViewSet):
    """Appointments of the cases the caller may read."""

    audit_noun = "appointment"
    serializer_class = AppointmentSerializer
    filterset_class = AppointmentFilter
    not_found = _("No appointment with this id.")
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[Appointment]:
        return Appointment.objects.for_user(self.request.user).select_related("case__desk", "caseworker")


def register(router: BaseRouter) -> None:
    """Add the PUA endpoints to the API router (called by aipim/api/urls.py)."""
    router.register("pua/cases", CaseViewSet, basename="pua-case")
    router.register("pua/referrals", ReferralViewSet, basename="pua-referral")
    router.register("pua/appointments", AppointmentViewSet, basename="pua-appointment")
