"""The case page and what is done on it: status, assignment, assessment, care plan, tasks, notes;
and the list of overdue tasks of the user's desks.

Every case is fetched through Case.objects.for_user (another desk's case answers 404); changes need
more than reading: the case must be one the user works on (emergency access only reads), and status
and assignment belong to the case's own desk."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView

from aipim.accounts.models import PUA_ROLES
from aipim.core import audit
from aipim.core.scoping import get_for_user_or_404
from aipim.core.views import RoleRequiredMixin
from pua.forms.detail import (
    ActionDoneForm,
    ActionForm,
    AssessmentForm,
    AssignForm,
    GoalForm,
    GoalStatusForm,
    NoteForm,
    StatusForm,
    TaskForm,
)
from pua.models import (
    SENSITIVE_DOMAINS,
    Appointment,
    Assessment,
    Case,
    CaseShare,
    CaseStatusChange,
    Goal,
    Need,
    PlanAction,
    Referral,
    Task,
)
from pua.services import notes as note_services
from pua.services import plan
from pua.services.cases import assign_caseworker, change_status
from pua.services.sharing import can_write_case, require_write
from pua.services.training import has_valid_data_protection

OVERDUE_PAGE_SIZE = 50

# The partials of the other parts of the case (referrals, appointments, documents, sharing), shown
# when their part of the app is installed; each receives `case` and `request`.
CASE_PARTIALS = [
    "pua/case/_referrals.html",
    "pua/case/_appointments.html",
    "pua/case/_documents.html",
    "pua/case/_sharing.html",
]


@dataclass(frozen=True)
class NeedForReader:
    need: Need
    notes_hidden: bool

    @property
    def notes(self) -> str:
        return "" if self.notes_hidden else (self.need.notes or "")


def case_queryset(user: Any) -> QuerySet[Case]:
    # The other screens' sections (referrals, appointments, shares) read these: one query each.
    return (
        Case.objects.for_user(user)
        .select_related("person", "desk", "caseworker")
        .prefetch_related(
            Prefetch("referrals", queryset=Referral.objects.select_related("service")),
            Prefetch("appointments", queryset=Appointment.objects.select_related("caseworker")),
            Prefetch("shares", queryset=CaseShare.objects.select_related("from_desk", "desk")),
        )
    )


def manages_case(case: Case, user: Any) -> bool:
    """Status and assignment are decided by the staff of the case's own desk."""
    return case.desk_id in user.organisation_ids(*PUA_ROLES)


def history(case: Case) -> list[CaseStatusChange]:
    changes = list(case.status_changes.select_related("changed_by"))
    for change in changes:
        # A closing change keeps the closing reason's code: show its label.
        is_code = change.reason in Case.ClosingReason.values
        change.reason_label = Case.ClosingReason(change.reason).label if is_code else change.reason  # type: ignore[attr-defined]
    return changes


def to_assign(case: Case, tasks: list[Task], goals: list[Goal]) -> int:
    """How many open tasks, appointments yet to come and care plan actions nobody holds (after a
    transfer, the old desk's work waits here for the receiving desk), from the rows already loaded."""
    now = timezone.now()
    open_tasks = sum(1 for task in tasks if task.done_at is None and task.assigned_to_id is None)
    appointments = sum(
        1
        for appointment in case.appointments.all()
        if appointment.caseworker_id is None and appointment.cancelled_at is None and appointment.starts_at > now
    )
    actions = sum(
        1
        for goal in goals
        for action in goal.actions.all()
        if action.done_at is None and action.owner_id is None and not action.owner_label
    )
    return open_tasks + appointments + actions


