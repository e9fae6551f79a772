"""Public pages every Italian public-administration site has (AgID guidelines), and /healthz."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.generic import FormView, TemplateView

from aipim.core.forms import FeedbackForm


class ContentPageView(TemplateView):
    """A content page with the date of its last update shown at the bottom."""

    updated_on = datetime.date(2026, 11, 25)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(updated_on=self.updated_on, **kwargs)


class PrivacyView(ContentPageView):
    template_name = "core/privacy.html"


class AccessibilityView(ContentPageView):
    template_name = "core/accessibility.html"


class FeedbackView(FormView):
    template_name = "core/feedback.html"
    form_class = FeedbackForm

    def get_initial(self) -> dict[str, Any]:
        return {"page": self.request.GET.get("page", "")[:200]}

    def form_valid(self, form: FeedbackForm) -> HttpResponse:
        if not form.cleaned_data.get("website"):  # the honeypot stayed empty: a person wrote this
            feedback = form.save(commit=False)
            feedback.language = get_language() or ""
            feedback.save()
        messages.success(self.request, _("Thank you: your feedback helps us improve the portal."))
        page = form.cleaned_data.get("page") or "/"
        if not url_has_allowed_host_and_scheme(page, allowed_hosts={self.request.get_host()}):
            page = "/"
        return redirect(page)


def _check_database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True}


def _check_cache() -> dict[str, Any]:
    cache.set("healthz", "ok", 10)
    return {"ok": cache.get("healthz") == "ok", "backend": "redis" if settings.REDIS_URL else "local memory"}


def _check_broker_and_worker() -> tuple[dict[str, Any], dict[str, Any]]:
    if not settings.REDIS_URL:
        eager = {"ok": True, "mode": "eager (no REDIS_URL: tasks run in-process)"}
        return eager, eager
    from aipim.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    broker = {"ok": True}
    replies = app.control.inspect(timeout=1.0).ping() or {}
    worker = {"ok": bool(replies), "workers": sorted(replies)}
    return broker, worker


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Database, cache, broker and worker status as JSON: 200 when all are well, else 503."""
    report: dict[str, Any] = {}
    checks = {"database": _check_database, "cache": _check_cache}
    for name, check in checks.items():
        try:
            report[name] = check()
        except Exception as error:  # a health check reports failures, it never raises them
            report[name] = {"ok": False, "error": error.__class__.__name__}
    try:
        report["broker"], report["worker"] = _check_broker_and_worker()
    except Exception as error:
        report["broker"] = {"ok": False, "error": error.__class__.__name__}
        report["worker"] = {"ok": False, "error": "broker unreachable"}
    healthy = all(part["ok"] for part in report.values())
    return JsonResponse({"status": "ok" if healthy else "error", **report}, status=200 if healthy else 503)
