"""Staff must use a second factor: until they set one up, they can only reach the set-up pages."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

# Paths a staff user without a second factor may still open.
_OPEN_PREFIXES = ("/accounts/", "/i18n/", "/static/", "/healthz", "/privacy/", "/accessibility/", "/feedback/")


def user_has_mfa(user: object) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class RequireMFAMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            settings.MFA_REQUIRED
            and user.is_authenticated
            and user.is_staff_member  # type: ignore[union-attr]
            and not request.path.startswith(_OPEN_PREFIXES)
            and not request.session.get("mfa_enrolled")
        ):
            if user_has_mfa(user):
                request.session["mfa_enrolled"] = True
            elif request.path.startswith("/api/"):
                return HttpResponse(_("Set up two-factor authentication first."), status=403)
            else:
                messages.warning(request, _("Your role needs two-factor authentication: set it up to continue."))
                return redirect("mfa_activate_totp")
        return self.get_response(request)
