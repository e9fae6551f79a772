"""Pages of Action 1: extracurricular courses (list, create and edit, the course page with its
sessions and enrolments, the attendance register, the certificate of attendance) and the
student's courses. Its urlpatterns are collected by schools/urls.py.

Operators of a school manage its courses; every member of its staff sees them and takes the
register. Courses of other schools answer 404; other roles 403."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View

from aipim.accounts.models import SCHOOL_ROLES, Role
from aipim.core import audit
from aipim.core.services import ConsentMissing
from aipim.core.views import RoleRequiredMixin
from schools.forms.courses import AttendanceRegisterForm, CourseFilterForm, CourseForm, EnrolmentForm, SessionForm
from schools.models import Course, CourseSession, Enrolment, SchoolYear, Student
from schools.services import courses as service

PAGE_SIZE = 25


def scoped_course(request: HttpRequest, pk: int) -> Course:
    try:
        return service.courses_for(request.user).select_related("school", "school_year").get(pk=pk)
    except Course.DoesNotExist as error:
        raise Http404 from error


def managed_course(request: HttpRequest, pk: int) -> Course:
    """A course the user may change: in scope (else 404) and of a school they operate (else 403)."""
    course = scoped_course(request, pk)
    if not service.can_manage_courses(request.user, course.school_id):
        raise PermissionDenied
    return course


def scoped_session(request: HttpRequest, pk: int) -> CourseSession:
    try:
        return CourseSession.objects.select_related("course__school", "course__school_year").get(
            pk=pk, course__in=service.courses_for(request.user)
        )
    except CourseSession.DoesNotExist as error:
        raise Http404 from error


def scoped_enrolment(request: HttpRequest, pk: int) -> Enrolment:
    try:
        return Enrolment.objects.select_related(
            "course__school", "course__school_year", "student__person", "student__school_class"
        ).get(pk=pk, course__in=service.courses_for(request.user))
    except Enrolment.DoesNotExist as error:
        raise Http404 from error


def course_page(course: Course) -> str:
    return reverse("schools:course_detail", args=[course.pk])


class CourseListView(RoleRequiredMixin, View):
    """The courses of the user's schools, per school and year, with enrolment and attendance figures."""

    roles = SCHOOL_ROLES
    template_name = "schools/courses/list.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        data = request.GET.copy()
        if "school_year" not in data:
            current = SchoolYear.current()
            if current is not None:
                data["school_year"] = str(current.pk)
        form = CourseFilterForm(data, user=request.user)
        courses = service.courses_for(request.user)
        if form.is_valid():
            if form.cleaned_data["school"]:
                courses = courses.filter(school=form.cleaned_data["school"])
            if form.cleaned_data["school_year"]:
                courses = courses.filter(school_year=form.cleaned_data["school_year"])
            if form.cleaned_data["kind"]:
                courses = courses.filter(kind=form.cleaned_data["kind"])
        totals = service.course_totals(courses)
        courses = service.with_figures(courses.select_related("school", "school_year")).order_by(
            "-starts_on", "title", "pk"
        )
        page = Paginator(courses, PAGE_SIZE).get_page(request.GET.get("page"))
        for course in page.object_list:
            course.attendance_rate = service.course_attendance_rate(course)  # type: ignore[attr-defined]
            course.language_label = service.language_label(course.language)  # type: ignore[attr-defined]
        query = {key: str(value) for key, value in data.items() if key != "page" and value}
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "page": page,
                "totals": totals,
                "page_query": urlencode(query),
                "can_add": bool(request.user.organisation_ids(Role.SCHOOL_OPERATOR)),  # type: ignore[union-attr]
            },
        )


