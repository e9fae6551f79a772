"""The read API of the schools: students, courses and risk signals, scoped and audited like the pages.

Only the staff of a school (Role.SCHOOL_OPERATOR, Role.SCHOOL_STAFF) read its records, through the
models' `for_user`; anyone else gets empty lists and 404s. What travels: school codes, classes, dates,
the risk level and its indicators, the pupil's register id and the person's opaque public id. What
does not: the sensitive notes (family situation, legal status: only on the student page), guardians,
behaviour notes. A list never names a pupil; one student's detail names them, and that read is
audited as "student.view" like the page."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.routers import BaseRouter

from aipim.core.api import AuditedReadOnlyViewSet, RecordPersonSerializer
from aipim.core.models import Organisation
from schools.models import Course, RiskLevel, RiskSignal, SchoolYear, Student, newly_arrived_since

# --- serializers ---------------------------------------------------------------------------------


class StudentPersonSerializer(RecordPersonSerializer):
    """The pupil as a person: only the public id in a list; names and birth date in one student's detail."""

    # Not the transliterated names: the schools' API sends the names as written only.
    given_names_latin = None
    family_names_latin = None


class StudentSerializer(serializers.ModelSerializer):
    """One serializer for the list and the detail: a list row names no one (the person's public id
    only), the detail of one student adds the names. Never the sensitive notes."""

    school = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text=_("Code of the school."))
    school_class = serializers.CharField(
        source="school_class.name", read_only=True, allow_null=True, default=None, help_text=_("The class, e.g. 2B.")
    )
    school_year = serializers.CharField(
        source="school_class.school_year.name",
        read_only=True,
        allow_null=True,
        default=None,
        help_text=_("The school year of the class, e.g. 2026/27."),
    )
    person = StudentPersonSerializer(read_only=True)
    is_newly_arrived = serializers.BooleanField(
        read_only=True, help_text=_("Arrived in Italy within the last two years.")
    )
    referent = serializers.SlugRelatedField(
        slug_field="email", read_only=True, help_text=_("Email of the staff member who follows the student, if any.")
    )

    class Meta:
        model = Student
        fields = [
            "id",
            "school",
            "school_class",
            "school_year",
            "person",
            "register_id",
            "arrived_in_italy_on",
            "is_newly_arrived",
            "first_language",
            "referent",
            "enrolled_on",
            "left_on",
            "leaving_reason",
            "risk_level",
            "risk_updated_at",
        ]
        read_only_fields = fields


class CourseSerializer(serializers.ModelSerializer):
    school = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text=_("Code of the school."))
    school_year = serializers.SlugRelatedField(
        slug_field="name", read_only=True, help_text=_("The school year, e.g. 2026/27.")
    )

    class Meta:
        model = Course
        fields = [
            "id",
            "school",
            "school_year",
            "kind",
            "title",
            "cefr_level",
            "language",
            "teacher_name",
            "starts_on",
            "ends_on",
            "hours_planned",
            "capacity",
        ]
        read_only_fields = fields


class RiskIndicatorSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    value = serializers.JSONField(allow_null=True)
    threshold = serializers.JSONField(allow_null=True)
    triggered = serializers.BooleanField()
    points = serializers.IntegerField()


class RiskSignalSerializer(serializers.ModelSerializer):
    student = serializers.PrimaryKeyRelatedField(read_only=True, help_text=_("The student's id."))
    school = serializers.CharField(source="student.school.code", read_only=True, help_text=_("Code of the school."))
    indicators = RiskIndicatorSerializer(many=True, read_only=True)
    # Named as the student's field, so the schema names the choice set once.
    risk_level = serializers.ChoiceField(source="level", choices=RiskLevel.choices, read_only=True)
    # A plain string: the same choices as `risk_level`.
    previous_level = serializers.CharField(
        read_only=True, help_text=_("The level before this signal (a risk level), or empty for the first one.")
    )

    class Meta:
        model = RiskSignal
        fields = ["id", "student", "school", "computed_at", "risk_level", "previous_level", "score", "indicators"]
        read_only_fields = fields


# --- filters -------------------------------------------------------------------------------------


def _schools() -> QuerySet[Organisation]:
    return Organisation.objects.filter(kind=Organisation.Kind.SCHOOL)


