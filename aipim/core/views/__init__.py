"""Shared page views and the base classes that every app's views build on."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.views.generic import TemplateView


class RoleRequiredMixin(LoginRequiredMixin):
    """Only users holding one of `roles` (in any organisation) may open the view; others get 403.

    Which records they then see is decided by the models' `for_user` scoping, not here."""

    roles: tuple[str, ...] = ()

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if self.roles and not (request.user.is_superuser or request.user.has_role(*self.roles)):  # type: ignore[union-attr]
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class ActionHomeView(RoleRequiredMixin, TemplateView):
    """The landing page of one action's app, behind login and the action's roles."""

    template_name = "core/action_home.html"
    title: Any = ""
    description: Any = ""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            title=self.title,
            description=self.description,
            organisations=self.request.user.organisations(*self.roles),  # type: ignore[union-attr]
        )
        return context


class HomeView(TemplateView):
    """The public landing page."""

    template_name = "core/home.html"


class DashboardView(LoginRequiredMixin, TemplateView):
    """After login: the user's roles and the parts of the portal they lead to."""

    template_name = "core/dashboard.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        # The links themselves come from the `nav_links` context variable (aipim.core.navigation).
        context["memberships"] = user.active_memberships  # type: ignore[union-attr]
        return context
