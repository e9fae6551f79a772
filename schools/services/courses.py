"""Extracurricular courses of Action 1 (Italian L2, mother tongue, a non-EU foreign language,
intercultural labs): create and edit, sessions, enrolment with consent and capacity, the
attendance register, the figures that lists and reports share, and the certificate of attendance.

Hours are always computed in SQL from the sessions' times (`session_hours`), so the course page,
the course list, the student page and the Action 1 report count the same thing."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import (
    Count,
    DecimalField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from aipim.accounts.models import SCHOOL_ROLES, Role
from aipim.core import audit
from aipim.core.models import Consent, Organisation, Person
from aipim.core.services import require_consent
from aipim.reports.rendering import html_to_pdf, text_direction
from schools.models import Course, CourseSession, Enrolment, SessionAttendance, Student

# The official languages of the European Union (ISO 639-1 and the 639-2 codes that schools'
# registers sometimes use). A "foreign language" course of Action 1 teaches a non-EU language:
# these are refused for it.
EU_OFFICIAL_LANGUAGES = frozenset(
    {
        "bg", "bul",  # Bulgarian
        "cs", "ces", "cze",  # Czech
        "da", "dan",  # Danish
        "de", "deu", "ger",  # German
        "el", "ell", "gre",  # Greek
        "en", "eng",  # English
        "es", "spa",  # Spanish
        "et", "est",  # Estonian
        "fi", "fin",  # Finnish
        "fr", "fra", "fre",  # French
        "ga", "gle",  # Irish
        "hr", "hrv",  # Croatian
        "hu", "hun",  # Hungarian
        "it", "ita",  # Italian
        "lt", "lit",  # Lithuanian
        "lv", "lav",  # Latvian
        "mt", "mlt",  # Maltese
        "nl", "nld", "dut",  # Dutch
        "pl", "pol",  # Polish
        "pt", "por",  # Portuguese
        "ro", "ron", "rum",  # Romanian
        "sk", "slk", "slo",  # Slovak
        "sl", "slv",  # Slovenian
        "sv", "swe",  # Swedish
    }
)  # fmt: skip

# A certificate of attendance needs at least this share of the course's planned hours (the
# *monte ore*), as is usual for Italian school certificates.
CERTIFICATE_MIN_SHARE = Decimal(getattr(settings, "SCHOOLS_CERTIFICATE_MIN_SHARE", "0.70"))
# The certificate is in Italian; these languages can be added after it when asked.
CERTIFICATE_LANGUAGE = "it"
CERTIFICATE_SECOND_LANGUAGES = ("en",)

LANGUAGE_KINDS = (Course.Kind.MOTHER_TONGUE, Course.Kind.FOREIGN_LANGUAGE)


# --- who may do what --------------------------------------------------------------------------


def courses_for(user: Any) -> QuerySet[Course]:
    """Courses of the schools where the user holds a school role (operators and staff)."""
    return Course.objects.for_user(user)


def can_manage_courses(user: Any, school_id: int) -> bool:
    """Operators of the school create and edit its courses, sessions and enrolments."""
    return school_id in user.organisation_ids(Role.SCHOOL_OPERATOR)


def can_take_attendance(user: Any, school_id: int) -> bool:
    """Every member of the school's staff may take the register of its courses."""
    return school_id in user.organisation_ids(*SCHOOL_ROLES)


def _require_operator(by: Any, school_id: int) -> None:
    if not can_manage_courses(by, school_id):
        raise PermissionDenied(_("Only the school's help-desk operators manage its courses."))


# --- hours in SQL -----------------------------------------------------------------------------


class Hours(Func):
    """An interval as hours with two decimals, as CourseSession.hours (PostgreSQL: EXTRACT(EPOCH ...) is numeric)."""

    template = "ROUND(EXTRACT(EPOCH FROM %(expressions)s) / 3600.0, 2)"
    output_field = DecimalField(max_digits=8, decimal_places=2)


def session_length(prefix: str = "") -> ExpressionWrapper:
    return ExpressionWrapper(F(f"{prefix}ends_at") - F(f"{prefix}starts_at"), output_field=DurationField())


