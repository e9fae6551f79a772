"""The editors' item page (texts, source, versions with their diff, translations, the workflow's
buttons) and the list of records the runs rejected."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import ListView

from aipim.core.models import AuditEvent
from aipim.core.views import RoleRequiredMixin
from portal_sync.forms import TextsForm, WithdrawForm
from portal_sync.models import (
    READER_ROLES,
    ContentItem,
    ContentVersion,
    Endpoint,
    ItemState,
    RejectedRecord,
    SyncRun,
    can_edit,
)
from portal_sync.services import editorial
from portal_sync.views import PAGE_SIZE, readable_item, require_editor

MOVE_LABELS = {
    "start_review": gettext_lazy("Start the review"),
    "approve": gettext_lazy("Approve"),
    "publish": gettext_lazy("Publish"),
}
HISTORY_LABELS = {
    "content_item.start_review": gettext_lazy("Review started"),
    "content_item.approve": gettext_lazy("Approved"),
    "content_item.publish": gettext_lazy("Published"),
    "content_item.withdraw": gettext_lazy("Withdrawn"),
    "content_item.save_texts": gettext_lazy("Texts saved"),
}
HISTORY_LENGTH = 50
# The diff names the fields it compares (editorial.diff's names): in the editor's language.
DIFF_FIELD_LABELS = {
    "title": gettext_lazy("Title"),
    "summary": gettext_lazy("Summary"),
    "body": gettext_lazy("Text"),
    "payload": gettext_lazy("The record as the source sent it"),
}
DONE_MESSAGES = {
    "start_review": gettext_lazy("The item is in review."),
    "approve": gettext_lazy("The item is approved."),
    "publish": gettext_lazy("The item is published."),
    "withdraw": gettext_lazy("The item is withdrawn."),
}


def history(item: ContentItem) -> list[dict[str, Any]]:
    """Who moved the item or edited its texts, and when (from the audit trail), newest first."""
    events = (
        AuditEvent.objects.filter(
            object_type=ContentItem._meta.label_lower, object_id=str(item.pk), action__in=HISTORY_LABELS
        )
        .select_related("user")
        .order_by("-at", "-pk")[:HISTORY_LENGTH]
    )
    return [
        {
            "at": event.at,
            "what": HISTORY_LABELS[event.action],
            "who": (event.user.full_name if event.user else "") or event.user_email,
        }
        for event in events
    ]


def _version(versions: list[ContentVersion], number: str | None) -> ContentVersion | None:
    if not number:
        return None
    return next((v for v in versions if str(v.version) == number), None)


class ItemDetailView(RoleRequiredMixin, View):
    roles = READER_ROLES
    template_name = "portal_sync/item_detail.html"

    def show(
        self,
        item: ContentItem,
        texts: TextsForm | None = None,
        withdraw_form: WithdrawForm | None = None,
        status: int = 200,
    ) -> HttpResponse:
        request = self.request
        versions = list(item.versions.select_related("run").order_by("-version"))
        newer = _version(versions, request.GET.get("to")) or (versions[0] if versions else None)
        older = _version(versions, request.GET.get("from")) or next(
            (v for v in versions if newer and v.version < newer.version), None
        )
        version_diff = editorial.diff(item, older, newer) if older and newer and older.pk != newer.pk else None
        editor = can_edit(request.user)  # type: ignore[arg-type]
        moves = editorial.allowed_moves(item) if editor else []
        context = {
            "item": item,
            "versions": versions,
            "older": older,
            "newer": newer,
            "version_diff": version_diff,
            "changed_fields": [DIFF_FIELD_LABELS.get(c.field, c.field) for c in version_diff.changes]
            if version_diff
            else [],
            "can_edit": editor,
            "moves": [(verb, MOVE_LABELS[verb]) for verb in moves if verb != "withdraw"],
            "can_withdraw": "withdraw" in moves,
            "texts_form": texts or (TextsForm(item=item) if editor and item.state != ItemState.WITHDRAWN else None),
            "withdraw_form": withdraw_form or WithdrawForm(),
            "history": history(item),
            # The record as the source sent it (for services: the HSDS document), shown as text.
            "payload_json": json.dumps(item.payload, ensure_ascii=False, indent=2, sort_keys=True)
            if item.payload
            else "",
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.show(readable_item(request.user, pk))


class ItemTextsView(ItemDetailView):
    """POST: the editors' titles and summaries in every language."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return redirect("portal_sync:item", pk=pk)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        require_editor(request)
        item = readable_item(request.user, pk)
        form = TextsForm(request.POST, item=item)
        if form.is_valid():
            try:
                editorial.save_texts(item, by=request.user, fields=form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(request, _("Texts saved."))
                return redirect("portal_sync:item", pk=item.pk)
        return self.show(item, texts=form, status=400)


class ItemMoveView(ItemDetailView):
    """POST: one move of the workflow (start_review, approve, publish, withdraw with a reason)."""

    def get(self, request: HttpRequest, pk: int, verb: str) -> HttpResponse:  # type: ignore[override]
        return redirect("portal_sync:item", pk=pk)

    def post(self, request: HttpRequest, pk: int, verb: str) -> HttpResponse:
        require_editor(request)
        if verb not in editorial.MOVES:
            raise Http404
        item = readable_item(request.user, pk)
        withdraw_form = None
        try:
            if verb == "withdraw":
                withdraw_form = WithdrawForm(request.POST)
                if not withdraw_form.is_valid():
                    return self.show(item, withdraw_form=withdraw_form, status=400)
                editorial.withdraw(item, by=request.user, reason=withdraw_form.cleaned_data["reason"])
            else:
                getattr(editorial, verb)(item, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, DONE_MESSAGES[verb])
        return redirect("portal_sync:item", pk=item.pk)


class RejectionListView(RoleRequiredMixin, ListView):
    """Records the runs could not take, newest first; ?run= narrows to one run."""

    roles = READER_ROLES
    template_name = "portal_sync/rejection_list.html"
    context_object_name = "rejections"
    paginate_by = PAGE_SIZE

    def get_queryset(self) -> QuerySet[RejectedRecord]:
        rejections = RejectedRecord.objects.filter(endpoint__in=_readable_endpoints(self.request.user)).select_related(
            "endpoint", "run"
        )
        self.run = None
        if run_id := self.request.GET.get("run", ""):
            if not run_id.isdigit():
                raise Http404
            try:
                self.run = SyncRun.objects.select_related("endpoint").get(
                    pk=run_id, endpoint__in=_readable_endpoints(self.request.user)
                )
            except SyncRun.DoesNotExist as error:
                raise Http404 from error
            rejections = rejections.filter(run=self.run)
        return rejections.order_by("-created_at", "-id")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(run=self.run, page_query=query.urlencode())
        return context


def _readable_endpoints(user: Any) -> Any:
    return Endpoint.objects.for_user(user).values("pk")


urlpatterns: list[URLPattern] = [
    path("items/<int:pk>/", ItemDetailView.as_view(), name="item"),
    path("items/<int:pk>/texts/", ItemTextsView.as_view(), name="item_texts"),
    path("items/<int:pk>/<slug:verb>/", ItemMoveView.as_view(), name="item_move"),
    path("rejected/", RejectionListView.as_view(), name="rejections"),
]
