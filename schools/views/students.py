"""Pages of Action 1: students and classes. Its urlpatterns are collected by schools/urls.py.

The list filters by GET (ids and codes only) and searches names by POST: a searched name never goes
into a URL, it is kept in the session under a random key. Every student is fetched through
Student.objects.for_user (another school's pupil answers 404); every page that shows a pupil writes
one audit record."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect, render
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from aipim.accounts.models import SCHOOL_ROLES
from aipim.core import audit
from aipim.core.listing import query_with, remember_search, searched_text, sortable_columns
from aipim.core.models import Consent, Person
from aipim.core.scoping import get_for_user_or_404
from aipim.core.views import RoleRequiredMixin
from aipim.core.views.person_search import Duplicates, PersonSearchView, RegisterPersonView
from schools.forms.students import (
    ConsentForm,
    EditStudentForm,
    EnrolPersonForm,
    GuardianForm,
    LeavingForm,
    NewStudentForm,
    PersonSearchForm,
    StudentFilterForm,
    StudentSearchForm,
)
from schools.models import SchoolYear, Student
from schools.selectors import (
    DEFAULT_SORT,
    classes_for,
    consents_by_purpose,
    count_matches_elsewhere,
    current_enrolments,
    get_student_for_user_or_404,
    known_people,
    probable_duplicates,
    search_people_to_enrol,
    students_for,
)
from schools.services import students as service
from schools.services.courses import student_enrolments

PAGE_SIZE = 25
SESSION_KEY = "schools_student_searches"

# The parts of the student page written by the other parts of the app, shown once they exist; each
# receives `student` (and `request`).
STUDENT_PARTIALS = [
    "schools/students/_risk.html",
    "schools/students/_timeline.html",
    "schools/students/_interventions.html",
    "schools/students/_helpdesk.html",
    "schools/students/_courses.html",
    "schools/students/_messages.html",
]


def read_filters(request: HttpRequest) -> tuple[StudentFilterForm, dict[str, Any]]:
    form = StudentFilterForm(request.GET or None, user=request.user)
    filters: dict[str, Any] = dict(form.cleaned_data) if form.is_valid() else {}
    token = filters.pop("search", "")
    filters["search"] = searched_text(request, token, key=SESSION_KEY)
    return form, filters


COLUMNS = [
    ("name", gettext_lazy("Pupil")),
    ("class", gettext_lazy("Class")),
    ("", gettext_lazy("Birth date")),
    ("", gettext_lazy("First language")),
    ("arrival", gettext_lazy("Arrived in Italy")),
    ("", gettext_lazy("Age–grade gap")),
    ("risk", gettext_lazy("Risk")),
]


class StudentListView(RoleRequiredMixin, View):
    roles = SCHOOL_ROLES
    template_name = "schools/students/list.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        form, filters = read_filters(request)
        students = students_for(request.user, filters)  # type: ignore[arg-type]
        page = Paginator(students, PAGE_SIZE).get_page(request.GET.get("page"))
        audit.record(
            request.user,
            "student.list",
            object_type="schools.student",
            count=len(page.object_list),
            searched=bool(filters["search"]),
        )
        current = filters.get("sort") or DEFAULT_SORT
        query = request.GET.copy()
        query.pop("page", None)
        detail_prefix = reverse("schools:student_detail", kwargs={"pk": 0}).removesuffix("0/")
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "search_form": StudentSearchForm(
                    initial={"q": filters["search"], "query": query_with(query, search="")}
                ),
                "searched": filters["search"],
                "page": page,
                "page_query": query_with(query),
                "clear_search_query": query_with(query, search=""),
                "columns": sortable_columns(COLUMNS, query, current, page=""),
                "detail_prefix": detail_prefix,
            },
        )

    def post(self, request: HttpRequest) -> HttpResponseRedirect:
        form = StudentSearchForm(request.POST)
        query = QueryDict(request.POST.get("query", ""), mutable=True)
        query.pop("page", None)
        if form.is_valid():
            query["search"] = remember_search(request, form.cleaned_data["q"], key=SESSION_KEY)
        else:
            query.pop("search", None)
        return redirect(f"{reverse('schools:student_list')}?{query.urlencode()}")


def student_page_context(request: HttpRequest, student: Student, **forms: Any) -> dict[str, Any]:
    """Everything the student page shows, and its one audit record (`student.view`, saying that
    the sensitive notes were shown decrypted)."""
    sensitive_notes = student.sensitive_notes or ""
    audit.record(
        request.user,
        "student.view",
        student,
        organisation=student.school,
        sensitive_notes_shown=bool(sensitive_notes),
    )
    guardians = list(student.guardians.all())
    return {
        "student": student,
        "person": student.person,
        "guardians": guardians,
        "sensitive_notes": sensitive_notes,
        "consents": consents_by_purpose(student),
        "consent_form": forms.get("consent_form") or ConsentForm(student=student),
        "leaving_form": forms.get("leaving_form") or LeavingForm(initial={"left_on": timezone.localdate()}),
        "partials": STUDENT_PARTIALS,
        "course_enrolments": student_enrolments(student),  # with hours attended, for _courses.html
    }


class StudentDetailView(RoleRequiredMixin, View):
    roles = SCHOOL_ROLES
    template_name = "schools/students/detail.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        student = get_student_for_user_or_404(request.user, pk)  # type: ignore[arg-type]
        return render(request, self.template_name, student_page_context(request, student))


# --- Enrolment: search first, then enrol a person found or register a new one -------------------


class EnrolSearchView(PersonSearchView):
    roles = SCHOOL_ROLES
    template_name = "schools/students/enrol_search.html"
    form_class = PersonSearchForm

    def search(self, text: str) -> list[Person]:
        return search_people_to_enrol(self.request.user, text)  # type: ignore[arg-type]

    def count_elsewhere(self, text: str) -> int:
        return count_matches_elsewhere(self.request.user, text)  # type: ignore[arg-type]

    def add_to_results(self, results: list[Person]) -> None:
        # Someone already at one of the user's schools is shown with their class, not enrolled twice.
        enrolments = current_enrolments(results, self.request.user)  # type: ignore[arg-type]
        for person in results:
            person.current_enrolment = enrolments.get(person.pk)  # type: ignore[attr-defined]


class NewStudentView(RegisterPersonView):
    roles = SCHOOL_ROLES
    template_name = "schools/students/new.html"
    form_class = NewStudentForm

    def probable_duplicates(self, *, key: str, birth_date: datetime.date | None) -> Duplicates:
        return probable_duplicates(self.request.user, key=key, birth_date=birth_date)  # type: ignore[arg-type]

    def register(self, form: NewStudentForm, *, possible_duplicate_confirmed: bool) -> HttpResponse:
        data = form.cleaned_data
        try:
            student = service.enrol_student(
                school=data["school"],
                by=self.request.user,
                person_fields=form.person_fields(),
                purposes=data["purposes"],
                evidence=data["evidence"],
                given_by_name=data["given_by_name"],
                possible_duplicate_confirmed=possible_duplicate_confirmed,
                **form.student_fields(),
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.invalid(form)
        messages.success(self.request, _("Pupil enrolled. Add their parents or guardians."))
        return redirect("schools:student_detail", pk=student.pk)


class EnrolPersonView(RoleRequiredMixin, View):
    """Enrol someone the school already knows (a pupil who came back, an older sibling...)."""

    roles = SCHOOL_ROLES
    template_name = "schools/students/enrol_person.html"

    def person(self, request: HttpRequest, public_id: str) -> Person:
        try:
            return known_people(request.user).get(public_id=public_id)  # type: ignore[arg-type]
        except Person.DoesNotExist as error:
            raise Http404 from error

    def get(self, request: HttpRequest, public_id: str) -> HttpResponse:
        person = self.person(request, public_id)
        audit.record(request.user, "person.view", person)
        form = EnrolPersonForm(user=request.user)
        return render(request, self.template_name, {"person": person, "form": form})

    def post(self, request: HttpRequest, public_id: str) -> HttpResponse:
        person = self.person(request, public_id)
        form = EnrolPersonForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                student = service.enrol_student(
                    school=data["school"],
                    by=request.user,
                    person=person,
                    purposes=data["purposes"],
                    evidence=data["evidence"],
                    given_by_name=data["given_by_name"],
                    **form.student_fields(),
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Pupil enrolled."))
                return redirect("schools:student_detail", pk=student.pk)
        audit.record(request.user, "person.view", person)
        return render(request, self.template_name, {"person": person, "form": form}, status=400)


# --- Changes on the student page -------------------------------------------------------------------


class StudentEditView(RoleRequiredMixin, View):
    roles = SCHOOL_ROLES
    template_name = "schools/students/edit.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        student = get_student_for_user_or_404(request.user, pk)  # type: ignore[arg-type]
        audit.record(request.user, "student.view", student, organisation=student.school, via="edit")
        form = EditStudentForm(user=request.user, student=student)
        return render(request, self.template_name, {"student": student, "form": form})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        student = get_student_for_user_or_404(request.user, pk)  # type: ignore[arg-type]
        form = EditStudentForm(request.POST, user=request.user, student=student)
        if form.is_valid():
            person_fields = form.person_fields()
            for name in ("given_names", "family_names"):
                # Empty Latin names mean "as written" (Person.save fills them in).
                if not person_fields[f"{name}_latin"]:
                    person_fields[f"{name}_latin"] = person_fields[name]
            try:
                service.update_student(
                    student=student, by=request.user, person_fields=person_fields, **form.student_fields()
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Changes saved."))
                return redirect("schools:student_detail", pk=student.pk)
        return render(request, self.template_name, {"student": student, "form": form}, status=400)


class StudentLeaveView(RoleRequiredMixin, View):
    roles = SCHOOL_ROLES

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        student = get_student_for_user_or_404(request.user, pk)  # type: ignore[arg-type]
        form = LeavingForm(request.POST)
        if form.is_valid():
            try:
                service.record_leaving(
                    student=student,
                    by=request.user,
                    left_on=form.cleaned_data["left_on"],
                    reason=form.cleaned_data["leaving_reason"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("The pupil's leaving is recorded."))
                return redirect("schools:student_detail", pk=student.pk)
        return render(
            request,
            StudentDetailView.template_name,
            student_page_context(request, student, leaving_form=form),
            status=400,
        )


class GuardianAddView(RoleRequiredMixin, View):
    roles = SCHOOL_ROLES
    template_name = "schools/students/guardian_form.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        student = get_student_for_user_or_404(request.user, pk)  # type: ignore[arg-type]
        return render(request, self.template_name, {"student": student, "form": GuardianForm(student=student)})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        student = get_student_for_user_or_404(request.user, pk)  # type: ignore[arg-type]
        form = GuardianForm(request.POST, student=student)
        if form.is_valid():
            data = form.cleaned_data
            try:
                service.add_guardian(
                    student=student,
                    by=request.user,
                    relationship=data["relationship"],
                    is_primary_contact=data["is_primary_contact"],
                    person=data["existing"],
                    person_fields=None if data["existing"] else form.person_fields(),
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Guardian added."))
                return redirect("schools:student_detail", pk=student.pk)
        return render(request, self.template_name, {"student": student, "form": form}, status=400)


class ConsentGiveView(RoleRequiredMixin, View):
    roles = SCHOOL_ROLES

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        student = get_student_for_user_or_404(request.user, pk)  # type: ignore[arg-type]
        form = ConsentForm(request.POST, student=student)
        if form.is_valid():
            data = form.cleaned_data
            try:
                consent = service.record_consent(
                    student=student,
                    by=request.user,
                    purpose=data["purpose"],
                    evidence=data["evidence"],
                    given_by_name=data["given_by_name"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                if consent is None:
                    messages.info(request, _("This consent was already in force."))
                else:
                    messages.success(request, _("Consent recorded."))
                return redirect(f"{reverse('schools:student_detail', args=[student.pk])}#consents")
        return render(
            request,
            StudentDetailView.template_name,
            student_page_context(request, student, consent_form=form),
            status=400,
        )


class ConsentWithdrawView(RoleRequiredMixin, View):
    roles = SCHOOL_ROLES

    def post(self, request: HttpRequest, pk: int, consent_pk: int) -> HttpResponse:
        student = get_student_for_user_or_404(request.user, pk)  # type: ignore[arg-type]
        consent = get_for_user_or_404(Consent, request.user, pk=consent_pk, person=student.person)
        service.withdraw_student_consent(student=student, consent=consent, by=request.user)
        messages.success(request, _("The withdrawal of the consent is recorded."))
        return redirect(f"{reverse('schools:student_detail', args=[student.pk])}#consents")


# --- Classes -------------------------------------------------------------------------------------


class ClassListView(RoleRequiredMixin, View):
    roles = SCHOOL_ROLES
    template_name = "schools/students/classes.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        years = list(SchoolYear.objects.all())
        year = SchoolYear.current()
        chosen = request.GET.get("year")
        if chosen:
            year = next((y for y in years if str(y.pk) == chosen), year)
        classes = list(classes_for(request.user, school_year=year))  # type: ignore[arg-type]
        schools: dict[Any, list[Any]] = {}
        for school_class in classes:
            schools.setdefault(school_class.school, []).append(school_class)
        list_url = reverse("schools:student_list")
        return render(
            request,
            self.template_name,
            {"years": years, "year": year, "schools": schools, "list_url": list_url},
        )


urlpatterns: list[URLPattern | URLResolver] = [
    path("students/", StudentListView.as_view(), name="student_list"),
    path("students/enrol/", EnrolSearchView.as_view(), name="student_enrol"),
    path("students/enrol/new/", NewStudentView.as_view(), name="student_new"),
    path("students/enrol/<uuid:public_id>/", EnrolPersonView.as_view(), name="student_enrol_person"),
    path("students/<int:pk>/", StudentDetailView.as_view(), name="student_detail"),
    path("students/<int:pk>/edit/", StudentEditView.as_view(), name="student_edit"),
    path("students/<int:pk>/leave/", StudentLeaveView.as_view(), name="student_leave"),
    path("students/<int:pk>/guardians/add/", GuardianAddView.as_view(), name="guardian_add"),
    path("students/<int:pk>/consents/", ConsentGiveView.as_view(), name="student_consent"),
    path(
        "students/<int:pk>/consents/<int:consent_pk>/withdraw/",
        ConsentWithdrawView.as_view(),
        name="student_consent_withdraw",
    ),
    path("classes/", ClassListView.as_view(), name="class_list"),
]
