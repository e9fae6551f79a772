"""Pages of Action 1: the help desk (sportello). Desks with their opening hours, a week of bookable
slots with cultural mediators, the walk-in log, and the support case files with notes, actions,
closing and the hand-off to a PUA desk. Its urlpatterns are collected by schools/urls.py.

Every school role sees its own schools' desks and cases (another school's answer 404, other roles
403); only help-desk operators configure desks and slots."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views import View

from aipim.accounts.models import SCHOOL_ROLES, Role
from aipim.core import audit
from aipim.core.models import Consent
from aipim.core.services import ConsentMissing, has_consent
from aipim.core.views import RoleRequiredMixin
from schools.forms.helpdesk import (
    ActionDoneForm,
    ActionForm,
    BookingForm,
    CaseNoteForm,
    CloseCaseForm,
    HandoffForm,
    HelpDeskForm,
    OpeningHoursFormSet,
    SlotDoneForm,
    SlotForm,
    SupportCaseForm,
    WalkInForm,
    opening_hours_initial,
    opening_hours_rows,
)
from schools.models import DeskSlot, FamilyMessage, HelpDesk, Student, SupportAction, SupportCase, WalkIn
from schools.selectors import get_student_for_user_or_404
from schools.services import helpdesk as service

PAGE_SIZE = 25


def error_text(error: ValidationError | ConsentMissing) -> str:
    return " ".join(error.messages) if isinstance(error, ValidationError) else str(error)


def scoped_desk(request: HttpRequest, pk: int, *, operator: bool = False) -> HelpDesk:
    try:
        desk: HelpDesk = HelpDesk.objects.for_user(request.user).select_related("school", "site").get(pk=pk)  # type: ignore[arg-type]
    except HelpDesk.DoesNotExist as error:
        raise Http404 from error
    if operator and desk.school_id not in service.operator_school_ids(request.user):
        raise PermissionDenied
    return desk


def scoped_slot(request: HttpRequest, pk: int) -> DeskSlot:
    try:
        slot: DeskSlot = (
            DeskSlot.objects.for_user(request.user)  # type: ignore[arg-type]
            .select_related("help_desk__school", "booked_student__person", "booked_student__school_class", "booked_by")
            .get(pk=pk)
        )
    except DeskSlot.DoesNotExist as error:
        raise Http404 from error
    return slot


def scoped_case(request: HttpRequest, pk: int) -> SupportCase:
    try:
        case: SupportCase = (
            SupportCase.objects.for_user(request.user)  # type: ignore[arg-type]
            .select_related("school", "help_desk", "referent", "opened_by", "origin_signal")
            .get(pk=pk)
        )
    except SupportCase.DoesNotExist as error:
        raise Http404 from error
    return case


def week_of(request: HttpRequest) -> datetime.date:
    """The Monday of ?week=2026-W11; this week when missing or malformed."""
    value = request.GET.get("week", "")
    try:
        year, week = value.split("-W")
        return datetime.date.fromisocalendar(int(year), int(week), 1)
    except ValueError:
        today = timezone.localdate()
        return today - datetime.timedelta(days=today.weekday())


def monday_of(moment: datetime.datetime) -> datetime.date:
    day = timezone.localtime(moment).date()
    return day - datetime.timedelta(days=day.weekday())


def week_name(monday: datetime.date) -> str:
    year, week, _day = monday.isocalendar()
    return f"{year}-W{week:02d}"


# --- Desks -------------------------------------------------------------------------------------


class DeskListView(RoleRequiredMixin, View):
    """The help desks of the user's schools with their hours and this week's free slots."""

    roles = SCHOOL_ROLES
    template_name = "schools/helpdesk/desk_list.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        monday = timezone.localdate() - datetime.timedelta(days=timezone.localdate().weekday())
        start, end = service.week_bounds(monday)
        desks = (
            HelpDesk.objects.for_user(request.user)  # type: ignore[arg-type]
            .select_related("school", "site")
            .prefetch_related("opening_hours")
            .annotate(
                free_this_week=Count(
                    "slots",
                    filter=Q(slots__status=DeskSlot.Status.FREE, slots__starts_at__gte=start, slots__starts_at__lt=end),
                )
            )
            .order_by("school__name", "name")
        )
        return render(
            request,
            self.template_name,
            {"desks": desks, "operator_schools": service.operator_school_ids(request.user)},
        )


class DeskFormView(RoleRequiredMixin, View):
    """Add a desk, or change one with its weekly opening hours (operators of its school)."""

    roles = (Role.SCHOOL_OPERATOR,)
    template_name = "schools/helpdesk/desk_form.html"

    def desk(self, request: HttpRequest, pk: int | None) -> HelpDesk | None:
        return scoped_desk(request, pk, operator=True) if pk else None

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        desk = self.desk(request, pk)
        form = HelpDeskForm(instance=desk, user=request.user)
        hours = OpeningHoursFormSet(initial=opening_hours_initial(desk) if desk else None, prefix="hours")
        return render(request, self.template_name, {"form": form, "hours": hours, "desk": desk})

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        desk = self.desk(request, pk)
        form = HelpDeskForm(request.POST, instance=desk, user=request.user)
        hours = OpeningHoursFormSet(request.POST, prefix="hours")
        if form.is_valid() and hours.is_valid():
            try:
                saved = service.save_desk(desk=form.save(commit=False), by=request.user)
                service.set_opening_hours(desk=saved, hours=opening_hours_rows(hours), by=request.user)
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(request, _("Help desk saved."))
                return redirect("schools:helpdesk_week", pk=saved.pk)
        return render(request, self.template_name, {"form": form, "hours": hours, "desk": desk}, status=400)


# --- Week of slots -----------------------------------------------------------------------------


class DeskWeekView(RoleRequiredMixin, View):
    """A week of the desk's slots, day by day (?week=2026-W11), with the form to add slots."""

    roles = SCHOOL_ROLES
    template_name = "schools/helpdesk/week.html"

    def context(self, request: HttpRequest, desk: HelpDesk, monday: datetime.date, **extra: Any) -> dict[str, Any]:
        start, end = service.week_bounds(monday)
        slots = list(
            DeskSlot.objects.filter(help_desk=desk, starts_at__gte=start, starts_at__lt=end)
            .select_related("booked_student__person", "booked_student__school_class")
            .order_by("starts_at", "pk")
        )
        audit.record(
            request.user,
            "deskslot.list",
            object_type="schools.deskslot",
            organisation=desk.school,
            desk=desk.pk,
            count=len(slots),
            booked=sum(1 for slot in slots if slot.booked_student_id),
        )
        operator = desk.school_id in service.operator_school_ids(request.user)
        return {
            "desk": desk,
            "days": service.days_of_week(monday, slots),
            "week": week_name(monday),
            "previous_week": week_name(monday - datetime.timedelta(days=7)),
            "next_week": week_name(monday + datetime.timedelta(days=7)),
            "monday": monday,
            "sunday": monday + datetime.timedelta(days=6),
            "operator": operator,
            "slot_form": extra.pop("slot_form", None)
            or (SlotForm(desk=desk, initial={"date": monday}) if operator else None),
            **extra,
        }

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        desk = scoped_desk(request, pk)
        return render(request, self.template_name, self.context(request, desk, week_of(request)))


