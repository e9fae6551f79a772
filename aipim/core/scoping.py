"""One way to read personal data: start from `Model.objects.for_user(user)`.

Every model that holds personal data defines `for_user` on its queryset (a system check in
`aipim.core.checks` enforces it for every model that points at Person). Views use the helpers
below, so a record outside the user's scope answers 404, never another desk's data."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models
from django.http import Http404

from aipim.core import audit

M = TypeVar("M", bound=models.Model)


def get_for_user_or_404(model: type[M], user: Any, **lookup: Any) -> M:
    """Fetch one record in the user's scope, or raise Http404."""
    try:
        return model._default_manager.for_user(user).get(**lookup)  # type: ignore[attr-defined]
    except model.DoesNotExist as error:  # type: ignore[attr-defined]
        raise Http404 from error


class ScopedQuerysetMixin:
    """For generic views: the queryset is the model's `for_user` for the current user."""

    model: type[models.Model]
    request: Any

    def get_queryset(self) -> models.QuerySet[Any]:
        return self.model._default_manager.for_user(self.request.user)  # type: ignore[attr-defined]


class AuditedObjectMixin(ScopedQuerysetMixin):
    """For detail, update and delete views of personal data: scoped fetch plus an audit record."""

    audit_action = "view"

    def get_object(self, queryset: models.QuerySet[Any] | None = None) -> Any:
        obj = super().get_object(queryset)  # type: ignore[misc]
        audit.record(self.request.user, f"{obj._meta.model_name}.{self.audit_action}", obj)
        return obj
