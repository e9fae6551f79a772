"""Pages of Action 1: the early warning. The at-risk list, the alerts waiting for a referent's
confirmation, the follow-up of cases opened from risk (acted within N days), a student's timeline of
signals and interventions, and each school's thresholds. Its urlpatterns are collected by
schools/urls.py."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from aipim.accounts.models import SCHOOL_ROLES, Role
from aipim.core import audit
from aipim.core.views import RoleRequiredMixin
from schools.forms.risk import DismissForm, RiskFilterForm, RiskSettingsForm
from schools.models import RiskSettings, Student
from schools.risk.indicators import LABELS
from schools.services import risk

PAGE_SIZE = 25


def _page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    """Render a risk page; its tabs show the thresholds to operators only."""
    context["perms_settings"] = request.user.has_role(Role.SCHOOL_OPERATOR)  # type: ignore[union-attr]
    return render(request, template, context, status=status)


def _detail_prefix() -> str:
    """The student pages' URL without the id (one reverse() a page, not one a row)."""
    return risk.student_url(0).removesuffix("0/")


class RiskListView(RoleRequiredMixin, View):
    """Students at risk, highest level and score first, with the indicators that triggered."""

    roles = SCHOOL_ROLES
    template_name = "schools/risk/list.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        user: Any = request.user
        form = RiskFilterForm(request.GET or None, user=user)
        filters = dict(form.cleaned_data) if form.is_valid() else {}
        page = Paginator(risk.at_risk_students(user, filters), PAGE_SIZE).get_page(request.GET.get("page"))
        audit.record(user, "student.risk_list", object_type="schools.student", count=len(page.object_list))
        student: Any
        for student in page.object_list:
            student.triggered_labels = [
                _(LABELS.get(i.get("code", ""), i.get("label", "")))
                for i in student.signal_indicators or []
                if i.get("triggered")
            ]
        query = request.GET.copy()
        query.pop("page", None)
        return _page(
            request,
            self.template_name,
            {
                "form": form,
                "page": page,
                "page_query": query.urlencode(),
                "detail_prefix": _detail_prefix(),
                "many_schools": len(user.organisation_ids(*SCHOOL_ROLES)) > 1,
            },
        )


class ToConfirmView(RoleRequiredMixin, View):
    """Alerts of students who entered high risk and wait for the referent: confirm or dismiss."""

    roles = SCHOOL_ROLES
    template_name = "schools/risk/to_confirm.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        user: Any = request.user
        page = Paginator(risk.to_confirm(user), PAGE_SIZE).get_page(request.GET.get("page"))
        audit.record(user, "risksignal.to_confirm_list", object_type="schools.risksignal", count=len(page.object_list))
        return _page(request, self.template_name, {"page": page, "detail_prefix": _detail_prefix()})


