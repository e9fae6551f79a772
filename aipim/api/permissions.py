"""API permissions that the middleware cannot give: a token request carries no session, so the
second-factor rule of `RequireMFAMiddleware` is checked again once DRF knows the user."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission, IsAuthenticated

from aipim.accounts.middleware import user_has_mfa


class HasSecondFactor(BasePermission):
    """Staff must have a second factor before the API answers them, whatever the authentication.
    Anonymous callers pass (public endpoints decide for themselves)."""

    message = _("Set up two-factor authentication first.")

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if not (settings.MFA_REQUIRED and user.is_authenticated and user.is_staff_member):
            return True
        return user_has_mfa(user)


class IsAuthenticatedWithSecondFactor(IsAuthenticated):
    """The default for endpoints with personal data: logged in (session or token) and past MFA."""

    message = HasSecondFactor.message

    def has_permission(self, request: Any, view: Any) -> bool:
        return super().has_permission(request, view) and HasSecondFactor().has_permission(request, view)


class PublicRead(HasSecondFactor):
    """Open data (directory, organisations, municipalities): anyone may read, nobody writes here."""

    def has_permission(self, request: Any, view: Any) -> bool:
        return request.method in ("GET", "HEAD", "OPTIONS") and super().has_permission(request, view)
