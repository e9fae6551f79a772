"""The operations dashboard: every endpoint with its health, the recent runs with their counts and
duration, one run with its rejected records, and "run now". Regional officials read it; editors
and administrators start runs."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views import View

from aipim.core.views import RoleRequiredMixin
from portal_sync.models import READER_ROLES, Direction, Endpoint, SyncRun, can_edit
from portal_sync.views import require_editor

RECENT_RUNS = 30


class OperationsView(RoleRequiredMixin, View):
    roles = READER_ROLES
    template_name = "portal_sync/operations.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        endpoints = Endpoint.objects.for_user(request.user).defer("credentials", "options").order_by("name")  # type: ignore[arg-type]
        runs = (
            SyncRun.objects.filter(endpoint__in=endpoints.values("pk"))
            .select_related("endpoint")
            .annotate(rejection_count=Count("rejections"))
            .order_by("-started_at", "-id")[:RECENT_RUNS]
        )
        return render(
            request,
            self.template_name,
            {
                "endpoints": endpoints,
                "runs": runs,
                "can_edit": can_edit(request.user),  # type: ignore[arg-type]
                "PULL": Direction.PULL,
            },
        )


def readable_endpoint(user: Any, pk: int) -> Endpoint:
    try:
        return Endpoint.objects.for_user(user).defer("credentials").get(pk=pk)
    except Endpoint.DoesNotExist as error:
        raise Http404 from error


class RunNowView(RoleRequiredMixin, View):
    """POST: queue a run of a pull endpoint now (the task takes the endpoint's lock, so a run
    already going is not doubled)."""

    roles = READER_ROLES

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        require_editor(request)
        endpoint = readable_endpoint(request.user, pk)
        if endpoint.direction != Direction.PULL:
            messages.error(request, _("Only endpoints we read from can be run from this page."))
            return redirect("portal_sync:operations")
        from portal_sync.tasks import run_endpoint_task  # the task module imports the engine and adapters

        user_id = request.user.pk
        transaction.on_commit(
            lambda: run_endpoint_task.delay(endpoint.pk, trigger=SyncRun.Trigger.PAGE, user_id=user_id)
        )
        messages.success(
            request, _("A run of “%(endpoint)s” has been started. Reload the page to see it.") % {"endpoint": endpoint}
        )
        return redirect("portal_sync:operations")


class RunDetailView(RoleRequiredMixin, View):
    """One run: its counts, its error, and the records it rejected."""

    roles = READER_ROLES
    template_name = "portal_sync/run_detail.html"
    MAX_REJECTIONS = 200

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            run = (
                SyncRun.objects.filter(endpoint__in=Endpoint.objects.for_user(request.user).values("pk"))  # type: ignore[arg-type]
                .select_related("endpoint", "started_by")
                .annotate(rejection_count=Count("rejections"))
                .get(pk=pk)
            )
        except SyncRun.DoesNotExist as error:
            raise Http404 from error
        rejections = list(run.rejections.order_by("-created_at", "-id")[: self.MAX_REJECTIONS])
        return render(request, self.template_name, {"run": run, "rejections": rejections})


urlpatterns: list[URLPattern] = [
    path("operations/", OperationsView.as_view(), name="operations"),
    path("operations/endpoints/<int:pk>/run/", RunNowView.as_view(), name="run_now"),
    path("operations/runs/<int:pk>/", RunDetailView.as_view(), name="run"),
]
