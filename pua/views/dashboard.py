"""PUA pages: the supervisor's dashboard of one desk (caseload, cases by status and need, referrals by
outcome, overdue tasks), each figure a link to the list behind it. Every figure is one SQL aggregate,
so the page runs the same few queries whatever the desk's size."""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone
from django.views import View

from aipim.accounts.models import Role, User
from aipim.core import audit
from aipim.core.models import Organisation
from aipim.core.views import RoleRequiredMixin
from pua.models import Assessment, Case, Need, NeedDomain, Referral, Task

PAGE_SIZE = 50
OVERDUE = "overdue"


class SupervisedDeskMixin(RoleRequiredMixin):
    """The desk chosen by `?desk=<pk>` among those the user supervises (the first by name if none);
    any other desk answers 404."""

    roles = (Role.PUA_SUPERVISOR,)

    def supervised_desks(self, request: HttpRequest) -> tuple[Organisation, list[Organisation]]:
        desks = list(
            Organisation.objects.filter(
                pk__in=request.user.organisation_ids(Role.PUA_SUPERVISOR),  # type: ignore[union-attr]
                kind=Organisation.Kind.PUA_DESK,
            ).order_by("name")
        )
        wanted = request.GET.get("desk")
        if wanted is None and desks:
            return desks[0], desks
        for desk in desks:
            if str(desk.pk) == wanted:
                return desk, desks
        raise Http404


def overdue_tasks(desk: Organisation) -> QuerySet[Task]:
    return Task.objects.filter(case__desk=desk, done_at__isnull=True, due_date__lt=timezone.localdate())


def overdue_referrals(desk: Organisation) -> QuerySet[Referral]:
    return Referral.objects.filter(case__desk=desk, status=Referral.Status.SENT, acknowledge_by__lt=timezone.now())


def cases_by_need_domain(desk: Organisation) -> dict[str, int]:
    """Cases whose latest assessment found a need (at least low severity) in each domain."""
    latest = Assessment.objects.filter(case=OuterRef("assessment__case")).order_by("-assessed_at", "-pk").values("pk")
    rows = (
        Need.objects.filter(assessment__case__desk=desk, severity__gte=Need.Severity.LOW)
        .filter(assessment=Subquery(latest[:1]))
        .values("domain")
        .annotate(cases=Count("assessment__case", distinct=True))
    )
    return {row["domain"]: row["cases"] for row in rows}


def caseload(desk: Organisation) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """One row per caseworker of the desk (and one for unassigned cases) with their cases by status."""
    counts: dict[int | None, dict[str, int]] = defaultdict(dict)
    for row in Case.objects.filter(desk=desk).values("caseworker", "status").annotate(n=Count("pk")).order_by():
        counts[row["caseworker"]][row["status"]] = row["n"]
    today = timezone.localdate()
    staff = User.objects.filter(
        Q(pk__in=[pk for pk in counts if pk is not None])
        | Q(
            pk__in=User.objects.filter(
                memberships__organisation=desk,
                memberships__role=Role.CASEWORKER,
                memberships__valid_from__lte=today,
                is_active=True,
            )
            .filter(Q(memberships__valid_until__isnull=True) | Q(memberships__valid_until__gte=today))
            .values("pk")
        )
    ).order_by("full_name", "email")
    rows: list[dict[str, Any]] = []
    for user in staff:
        by_status = counts.get(user.pk, {})
        rows.append({"user": user, "key": user.pk, "cells": _cells(by_status), "active": _active(by_status)})
    if None in counts:
        rows.append({"user": None, "key": "none", "cells": _cells(counts[None]), "active": _active(counts[None])})
    totals: dict[str, int] = defaultdict(int)
    for by_status in counts.values():
        for status, n in by_status.items():
            totals[status] += n
    return rows, dict(totals)


def _cells(by_status: dict[str, int]) -> list[tuple[str, int]]:
    return [(status, by_status.get(status, 0)) for status in Case.Status.values]


def _active(by_status: dict[str, int]) -> int:
    return sum(n for status, n in by_status.items() if status != Case.Status.CLOSED)


class DashboardView(SupervisedDeskMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        desk, desks = self.supervised_desks(request)
        rows, status_totals = caseload(desk)
        domains = cases_by_need_domain(desk)
        referrals = dict(
            Referral.objects.filter(case__desk=desk).values_list("status").annotate(n=Count("pk")).order_by()
        )
        context = {
            "desk": desk,
            "desks": desks,
            "statuses": [(value, label) for value, label in Case.Status.choices],
            "caseload_rows": rows,
            "status_rows": [(value, label, status_totals.get(value, 0)) for value, label in Case.Status.choices],
            "domain_rows": [(value, label, domains.get(value, 0)) for value, label in NeedDomain.choices],
            "referral_rows": [(value, label, referrals.get(value, 0)) for value, label in Referral.Status.choices],
            "overdue_referrals": overdue_referrals(desk).count(),
            "overdue_tasks": overdue_tasks(desk).count(),
        }
        return render(request, "pua/dashboard/dashboard.html", context)


class DashboardReferralsView(SupervisedDeskMixin, View):
    """The referrals behind a figure of the dashboard: by status, or overdue."""

    def get(self, request: HttpRequest) -> HttpResponse:
        desk, _desks = self.supervised_desks(request)
        status = request.GET.get("status", "")
        if status == OVERDUE:
            referrals = overdue_referrals(desk)
        elif status in Referral.Status.values:
            referrals = Referral.objects.filter(case__desk=desk, status=status)
        else:
            raise Http404
        referrals = referrals.select_related("case", "service").order_by("-created_at", "-pk")
        page = Paginator(referrals, PAGE_SIZE).get_page(request.GET.get("page"))
        audit.record(request.user, "referral.list", object_type="pua.referral", organisation=desk, count=len(page))
        label = Referral.Status(status).label if status != OVERDUE else None
        return render(
            request,
            "pua/dashboard/referrals.html",
            {
                "desk": desk,
                "page": page,
                "status": status,
                "status_label": label,
                "now": timezone.now(),
                "query": urlencode({"desk": desk.pk, "status": status}),
            },
        )


class DashboardTasksView(SupervisedDeskMixin, View):
    """The overdue tasks of the desk."""

    def get(self, request: HttpRequest) -> HttpResponse:
        desk, _desks = self.supervised_desks(request)
        tasks = overdue_tasks(desk).select_related("case", "assigned_to").order_by("due_date", "pk")
        page = Paginator(tasks, PAGE_SIZE).get_page(request.GET.get("page"))
        audit.record(request.user, "task.list", object_type="pua.task", organisation=desk, count=len(page))
        return render(
            request, "pua/dashboard/tasks.html", {"desk": desk, "page": page, "query": urlencode({"desk": desk.pk})}
        )


urlpatterns: list[URLPattern] = [
    path("dashboard/", DashboardView.as_view(), name="dashboard"),
    path("dashboard/referrals/", DashboardReferralsView.as_view(), name="dashboard_referrals"),
    path("dashboard/tasks/", DashboardTasksView.as_view(), name="dashboard_tasks"),
]
