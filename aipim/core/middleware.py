"""Request-wide glue: the session's idle timeout, the client address for audit records, and no
caching of personal data."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

current_ip: ContextVar[str | None] = ContextVar("current_ip", default=None)


def client_ip(request: HttpRequest) -> str | None:
    # Behind the production proxy the client is the first address of X-Forwarded-For.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded:
        return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


class SessionIdleTimeoutMiddleware:
    """The session ends SESSION_COOKIE_AGE after the last request (an idle timeout): each request
    pushes its expiry forward by saving it, but at most once every TOUCH_SECONDS. Saving on every
    request (SESSION_SAVE_EVERY_REQUEST) cost three queries on every page (BEGIN, UPDATE, COMMIT); now
    the timeout may strike up to TOUCH_SECONDS early, never late. Goes right after SessionMiddleware."""

    TOUCH_SECONDS = 60
    KEY = "_touched"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or session.is_empty():
            return response  # no session (an anonymous visitor, or one just logged out): none is created
        touched = session.get(self.KEY, 0)
        now = int(time.time())
        # is_empty() again: a cookie naming an expired session loads nothing, and that is not revived.
        if now - touched >= self.TOUCH_SECONDS and not session.is_empty():
            session[self.KEY] = now
        return response


class RequestContextMiddleware:
    """Remember the client's address so that services can audit without being handed the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            current_ip.reset(token)


class NoStoreForPersonalDataMiddleware:
    """Pages seen by a logged-in user may hold personal data: browsers and proxies must not keep them.

    Views for anonymous visitors that still show personal data (signed links) use
    `django.views.decorators.cache.never_cache` themselves."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith("/static/"):
            response["Cache-Control"] = "no-store, private"
        return response
