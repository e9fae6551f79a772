"""Pages of Action 3. The home page is the editors' inbox: pulled items by state, kind and source,
searchable by title. Regional officials read the staff pages; editors and administrators act."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest
from django.views.generic import ListView

from aipim.core.views import RoleRequiredMixin
from portal_sync.forms import InboxFilterForm
from portal_sync.models import READER_ROLES, ContentItem, ItemState, can_edit

PAGE_SIZE = 25


def readable_item(user: Any, pk: int) -> ContentItem:
    """The item if the user may read it, else 404."""
    try:
        return ContentItem.objects.for_user(user).select_related("endpoint", "state_changed_by", "service").get(pk=pk)
    except ContentItem.DoesNotExist as error:
        raise Http404 from error


def require_editor(request: HttpRequest) -> None:
    """Readers (regional officials) see the pages; only editors and administrators act."""
    if not can_edit(request.user):  # type: ignore[arg-type]
        raise PermissionDenied


class HomeView(RoleRequiredMixin, ListView):
    roles = READER_ROLES
    template_name = "portal_sync/inbox.html"
    context_object_name = "items"
    paginate_by = PAGE_SIZE

    def get_queryset(self) -> QuerySet[ContentItem]:
        self.filter_form = InboxFilterForm(self.request.GET or None)
        items = ContentItem.objects.for_user(self.request.user).select_related("endpoint")  # type: ignore[arg-type]
        return self.filter_form.filter(items).defer("body", "payload").order_by("-received_at", "-id")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        counts = dict(
            ContentItem.objects.for_user(self.request.user)  # type: ignore[arg-type]
            .values_list("state")
            .annotate(n=Count("id"))
            .order_by()
        )
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            filter_form=self.filter_form,
            page_query=query.urlencode(),
            state_counts=[(value, label, counts.get(value, 0)) for value, label in ItemState.choices],
        )
        return context
