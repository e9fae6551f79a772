"""Report pages: choose and request a report, follow its build, download the PDF.

A request is seen by its requester only: anyone else gets 404, as if it did not exist."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView

from aipim.core import audit
from aipim.core.scoping import ScopedQuerysetMixin, get_for_user_or_404
from aipim.reports import services
from aipim.reports.models import ReportRequest
from aipim.reports.registry import ReportBuilder, UnknownReport, builders_for, get_builder

PAST_REQUESTS_SHOWN = 50


def _list_context(request: HttpRequest, *, invalid: tuple[ReportBuilder, Any] | None = None) -> dict[str, Any]:
    available = []
    for builder in builders_for(request.user):
        form = invalid[1] if invalid and invalid[0] is builder else builder.form(user=request.user)
        available.append((builder, form))
    past = (
        ReportRequest.objects.for_user(request.user)
        .defer("preview_html", "parameters")
        .order_by("-created_at", "-pk")[:PAST_REQUESTS_SHOWN]
    )
    return {"available": available, "past_requests": past, "REPORT_RETENTION_DAYS": settings.REPORT_RETENTION_DAYS}


class ReportListView(LoginRequiredMixin, View):
    """The reports the user may request, each with its parameters, and the user's own requests."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "reports/report_list.html", _list_context(request))


class ReportRequestCreateView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest) -> HttpResponse:
        if not builders_for(request.user):
            raise PermissionDenied
        try:
            builder = get_builder(request.POST.get("report", ""))
        except UnknownReport:
            raise Http404 from None
        if not builder.may_request(request.user):
            raise PermissionDenied
        form = builder.form(request.POST, user=request.user)
        if not form.is_valid():
            return render(
                request, "reports/report_list.html", _list_context(request, invalid=(builder, form)), status=400
            )
        report_request = services.request_report(builder=builder, parameters=form.cleaned_data, by=request.user)
        return redirect("reports:detail", pk=report_request.pk)


class ReportDetailView(LoginRequiredMixin, ScopedQuerysetMixin, DetailView):
    """Status and progress; htmx asks for the status part again every 2 s while it is pending."""

    model = ReportRequest
    context_object_name = "report_request"

    def get_template_names(self) -> list[str]:
        if self.request.htmx:  # type: ignore[attr-defined]
            return ["reports/_request_status.html"]
        return ["reports/report_detail.html"]


class ReportRetryView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        report_request = get_for_user_or_404(ReportRequest, request.user, pk=pk)
        try:
            services.retry_report(report_request=report_request, by=request.user)
        except services.ReportNotReady as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The report has been queued again."))
        return redirect("reports:detail", pk=pk)


class ReportDownloadView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> FileResponse:
        report_request = get_for_user_or_404(ReportRequest, request.user, pk=pk)
        if report_request.status != ReportRequest.Status.DONE or not report_request.file:
            raise Http404
        try:
            handle = report_request.file.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        audit.record(request.user, "report.download", report_request, report=report_request.report)
        response = FileResponse(handle, as_attachment=True, filename=report_request.download_name)
        response["Content-Type"] = "application/pdf"
        response["Cache-Control"] = "no-store, private"
        return response
