"""Report builders of the PUA desks (registered with aipim.reports, discovered at start-up).

"PUA activity per desk and period": people reached, cases opened, closed and open, needs, referrals
and staff training, in aggregates only, with the core's small-number suppression. Every figure is
counted by one of the querysets below (cases_active_in, cases_opened_in, ...), so a test or an
official can run the same query and find the same number."""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Mapping
from typing import Any

from django import forms
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_countries import countries as country_names

from aipim.accounts.models import Role
from aipim.core.models import Organisation, Person, ServiceCategory
from aipim.reports.figures import SMALL_NUMBER_THRESHOLD, suppress
from aipim.reports.forms import PeriodForm
from aipim.reports.registry import Progress, ReportBuilder, register
from pua.models import Case, Need, NeedDomain, Referral, TrainingRecord

# Age at the end of the period: the bands of the programme's monitoring tables.
AGE_BANDS: list[tuple[str, int, int | None]] = [
    ("0–17", 0, 17),
    ("18–29", 18, 29),
    ("30–44", 30, 44),
    ("45–64", 45, 64),
    ("65+", 65, None),
]
# Countries shown one by one; the rest are summed as "other countries" (long tables help no one).
TOP_COUNTRIES = 10
# Officials and administrators see every desk; a supervisor only the desks they supervise.
ALL_DESKS_ROLES = (Role.REGIONAL_OFFICIAL, Role.ADMINISTRATOR)


def _desks() -> QuerySet[Organisation]:
    return Organisation.objects.filter(kind=Organisation.Kind.PUA_DESK).order_by("name")


def sees_all_desks(user: Any) -> bool:
    return bool(user.is_superuser or user.has_role(*ALL_DESKS_ROLES))


def desks_for(user: Any) -> QuerySet[Organisation]:
    """The desks whose figures `user` may see: all for officials, their own for supervisors."""
    if user is None or sees_all_desks(user):
        return _desks()
    return _desks().filter(pk__in=user.organisation_ids(Role.PUA_SUPERVISOR))


class PUAActivityForm(PeriodForm):
    desk = forms.ModelChoiceField(label=_("Desk"), queryset=_desks(), required=False, empty_label=_("All desks"))

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: forms.ModelChoiceField = self.fields["desk"]  # type: ignore[assignment]
        field.queryset = desks_for(user)
        if user is not None and not sees_all_desks(user):
            # "All desks" would mean every desk; a supervisor chooses one of theirs.
            field.required = True
            field.empty_label = None


def _midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def period_bounds(date_from: datetime.date, date_to: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """[start, end) in local time, both days included."""
    return _midnight(date_from), _midnight(date_to + datetime.timedelta(days=1))


def cases_at(desks: QuerySet[Organisation]) -> QuerySet[Case]:
    return Case.objects.filter(desk__in=desks)


def cases_active_in(desks: QuerySet[Organisation], start: datetime.datetime, end: datetime.datetime) -> QuerySet[Case]:
    """Cases open at some moment of the period: opened before its end, not closed before its start."""
    return cases_at(desks).filter(opened_at__lt=end).filter(Q(closed_at__isnull=True) | Q(closed_at__gte=start))


def cases_opened_in(desks: QuerySet[Organisation], start: datetime.datetime, end: datetime.datetime) -> QuerySet[Case]:
    return cases_at(desks).filter(opened_at__gte=start, opened_at__lt=end)


def cases_closed_in(desks: QuerySet[Organisation], start: datetime.datetime, end: datetime.datetime) -> QuerySet[Case]:
    return cases_at(desks).filter(closed_at__gte=start, closed_at__lt=end)


def cases_open_at(desks: QuerySet[Organisation], moment: datetime.datetime) -> QuerySet[Case]:
    return cases_at(desks).filter(opened_at__lt=moment).filter(Q(closed_at__isnull=True) | Q(closed_at__gte=moment))


def needs_assessed_in(
    desks: QuerySet[Organisation], start: datetime.datetime, end: datetime.datetime
) -> QuerySet[Need]:
    """Needs (severity above "no need") of assessments made in the period at the desks."""
    return Need.objects.filter(
        assessment__case__desk__in=desks,
        assessment__assessed_at__gte=start,
        assessment__assessed_at__lt=end,
        severity__gt=Need.Severity.NONE,
    )


def referrals_made_in(
    desks: QuerySet[Organisation], start: datetime.datetime, end: datetime.datetime
) -> QuerySet[Referral]:
    return Referral.objects.filter(case__desk__in=desks, created_at__gte=start, created_at__lt=end)


def training_in(desks: QuerySet[Organisation], date_from: datetime.date, date_to: datetime.date) -> QuerySet[Any]:
    return TrainingRecord.objects.filter(desk__in=desks, completed_on__gte=date_from, completed_on__lte=date_to)


def age_band(birth_date: datetime.date | None, on: datetime.date) -> str:
    if birth_date is None:
        return ""
    age = on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))
    for label, low, high in AGE_BANDS:
        if age >= low and (high is None or age <= high):
            return label
    return ""