class SlotCreateView(RoleRequiredMixin, View):
    roles = (Role.SCHOOL_OPERATOR,)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        desk = scoped_desk(request, pk, operator=True)
        form = SlotForm(request.POST, desk=desk)
        if form.is_valid():
            data = form.cleaned_data
            created = 0
            try:
                for starts_at, ends_at in data["times"]:
                    service.create_slot(
                        desk=desk,
                        starts_at=starts_at,
                        ends_at=ends_at,
                        mediator_name=data["mediator_name"],
                        language=data["language"],
                        by=request.user,
                    )
                    created += 1
            except ValidationError as error:
                # Slots before the clash are kept: each is a valid slot on its own.
                form.add_error(None, error.messages)
            else:
                messages.success(request, _("Slots added: %(count)d.") % {"count": created})
                monday = data["date"] - datetime.timedelta(days=data["date"].weekday())
                return redirect(f"{reverse('schools:helpdesk_week', args=[desk.pk])}?week={week_name(monday)}")
        day = form.cleaned_data.get("date")
        monday = day - datetime.timedelta(days=day.weekday()) if day else week_of(request)
        view = DeskWeekView()
        return render(request, view.template_name, view.context(request, desk, monday, slot_form=form), status=400)


class SlotView(RoleRequiredMixin, View):
    """One slot: book it for a student or a family, cancel the booking or the slot, mark it done
    with notes (encrypted; their read is audited)."""

    roles = SCHOOL_ROLES
    template_name = "schools/helpdesk/slot.html"

    def context(self, request: HttpRequest, slot: DeskSlot, **forms: Any) -> dict[str, Any]:
        audit.record(request.user, "deskslot.view", slot, organisation=slot.help_desk.school, notes=bool(slot.notes))
        initial = {}
        if request.GET.get("student"):
            initial["student"] = request.GET["student"]
        return {
            "slot": slot,
            "desk": slot.help_desk,
            "operator": slot.help_desk.school_id in service.operator_school_ids(request.user),
            "booking_form": forms.get("booking_form")
            or BookingForm(school_id=slot.help_desk.school_id, initial=initial),
            "done_form": forms.get("done_form") or SlotDoneForm(),
            "week": week_name(monday_of(slot.starts_at)),
        }

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        slot = scoped_slot(request, pk)
        return render(request, self.template_name, self.context(request, slot))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        slot = scoped_slot(request, pk)
        action = request.POST.get("action", "")
        try:
            if action == "book":
                form = BookingForm(request.POST, school_id=slot.help_desk.school_id)
                if not form.is_valid():
                    return render(
                        request, self.template_name, self.context(request, slot, booking_form=form), status=400
                    )
                service.book_slot(
                    slot=slot,
                    by=request.user,
                    student=form.cleaned_data["student"],
                    family_name=form.cleaned_data["family_name"],
                )
                messages.success(request, _("Slot booked."))
            elif action == "cancel_booking":
                service.cancel_booking(slot=slot, by=request.user)
                messages.success(request, _("Booking cancelled: the slot is free again."))
            elif action == "cancel":
                service.cancel_slot(slot=slot, by=request.user)
                messages.success(request, _("Slot cancelled."))
            elif action == "done":
                done = SlotDoneForm(request.POST)
                if not done.is_valid():
                    return render(request, self.template_name, self.context(request, slot, done_form=done), status=400)
                service.mark_slot_done(slot=slot, by=request.user, notes=done.cleaned_data["notes"])
                messages.success(request, _("Meeting recorded."))
            else:
                return HttpResponse(status=400)
        except ValidationError as error:
            messages.error(request, error_text(error))
        return redirect("schools:deskslot", pk=slot.pk)