def _hours_of(rows: QuerySet[Any], group: str, prefix: str) -> Any:
    """Total hours of the sessions reached through `prefix`, grouped by `group`, as a subquery."""
    totals = rows.order_by().values(group).annotate(total=Hours(Sum(session_length(prefix)))).values("total")
    return Coalesce(Subquery(totals), Value(Decimal("0.00")), output_field=DecimalField(max_digits=8, decimal_places=2))


def _count_of(rows: QuerySet[Any], group: str) -> Any:
    counts = rows.order_by().values(group).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))


def percent(part: Decimal | int, whole: Decimal | int) -> int | None:
    """A whole percentage, or None when there is nothing to measure against."""
    if not whole:
        return None
    return int((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def with_figures(courses: QuerySet[Course]) -> QuerySet[Course]:
    """Each course with `enrolled` (not withdrawn), `sessions_count`, `hours_scheduled` (all its
    sessions), `hours_recorded` (sessions whose register was taken), `marks` and `marks_present`
    (register entries, so the attendance rate is marks_present / marks): one query for any number."""
    enrolled = Enrolment.objects.filter(course=OuterRef("pk"), withdrawn_on__isnull=True)
    sessions = CourseSession.objects.filter(course=OuterRef("pk"))
    recorded = sessions.filter(Exists(SessionAttendance.objects.filter(session=OuterRef("pk"))))
    marks = SessionAttendance.objects.filter(session__course=OuterRef("pk"))
    return courses.annotate(
        enrolled=_count_of(enrolled, "course"),
        sessions_count=_count_of(sessions, "course"),
        hours_scheduled=_hours_of(sessions, "course", ""),
        hours_recorded=_hours_of(recorded, "course", ""),
        marks=_count_of(marks, "session__course"),
        marks_present=_count_of(marks.filter(present=True), "session__course"),
    )


def with_attendance(enrolments: QuerySet[Enrolment]) -> QuerySet[Enrolment]:
    """Each enrolment with `hours_attended` (sum of the hours of the sessions where the student was
    present), `hours_recorded` (sessions whose register counted the student) and `sessions_present`."""
    marks = SessionAttendance.objects.filter(enrolment=OuterRef("pk"))
    present = marks.filter(present=True)
    return enrolments.annotate(
        hours_attended=_hours_of(present, "enrolment", "session__"),
        hours_recorded=_hours_of(marks, "enrolment", "session__"),
        sessions_present=_count_of(present, "enrolment"),
        sessions_recorded=_count_of(marks, "enrolment"),
    )


def attendance_rate(enrolment: Enrolment) -> int | None:
    """Percentage of the recorded hours that the student attended (None before any register)."""
    return percent(enrolment.hours_attended, enrolment.hours_recorded)  # type: ignore[attr-defined]


def course_attendance_rate(course: Course) -> int | None:
    return percent(course.marks_present, course.marks)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class CourseTotals:
    """Figures over a set of courses (the list's filters, or a report's period and schools)."""

    courses: int
    enrolled: int  # enrolments not withdrawn
    students: int  # distinct students ever enrolled
    sessions: int
    hours_scheduled: Decimal  # hours of all the sessions
    marks: int  # register entries
    marks_present: int
    student_hours: Decimal  # hours attended, summed over the students

    @property
    def attendance_rate(self) -> int | None:
        return percent(self.marks_present, self.marks)


def course_totals(courses: QuerySet[Course]) -> CourseTotals:
    """The sums of `with_figures` over `courses`, in four queries whatever their number."""
    selected = courses.order_by().values("pk")
    enrolments = Enrolment.objects.filter(course__in=selected).aggregate(
        enrolled=Count("pk", filter=Q(withdrawn_on__isnull=True)), students=Count("student", distinct=True)
    )
    sessions = CourseSession.objects.filter(course__in=selected).aggregate(
        sessions=Count("pk"), hours_scheduled=Hours(Sum(session_length()))
    )
    marks = SessionAttendance.objects.filter(session__course__in=selected).aggregate(
        marks=Count("pk"),
        marks_present=Count("pk", filter=Q(present=True)),
        student_hours=Hours(Sum(session_length("session__"), filter=Q(present=True))),
    )
    return CourseTotals(
        courses=courses.count(),
        enrolled=enrolments["enrolled"],
        students=enrolments["students"],
        sessions=sessions["sessions"],
        hours_scheduled=sessions["hours_scheduled"] or Decimal("0.00"),
        marks=marks["marks"],
        marks_present=marks["marks_present"],
        student_hours=marks["student_hours"] or Decimal("0.00"),
    )


def student_enrolments(student: Student) -> list[Enrolment]:
    """The student's enrolments with hours attended, newest course first (for the student page)."""
    enrolments = with_attendance(
        Enrolment.objects.filter(student=student).select_related("course", "course__school_year")
    ).order_by("-course__starts_on", "-pk")
    rows = list(enrolments)
    for enrolment in rows:
        enrolment.rate = attendance_rate(enrolment)  # type: ignore[attr-defined]
    return rows


# --- courses and sessions ---------------------------------------------------------------------


def normalise_language(code: str) -> str:
    return (code or "").strip().lower().replace("_", "-")


def language_label(code: str) -> str:
    """The language's name in the active language ("Arabic", "arabo"), or its code if unknown."""
    if not code:
        return ""
    try:
        return str(translation.get_language_info(normalise_language(code))["name_translated"])
    except KeyError:
        return code


def is_eu_language(code: str) -> bool:
    """Whether the language (its primary subtag: "pt-br" is Portuguese) is an official EU language."""
    return normalise_language(code).split("-")[0] in EU_OFFICIAL_LANGUAGES


def check_course(
    *,
    kind: str,
    cefr_level: str,
    language: str,
    starts_on: datetime.date | None,
    ends_on: datetime.date | None,
) -> None:
    """The rules of a course's fields; a ValidationError names the field at fault."""
    errors: dict[str, str] = {}
    if kind == Course.Kind.ITALIAN_L2 and not cefr_level:
        errors["cefr_level"] = _("Give the CEFR level (A1 to B2) of an Italian L2 course.")
    if kind == Course.Kind.INTERCULTURAL_LAB and cefr_level:
        errors["cefr_level"] = _("An intercultural lab has no CEFR level.")
    if kind in LANGUAGE_KINDS and not language:
        errors["language"] = _("Give the language taught.")
    elif kind == Course.Kind.FOREIGN_LANGUAGE and is_eu_language(language):
        errors["language"] = _(
            "This is an official language of the European Union: a foreign-language course of this "
            "programme teaches a non-EU language (for example Arabic, Chinese, Ukrainian, Albanian)."
        )
    elif kind == Course.Kind.ITALIAN_L2 and language:
        errors["language"] = _("An Italian L2 course teaches Italian: leave the language empty.")
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = _("The course cannot end before it starts.")
    if errors:
        raise ValidationError(errors)


COURSE_FIELDS = (
    "kind",
    "title",
    "cefr_level",
    "language",
    "teacher_name",
    "starts_on",
    "ends_on",
    "hours_planned",
    "capacity",
    "school_year",
)


@transaction.atomic
def create_course(*, school: Organisation, by: Any, **fields: Any) -> Course:
    _require_operator(by, school.pk)
    fields["language"] = normalise_language(fields.get("language", ""))
    check_course(
        kind=fields["kind"],
        cefr_level=fields.get("cefr_level", ""),
        language=fields["language"],
        starts_on=fields.get("starts_on"),
        ends_on=fields.get("ends_on"),
    )
    course = Course.objects.create(school=school, **{name: fields[name] for name in COURSE_FIELDS if name in fields})
    audit.record(by, "course.create", course, organisation=school)
    return course


@transaction.atomic
def update_course(*, course: Course, by: Any, **fields: Any) -> Course:
    _require_operator(by, course.school_id)
    course = Course.objects.select_for_update(of=("self",)).select_related("school").get(pk=course.pk)
    if "language" in fields:
        fields["language"] = normalise_language(fields["language"])
    values = {name: fields.get(name, getattr(course, name)) for name in COURSE_FIELDS}
    check_course(
        kind=values["kind"],
        cefr_level=values["cefr_level"],
        language=values["language"],
        starts_on=values["starts_on"],
        ends_on=values["ends_on"],
    )
    capacity = values["capacity"]
    if capacity is not None:
        enrolled = Enrolment.objects.filter(course=course, withdrawn_on__isnull=True).count()
        if capacity < enrolled:
            raise ValidationError(
                {
                    "capacity": _(
                        "%(enrolled)s students are enrolled: the capacity cannot be lower. Withdraw someone first."
                    )
                    % {"enrolled": enrolled}
                }
            )
    changed = sorted(name for name in COURSE_FIELDS if name in fields and getattr(course, name) != fields[name])
    for name in changed:
        setattr(course, name, fields[name])
    if changed:
        course.save(update_fields=changed)
        audit.record(by, "course.change", course, organisation=course.school, fields=changed)
    return course


def _session_times(
    course: Course, day: datetime.date, starts: datetime.time, ends: datetime.time
) -> tuple[datetime.datetime, datetime.datetime]:
    if ends <= starts:
        raise ValidationError({"ends": _("A session must end after it starts.")})
    if day < course.starts_on or day > course.ends_on:
        raise ValidationError(
            {
                "day": _("The course runs from %(start)s to %(end)s: choose a day in between.")
                % {"start": course.starts_on.strftime("%d/%m/%Y"), "end": course.ends_on.strftime("%d/%m/%Y")}
            }
        )
    zone = timezone.get_current_timezone()
    return (
        datetime.datetime.combine(day, starts, tzinfo=zone),
        datetime.datetime.combine(day, ends, tzinfo=zone),
    )


@transaction.atomic
def add_sessions(
    *,
    course: Course,
    day: datetime.date,
    starts: datetime.time,
    ends: datetime.time,
    by: Any,
    room: str = "",
    topic: str = "",
    weeks: int = 1,
) -> list[CourseSession]:
    """One session, or the same slot every week for `weeks` weeks while the course runs."""
    _require_operator(by, course.school_id)
    if weeks < 1:
        raise ValidationError({"weeks": _("Give at least one week.")})
    _session_times(course, day, starts, ends)
    sessions = []
    for week in range(weeks):
        when = day + datetime.timedelta(weeks=week)
        if when > course.ends_on:
            break
        starts_at, ends_at = _session_times(course, when, starts, ends)
        sessions.append(CourseSession(course=course, starts_at=starts_at, ends_at=ends_at, room=room, topic=topic))
    created = CourseSession.objects.bulk_create(sessions)
    audit.record(by, "coursesession.create", course, organisation=course.school, count=len(created))
    return created


@transaction.atomic
def update_session(
    *,
    session: CourseSession,
    day: datetime.date,
    starts: datetime.time,
    ends: datetime.time,
    by: Any,
    room: str = "",
    topic: str = "",
) -> CourseSession:
    course = session.course
    _require_operator(by, course.school_id)
    session.starts_at, session.ends_at = _session_times(course, day, starts, ends)
    session.room = room
    session.topic = topic
    session.save(update_fields=["starts_at", "ends_at", "room", "topic"])
    audit.record(by, "coursesession.change", session, organisation=course.school)
    return session


@transaction.atomic
def delete_session(*, session: CourseSession, by: Any) -> None:
    """A session can be removed until its register is taken: the register is a record of who came."""
    course = session.course
    _require_operator(by, course.school_id)
    if SessionAttendance.objects.filter(session=session).exists():
        raise ValidationError(_("The register of this session was taken: it cannot be removed."))
    audit.record(by, "coursesession.delete", session, organisation=course.school)
    session.delete()


# --- enrolment --------------------------------------------------------------------------------


class CourseFull(ValidationError):
    """The course has no free place left."""


def students_to_enrol(course: Course) -> QuerySet[Student]:
    """Students of the course's school still at school and not enrolled in it now, with
    `has_school_consent` so that the form can say who cannot be enrolled yet, and why."""
    consent = Consent.objects.in_force().filter(person=OuterRef("person"), purpose=Consent.Purpose.SCHOOL_SUPPORT)
    enrolled = Enrolment.objects.filter(course=course, student=OuterRef("pk"), withdrawn_on__isnull=True)
    return (
        Student.objects.filter(school_id=course.school_id, left_on__isnull=True)
        .exclude(Exists(enrolled))
        .select_related("person", "school_class")
        .annotate(has_school_consent=Exists(consent))
        .order_by("person__family_names_latin", "person__given_names_latin", "pk")
    )


@transaction.atomic
def enrol_student(*, course: Course, student: Student, by: Any, on: datetime.date | None = None) -> Enrolment:
    """Enrol a student of the same school, with the guardians' consent to school support, while
    places are left. Re-enrolling a withdrawn student takes their row back (their register stays)."""
    _require_operator(by, course.school_id)
    if student.school_id != course.school_id:
        raise ValidationError(_("Only students of the course's school can be enrolled."))
    if student.left_on is not None:
        raise ValidationError(_("This student has left the school."))
    require_consent(student.person, Consent.Purpose.SCHOOL_SUPPORT)
    # Lock the course row: two enrolments for the last place must not both see it free.
    course = Course.objects.select_for_update(of=("self",)).select_related("school").get(pk=course.pk)
    existing = Enrolment.objects.filter(course=course, student=student).first()
    if existing is not None and existing.withdrawn_on is None:
        raise ValidationError(_("This student is already enrolled in the course."))
    if course.capacity is not None:
        taken = Enrolment.objects.filter(course=course, withdrawn_on__isnull=True).count()
        if taken >= course.capacity:
            raise CourseFull(
                _("The course is full: all %(capacity)s places are taken. Withdraw someone or raise the capacity.")
                % {"capacity": course.capacity}
            )
    on = on or timezone.localdate()
    if existing is not None:
        existing.enrolled_on = on
        existing.withdrawn_on = None
        existing.save(update_fields=["enrolled_on", "withdrawn_on"])
        enrolment = existing
    else:
        enrolment = Enrolment.objects.create(course=course, student=student, enrolled_on=on)
    audit.record(by, "enrolment.create", enrolment, organisation=course.school, student=student.pk)
    return enrolment


@transaction.atomic
def withdraw_enrolment(*, enrolment: Enrolment, by: Any, on: datetime.date | None = None) -> Enrolment:
    """The student leaves the course; the register already taken stays (it counts their hours)."""
    _require_operator(by, enrolment.course.school_id)
    enrolment = Enrolment.objects.select_for_update().select_related("course").get(pk=enrolment.pk)
    if enrolment.withdrawn_on is not None:
        raise ValidationError(_("This student has already withdrawn from the course."))
    on = on or timezone.localdate()
    enrolment.withdrawn_on = max(on, enrolment.enrolled_on)
    enrolment.save(update_fields=["withdrawn_on"])
    audit.record(by, "enrolment.withdraw", enrolment, organisation=enrolment.course.school)
    return enrolment


# --- attendance register ----------------------------------------------------------------------


def register_enrolments(session: CourseSession) -> QuerySet[Enrolment]:
    """Whom the register of a session lists: those enrolled on its day and not yet withdrawn,
    plus anyone already marked in it (a later withdrawal does not erase a register)."""
    day = timezone.localdate(session.starts_at)
    marked = SessionAttendance.objects.filter(session=session, enrolment=OuterRef("pk"))
    active = Q(enrolled_on__lte=day) & (Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=day))
    return (
        Enrolment.objects.filter(course_id=session.course_id)
        .filter(active | Q(Exists(marked)))
        .select_related("student__person", "student__school_class")
        .order_by("student__person__family_names_latin", "student__person__given_names_latin", "pk")
    )


@transaction.atomic
def record_attendance(*, session: CourseSession, marks: Mapping[int, bool], by: Any) -> int:
    """Save a session's register in one statement: `marks` maps enrolment ids to present/absent.
    Saving again changes the marks (the register stays editable). Returns the number of marks."""
    if not can_take_attendance(by, session.course.school_id):
        raise PermissionDenied(_("Only the school's staff take the register of its courses."))
    if session.starts_at > timezone.now():
        raise ValidationError(_("This session has not started yet: take the register on the day."))
    allowed = set(register_enrolments(session).values_list("pk", flat=True))
    unknown = set(marks) - allowed
    if unknown:
        raise ValidationError(_("The register lists only the students enrolled in the course on the session's day."))
    rows = [SessionAttendance(session=session, enrolment_id=pk, present=present) for pk, present in marks.items()]
    SessionAttendance.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["session", "enrolment"], update_fields=["present"]
    )
    audit.record(
        by,
        "coursesession.register",
        session,
        organisation=session.course.school,
        count=len(rows),
        present=sum(1 for present in marks.values() if present),
    )
    return len(rows)


