"""Report builders of the schools (registered with aipim.reports, discovered at start-up).

"Action 1 – schools: results per school and period": pupils supported, help-desk contacts, risk levels
month by month, interventions, school leaving, courses and the families' cultural initiatives, in
aggregates only, with the core's small-number suppression. Every figure is counted by one of the
querysets below, and each is the same query as a list page for the same filters (the tests say
which), so an operator can open the list and find the same number."""

from __future__ import annotations

import calendar
import datetime
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from django import forms
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_countries import countries as country_names

from aipim.accounts.models import Role
from aipim.core.models import Organisation, Person
from aipim.reports.figures import SMALL_NUMBER_THRESHOLD, suppress
from aipim.reports.forms import PeriodForm
from aipim.reports.registry import Progress, ReportBuilder, register
from schools.models import (
    Course,
    DeskSlot,
    Enrolment,
    Intervention,
    RiskLevel,
    RiskSignal,
    Student,
    SupportCase,
    WalkIn,
    newly_arrived_since,
    years_between,
)
from schools.services.courses import CourseTotals, course_totals
from schools.services.initiatives import InitiativeTotals, initiative_totals

# Age at the end of the period: school stages (pre-school, primary, lower and upper secondary, adults).
AGE_BANDS: list[tuple[str, int, int | None]] = [
    ("0–5", 0, 5),
    ("6–10", 6, 10),
    ("11–13", 11, 13),
    ("14–18", 14, 18),
    ("19+", 19, None),
]
TOP_COUNTRIES = 10
# Officials see every school; an operator only the schools where they are operator.
ALL_SCHOOLS_ROLES = (Role.REGIONAL_OFFICIAL,)
NO_OUTCOME = ""


def _schools() -> QuerySet[Organisation]:
    return Organisation.objects.filter(kind=Organisation.Kind.SCHOOL).order_by("name")


def sees_all_schools(user: Any) -> bool:
    return bool(user.is_superuser or user.has_role(*ALL_SCHOOLS_ROLES))


def schools_for(user: Any) -> QuerySet[Organisation]:
    """The schools whose figures `user` may see: all for officials, their own for operators."""
    if user is None or sees_all_schools(user):
        return _schools()
    return _schools().filter(pk__in=user.organisation_ids(Role.SCHOOL_OPERATOR))


class SchoolResultsForm(PeriodForm):
    school = forms.ModelChoiceField(
        label=_("School"), queryset=_schools(), required=False, empty_label=_("All schools")
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: forms.ModelChoiceField = self.fields["school"]  # type: ignore[assignment]
        field.queryset = schools_for(user)
        if user is not None and not sees_all_schools(user):
            # "All schools" would mean every school; an operator chooses one of theirs.
            field.required = True
            field.empty_label = None


def _midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def period_bounds(date_from: datetime.date, date_to: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """[start, end) in local time, both days included."""
    return _midnight(date_from), _midnight(date_to + datetime.timedelta(days=1))


def month_ends(date_from: datetime.date, date_to: datetime.date) -> list[datetime.date]:
    """The last day of each month of the period (the last one cut at `date_to`)."""
    days = []
    year, month = date_from.year, date_from.month
    while (year, month) <= (date_to.year, date_to.month):
        last = datetime.date(year, month, calendar.monthrange(year, month)[1])
        days.append(min(last, date_to))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return days


# --- the querysets behind the figures ------------------------------------------------------------


def walk_ins_in(schools: QuerySet[Organisation], start: datetime.datetime, end: datetime.datetime) -> QuerySet[WalkIn]:
    """Visits to the schools' help desks without appointment in the period (the walk-in log)."""
    return WalkIn.objects.filter(help_desk__school__in=schools, at__gte=start, at__lt=end)


def slots_done_in(
    schools: QuerySet[Organisation], start: datetime.datetime, end: datetime.datetime
) -> QuerySet[DeskSlot]:
    """Appointments with a mediator held in the period (slots marked done)."""
    return DeskSlot.objects.filter(
        help_desk__school__in=schools, status=DeskSlot.Status.DONE, starts_at__gte=start, starts_at__lt=end
    )


def cases_active_in(
    schools: QuerySet[Organisation], start: datetime.datetime, end: datetime.datetime
) -> QuerySet[SupportCase]:
    """Support cases open at some moment of the period."""
    return SupportCase.objects.filter(school__in=schools, opened_at__lt=end).filter(
        Q(closed_at__isnull=True) | Q(closed_at__gte=start)
    )


def interventions_running_in(date_from: datetime.date, date_to: datetime.date) -> QuerySet[Intervention]:
    """Interventions (not cancelled) under way at some day of the period."""
    return (
        Intervention.objects.filter(starts_on__lte=date_to)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=date_from))
        .exclude(status=Intervention.Status.CANCELLED)
    )