class StudentSlotsView(RoleRequiredMixin, View):
    """Free slots of the student's school's desks in the next weeks, to book one for the student;
    slots in a language of the family come first."""

    roles = SCHOOL_ROLES
    template_name = "schools/helpdesk/student_slots.html"
    weeks = 4

    def get(self, request: HttpRequest, student_pk: int) -> HttpResponse:
        student = get_student_for_user_or_404(request.user, student_pk)  # type: ignore[arg-type]
        now = timezone.now()
        family_languages = {student.first_language} | {
            language
            for guardian in student.guardians.all()
            for language in [guardian.person.preferred_language, *(guardian.person.languages or [])]
        }
        family_languages.discard("")
        slots = list(
            DeskSlot.objects.filter(
                help_desk__school_id=student.school_id,
                help_desk__active=True,
                status=DeskSlot.Status.FREE,
                starts_at__gte=now,
                starts_at__lt=now + datetime.timedelta(weeks=self.weeks),
            )
            .select_related("help_desk")
            .order_by("starts_at", "pk")[:200]
        )
        slots.sort(key=lambda slot: (slot.language not in family_languages, slot.starts_at))
        audit.record(
            request.user, "deskslot.list", object_type="schools.deskslot", student=student.pk, count=len(slots)
        )
        return render(
            request,
            self.template_name,
            {"student": student, "slots": slots, "family_languages": family_languages, "weeks": self.weeks},
        )


# --- Walk-ins ----------------------------------------------------------------------------------


class WalkInLogView(RoleRequiredMixin, View):
    """The desk's walk-in log, newest first, with the quick form to record a visit."""

    roles = SCHOOL_ROLES
    template_name = "schools/helpdesk/walkins.html"

    def context(self, request: HttpRequest, desk: HelpDesk, form: WalkInForm | None = None) -> dict[str, Any]:
        walk_ins = (
            WalkIn.objects.filter(help_desk=desk)
            .select_related("student__person", "student__school_class", "handled_by")
            .order_by("-at", "-pk")
        )
        page = Paginator(walk_ins, PAGE_SIZE).get_page(request.GET.get("page"))
        audit.record(
            request.user,
            "walkin.list",
            object_type="schools.walkin",
            organisation=desk.school,
            desk=desk.pk,
            shown=[walk_in.pk for walk_in in page.object_list],
        )
        return {
            "desk": desk,
            "page": page,
            "form": form or WalkInForm(school_id=desk.school_id),
            "topics": dict(WalkIn.Topic.choices),
        }

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        desk = scoped_desk(request, pk)
        return render(request, self.template_name, self.context(request, desk))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        desk = scoped_desk(request, pk)
        form = WalkInForm(request.POST, school_id=desk.school_id)
        if form.is_valid():
            data = form.cleaned_data
            try:
                service.log_walk_in(
                    desk=desk,
                    at=data["at"],
                    topic=data["topic"],
                    by=request.user,
                    student=data["student"],
                    visitor_name=data["visitor_name"],
                    language=data["language"],
                    notes=data["notes"],
                )
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(request, _("Visit recorded."))
                return redirect("schools:walkin_log", pk=desk.pk)
        return render(request, self.template_name, self.context(request, desk, form), status=400)