def present_ids(session: CourseSession) -> set[int]:
    return set(SessionAttendance.objects.filter(session=session, present=True).values_list("enrolment_id", flat=True))


# --- certificate of attendance ----------------------------------------------------------------


@dataclass(frozen=True)
class CertificateCheck:
    hours_attended: Decimal
    hours_planned: int
    share: int | None  # percent of the planned hours
    eligible: bool
    reason: str  # why not, in words, when not eligible


def certificate_check(enrolment: Enrolment) -> CertificateCheck:
    """Whether the student attended enough of the course (CERTIFICATE_MIN_SHARE of the planned hours)."""
    hours_attended = getattr(enrolment, "hours_attended", None)
    if hours_attended is None:
        hours_attended = with_attendance(Enrolment.objects.filter(pk=enrolment.pk)).get().hours_attended  # type: ignore[attr-defined]
    planned = enrolment.course.hours_planned
    share = percent(hours_attended, planned)
    needed = percent(CERTIFICATE_MIN_SHARE, 1) or 0
    if planned and Decimal(hours_attended) >= CERTIFICATE_MIN_SHARE * planned:
        return CertificateCheck(hours_attended, planned, share, True, "")
    reason = _(
        "The student attended %(attended)s of the %(planned)s planned hours (%(share)s%%): a certificate "
        "needs at least %(needed)s%%."
    ) % {"attended": hours_attended, "planned": planned, "share": share or 0, "needed": needed}
    return CertificateCheck(hours_attended, planned, share, False, reason)


