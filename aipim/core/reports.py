"""Report builders on the shared records (registered with aipim.reports, discovered at start-up)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django import forms
from django.db.models import Case, CharField, Count, QuerySet, Value, When
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from aipim.accounts.models import Role
from aipim.core.models import Municipality, Organisation, PersonLink
from aipim.reports.figures import SMALL_NUMBER_THRESHOLD, suppress
from aipim.reports.forms import PeriodForm
from aipim.reports.registry import Progress, ReportBuilder, register

MONTHS_PER_TABLE = 12
OTHER_KINDS = "other"
# The kinds the programme reports on by name; service providers and the regional office are "other".
NAMED_KINDS = (Organisation.Kind.PUA_DESK, Organisation.Kind.SCHOOL, Organisation.Kind.ASSOCIATION)


def province_choices() -> list[tuple[str, Any]]:
    provinces = Municipality.objects.order_by("province").values_list("province_code", "province").distinct()
    return [("", _("All provinces")), *((code, name) for code, name in provinces)]


class PeopleReachedForm(PeriodForm):
    province = forms.ChoiceField(label=_("Province"), choices=province_choices, required=False)


def _month_starts(date_from: datetime.date, date_to: datetime.date) -> list[datetime.date]:
    months = []
    month = date_from.replace(day=1)
    while month <= date_to:
        months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return months


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def links_in_period(date_from: datetime.date, date_to: datetime.date, province: str = "") -> QuerySet[PersonLink]:
    """The links that started in the period (both days included, local time), optionally in one
    province (of the organisation's municipality). Every figure of the report counts these."""
    links = PersonLink.objects.filter(
        created_at__gte=_local_midnight(date_from),
        created_at__lt=_local_midnight(date_to + datetime.timedelta(days=1)),
    )
    if province:
        links = links.filter(organisation__municipality__province_code=province)
    return links


def _kind_group() -> Case:
    return Case(
        *(When(organisation__kind=kind, then=Value(kind.value)) for kind in NAMED_KINDS),
        default=Value(OTHER_KINDS),
        output_field=CharField(),
    )


@register
class PeopleReachedReport(ReportBuilder):
    slug = "people-reached"
    title = _("People reached per municipality and month")
    description = _(
        "How many different people the desks, schools and associations took on, by the municipality of "
        "the organisation and by month, with a breakdown by kind of organisation. Aggregates only."
    )
    roles = (Role.REGIONAL_OFFICIAL, Role.ADMINISTRATOR)
    form_class = PeopleReachedForm
    template_name = "reports/core/people_reached.html"
    page_orientation = "landscape"

    def build(self, params: Mapping[str, Any], *, progress: Progress) -> dict[str, Any]:
        date_from: datetime.date = params["date_from"]
        date_to: datetime.date = params["date_to"]
        province: str = params.get("province") or ""
        links = links_in_period(date_from, date_to, province)
        month = TruncMonth("created_at", tzinfo=timezone.get_current_timezone())
        people = Count("person", distinct=True)
        municipality = "organisation__municipality"

        by_municipality_month = {
            (row[municipality], timezone.localtime(row["month"]).date()): row["people"]
            for row in links.annotate(month=month).values(municipality, "month").annotate(people=people)
        }
        progress(20)
        by_municipality = {
            row[municipality]: row["people"] for row in links.values(municipality).annotate(people=people)
        }
        by_month = {
            timezone.localtime(row["month"]).date(): row["people"]
            for row in links.annotate(month=month).values("month").annotate(people=people)
        }
        progress(40)
        grouped = links.annotate(kind_group=_kind_group())
        by_municipality_kind = {
            (row[municipality], row["kind_group"]): row["people"]
            for row in grouped.values(municipality, "kind_group").annotate(people=people)
        }
        by_kind = {row["kind_group"]: row["people"] for row in grouped.values("kind_group").annotate(people=people)}
        total = links.aggregate(people=people)["people"]
        progress(60)
        municipalities = list(Municipality.objects.filter(pk__in=by_municipality).order_by("name"))
        progress(70)

        kinds = [(kind.value, kind.label) for kind in NAMED_KINDS]
        if OTHER_KINDS in by_kind:
            kinds.append((OTHER_KINDS, _("Other organisations")))
        months = _month_starts(date_from, date_to)
        month_blocks = []
        for start in range(0, len(months), MONTHS_PER_TABLE):
            block = months[start : start + MONTHS_PER_TABLE]
            month_blocks.append(
                {
                    "months": [date_format(m, "M Y") for m in block],
                    "rows": [
                        {
                            "name": m.name,
                            "province_code": m.province_code,
                            "cells": [suppress(by_municipality_month.get((m.pk, first), 0)) for first in block],
                        }
                        for m in municipalities
                    ],
                    "totals": [suppress(by_month.get(first, 0)) for first in block],
                }
            )
        return {
            "date_from": date_from,
            "date_to": date_to,
            "province": dict(province_choices()).get(province) if province else "",
            "threshold": SMALL_NUMBER_THRESHOLD,
            # Isolated left to right, so that "<5" does not turn into "5>" in an Arabic sentence.
            "suppressed_marker": format_html('<bdi dir="ltr">{}</bdi>', suppress(1)),
            "total": suppress(total),
            "kinds": kinds,
            "summary_rows": [
                {
                    "name": m.name,
                    "province_code": m.province_code,
                    "by_kind": [suppress(by_municipality_kind.get((m.pk, kind), 0)) for kind, _label in kinds],
                    "total": suppress(by_municipality[m.pk]),
                }
                for m in municipalities
            ],
            "kind_totals": [suppress(by_kind.get(kind, 0)) for kind, _label in kinds],
            "month_blocks": month_blocks,
        }