# --- Support cases -----------------------------------------------------------------------------


def case_list(user: Any, filters: dict[str, str]) -> QuerySet[SupportCase]:
    cases = SupportCase.objects.for_user(user)
    status = filters.get("status", "open")
    if status in SupportCase.Status.values:
        cases = cases.filter(status=status)
    if filters.get("origin") in SupportCase.Origin.values:
        cases = cases.filter(origin=filters["origin"])
    if filters.get("late"):
        cases = cases.filter(status=SupportCase.Status.OPEN, acted_at__isnull=True, act_by__lt=timezone.localdate())
    return (
        cases.select_related("school", "help_desk", "referent")
        .prefetch_related(Prefetch("students", queryset=Student.objects.select_related("person", "school_class")))
        .annotate(open_actions=Count("actions", filter=Q(actions__done_at__isnull=True)))
        .order_by("-opened_at", "-pk")
    )


class CaseListView(RoleRequiredMixin, View):
    """The support cases of the user's schools: open by default; filters origin and late to act."""

    roles = SCHOOL_ROLES
    template_name = "schools/helpdesk/case_list.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        filters = {
            "status": request.GET.get("status", "open"),
            "origin": request.GET.get("origin", ""),
            "late": request.GET.get("late", ""),
        }
        page = Paginator(case_list(request.user, filters), PAGE_SIZE).get_page(request.GET.get("page"))
        audit.record(request.user, "supportcase.list", object_type="schools.supportcase", count=len(page.object_list))
        return render(
            request,
            self.template_name,
            {
                "page": page,
                "filters": filters,
                "page_query": urlencode({k: v for k, v in filters.items() if v}),
                "statuses": SupportCase.Status.choices,
                "origins": SupportCase.Origin.choices,
                "today": timezone.localdate(),
            },
        )


class CaseCreateView(RoleRequiredMixin, View):
    roles = SCHOOL_ROLES
    template_name = "schools/helpdesk/case_form.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        initial: dict[str, Any] = {}
        student_id = request.GET.get("student", "")
        if student_id.isdigit():
            initial["students"] = [int(student_id)]
        return render(request, self.template_name, {"form": SupportCaseForm(user=request.user, initial=initial)})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = SupportCaseForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            students = list(data["students"])
            try:
                case = service.open_case(
                    school=students[0].school,
                    students=students,
                    title=data["title"],
                    by=request.user,
                    help_desk=data["help_desk"],
                    referent=data["referent"],
                )
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(request, _("Case opened."))
                return redirect("schools:supportcase_detail", pk=case.pk)
        return render(request, self.template_name, {"form": form}, status=400)


class CaseDetailView(RoleRequiredMixin, View):
    """The case file: students, notes (decrypted, the read audited), actions, interventions, the
    hand-off to a PUA desk (with the consent it needs) and closing."""

    roles = SCHOOL_ROLES
    template_name = "schools/helpdesk/case_detail.html"

    def context(self, request: HttpRequest, case: SupportCase, **forms: Any) -> dict[str, Any]:
        students = list(case.students.select_related("person", "school_class").prefetch_related("guardians__person"))
        open_case = case.status == SupportCase.Status.OPEN
        handoff = forms.get("handoff_form") or (HandoffForm(case=case) if open_case else None)
        people = handoff.people if handoff is not None else []
        return {
            "case": case,
            "students": students,
            "notes": service.read_case_notes(case=case, by=request.user),
            "actions": list(case.actions.select_related("owner").order_by("done_at", "due_on", "pk")),
            "drafts": list(
                FamilyMessage.objects.filter(student__in=students, status=FamilyMessage.Status.DRAFT)
                .select_related("student__person", "template")
                .order_by("-created_at", "-pk")
            ),
            "interventions": list(
                case.interventions.select_related("student__person", "owner").order_by("-starts_on", "-pk")
            ),
            "note_form": forms.get("note_form") or (CaseNoteForm() if open_case else None),
            "action_form": forms.get("action_form") or (ActionForm(case=case) if open_case else None),
            "close_form": forms.get("close_form") or (CloseCaseForm() if open_case else None),
            "handoff_form": handoff,
            "handoff_people": [
                {"person": person, "consent": has_consent(person, Consent.Purpose.SCHOOL_TO_PUA)} for person in people
            ],
            "today": timezone.localdate(),
            "late": open_case
            and case.acted_at is None
            and case.act_by is not None
            and case.act_by < timezone.localdate(),
        }

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        case = scoped_case(request, pk)
        audit.record(request.user, "supportcase.view", case, organisation=case.school)
        return render(request, self.template_name, self.context(request, case))