def case_page_context(request: HttpRequest, case: Case, **forms: Any) -> dict[str, Any]:
    """Everything the case page shows, and the page's one audit record (`case.view`, with the ids of
    the notes whose text it shows); `forms` replaces a blank form with a bound one after an error."""
    user = request.user
    trained = has_valid_data_protection(user)
    notes = note_services.read_notes(case=case, user=user, trained=trained)
    audit.record(user, "case.view", case, organisation=case.desk, **note_services.shown_notes_details(notes))
    works_on = can_write_case(user, case)
    manages = manages_case(case, user)
    latest = (
        Assessment.objects.filter(case=case)
        .select_related("assessed_by")
        .prefetch_related(Prefetch("needs", queryset=Need.objects.order_by("domain")))
        .first()
    )
    needs = (
        [
            NeedForReader(need=need, notes_hidden=need.domain in SENSITIVE_DOMAINS and not trained)
            for need in latest.needs.all()
        ]
        if latest
        else []
    )
    goals = list(
        case.goals.prefetch_related(
            Prefetch("actions", queryset=PlanAction.objects.select_related("owner").order_by("due_date", "pk"))
        )
    )
    tasks = list(case.tasks.select_related("assigned_to"))
    context: dict[str, Any] = {
        "case": case,
        "trained": trained,
        "works_on": works_on,
        "can_write": works_on,
        "manages": manages,
        "history": history(case),
        "assessment": latest,
        "needs": needs,
        "goals": goals,
        "tasks": tasks,
        "to_assign": to_assign(case, tasks, goals),
        "notes": notes,
        "today": timezone.localdate(),
        "partials": CASE_PARTIALS,
    }
    if case.status != Case.Status.CLOSED:
        if manages:
            context["status_form"] = forms.get("status_form") or StatusForm(case=case)
            context["assign_form"] = forms.get("assign_form") or AssignForm(case=case)
        if works_on:
            context["goal_form"] = forms.get("goal_form") or GoalForm()
            context["action_form"] = forms.get("action_form") or ActionForm(case=case)
            context["task_form"] = forms.get("task_form") or TaskForm(case=case)
            context["note_form"] = forms.get("note_form") or NoteForm(trained=trained)
    return context


class CaseDetailView(RoleRequiredMixin, DetailView):
    roles = PUA_ROLES
    model = Case
    template_name = "pua/case/case_detail.html"
    context_object_name = "case"

    def get_queryset(self) -> QuerySet[Case]:
        return case_queryset(self.request.user)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(case_page_context(self.request, self.object))
        return context


class CaseChangeView(RoleRequiredMixin, View):
    """A POST that changes something on a case: the case in the user's scope (else 404), one they
    work on (else 403); a form error shows the case page again with the error."""

    roles = PUA_ROLES
    form_name = ""

    def get_case(self, pk: int) -> Case:
        case = get_for_user_or_404(Case, self.request.user, pk=pk)
        require_write(self.request.user, case)
        return case

    def invalid(self, case: Case, form: Any) -> HttpResponse:
        return render(
            self.request,
            "pua/case/case_detail.html",
            case_page_context(self.request, case, **{self.form_name: form}),
            status=400,
        )

    def done(self, case: Case, message: str) -> HttpResponse:
        messages.success(self.request, message)
        return redirect("pua:case_detail", pk=case.pk)


