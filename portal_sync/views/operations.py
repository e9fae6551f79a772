"""The operations dashboard: every endpoint with its health (and, for push endpoints, the messages
waiting and dead in its outbox), the recent runs with their counts and duration, one run with its
rejected records, "run now" for pull endpoints and "send now" for push endpoints, and the dead
letters with "retry" and "discard". Regional officials read it; editors and administrators act."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views import View

from aipim.core.models import Service
from aipim.core.views import RoleRequiredMixin
from portal_sync.models import READER_ROLES, Direction, Endpoint, OutboxMessage, SyncRun, can_edit
from portal_sync.services import outbox
from portal_sync.views import PAGE_SIZE, require_editor

RECENT_RUNS = 30


def _outbox_count(status: str) -> Coalesce:
    """The endpoint's messages in `status`, as a subquery (the outbox keeps every sent message:
    a join and GROUP BY over it would grow with the years)."""
    counts = (
        OutboxMessage.objects.filter(endpoint=OuterRef("pk"), status=status)
        .order_by()
        .values("endpoint")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


class OperationsView(RoleRequiredMixin, View):
    roles = READER_ROLES
    template_name = "portal_sync/operations.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        endpoints = (
            Endpoint.objects.for_user(request.user)  # type: ignore[arg-type]
            .defer("credentials", "options")
            .annotate(
                pending_count=_outbox_count(OutboxMessage.Status.PENDING),
                dead_count=_outbox_count(OutboxMessage.Status.DEAD),
            )
            .order_by("name")
        )
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
                "PUSH": Direction.PUSH,
            },
        )


def readable_endpoint(user: Any, pk: int) -> Endpoint:
    try:
        return Endpoint.objects.for_user(user).defer("credentials").get(pk=pk)
    except Endpoint.DoesNotExist as error:
        raise Http404 from error


class StartNowView(RoleRequiredMixin, View):
    """POST: queue one run of an endpoint now: a pull for a pull endpoint (`RunNowView`), a drain of
    its outbox for a push endpoint (`SendNowView`). The task takes the endpoint's lock, so a run
    already going is not doubled."""

    roles = READER_ROLES
    direction: str

    def wrong_direction(self) -> str:
        raise NotImplementedError

    def started(self, endpoint: Endpoint) -> str:
        raise NotImplementedError

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        require_editor(request)
        endpoint = readable_endpoint(request.user, pk)
        if endpoint.direction != self.direction:
            messages.error(request, self.wrong_direction())
            return redirect("portal_sync:operations")
        from portal_sync.tasks import run_endpoint_task  # the task module imports the engine and adapters

        user_id = request.user.pk
        # run_endpoint_task pulls a pull endpoint and drains a push endpoint's outbox.
        transaction.on_commit(
            lambda: run_endpoint_task.delay(endpoint.pk, trigger=SyncRun.Trigger.PAGE, user_id=user_id)
        )
        messages.success(request, self.started(endpoint))
        return redirect("portal_sync:operations")


class RunNowView(StartNowView):
    direction = Direction.PULL

    def wrong_direction(self) -> str:
        return _("Only endpoints we read from can be run from this page.")

    def started(self, endpoint: Endpoint) -> str:
        return _("A run of “%(endpoint)s” has been started. Reload the page to see it.") % {"endpoint": endpoint}


class SendNowView(StartNowView):
    direction = Direction.PUSH

    def wrong_direction(self) -> str:
        return _("Only endpoints we send to have messages to send.")

    def started(self, endpoint: Endpoint) -> str:
        return _("The messages waiting for “%(endpoint)s” are being sent. Reload the page to see the run.") % {
            "endpoint": endpoint
        }


def _push_endpoints(user: Any) -> QuerySet[Endpoint]:
    return Endpoint.objects.for_user(user).filter(direction=Direction.PUSH).only("pk", "name", "title")


class DeadLetterListView(RoleRequiredMixin, View):
    """The messages that failed for good, oldest death first, with what they are about, their
    attempts and last error; ?endpoint= narrows to one push endpoint."""

    roles = READER_ROLES
    template_name = "portal_sync/outbox_dead.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        endpoints = list(_push_endpoints(request.user).order_by("name"))
        letters = OutboxMessage.objects.filter(
            status=OutboxMessage.Status.DEAD, endpoint__in=[e.pk for e in endpoints]
        ).select_related("endpoint")
        selected = None
        if endpoint_id := request.GET.get("endpoint", ""):
            selected = next((e for e in endpoints if str(e.pk) == endpoint_id), None)
            if selected is None:
                raise Http404(_("There is no such push endpoint."))
            letters = letters.filter(endpoint=selected)
        letters = letters.defer("payload", "endpoint__credentials", "endpoint__options").order_by("dead_at", "id")
        page = Paginator(letters, PAGE_SIZE).get_page(request.GET.get("page"))
        shown = list(page.object_list)
        names = _record_names(shown)
        for letter in shown:
            letter.record_name = names.get(letter.pk, "")  # type: ignore[attr-defined]
        query = request.GET.copy()
        query.pop("page", None)
        return render(
            request,
            self.template_name,
            {
                "endpoints": endpoints,
                "selected": selected,
                "page_obj": page,
                "letters": shown,
                "page_query": query.urlencode(),
                "return_query": request.GET.urlencode(),
                "can_edit": can_edit(request.user),  # type: ignore[arg-type]
            },
        )


def _record_names(letters: list[OutboxMessage]) -> dict[int, str]:
    """Message id → the name of the record it is about, for the services on the page (one query)."""
    service_ids = {}
    for letter in letters:
        if letter.object_type == "service":
            try:
                service_ids[letter.pk] = uuid.UUID(letter.object_id)
            except ValueError:
                continue
    if not service_ids:
        return {}
    names = dict(Service.objects.filter(pk__in=set(service_ids.values())).values_list("pk", "name"))
    return {pk: names[service_id] for pk, service_id in service_ids.items() if service_id in names}


class DeadLetterActionView(RoleRequiredMixin, View):
    """POST: retry a dead letter (back in the queue, due now) or discard it."""

    roles = READER_ROLES
    action = ""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        require_editor(request)
        try:
            letter = OutboxMessage.objects.select_related("endpoint").get(
                pk=pk, endpoint__in=_push_endpoints(request.user).values("pk")
            )
        except OutboxMessage.DoesNotExist as error:
            raise Http404(_("There is no such message.")) from error
        try:
            if self.action == "retry":
                outbox.retry(letter, request.user)  # type: ignore[arg-type]
            else:
                outbox.discard(letter, request.user)  # type: ignore[arg-type]
        except outbox.NotDeadLetter as error:
            messages.error(request, error.messages[0])
        else:
            if self.action == "retry":
                from portal_sync.tasks import drain_outbox_task

                endpoint_id, user_id = letter.endpoint_id, request.user.pk
                transaction.on_commit(
                    lambda: drain_outbox_task.delay(endpoint_id, trigger=SyncRun.Trigger.PAGE, user_id=user_id)
                )
                messages.success(request, _("The message is back in the queue: it is being sent again."))
            else:
                messages.success(request, _("The message has been discarded: it will not be sent."))
        return redirect(_back_to_list(request.POST.get("return_query", "")))


def _back_to_list(return_query: str) -> str:
    """The dead letters' page with the filter and page it was seen with (digits only: nothing else
    from the form goes into the address)."""
    given = QueryDict(return_query)
    kept = QueryDict(mutable=True)
    for key in ("endpoint", "page"):
        if given.get(key, "").isdigit():
            kept[key] = given[key]
    url = reverse("portal_sync:outbox_dead")
    return f"{url}?{kept.urlencode()}" if kept else url


class RunDetailView(RoleRequiredMixin, View):
    """One run: its counts, its error, and the records a pull rejected."""

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
        # A drain of an outbox rejects nothing: its failures are the endpoint's dead letters.
        rejections = (
            []
            if run.direction == Direction.PUSH
            else list(run.rejections.order_by("-created_at", "-id")[: self.MAX_REJECTIONS])
        )
        return render(request, self.template_name, {"run": run, "rejections": rejections, "PUSH": Direction.PUSH})


urlpatterns: list[URLPattern] = [
    path("operations/", OperationsView.as_view(), name="operations"),
    path("operations/endpoints/<int:pk>/run/", RunNowView.as_view(), name="run_now"),
    path("operations/endpoints/<int:pk>/send/", SendNowView.as_view(), name="send_now"),
    path("operations/dead-letters/", DeadLetterListView.as_view(), name="outbox_dead"),
    path("operations/dead-letters/<int:pk>/retry/", DeadLetterActionView.as_view(action="retry"), name="outbox_retry"),
    path(
        "operations/dead-letters/<int:pk>/discard/",
        DeadLetterActionView.as_view(action="discard"),
        name="outbox_discard",
    ),
    path("operations/runs/<int:pk>/", RunDetailView.as_view(), name="run"),
]
