"""Filters of the administrators' lists (django-filter)."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from aipim.core.models import AuditEvent


class AuditEventFilter(django_filters.FilterSet):
    user_email = django_filters.CharFilter(label=_("User email"), lookup_expr="icontains")
    action = django_filters.CharFilter(
        label=_("Action"),
        lookup_expr="istartswith",
        help_text=_("E.g. person.view, or person. for every person action."),
    )
    object_type = django_filters.CharFilter(
        label=_("Record type"), lookup_expr="iexact", help_text=_("E.g. core.person.")
    )
    object_id = django_filters.CharFilter(label=_("Record id"), lookup_expr="exact")
    date_from = django_filters.DateFilter(
        label=_("From"),
        field_name="at",
        lookup_expr="date__gte",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = django_filters.DateFilter(
        label=_("To"),
        field_name="at",
        lookup_expr="date__lte",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    class Meta:
        model = AuditEvent
        fields: list[str] = []