class CaseStatusView(CaseChangeView):
    form_name = "status_form"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        case = self.get_case(pk)
        if not manages_case(case, request.user):
            raise PermissionDenied
        form = StatusForm(request.POST, case=case)
        if form.is_valid():
            try:
                change_status(
                    case=case,
                    to=form.cleaned_data["to"],
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                    closing_reason=form.cleaned_data["closing_reason"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return self.done(case, _("Status changed."))
        return self.invalid(case, form)


class CaseAssignView(CaseChangeView):
    form_name = "assign_form"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        case = self.get_case(pk)
        if not manages_case(case, request.user):
            raise PermissionDenied
        form = AssignForm(request.POST, case=case)
        if form.is_valid():
            try:
                assign_caseworker(case=case, caseworker=form.cleaned_data["caseworker"], by=request.user)
            except ValidationError as error:
                form.add_error("caseworker", error)
            else:
                return self.done(case, _("Caseworker assigned."))
        return self.invalid(case, form)


class AssessView(CaseChangeView):
    template_name = "pua/case/assess.html"

    def render_form(self, case: Case, form: AssessmentForm, status: int = 200) -> HttpResponse:
        return render(self.request, self.template_name, {"case": case, "form": form}, status=status)

    def form(self, case: Case, data: Any = None) -> AssessmentForm:
        previous = case.assessments.prefetch_related("needs").first()
        return AssessmentForm(data, trained=has_valid_data_protection(self.request.user), previous=previous)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        case = self.get_case(pk)
        if case.status == Case.Status.CLOSED:
            messages.error(request, _("The case is closed."))
            return redirect("pua:case_detail", pk=case.pk)
        # The form is filled in with the last assessment's notes: reading them is a read of the case.
        audit.record(request.user, "case.view", case)
        return self.render_form(case, self.form(case))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        case = self.get_case(pk)
        form = self.form(case, request.POST)
        if form.is_valid():
            try:
                plan.record_assessment(case=case, needs=form.needs(), by=request.user)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return self.done(case, _("Assessment recorded."))
        return self.render_form(case, form, status=400)


class GoalAddView(CaseChangeView):
    form_name = "goal_form"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        case = self.get_case(pk)
        form = GoalForm(request.POST)
        if form.is_valid():
            try:
                plan.add_goal(case=case, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return self.done(case, _("Goal added to the care plan."))
        return self.invalid(case, form)


class GoalStatusView(CaseChangeView):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        goal = get_for_user_or_404(Goal, request.user, pk=pk)
        case = self.get_case(goal.case_id)
        form = GoalStatusForm(request.POST)
        if form.is_valid():
            try:
                plan.set_goal_status(goal=goal, status=form.cleaned_data["status"], by=request.user)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
                return redirect("pua:case_detail", pk=case.pk)
            return self.done(case, _("Goal updated."))
        messages.error(request, _("Choose the goal's status."))
        return redirect("pua:case_detail", pk=case.pk)


class ActionAddView(CaseChangeView):
    form_name = "action_form"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        case = self.get_case(pk)
        form = ActionForm(request.POST, case=case)
        if form.is_valid():
            try:
                plan.add_action(by=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return self.done(case, _("Action added to the care plan."))
        return self.invalid(case, form)


class ActionDoneView(CaseChangeView):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        action = get_for_user_or_404(PlanAction, request.user, pk=pk)
        case = self.get_case(action.goal.case_id)
        form = ActionDoneForm(request.POST)
        if form.is_valid():
            try:
                plan.complete_action(action=action, outcome=form.cleaned_data["outcome"], by=request.user)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
                return redirect("pua:case_detail", pk=case.pk)
            return self.done(case, _("Action done."))
        messages.error(request, _("Write the action's outcome."))
        return redirect("pua:case_detail", pk=case.pk)


class TaskAddView(CaseChangeView):
    form_name = "task_form"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        case = self.get_case(pk)
        form = TaskForm(request.POST, case=case)
        if form.is_valid():
            try:
                plan.add_task(case=case, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return self.done(case, _("Task added."))
        return self.invalid(case, form)


class TaskDoneView(CaseChangeView):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        task = get_for_user_or_404(Task, request.user, pk=pk)
        case = self.get_case(task.case_id)
        try:
            plan.complete_task(task=task, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("pua:case_detail", pk=case.pk)
        if request.POST.get("next") == "overdue":
            messages.success(request, _("Task done."))
            return redirect("pua:overdue_tasks")
        return self.done(case, _("Task done."))


class NoteAddView(CaseChangeView):
    form_name = "note_form"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        case = self.get_case(pk)
        form = NoteForm(request.POST, trained=has_valid_data_protection(request.user))
        if form.is_valid():
            try:
                note_services.add_note(case=case, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return self.done(case, _("Note added."))
        return self.invalid(case, form)


class OverdueTaskListView(RoleRequiredMixin, View):
    """Open tasks past their due date on the cases of the user's desks."""

    roles = PUA_ROLES
    template_name = "pua/case/overdue_tasks.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        tasks = (
            Task.objects.for_user(user)  # type: ignore[arg-type]
            .filter(
                case__desk__in=user.organisation_ids(*PUA_ROLES),  # type: ignore[union-attr]
                done_at__isnull=True,
                due_date__lt=timezone.localdate(),
            )
            .select_related("case", "case__person", "case__desk", "assigned_to")
            .order_by("due_date", "pk")
        )
        page = Paginator(tasks, OVERDUE_PAGE_SIZE).get_page(request.GET.get("page"))
        audit.record(user, "task.list", object_type="pua.task", count=len(page.object_list), overdue=True)
        return render(request, self.template_name, {"page": page})


urlpatterns = [
    path("cases/<int:pk>/", CaseDetailView.as_view(), name="case_detail"),
    path("cases/<int:pk>/status/", CaseStatusView.as_view(), name="case_status"),
    path("cases/<int:pk>/assign/", CaseAssignView.as_view(), name="case_assign"),
    path("cases/<int:pk>/assess/", AssessView.as_view(), name="assess"),
    path("cases/<int:pk>/goals/add/", GoalAddView.as_view(), name="goal_add"),
    path("goals/<int:pk>/status/", GoalStatusView.as_view(), name="goal_status"),
    path("cases/<int:pk>/actions/add/", ActionAddView.as_view(), name="action_add"),
    path("actions/<int:pk>/done/", ActionDoneView.as_view(), name="action_done"),
    path("cases/<int:pk>/tasks/add/", TaskAddView.as_view(), name="task_add"),
    path("tasks/<int:pk>/done/", TaskDoneView.as_view(), name="task_done"),
    path("tasks/overdue/", OverdueTaskListView.as_view(), name="overdue_tasks"),
    path("cases/<int:pk>/notes/add/", NoteAddView.as_view(), name="note_add"),
]