def enrolments_running_in(date_from: datetime.date, date_to: datetime.date) -> QuerySet[Enrolment]:
    """Course enrolments in a course running in the period, not withdrawn before it started."""
    return (
        Enrolment.objects.filter(course__starts_on__lte=date_to, course__ends_on__gte=date_from)
        .filter(enrolled_on__lte=date_to)
        .filter(Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gte=date_from))
    )


def supported_students(
    schools: QuerySet[Organisation], date_from: datetime.date, date_to: datetime.date
) -> QuerySet[Student]:
    """Pupils of the schools supported in the period: seen at the help desk (a walk-in or a slot done),
    in a support case open at some moment, with an intervention under way or enrolled in a course
    running in the period. Each enrolment at a school counts once."""
    start, end = period_bounds(date_from, date_to)
    pupil = OuterRef("pk")
    return Student.objects.filter(school__in=schools).filter(
        Exists(walk_ins_in(schools, start, end).filter(student=pupil))
        | Exists(slots_done_in(schools, start, end).filter(booked_student=pupil))
        | Exists(cases_active_in(schools, start, end).filter(students=pupil))
        | Exists(interventions_running_in(date_from, date_to).filter(student=pupil))
        | Exists(enrolments_running_in(date_from, date_to).filter(student=pupil))
    )


def interventions_started_in(
    schools: QuerySet[Organisation], date_from: datetime.date, date_to: datetime.date
) -> QuerySet[Intervention]:
    """Interventions of the schools' pupils that started in the period, whatever their status (as the
    interventions list, filtered by school and kind)."""
    return Intervention.objects.filter(student__school__in=schools, starts_on__gte=date_from, starts_on__lte=date_to)


def students_left_in(
    schools: QuerySet[Organisation], date_from: datetime.date, date_to: datetime.date
) -> QuerySet[Student]:
    return Student.objects.filter(school__in=schools, left_on__gte=date_from, left_on__lte=date_to)


def courses_running_in(
    schools: QuerySet[Organisation], date_from: datetime.date, date_to: datetime.date
) -> QuerySet[Course]:
    """Courses of the schools that run at some day of the period (with all their sessions so far)."""
    return Course.objects.filter(school__in=schools, starts_on__lte=date_to, ends_on__gte=date_from)


def risk_levels_on(schools: QuerySet[Organisation], day: datetime.date) -> dict[str, int]:
    """Pupils enrolled on `day` by their risk level at its end: the level of their latest RiskSignal
    computed before midnight ("no risk" without any)."""
    moment = _midnight(day + datetime.timedelta(days=1))
    latest = (
        RiskSignal.objects.filter(student=OuterRef("pk"), computed_at__lt=moment)
        .order_by("-computed_at", "-pk")
        .values("level")[:1]
    )
    rows = (
        Student.objects.filter(school__in=schools, enrolled_on__lte=day)
        .filter(Q(left_on__isnull=True) | Q(left_on__gt=day))
        .annotate(level_then=Coalesce(Subquery(latest), Value(RiskLevel.NONE)))
        .order_by()
        .values("level_then")
        .annotate(n=Count("pk"))
    )
    return {row["level_then"]: row["n"] for row in rows}


def age_band(birth_date: datetime.date | None, on: datetime.date) -> str:
    if birth_date is None:
        return ""
    age = years_between(birth_date, on)
    for label, low, high in AGE_BANDS:
        if age >= low and (high is None or age <= high):
            return label
    return ""


