"""Pages of Action 1: interventions for students (tutoring, Italian L2, family meeting, mediator,
referrals), the list per school with its filters, planning one and recording its outcome. Its
urlpatterns are collected by schools/urls.py."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, URLResolver, path
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views import View

from aipim.accounts.models import SCHOOL_ROLES
from aipim.core import audit
from aipim.core.views import RoleRequiredMixin
from schools.forms.interventions import InterventionFilterForm, InterventionForm, InterventionUpdateForm
from schools.models import Intervention
from schools.selectors import get_student_for_user_or_404
from schools.services import interventions as service

PAGE_SIZE = 25


def student_url(student_id: int) -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("schools:student_detail", args=[student_id])
    except NoReverseMatch:  # the student page is another module's
        return reverse("schools:intervention_list")


class InterventionListView(RoleRequiredMixin, View):
    roles = SCHOOL_ROLES
    template_name = "schools/interventions/list.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        form = InterventionFilterForm(request.GET or None, user=request.user)
        filters: dict[str, Any] = dict(form.cleaned_data) if form.is_valid() else {}
        page = Paginator(service.interventions_for(request.user, filters), PAGE_SIZE).get_page(request.GET.get("page"))
        audit.record(request.user, "intervention.list", object_type="schools.intervention", count=len(page.object_list))
        query = {key: str(value) for key, value in request.GET.items() if key != "page" and value}
        return render(
            request,
            self.template_name,
            {"form": form, "page": page, "page_query": urlencode(query), "today": timezone.localdate()},
        )


class InterventionCreateView(RoleRequiredMixin, View):
    """Plan an intervention for a student (from the student page or a support case: ?case=<id>)."""

    roles = SCHOOL_ROLES
    template_name = "schools/interventions/form.html"

    def get(self, request: HttpRequest, student_pk: int) -> HttpResponse:
        student = get_student_for_user_or_404(request.user, student_pk)  # type: ignore[arg-type]
        initial: dict[str, Any] = {"starts_on": timezone.localdate()}
        if request.GET.get("case", "").isdigit():
            initial["support_case"] = int(request.GET["case"])
        form = InterventionForm(student=student, user=request.user, initial=initial)
        return render(request, self.template_name, {"form": form, "student": student})

    def post(self, request: HttpRequest, student_pk: int) -> HttpResponse:
        student = get_student_for_user_or_404(request.user, student_pk)  # type: ignore[arg-type]
        form = InterventionForm(request.POST, student=student, user=request.user)
        if form.is_valid():
            try:
                intervention = service.create_intervention(student=student, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(request, _("Intervention planned."))
                if intervention.support_case_id:
                    return redirect("schools:supportcase_detail", pk=intervention.support_case_id)
                return redirect(student_url(student.pk))
        return render(request, self.template_name, {"form": form, "student": student}, status=400)


class InterventionEditView(RoleRequiredMixin, View):
    """Move the intervention on and record its outcome."""

    roles = SCHOOL_ROLES
    template_name = "schools/interventions/edit.html"

    def intervention(self, request: HttpRequest, pk: int) -> Intervention:
        try:
            intervention: Intervention = (
                Intervention.objects.for_user(request.user)  # type: ignore[arg-type]
                .select_related("student__person", "student__school", "owner", "support_case", "created_by")
                .get(pk=pk)
            )
        except Intervention.DoesNotExist as error:
            raise Http404 from error
        return intervention

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        intervention = self.intervention(request, pk)
        audit.record(request.user, "intervention.view", intervention, organisation=intervention.student.school)
        form = InterventionUpdateForm(intervention=intervention)
        return render(request, self.template_name, {"form": form, "intervention": intervention})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        intervention = self.intervention(request, pk)
        form = InterventionUpdateForm(request.POST, intervention=intervention)
        if form.is_valid():
            try:
                service.update_intervention(intervention=intervention, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(request, _("Intervention updated."))
                return redirect("schools:intervention_edit", pk=intervention.pk)
        return render(request, self.template_name, {"form": form, "intervention": intervention}, status=400)


urlpatterns: list[URLPattern | URLResolver] = [
    path("interventions/", InterventionListView.as_view(), name="intervention_list"),
    path("students/<int:student_pk>/interventions/add/", InterventionCreateView.as_view(), name="intervention_add"),
    path("interventions/<int:pk>/", InterventionEditView.as_view(), name="intervention_edit"),
]