@register
class PUAActivityReport(ReportBuilder):
    slug = "pua-activity"
    title = _("PUA activity per desk and period")
    description = _(
        "People reached by sex, age band and citizenship; cases opened, closed and open; needs by domain; "
        "referrals by kind of service and outcome; staff training hours. Aggregates only."
    )
    roles = (Role.REGIONAL_OFFICIAL, Role.ADMINISTRATOR, Role.PUA_SUPERVISOR)
    form_class = PUAActivityForm
    template_name = "reports/pua/activity.html"
    # The form and the build take `user=` (the requester): a supervisor's figures cover their desks only.
    wants_requester = True

    def build(self, params: Mapping[str, Any], *, progress: Progress, user: Any = None) -> dict[str, Any]:
        date_from: datetime.date = params["date_from"]
        date_to: datetime.date = params["date_to"]
        chosen: Organisation | None = params.get("desk")
        desks = desks_for(user)
        if chosen is not None:
            desks = desks.filter(pk=chosen.pk)
        start, end = period_bounds(date_from, date_to)

        active = cases_active_in(desks, start, end)
        people = list(
            Person.objects.filter(pk__in=active.values("person")).values_list("sex", "birth_date", "citizenship")
        )
        progress(20)
        sexes = Counter(sex for sex, _birth, _country in people)
        bands = Counter(age_band(birth, date_to) for _sex, birth, _country in people)
        countries = Counter(str(country or "") for _sex, _birth, country in people)

        per_desk = {
            row["pk"]: row
            for row in desks.annotate(
                opened=Count("pua_cases", filter=Q(pua_cases__opened_at__gte=start, pua_cases__opened_at__lt=end)),
                closed=Count("pua_cases", filter=Q(pua_cases__closed_at__gte=start, pua_cases__closed_at__lt=end)),
                open_at_end=Count(
                    "pua_cases",
                    filter=Q(pua_cases__opened_at__lt=end)
                    & (Q(pua_cases__closed_at__isnull=True) | Q(pua_cases__closed_at__gte=end)),
                ),
                people=Count(
                    "pua_cases__person",
                    distinct=True,
                    filter=Q(pua_cases__opened_at__lt=end)
                    & (Q(pua_cases__closed_at__isnull=True) | Q(pua_cases__closed_at__gte=start)),
                ),
            ).values("pk", "name", "code", "opened", "closed", "open_at_end", "people")
        }
        progress(40)
        needs = {
            row["domain"]: row["cases"]
            for row in needs_assessed_in(desks, start, end)
            .values("domain")
            .annotate(cases=Count("assessment__case", distinct=True))
        }
        referral_counts = {
            (row["service__category"], row["status"]): row["n"]
            for row in referrals_made_in(desks, start, end)
            .values("service__category", "status")
            .annotate(n=Count("pk"))
        }
        progress(60)
        training = training_in(desks, date_from, date_to).aggregate(
            hours=Sum("hours_attended"), staff=Count("user", distinct=True)
        )
        progress(70)

        statuses = list(Referral.Status)
        categories = [c for c in ServiceCategory if any((c.value, s.value) in referral_counts for s in statuses)]
        top = [code for code, _n in sorted(countries.items(), key=lambda item: (-item[1], item[0])) if code][
            :TOP_COUNTRIES
        ]
        other_countries = sum(n for code, n in countries.items() if code and code not in top)
        return {
            "date_from": date_from,
            "date_to": date_to,
            "desk_name": chosen.name if chosen is not None else "",
            "threshold": SMALL_NUMBER_THRESHOLD,
            # Isolated left to right, so that "<5" does not turn into "5>" in an Arabic sentence.
            "suppressed_marker": format_html('<bdi dir="ltr">{}</bdi>', suppress(1)),
            "people_total": suppress(len(people)),
            "by_sex": [(label, suppress(sexes.get(value, 0))) for value, label in Person.Sex.choices],
            "by_age": [
                *((label, suppress(bands.get(label, 0))) for label, _low, _high in AGE_BANDS),
                (_("Birth date not known"), suppress(bands.get("", 0))),
            ],
            "by_country": [
                *((country_names.name(code), suppress(countries[code])) for code in top),
                *([(_("Other countries"), suppress(other_countries))] if other_countries else []),
                *([(_("Not known"), suppress(countries[""]))] if countries.get("") else []),
            ],
            "cases_opened": suppress(cases_opened_in(desks, start, end).count()),
            "cases_closed": suppress(cases_closed_in(desks, start, end).count()),
            "cases_open_at_end": suppress(cases_open_at(desks, end).count()),
            "desk_rows": [
                {
                    "name": row["name"],
                    "code": row["code"],
                    "people": suppress(row["people"]),
                    "opened": suppress(row["opened"]),
                    "closed": suppress(row["closed"]),
                    "open_at_end": suppress(row["open_at_end"]),
                }
                for row in per_desk.values()
            ],
            "needs": [(label, suppress(needs.get(value, 0))) for value, label in NeedDomain.choices],
            "referral_statuses": [status.label for status in statuses],
            "referral_rows": [
                {
                    "label": category.label,
                    "cells": [suppress(referral_counts.get((category.value, s.value), 0)) for s in statuses],
                    "total": suppress(sum(referral_counts.get((category.value, s.value), 0) for s in statuses)),
                }
                for category in categories
            ],
            "referral_totals": [
                suppress(sum(n for (_c, status), n in referral_counts.items() if status == s.value)) for s in statuses
            ],
            "referrals_total": suppress(sum(referral_counts.values())),
            # Staff training is about the desks' staff, not about the people they serve: no suppression.
            "training_hours": training["hours"] or 0,
            "training_staff": training["staff"],
        }
