"""Shared behaviour of our viewsets: a client mistake answers 400/404 with a reason, never 500."""

from __future__ import annotations

import uuid
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, ValidationError


def uuid_or_404(value: Any, message: Any) -> uuid.UUID:
    """A malformed id answers like an unknown one: 404, so that ids cannot be probed."""
    try:
        return uuid.UUID(str(value))
    except ValueError as error:
        raise NotFound(message) from error


class StrictQueryParamsMixin:
    """Refuse query parameters the endpoint does not know (a misspelt filter would otherwise be
    ignored silently and return everything)."""

    always_allowed = frozenset({"format"})
    request: Any
    filterset_class: Any = None
    paginator: Any

    def allowed_query_params(self) -> set[str]:
        allowed = set(self.always_allowed)
        if self.filterset_class is not None:
            allowed |= set(self.filterset_class.base_filters)
        paginator = getattr(self, "paginator", None)
        if paginator is not None:
            allowed |= {p for p in (paginator.page_query_param, paginator.page_size_query_param) if p}
        return allowed

    def initial(self, request: Any, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        unknown = sorted(set(request.query_params) - self.allowed_query_params())
        if unknown:
            raise ValidationError(
                {"unknown_parameters": unknown, "detail": _("Unknown query parameters: %s") % ", ".join(unknown)}
            )