def certificate_languages(extra: Iterable[str] = ()) -> list[str]:
    languages = [CERTIFICATE_LANGUAGE]
    languages += [code for code in extra if code in CERTIFICATE_SECOND_LANGUAGES and code not in languages]
    return languages


def render_certificate_document(enrolment: Enrolment, check: CertificateCheck, *, languages: list[str]) -> str:
    """The print document: the Italian certificate, then the same in each other language asked for."""
    course = enrolment.course
    student = enrolment.student
    person: Person = student.person
    context = {
        "enrolment": enrolment,
        "course": course,
        "student": student,
        "person": person,
        "school": course.school,
        "check": check,
        "last_day": min(enrolment.withdrawn_on or course.ends_on, course.ends_on),
        "today": timezone.localdate(),
        "REGION_NAME": settings.REGION_NAME,
    }
    parts = []
    for language in languages:
        with translation.override(language):
            part_context = {**context, "language_label": language_label(course.language)}
            parts.append(
                {
                    "language": language,
                    "direction": text_direction(language),
                    "html": render_to_string("schools/courses/_certificate_part.html", part_context),
                }
            )
    with translation.override(CERTIFICATE_LANGUAGE):
        return render_to_string("schools/courses/certificate_document.html", {**context, "parts": parts})


def certificate_pdf(*, enrolment: Enrolment, by: Any, languages: list[str]) -> bytes:
    """The certificate of attendance (PDF/UA), only when the student attended enough; audited."""
    if not can_take_attendance(by, enrolment.course.school_id):
        raise PermissionDenied
    check = certificate_check(enrolment)
    if not check.eligible:
        raise ValidationError(check.reason)
    pdf = html_to_pdf(render_certificate_document(enrolment, check, languages=languages))
    audit.record(
        by,
        "enrolment.certificate",
        enrolment,
        organisation=enrolment.course.school,
        student=enrolment.student_id,
        languages=languages,
    )
    return pdf
