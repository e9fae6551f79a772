"""Staff training (*qualificazione del personale*): courses and sessions, attendance records, and
coverage per desk. Everyone at a desk sees their own records; supervisors see and record those of
their desks' staff, and manage courses and sessions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from aipim.accounts.models import PUA_ROLES, Role
from aipim.core import audit
from aipim.core.views import RoleRequiredMixin
from pua.forms.training import CourseForm, SessionForm, TrainingRecordForm
from pua.models import TrainingCourse, TrainingRecord, TrainingSession
from pua.services import training

RECORDS_PAGE_SIZE = 50


class TrainingListView(RoleRequiredMixin, View):
    roles = PUA_ROLES
    template_name = "pua/training/training_list.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        user: Any = request.user
        records = (
            TrainingRecord.objects.for_user(user)
            .select_related("user", "course", "desk", "session")
            .order_by("-completed_on", "-pk")
        )
        page = Paginator(records, RECORDS_PAGE_SIZE).get_page(request.GET.get("page"))
        audit.record(user, "trainingrecord.list", object_type="pua.trainingrecord", count=len(page.object_list))
        own_valid = TrainingRecord.objects.filter(user=user).valid_data_protection().order_by("-valid_until").first()
        courses = TrainingCourse.objects.prefetch_related(
            Prefetch("sessions", queryset=TrainingSession.objects.order_by("-starts_at"))
        )
        return render(
            request,
            self.template_name,
            {
                "page": page,
                "courses": courses,
                "own_valid": own_valid,
                "is_supervisor": user.has_role(Role.PUA_SUPERVISOR),
            },
        )


class SupervisorFormView(RoleRequiredMixin, View):
    """A page with one form that only PUA supervisors fill in."""

    roles = (Role.PUA_SUPERVISOR,)
    template_name = "pua/training/form.html"
    title: Any = ""

    def make_form(self, data: Any = None) -> Any:
        raise NotImplementedError

    def save(self, form: Any) -> None:
        raise NotImplementedError

    def show(self, form: Any, status: int = 200) -> HttpResponse:
        return render(self.request, self.template_name, {"form": form, "title": self.title}, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.show(self.make_form())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = self.make_form(request.POST)
        if form.is_valid():
            try:
                self.save(form)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Saved."))
                return redirect("pua:training_list")
        return self.show(form, status=400)


class TrainingRecordCreateView(SupervisorFormView):
    title = gettext_lazy("Record training attended")

    def make_form(self, data: Any = None) -> TrainingRecordForm:
        return TrainingRecordForm(data, supervisor=self.request.user)

    def save(self, form: TrainingRecordForm) -> None:
        training.record_training(by=self.request.user, **form.cleaned_data)


class TrainingCourseCreateView(SupervisorFormView):
    title = gettext_lazy("Add a training course")

    def make_form(self, data: Any = None) -> CourseForm:
        return CourseForm(data)

    def save(self, form: CourseForm) -> None:
        training.add_course(by=self.request.user, **form.cleaned_data)


class TrainingSessionCreateView(SupervisorFormView):
    title = gettext_lazy("Add a training session")

    def make_form(self, data: Any = None) -> SessionForm:
        return SessionForm(data)

    def save(self, form: SessionForm) -> None:
        training.add_session(by=self.request.user, **form.cleaned_data)


class TrainingCoverageView(RoleRequiredMixin, View):
    """For supervisors: how much of each of their desks' staff holds data-protection training in force."""

    roles = (Role.PUA_SUPERVISOR,)
    template_name = "pua/training/coverage.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        desks = request.user.organisations(Role.PUA_SUPERVISOR)  # type: ignore[union-attr]
        rows = training.desk_coverage(desks)
        return render(request, self.template_name, {"rows": rows})


urlpatterns = [
    path("training/", TrainingListView.as_view(), name="training_list"),
    path("training/records/add/", TrainingRecordCreateView.as_view(), name="training_record_add"),
    path("training/courses/add/", TrainingCourseCreateView.as_view(), name="training_course_add"),
    path("training/sessions/add/", TrainingSessionCreateView.as_view(), name="training_session_add"),
    path("training/coverage/", TrainingCoverageView.as_view(), name="training_coverage"),
]