class CourseFormView(RoleRequiredMixin, View):
    roles = (Role.SCHOOL_OPERATOR,)
    template_name = "schools/courses/form.html"

    def show(self, form: CourseForm, course: Course | None = None, status: int = 200) -> HttpResponse:
        return render(self.request, self.template_name, {"form": form, "course": course}, status=status)

    def save_errors(self, form: CourseForm, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            form.add_error(None, error.messages)


class CourseCreateView(CourseFormView):
    def get(self, request: HttpRequest) -> HttpResponse:
        return self.show(CourseForm(user=request.user))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = CourseForm(request.POST, user=request.user)
        if form.is_valid():
            fields = dict(form.cleaned_data)
            school = fields.pop("school")
            try:
                course = service.create_course(school=school, by=request.user, **fields)
            except ValidationError as error:
                self.save_errors(form, error)
            else:
                messages.success(request, _("Course created. Add its sessions."))
                return redirect(course_page(course))
        return self.show(form, status=400)


class CourseEditView(CourseFormView):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        course = managed_course(request, pk)
        return self.show(CourseForm(instance=course, user=request.user), course)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        course = managed_course(request, pk)
        form = CourseForm(request.POST, instance=Course.objects.get(pk=course.pk), user=request.user)
        if form.is_valid():
            try:
                service.update_course(course=course, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                self.save_errors(form, error)
            else:
                messages.success(request, _("Course saved."))
                return redirect(course_page(course))
        return self.show(form, course, status=400)


class CourseDetailView(RoleRequiredMixin, View):
    """The course: its sessions with the register's counts, and its students with their hours."""

    roles = SCHOOL_ROLES
    template_name = "schools/courses/detail.html"

    def context(self, request: HttpRequest, course: Course, **extra: Any) -> dict[str, Any]:
        can_manage = service.can_manage_courses(request.user, course.school_id)
        sessions = list(
            CourseSession.objects.filter(course=course)
            .annotate(
                marked=Count("attendance"),
                present=Count("attendance", filter=Q(attendance__present=True)),
            )
            .order_by("starts_at", "pk")
        )
        enrolments = list(
            service.with_attendance(
                Enrolment.objects.filter(course=course).select_related("student__person", "student__school_class")
            ).order_by(
                "withdrawn_on", "student__person__family_names_latin", "student__person__given_names_latin", "pk"
            )
        )
        for enrolment in enrolments:
            enrolment.course = course  # the certificate check reads the planned hours, no query
            enrolment.rate = service.attendance_rate(enrolment)  # type: ignore[attr-defined]
            enrolment.certificate = service.certificate_check(enrolment)  # type: ignore[attr-defined]
        active = sum(1 for enrolment in enrolments if enrolment.withdrawn_on is None)
        audit.record(request.user, "course.view", course, organisation=course.school, count=len(enrolments))
        context = {
            "course": course,
            "language_label": service.language_label(course.language),
            "sessions": sessions,
            "hours_scheduled": sum((session.hours for session in sessions), start=0),
            "enrolments": enrolments,
            "active_count": active,
            "places_left": None if course.capacity is None else max(course.capacity - active, 0),
            "can_manage": can_manage,
            "now": timezone.now(),
            "min_share": service.percent(service.CERTIFICATE_MIN_SHARE, 1),
        }
        if can_manage and "enrol_form" not in extra:
            context["enrol_form"] = EnrolmentForm(course=course)
        context.update(extra)
        return context

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        course = scoped_course(request, pk)
        return render(request, self.template_name, self.context(request, course))


class EnrolView(RoleRequiredMixin, View):
    roles = (Role.SCHOOL_OPERATOR,)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        course = managed_course(request, pk)
        form = EnrolmentForm(request.POST, course=course)
        if form.is_valid():
            student: Student = form.cleaned_data["student"]
            try:
                service.enrol_student(course=course, student=student, by=request.user)
            except ConsentMissing as error:
                form.add_error(
                    "student",
                    _("%(reason)s Ask the guardians, then record their consent on the student's page.")
                    % {"reason": error},
                )
            except ValidationError as error:
                form.add_error("student", error.messages)
            else:
                messages.success(request, _("Student enrolled."))
                return redirect(course_page(course))
        view = CourseDetailView()
        return render(request, view.template_name, view.context(request, course, enrol_form=form), status=400)


class WithdrawView(RoleRequiredMixin, View):
    roles = (Role.SCHOOL_OPERATOR,)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        enrolment = scoped_enrolment(request, pk)
        if not service.can_manage_courses(request.user, enrolment.course.school_id):
            raise PermissionDenied
        try:
            service.withdraw_enrolment(enrolment=enrolment, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The student was withdrawn from the course."))
        return redirect(course_page(enrolment.course))


class SessionAddView(RoleRequiredMixin, View):
    roles = (Role.SCHOOL_OPERATOR,)
    template_name = "schools/courses/session_form.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        course = managed_course(request, pk)
        return render(request, self.template_name, {"course": course, "form": SessionForm()})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        course = managed_course(request, pk)
        form = SessionForm(request.POST)
        if form.is_valid():
            try:
                created = service.add_sessions(course=course, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(
                    request,
                    ngettext("%(count)s session added.", "%(count)s sessions added.", len(created))
                    % {"count": len(created)},
                )
                return redirect(course_page(course))
        return render(request, self.template_name, {"course": course, "form": form}, status=400)


def add_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
    else:
        form.add_error(None, error.messages)


class SessionEditView(RoleRequiredMixin, View):
    roles = (Role.SCHOOL_OPERATOR,)
    template_name = "schools/courses/session_form.html"

    def session(self, request: HttpRequest, pk: int) -> CourseSession:
        session = scoped_session(request, pk)
        if not service.can_manage_courses(request.user, session.course.school_id):
            raise PermissionDenied
        return session

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        session = self.session(request, pk)
        context = {"course": session.course, "session": session, "form": SessionForm(session=session)}
        return render(request, self.template_name, context)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        session = self.session(request, pk)
        if "delete" in request.POST:
            try:
                service.delete_session(session=session, by=request.user)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
                return redirect("schools:course_session_edit", pk=session.pk)
            messages.success(request, _("Session removed."))
            return redirect(course_page(session.course))
        form = SessionForm(request.POST, session=session)
        if form.is_valid():
            try:
                service.update_session(session=session, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, _("Session saved."))
                return redirect(course_page(session.course))
        context = {"course": session.course, "session": session, "form": form}
        return render(request, self.template_name, context, status=400)


class RegisterView(RoleRequiredMixin, View):
    """The attendance register of a session: every student it lists, present or not, in one form."""

    roles = SCHOOL_ROLES
    template_name = "schools/courses/register.html"

    def page(self, request: HttpRequest, session: CourseSession, data: Any = None, status: int = 200) -> HttpResponse:
        enrolments = list(service.register_enrolments(session))
        marked = service.present_ids(session)
        form = AttendanceRegisterForm(data, enrolments=enrolments, present=marked)
        if data is not None and form.is_valid():
            try:
                service.record_attendance(session=session, marks=form.marks(), by=request.user)
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(request, _("Register saved."))
                return redirect(course_page(session.course))
            status = 400
        audit.record(
            request.user,
            "coursesession.view_register",
            session,
            organisation=session.course.school,
            count=len(enrolments),
        )
        context = {
            "session": session,
            "course": session.course,
            "form": form,
            "taken": session.attendance.exists(),
            "not_started": session.starts_at > timezone.now(),
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.page(request, scoped_session(request, pk))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.page(request, scoped_session(request, pk), request.POST)


class CertificateView(RoleRequiredMixin, View):
    """The certificate of attendance (PDF): in Italian, followed by English with ?language=en."""

    roles = SCHOOL_ROLES

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        enrolment = scoped_enrolment(request, pk)
        languages = service.certificate_languages(request.GET.getlist("language"))
        try:
            pdf = service.certificate_pdf(enrolment=enrolment, by=request.user, languages=languages)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(course_page(enrolment.course))
        response = HttpResponse(pdf, content_type="application/pdf")
        # The file name carries ids, not the student's name.
        response["Content-Disposition"] = (
            f'attachment; filename="certificate-{enrolment.course_id}-{enrolment.pk}-{"-".join(languages)}.pdf"'
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "no-store, private"
        return response


class StudentCoursesView(RoleRequiredMixin, View):
    """The student's courses with the hours attended (also shown on the student page)."""

    roles = SCHOOL_ROLES
    template_name = "schools/courses/student_courses.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        student = scoped_student(request, pk)
        enrolments = service.student_enrolments(student)
        audit.record(request.user, "student.courses", student, organisation=student.school, count=len(enrolments))
        return render(request, self.template_name, {"student": student, "course_enrolments": enrolments})


def scoped_student(request: HttpRequest, pk: int) -> Student:
    user: Any = request.user
    students: QuerySet[Student] = Student.objects.for_user(user)
    try:
        return students.select_related("person", "school_class", "school").get(pk=pk)
    except Student.DoesNotExist as error:
        raise Http404 from error


urlpatterns: list[URLPattern | URLResolver] = [
    path("courses/", CourseListView.as_view(), name="course_list"),
    path("courses/add/", CourseCreateView.as_view(), name="course_add"),
    path("courses/<int:pk>/", CourseDetailView.as_view(), name="course_detail"),
    path("courses/<int:pk>/edit/", CourseEditView.as_view(), name="course_edit"),
    path("courses/<int:pk>/enrol/", EnrolView.as_view(), name="course_enrol"),
    path("courses/<int:pk>/sessions/add/", SessionAddView.as_view(), name="course_session_add"),
    path("courses/sessions/<int:pk>/edit/", SessionEditView.as_view(), name="course_session_edit"),
    path("courses/sessions/<int:pk>/register/", RegisterView.as_view(), name="course_register"),
    path("courses/enrolments/<int:pk>/withdraw/", WithdrawView.as_view(), name="enrolment_withdraw"),
    path("courses/enrolments/<int:pk>/certificate.pdf", CertificateView.as_view(), name="enrolment_certificate"),
    path("students/<int:pk>/courses/", StudentCoursesView.as_view(), name="student_courses"),
]