class ConfirmView(RoleRequiredMixin, View):
    roles = SCHOOL_ROLES

    def post(self, request: HttpRequest, signal_id: int) -> HttpResponseRedirect:
        try:
            risk.confirm_case(signal_id=signal_id, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The help desk's case is open."))
        return redirect("schools:risk_to_confirm")


class DismissView(RoleRequiredMixin, View):
    roles = SCHOOL_ROLES

    def post(self, request: HttpRequest, signal_id: int) -> HttpResponseRedirect:
        form = DismissForm(request.POST, prefix=f"s{signal_id}")
        if not form.is_valid():
            messages.error(request, _("Say why no case is needed."))
            return redirect("schools:risk_to_confirm")
        try:
            risk.dismiss_alert(signal_id=signal_id, reason=form.cleaned_data["reason"], by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Alert dismissed; the reason is kept."))
        return redirect("schools:risk_to_confirm")


class FollowUpView(RoleRequiredMixin, View):
    """Cases opened from high risk: was someone's first action recorded by the deadline?"""

    roles = SCHOOL_ROLES
    template_name = "schools/risk/follow_up.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        user: Any = request.user
        overdue_only = request.GET.get("overdue") == "1"
        today = timezone.localdate()
        page = Paginator(risk.follow_up(user, today=today, overdue_only=overdue_only), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        audit.record(user, "supportcase.risk_follow_up", object_type="schools.supportcase", count=len(page.object_list))
        return _page(
            request,
            self.template_name,
            {
                "page": page,
                "overdue_only": overdue_only,
                "page_query": "overdue=1" if overdue_only else "",
                "today": today,
                "detail_prefix": _detail_prefix(),
            },
        )


class TimelineView(RoleRequiredMixin, View):
    """A student's signals and interventions together, newest first: the student page loads it
    into its timeline section; without JavaScript it is a page of its own."""

    roles = SCHOOL_ROLES

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        user: Any = request.user
        student = Student.objects.for_user(user).select_related("person", "school").filter(pk=pk).first()
        if student is None:
            raise Http404
        entries = risk.timeline(student)
        audit.record(user, "student.timeline", student, organisation=student.school)
        template = "schools/risk/_timeline_entries.html" if request.htmx else "schools/risk/timeline.html"  # type: ignore[attr-defined]
        return render(
            request,
            template,
            {"student": student, "entries": entries, "student_link": risk.student_url(student.pk)},
        )


class SettingsIndexView(RoleRequiredMixin, View):
    """The operator's schools; with one school, straight to its settings."""

    roles = (Role.SCHOOL_OPERATOR,)

    def get(self, request: HttpRequest) -> HttpResponse:
        schools = sorted(risk.schools_for(request.user, operator=True), key=lambda s: s.name)
        if len(schools) == 1:
            return redirect("schools:risk_settings", school_id=schools[0].pk)
        return _page(request, "schools/risk/settings_index.html", {"schools": schools})


class SettingsView(RoleRequiredMixin, View):
    roles = (Role.SCHOOL_OPERATOR,)
    template_name = "schools/risk/settings.html"

    def school(self, school_id: int) -> Any:
        for school in risk.schools_for(self.request.user, operator=True):
            if school.pk == school_id:
                return school
        raise Http404

    def show(self, school: Any, settings: RiskSettings, form: RiskSettingsForm, status: int = 200) -> HttpResponse:
        return _page(self.request, self.template_name, {"school": school, "settings": settings, "form": form}, status)

    def get(self, request: HttpRequest, school_id: int) -> HttpResponse:
        school = self.school(school_id)
        settings = RiskSettings.for_school(school)
        return self.show(school, settings, RiskSettingsForm.for_settings(settings))

    def post(self, request: HttpRequest, school_id: int) -> HttpResponse:
        school = self.school(school_id)
        settings = RiskSettings.for_school(school)
        form = RiskSettingsForm.for_settings(settings, request.POST)
        if form.is_valid():
            try:
                risk.update_risk_settings(school_id=school.pk, by=request.user, **form.settings_values())
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Saved. The students of the school are being recomputed."))
                return redirect(reverse("schools:risk_settings", kwargs={"school_id": school.pk}))
        return self.show(school, settings, form, status=400)


urlpatterns: list[URLPattern | URLResolver] = [
    path("risk/", RiskListView.as_view(), name="risk_list"),
    path("risk/to-confirm/", ToConfirmView.as_view(), name="risk_to_confirm"),
    path("risk/to-confirm/<int:signal_id>/confirm/", ConfirmView.as_view(), name="risk_confirm"),
    path("risk/to-confirm/<int:signal_id>/dismiss/", DismissView.as_view(), name="risk_dismiss"),
    path("risk/follow-up/", FollowUpView.as_view(), name="risk_follow_up"),
    path("risk/students/<int:pk>/timeline/", TimelineView.as_view(), name="risk_timeline"),
    path("risk/settings/", SettingsIndexView.as_view(), name="risk_settings_index"),
    path("risk/settings/<int:school_id>/", SettingsView.as_view(), name="risk_settings"),
]