class StrictBooleanField(forms.NullBooleanField):
    """true / false (or 1 / 0); anything else is a client mistake (400), not "no filter"."""

    widget = forms.TextInput
    VALUES = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value: Any) -> bool | None:  # type: ignore[override]
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        try:
            return self.VALUES[str(value).lower()]
        except KeyError:
            raise forms.ValidationError(_("Enter true or false."), code="invalid") from None

    def validate(self, value: Any) -> None:
        pass


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class StudentFilter(django_filters.FilterSet):
    school = django_filters.ModelChoiceFilter(
        queryset=_schools(), to_field_name="code", help_text=_("Code of the school.")
    )
    risk_level = django_filters.ChoiceFilter(choices=RiskLevel.choices)
    newly_arrived = StrictBooleanFilter(
        method="filter_newly_arrived", help_text=_("true: arrived in Italy within the last two years.")
    )
    has_left = StrictBooleanFilter(
        field_name="left_on", lookup_expr="isnull", exclude=True, help_text=_("true: pupils who have left.")
    )

    class Meta:
        model = Student
        fields = ["school", "risk_level", "newly_arrived", "has_left"]

    def filter_newly_arrived(self, queryset: QuerySet[Student], name: str, value: bool | None) -> QuerySet[Student]:
        if value is None:
            return queryset
        arrived = Q(arrived_in_italy_on__gte=newly_arrived_since())
        return queryset.filter(arrived) if value else queryset.exclude(arrived)


class CourseFilter(django_filters.FilterSet):
    school = django_filters.ModelChoiceFilter(
        queryset=_schools(), to_field_name="code", help_text=_("Code of the school.")
    )
    kind = django_filters.ChoiceFilter(choices=Course.Kind.choices)
    school_year = django_filters.ModelChoiceFilter(
        queryset=SchoolYear.objects.all(), to_field_name="name", help_text=_("The school year, e.g. 2026/27.")
    )

    class Meta:
        model = Course
        fields = ["school", "kind", "school_year"]


class RiskSignalFilter(django_filters.FilterSet):
    student = django_filters.NumberFilter(field_name="student_id", help_text=_("A student's id."))
    risk_level = django_filters.ChoiceFilter(field_name="level", choices=RiskLevel.choices)
    computed_from = django_filters.DateFilter(
        field_name="computed_at", lookup_expr="date__gte", help_text=_("Computed on or after this day.")
    )
    computed_to = django_filters.DateFilter(
        field_name="computed_at", lookup_expr="date__lte", help_text=_("Computed on or before this day.")
    )

    class Meta:
        model = RiskSignal
        fields = ["student", "risk_level", "computed_from", "computed_to"]


# --- viewsets ------------------------------------------------------------------------------------


class SchoolRecordViewSet(AuditedReadOnlyViewSet):
    """A record of a school, read by its id: audited in the name of the school."""

    lookup_value_regex = "[0-9]+"

    def organisation_of(self, obj: Any) -> Organisation:
        return obj.school  # type: ignore[no-any-return]


class StudentViewSet(SchoolRecordViewSet):
    """Pupils of the schools where the caller works (operators and staff of the school only)."""

    audit_noun = "student"
    serializer_class = StudentSerializer
    filterset_class = StudentFilter
    not_found = _("No student with this id.")

    def get_queryset(self) -> QuerySet[Student]:
        return (
            Student.objects.for_user(self.request.user)
            .select_related("school", "school_class__school_year", "person", "referent")
            .order_by("pk")
        )


class CourseViewSet(SchoolRecordViewSet):
    """Courses of the caller's schools."""

    audit_noun = "course"
    serializer_class = CourseSerializer
    filterset_class = CourseFilter
    not_found = _("No course with this id.")

    def get_queryset(self) -> QuerySet[Course]:
        return Course.objects.for_user(self.request.user).select_related("school", "school_year").order_by("pk")


class RiskSignalViewSet(SchoolRecordViewSet):
    """Risk signals (the early-warning timeline) of the students the caller may read."""

    audit_noun = "risksignal"
    serializer_class = RiskSignalSerializer
    filterset_class = RiskSignalFilter
    not_found = _("No risk signal with this id.")

    def get_queryset(self) -> QuerySet[RiskSignal]:
        return (
            RiskSignal.objects.for_user(self.request.user)
            .select_related("student__school")
            .order_by("-computed_at", "-pk")
        )

    def organisation_of(self, obj: Any) -> Organisation:
        return obj.student.school  # type: ignore[no-any-return]


def register(router: BaseRouter) -> None:
    """Add the schools' endpoints to the API router (called by aipim/api/urls.py)."""
    router.register("schools/students", StudentViewSet, basename="schools-student")
    router.register("schools/courses", CourseViewSet, basename="schools-course")
    router.register("schools/risk-signals", RiskSignalViewSet, basename="schools-risksignal")