def _per_school(rows: Iterable[Mapping[str, Any]], key: str) -> dict[int, int]:
    return {row[key]: row["n"] for row in rows}


def _course_row(label: Any, totals: CourseTotals) -> dict[str, Any]:
    rate = totals.attendance_rate
    return {
        "label": label,
        "courses": totals.courses,
        "students": suppress(totals.students),
        "sessions": totals.sessions,
        "hours_scheduled": totals.hours_scheduled,
        "student_hours": totals.student_hours,
        "attendance_rate": "–" if rate is None else f"{rate} %",
    }


def _initiatives(totals: InitiativeTotals) -> dict[str, Any]:
    rate = totals.family_participation
    if totals.families_invited < SMALL_NUMBER_THRESHOLD:
        rate = None  # a share of a suppressed count would give it away
    return {
        "initiatives": totals.initiatives,
        "families_invited": suppress(totals.families_invited),
        "families_participated": suppress(totals.families_participated),
        "students_participated": suppress(totals.students_participated),
        "family_participation": "–" if rate is None else f"{rate} %",
    }


@register
class SchoolResultsReport(ReportBuilder):
    slug = "schools-results"
    title = _("Action 1 – schools: results per school and period")
    description = _(
        "Pupils supported by sex, age band, citizenship and recent arrival; help-desk contacts; risk levels "
        "month by month; interventions by kind and outcome; school leaving; course hours and attendance; "
        "families at cultural initiatives. Aggregates only."
    )
    roles = (Role.REGIONAL_OFFICIAL, Role.SCHOOL_OPERATOR)
    form_class = SchoolResultsForm
    template_name = "reports/schools/results.html"
    page_orientation = "landscape"
    # The form and the build take `user=`: an operator's figures cover their schools only.
    wants_requester = True

    def build(self, params: Mapping[str, Any], *, progress: Progress, user: Any = None) -> dict[str, Any]:
        date_from: datetime.date = params["date_from"]
        date_to: datetime.date = params["date_to"]
        chosen: Organisation | None = params.get("school")
        schools = schools_for(user)
        if chosen is not None:
            schools = schools.filter(pk=chosen.pk)
        start, end = period_bounds(date_from, date_to)

        # Pupils supported.
        supported = list(
            supported_students(schools, date_from, date_to).values_list(
                "school_id", "person__sex", "person__birth_date", "person__citizenship", "arrived_in_italy_on"
            )
        )
        progress(15)
        since = newly_arrived_since(date_to)
        sexes = Counter(row[1] for row in supported)
        bands = Counter(age_band(row[2], date_to) for row in supported)
        countries = Counter(str(row[3] or "") for row in supported)
        arrivals = Counter(
            "unknown" if row[4] is None else ("new" if row[4] >= since else "settled") for row in supported
        )
        supported_per_school = Counter(row[0] for row in supported)
        top = [code for code, _n in sorted(countries.items(), key=lambda item: (-item[1], item[0])) if code][
            :TOP_COUNTRIES
        ]
        other_countries = sum(n for code, n in countries.items() if code and code not in top)

        # Help desk.
        walk_ins = _per_school(
            walk_ins_in(schools, start, end).values("help_desk__school").annotate(n=Count("pk")).order_by(),
            "help_desk__school",
        )
        slots = _per_school(
            slots_done_in(schools, start, end).values("help_desk__school").annotate(n=Count("pk")).order_by(),
            "help_desk__school",
        )
        topics = {
            row["topic"]: row["n"]
            for row in walk_ins_in(schools, start, end).values("topic").annotate(n=Count("pk")).order_by()
        }
        progress(30)

        # Risk levels at the end of each month.
        levels = list(RiskLevel)
        risk_rows = []
        for day in month_ends(date_from, date_to):
            counts = risk_levels_on(schools, day)
            risk_rows.append(
                {
                    "day": day,
                    "cells": [suppress(counts.get(level.value, 0)) for level in levels],
                    "total": suppress(sum(counts.values())),
                }
            )
        progress(50)

        # Interventions started in the period, by kind and outcome.
        started = interventions_started_in(schools, date_from, date_to)
        intervention_counts = {
            (row["kind"], row["outcome"]): row["n"]
            for row in started.values("kind", "outcome").annotate(n=Count("pk")).order_by()
        }
        interventions_per_school = _per_school(
            started.values("student__school").annotate(n=Count("pk")).order_by(), "student__school"
        )
        outcomes = [*(value for value, _label in Intervention.Outcome.choices), NO_OUTCOME]
        outcome_labels = [*(label for _value, label in Intervention.Outcome.choices), _("Not recorded yet")]

        # School leaving.
        left = students_left_in(schools, date_from, date_to)
        reasons = {row["leaving_reason"]: row["n"] for row in left.values("leaving_reason").annotate(n=Count("pk"))}
        left_per_school = _per_school(left.values("school").annotate(n=Count("pk")).order_by(), "school")
        progress(65)

        # Courses and initiatives (the courses and initiatives pages' own sums).
        courses = courses_running_in(schools, date_from, date_to)
        course_rows = [
            _course_row(label, course_totals(courses.filter(kind=value))) for value, label in Course.Kind.choices
        ]
        course_all = _course_row(_("All courses"), course_totals(courses))
        progress(85)
        initiatives = _initiatives(
            initiative_totals(
                school_ids=list(schools.values_list("pk", flat=True)), starts_on=date_from, ends_on=date_to
            )
        )
        progress(95)

        school_rows = [
            {
                "name": school.name,
                "code": school.code,
                "supported": suppress(supported_per_school.get(school.pk, 0)),
                "walk_ins": suppress(walk_ins.get(school.pk, 0)),
                "slots_done": suppress(slots.get(school.pk, 0)),
                "interventions": suppress(interventions_per_school.get(school.pk, 0)),
                "left": suppress(left_per_school.get(school.pk, 0)),
            }
            for school in schools
        ]
        return {
            "date_from": date_from,
            "date_to": date_to,
            "school_name": chosen.name if chosen is not None else "",
            "threshold": SMALL_NUMBER_THRESHOLD,
            # Isolated left to right, so that "<5" does not turn into "5>" in an Arabic sentence.
            "suppressed_marker": format_html('<bdi dir="ltr">{}</bdi>', suppress(1)),
            "newly_arrived_since": since,
            "supported_total": suppress(len(supported)),
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
            "by_arrival": [
                (_("Newly arrived (in Italy for less than two years)"), suppress(arrivals.get("new", 0))),
                (_("In Italy for two years or more"), suppress(arrivals.get("settled", 0))),
                (_("Arrival date not known"), suppress(arrivals.get("unknown", 0))),
            ],
            "walk_ins_total": suppress(sum(walk_ins.values())),
            "slots_done_total": suppress(sum(slots.values())),
            "walk_in_topics": [(label, suppress(topics.get(value, 0))) for value, label in WalkIn.Topic.choices],
            "school_rows": school_rows,
            "interventions_total": suppress(sum(intervention_counts.values())),
            "left_total": suppress(sum(reasons.values())),
            "risk_levels": [level.label for level in levels],
            "risk_rows": risk_rows,
            "outcome_labels": outcome_labels,
            "intervention_rows": [
                {
                    "label": label,
                    "cells": [suppress(intervention_counts.get((value, outcome), 0)) for outcome in outcomes],
                    "total": suppress(sum(n for (kind, _o), n in intervention_counts.items() if kind == value)),
                }
                for value, label in Intervention.Kind.choices
            ],
            "intervention_totals": [
                suppress(sum(n for (_k, outcome), n in intervention_counts.items() if outcome == o)) for o in outcomes
            ],
            "leaving": [
                *((label, suppress(reasons.get(value, 0))) for value, label in Student.LeavingReason.choices),
                (_("Reason not recorded"), suppress(reasons.get("", 0))),
            ],
            "course_rows": course_rows,
            "course_all": course_all,
            "initiatives": initiatives,
        }