class CaseActionView(RoleRequiredMixin, View):
    """The case page's forms: note, action, close, hand-off (POST ?do=...)."""

    roles = SCHOOL_ROLES

    def post(self, request: HttpRequest, pk: int, do: str) -> HttpResponse:
        case = scoped_case(request, pk)
        detail = CaseDetailView()
        try:
            if do == "note":
                form: Any = CaseNoteForm(request.POST)
                if form.is_valid():
                    service.add_case_note(case=case, body=form.cleaned_data["body"], by=request.user)
                    messages.success(request, _("Note added."))
                    return redirect("schools:supportcase_detail", pk=case.pk)
                forms = {"note_form": form}
            elif do == "action":
                form = ActionForm(request.POST, case=case)
                if form.is_valid():
                    service.add_action(case=case, by=request.user, **form.cleaned_data)
                    messages.success(request, _("Action added."))
                    return redirect("schools:supportcase_detail", pk=case.pk)
                forms = {"action_form": form}
            elif do == "close":
                form = CloseCaseForm(request.POST)
                if form.is_valid():
                    service.close_case(case=case, note=form.cleaned_data["note"], by=request.user)
                    messages.success(request, _("Case closed."))
                    return redirect("schools:supportcase_detail", pk=case.pk)
                forms = {"close_form": form}
            elif do == "handoff":
                form = HandoffForm(request.POST, case=case)
                if form.is_valid():
                    handoff = service.hand_off_to_pua(case=case, by=request.user, **form.cleaned_data)
                    messages.success(
                        request,
                        _("%(desk)s can now find the person at intake.") % {"desk": handoff.desk.name},
                    )
                    return redirect("schools:supportcase_detail", pk=case.pk)
                forms = {"handoff_form": form}
            else:
                raise Http404
        except (ValidationError, ConsentMissing) as error:
            messages.error(request, error_text(error))
            return redirect("schools:supportcase_detail", pk=case.pk)
        return render(request, detail.template_name, detail.context(request, case, **forms), status=400)


class ActionDoneView(RoleRequiredMixin, View):
    roles = SCHOOL_ROLES

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            action: SupportAction = SupportAction.objects.for_user(request.user).get(pk=pk)  # type: ignore[arg-type]
        except SupportAction.DoesNotExist as error:
            raise Http404 from error
        form = ActionDoneForm(request.POST)
        try:
            service.complete_action(
                action=action, by=request.user, outcome=form.cleaned_data["outcome"] if form.is_valid() else ""
            )
        except ValidationError as error:
            messages.error(request, error_text(error))
        else:
            messages.success(request, _("Action done."))
        return redirect("schools:supportcase_detail", pk=action.case_id)


urlpatterns: list[URLPattern | URLResolver] = [
    path("helpdesk/", DeskListView.as_view(), name="helpdesk_list"),
    path("helpdesk/add/", DeskFormView.as_view(), name="helpdesk_add"),
    path("helpdesk/<int:pk>/", DeskWeekView.as_view(), name="helpdesk_week"),
    path("helpdesk/<int:pk>/edit/", DeskFormView.as_view(), name="helpdesk_edit"),
    path("helpdesk/<int:pk>/slots/add/", SlotCreateView.as_view(), name="deskslot_add"),
    path("helpdesk/<int:pk>/walk-ins/", WalkInLogView.as_view(), name="walkin_log"),
    path("helpdesk/slots/<int:pk>/", SlotView.as_view(), name="deskslot"),
    path("students/<int:student_pk>/helpdesk/slots/", StudentSlotsView.as_view(), name="student_slots"),
    path("helpdesk/cases/", CaseListView.as_view(), name="supportcase_list"),
    path("helpdesk/cases/add/", CaseCreateView.as_view(), name="supportcase_add"),
    path("helpdesk/cases/<int:pk>/", CaseDetailView.as_view(), name="supportcase_detail"),
    path("helpdesk/cases/<int:pk>/<slug:do>/", CaseActionView.as_view(), name="supportcase_do"),
    path("helpdesk/actions/<int:pk>/done/", ActionDoneView.as_view(), name="supportaction_done"),
]
