"""The course pages by role and organisation: operators of Potenza manage Potenza's courses only;
staff of a school see its courses and take the register; everyone else gets 403 or 404. Lists run
a fixed number of queries; reads of enrolled students are audited."""

from __future__ import annotations

import datetime
import subprocess

import pytest
from django.urls import reverse
from django.utils import timezone

from aipim.core.models import AuditEvent, Consent
from schools.models import Course, CourseSession, Enrolment, SessionAttendance, Student
from schools.services import courses as service
from tests.factories import PersonFactory
from tests.personas import PERSONAS

pytestmark = pytest.mark.django_db

SEES_POTENZA = {"operator_school_potenza"}
MATRIX = [(persona, persona in SEES_POTENZA) for persona in PERSONAS]
# Staff of another school hold a school role: they reach the pages, but not Potenza's records (404).
OTHER_SCHOOL = {"staff_school_matera"}


def other_student(school, **fields) -> Student:
    person = PersonFactory()
    return Student.objects.create(
        person=person, school=school, register_id=f"X{person.pk}", enrolled_on=datetime.date(2025, 9, 1), **fields
    )


def assert_refused(response, persona):
    expected = 404 if persona in OTHER_SCHOOL else 403
    assert response.status_code == expected, (persona, response.status_code)


# --- role × organisation ----------------------------------------------------------------------


@pytest.mark.parametrize(("persona", "allowed"), MATRIX)
def test_course_page_by_role_and_organisation(request, client_for, course_potenza, enrolment_potenza, persona, allowed):
    user = request.getfixturevalue(persona)
    response = client_for(user).get(reverse("schools:course_detail", args=[course_potenza.pk]))
    if allowed:
        assert response.status_code == 200
        assert "Amina Haddad" in response.content.decode()
        event = AuditEvent.objects.get(action="course.view", user=user)
        assert event.object_id == str(course_potenza.pk)
        assert event.details == {"count": 1}
    else:
        assert_refused(response, persona)
        assert not AuditEvent.objects.filter(action="course.view").exists()


@pytest.mark.parametrize(("persona", "allowed"), MATRIX)
def test_register_page_by_role_and_organisation(
    request, client_for, course_potenza, enrolment_potenza, make_session, persona, allowed
):
    session = make_session(course_potenza)
    user = request.getfixturevalue(persona)
    client = client_for(user)
    url = reverse("schools:course_register", args=[session.pk])
    page = client.get(url)
    saved = client.post(url, {f"present_{enrolment_potenza.pk}": "on"})
    if allowed:
        assert page.status_code == 200
        assert "Amina Haddad" in page.content.decode()
        assert saved.status_code == 302
        assert SessionAttendance.objects.get().present is True
        assert AuditEvent.objects.filter(action="coursesession.view_register", user=user).exists()
    else:
        assert_refused(page, persona)
        assert_refused(saved, persona)
        assert not SessionAttendance.objects.exists()


@pytest.mark.parametrize(("persona", "allowed"), MATRIX)
def test_certificate_by_role_and_organisation(
    request, client_for, course_potenza, enrolment_potenza, make_session, persona, allowed
):
    session = make_session(course_potenza, hours=8)
    SessionAttendance.objects.create(session=session, enrolment=enrolment_potenza, present=True)
    user = request.getfixturevalue(persona)
    response = client_for(user).get(reverse("schools:enrolment_certificate", args=[enrolment_potenza.pk]))
    if allowed:
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
    else:
        assert_refused(response, persona)
        assert not AuditEvent.objects.filter(action="enrolment.certificate").exists()


@pytest.mark.parametrize(("persona", "allowed"), MATRIX)
def test_student_courses_page_by_role_and_organisation(
    request, client_for, course_potenza, enrolment_potenza, persona, allowed
):
    user = request.getfixturevalue(persona)
    response = client_for(user).get(reverse("schools:student_courses", args=[enrolment_potenza.student_id]))
    if allowed:
        assert response.status_code == 200
        assert "Italiano per comunicare" in response.content.decode()
        assert AuditEvent.objects.filter(action="student.courses", user=user).exists()
    else:
        assert_refused(response, persona)


@pytest.mark.parametrize("persona", PERSONAS)
def test_course_list_shows_only_the_users_schools(request, client_for, course_potenza, course_matera, persona):
    user = request.getfixturevalue(persona)
    response = client_for(user).get(reverse("schools:course_list"))
    if persona == "operator_school_potenza":
        content = response.content.decode()
        assert "Italiano per comunicare" in content
        assert "Lingua tigrina" not in content
    elif persona == "staff_school_matera":
        content = response.content.decode()
        assert "Lingua tigrina" in content
        assert "Italiano per comunicare" not in content
    else:
        assert response.status_code == 403


CHANGES = [
    ("schools:course_edit", {"title": "X"}),
    ("schools:course_enrol", {}),
    ("schools:course_session_add", {}),
]


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p not in SEES_POTENZA])
@pytest.mark.parametrize(("url_name", "data"), CHANGES)
def test_nobody_else_changes_potenzas_course(request, client_for, course_potenza, persona, url_name, data):
    user = request.getfixturevalue(persona)
    response = client_for(user).post(reverse(url_name, args=[course_potenza.pk]), data)
    # Staff of Matera hold no operator role: refused before the course is looked up.
    assert response.status_code == 403
    course_potenza.refresh_from_db()
    assert course_potenza.title == "Italiano per comunicare"


def test_operator_of_another_school_gets_404(client_for, course_potenza, operator_school_matera):
    client = client_for(operator_school_matera)
    assert client.get(reverse("schools:course_detail", args=[course_potenza.pk])).status_code == 404
    assert client.get(reverse("schools:course_edit", args=[course_potenza.pk])).status_code == 404
    assert client.post(reverse("schools:course_enrol", args=[course_potenza.pk]), {}).status_code == 404


def test_staff_of_the_school_see_and_take_the_register_but_do_not_manage(
    client_for, course_potenza, enrolment_potenza, make_session, staff_school_potenza
):
    session = make_session(course_potenza)
    client = client_for(staff_school_potenza)
    page = client.get(reverse("schools:course_detail", args=[course_potenza.pk]))
    assert page.status_code == 200
    assert "Enrol a student" not in page.content.decode()
    assert "Take the register" in page.content.decode()
    response = client.post(
        reverse("schools:course_register", args=[session.pk]), {f"present_{enrolment_potenza.pk}": "on"}
    )
    assert response.status_code == 302
    assert client.get(reverse("schools:course_edit", args=[course_potenza.pk])).status_code == 403
    assert client.post(reverse("schools:enrolment_withdraw", args=[enrolment_potenza.pk])).status_code == 403
    enrolment_potenza.refresh_from_db()
    assert enrolment_potenza.withdrawn_on is None


# --- create, edit, sessions -------------------------------------------------------------------


def test_operator_creates_a_course_and_adds_weekly_sessions(
    client_for, operator_school_potenza, school_potenza, school_year
):
    client = client_for(operator_school_potenza)
    assert client.get(reverse("schools:course_add")).status_code == 200
    today = timezone.localdate()
    response = client.post(
        reverse("schools:course_add"),
        {
            "school": school_potenza.pk,
            "school_year": school_year.pk,
            "kind": "foreign_language",
            "title": "Arabo per tutti",
            "language": "AR",
            "teacher_name": "Samira B.",
            "starts_on": today.isoformat(),
            "ends_on": (today + datetime.timedelta(days=60)).isoformat(),
            "hours_planned": 20,
            "capacity": "",
        },
    )
    course = Course.objects.get()
    assert response.status_code == 302
    assert (course.language, course.capacity) == ("ar", None)
    response = client.post(
        reverse("schools:course_session_add", args=[course.pk]),
        {"day": today.isoformat(), "starts": "15:00", "ends": "17:00", "room": "Aula 3", "topic": "", "weeks": 4},
    )
    assert response.status_code == 302
    assert CourseSession.objects.filter(course=course).count() == 4


def test_the_form_refuses_an_eu_language_with_the_reason(
    client_for, operator_school_potenza, school_potenza, school_year
):
    today = timezone.localdate()
    response = client_for(operator_school_potenza).post(
        reverse("schools:course_add"),
        {
            "school": school_potenza.pk,
            "school_year": school_year.pk,
            "kind": "foreign_language",
            "title": "English",
            "language": "en",
            "teacher_name": "T",
            "starts_on": today.isoformat(),
            "ends_on": today.isoformat(),
            "hours_planned": 20,
        },
    )
    assert response.status_code == 400
    assert "official language of the European Union" in response.content.decode()
    assert not Course.objects.exists()


def test_operator_cannot_create_a_course_for_another_school(
    client_for, operator_school_potenza, school_matera, school_year
):
    today = timezone.localdate()
    response = client_for(operator_school_potenza).post(
        reverse("schools:course_add"),
        {
            "school": school_matera.pk,
            "school_year": school_year.pk,
            "kind": "intercultural_lab",
            "title": "Lab",
            "teacher_name": "T",
            "starts_on": today.isoformat(),
            "ends_on": today.isoformat(),
            "hours_planned": 5,
        },
    )
    assert response.status_code == 400
    assert not Course.objects.exists()


def test_operator_edits_the_course(client_for, operator_school_potenza, course_potenza):
    client = client_for(operator_school_potenza)
    url = reverse("schools:course_edit", args=[course_potenza.pk])
    assert client.get(url).status_code == 200
    data = {
        "school_year": course_potenza.school_year_id,
        "kind": "italian_l2",
        "title": "Italiano B1",
        "cefr_level": "B1",
        "language": "",
        "teacher_name": "Maria Rossi",
        "starts_on": course_potenza.starts_on.isoformat(),
        "ends_on": course_potenza.ends_on.isoformat(),
        "hours_planned": 12,
        "capacity": 2,
    }
    assert client.post(url, data).status_code == 302
    course_potenza.refresh_from_db()
    assert (course_potenza.title, course_potenza.cefr_level, course_potenza.hours_planned) == ("Italiano B1", "B1", 12)


def test_session_edit_and_removal(client_for, operator_school_potenza, course_potenza, make_session):
    session = make_session(course_potenza, days_ago=2)
    client = client_for(operator_school_potenza)
    url = reverse("schools:course_session_edit", args=[session.pk])
    assert client.get(url).status_code == 200
    day = timezone.localdate(session.starts_at).isoformat()
    assert (
        client.post(url, {"day": day, "starts": "16:00", "ends": "18:30", "room": "B", "topic": "Verbs"}).status_code
        == 302
    )
    session.refresh_from_db()
    assert session.hours == 2.5
    assert client.post(url, {"delete": "1"}).status_code == 302
    assert not CourseSession.objects.exists()


# --- enrolment --------------------------------------------------------------------------------


def test_enrolment_through_the_course_page(client_for, operator_school_potenza, course_potenza, student_potenza):
    client = client_for(operator_school_potenza)
    page = client.get(reverse("schools:course_detail", args=[course_potenza.pk]))
    assert "Amina Haddad" in page.content.decode()  # offered in the enrolment form
    response = client.post(reverse("schools:course_enrol", args=[course_potenza.pk]), {"student": student_potenza.pk})
    assert response.status_code == 302
    assert Enrolment.objects.get().student == student_potenza


def test_the_form_says_why_a_student_without_consent_cannot_be_enrolled(
    client_for, operator_school_potenza, course_potenza, school_potenza
):
    student = other_student(school_potenza)
    client = client_for(operator_school_potenza)
    page = client.get(reverse("schools:course_detail", args=[course_potenza.pk]))
    assert "no consent to school support" in page.content.decode()
    response = client.post(reverse("schools:course_enrol", args=[course_potenza.pk]), {"student": student.pk})
    assert response.status_code == 400
    content = response.content.decode()
    assert "This needs the person&#x27;s consent to: School help-desk support." in content
    assert "record their consent on the student" in content
    assert not Enrolment.objects.exists()


def test_a_full_course_says_so(client_for, operator_school_potenza, course_potenza, student_potenza, school_potenza):
    client = client_for(operator_school_potenza)
    first = other_student(school_potenza)
    Enrolment.objects.create(course=course_potenza, student=first)
    second = other_student(school_potenza)
    Consent.objects.create(
        person=second.person,
        purpose=Consent.Purpose.SCHOOL_SUPPORT,
        organisation=school_potenza,
        evidence="signed form",
        recorded_by=operator_school_potenza,
    )
    Enrolment.objects.create(course=course_potenza, student=second)
    page = client.get(reverse("schools:course_detail", args=[course_potenza.pk]))
    assert "The course is full" in page.content.decode()
    response = client.post(reverse("schools:course_enrol", args=[course_potenza.pk]), {"student": student_potenza.pk})
    assert response.status_code == 400
    assert "The course is full: all 2 places are taken" in response.content.decode()


def test_a_student_of_another_school_is_not_offered(
    client_for, operator_school_potenza, course_potenza, student_matera
):
    response = client_for(operator_school_potenza).post(
        reverse("schools:course_enrol", args=[course_potenza.pk]), {"student": student_matera.pk}
    )
    assert response.status_code == 400
    assert not Enrolment.objects.exists()


def test_withdrawal(client_for, operator_school_potenza, enrolment_potenza):
    response = client_for(operator_school_potenza).post(
        reverse("schools:enrolment_withdraw", args=[enrolment_potenza.pk])
    )
    assert response.status_code == 302
    enrolment_potenza.refresh_from_db()
    assert enrolment_potenza.withdrawn_on == timezone.localdate()
    assert AuditEvent.objects.filter(action="enrolment.withdraw").exists()


# --- register ---------------------------------------------------------------------------------


def test_register_grid_is_saved_in_one_post_and_can_be_edited(
    client_for, staff_school_potenza, course_potenza, enrolment_potenza, make_session, school_potenza
):
    other = Enrolment.objects.create(
        course=course_potenza, student=other_student(school_potenza), enrolled_on=course_potenza.starts_on
    )
    session = make_session(course_potenza)
    client = client_for(staff_school_potenza)
    url = reverse("schools:course_register", args=[session.pk])
    assert client.post(url, {f"present_{enrolment_potenza.pk}": "on"}).status_code == 302
    assert dict(SessionAttendance.objects.values_list("enrolment_id", "present")) == {
        enrolment_potenza.pk: True,
        other.pk: False,
    }
    page = client.get(url).content.decode()
    assert f'name="present_{enrolment_potenza.pk}" id="id_present_{enrolment_potenza.pk}" checked' in page
    assert client.post(url, {f"present_{other.pk}": "on"}).status_code == 302
    assert dict(SessionAttendance.objects.values_list("enrolment_id", "present")) == {
        enrolment_potenza.pk: False,
        other.pk: True,
    }


def test_register_of_a_future_session_is_not_offered(client_for, staff_school_potenza, course_potenza, make_session):
    session = make_session(course_potenza, days_ago=-3)
    response = client_for(staff_school_potenza).get(reverse("schools:course_register", args=[session.pk]))
    assert "has not started yet" in response.content.decode()


def test_course_page_shows_hours_attended_and_rate(
    client_for, operator_school_potenza, course_potenza, enrolment_potenza, make_session
):
    for days_ago, present in ((5, True), (3, False)):
        session = make_session(course_potenza, days_ago=days_ago, hours=2)
        SessionAttendance.objects.create(session=session, enrolment=enrolment_potenza, present=present)
    content = (
        client_for(operator_school_potenza)
        .get(reverse("schools:course_detail", args=[course_potenza.pk]))
        .content.decode()
    )
    assert "2.00 / 10" in content
    assert "50%" in content
    assert "1 of 2 sessions" in content
    assert "attended 2.00 of the 10 planned hours (20%)" in content


# --- certificate ------------------------------------------------------------------------------


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "certificate.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout


def test_certificate_pdf_names_the_student_and_the_hours(
    client_for, operator_school_potenza, course_potenza, enrolment_potenza, make_session, tmp_path
):
    for days_ago, hours in ((6, 4), (4, 3.5)):
        session = make_session(course_potenza, days_ago=days_ago, hours=hours)
        SessionAttendance.objects.create(session=session, enrolment=enrolment_potenza, present=True)
    response = client_for(operator_school_potenza).get(
        reverse("schools:enrolment_certificate", args=[enrolment_potenza.pk]) + "?language=en"
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="certificate-{course_potenza.pk}-{enrolment_potenza.pk}-it-en.pdf"'
    )
    text = " ".join(pdf_text(response.content, tmp_path).split())
    assert "Amina Haddad" in text
    assert "7.50" in text or "7,50" in text
    assert "Certificate of attendance" in text
    assert "IC Potenza" in text
    assert "A2" in text
    event = AuditEvent.objects.get(action="enrolment.certificate")
    assert event.object_id == str(enrolment_potenza.pk)
    assert event.details == {"student": enrolment_potenza.student_id, "languages": ["it", "en"]}


def test_no_certificate_below_the_threshold_and_the_reason_is_shown(
    client_for, operator_school_potenza, course_potenza, enrolment_potenza, make_session
):
    session = make_session(course_potenza, hours=3)
    SessionAttendance.objects.create(session=session, enrolment=enrolment_potenza, present=True)
    client = client_for(operator_school_potenza)
    response = client.get(reverse("schools:enrolment_certificate", args=[enrolment_potenza.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("schools:course_detail", args=[course_potenza.pk])
    assert "attended 3.00 of the 10 planned hours (30%): a certificate needs at least 70%" in response.content.decode()
    assert not AuditEvent.objects.filter(action="enrolment.certificate").exists()


# --- fixed queries ----------------------------------------------------------------------------


def build_courses(make_course, school, count, make_session):
    for index in range(count):
        course = make_course(school, title=f"Corso {index}", capacity=None)
        student = other_student(school)
        enrolment = Enrolment.objects.create(course=course, student=student, enrolled_on=course.starts_on)
        session = make_session(course)
        SessionAttendance.objects.create(session=session, enrolment=enrolment, present=bool(index % 2))


def test_course_list_runs_a_fixed_number_of_queries(
    client_for, operator_school_potenza, school_potenza, make_course, make_session, django_assert_max_num_queries
):
    client = client_for(operator_school_potenza)
    build_courses(make_course, school_potenza, 2, make_session)
    with django_assert_max_num_queries(18) as few:
        assert client.get(reverse("schools:course_list")).status_code == 200
    build_courses(make_course, school_potenza, 20, make_session)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("schools:course_list"))
    assert "Corso 19" in response.content.decode()
    course = response.context["page"].object_list[0]
    assert (course.enrolled, course.sessions_count) == (1, 1)


def test_course_page_runs_a_fixed_number_of_queries(
    client_for, operator_school_potenza, course_potenza, make_session, school_potenza, django_assert_max_num_queries
):
    course_potenza.capacity = None
    course_potenza.save()

    def grow(count):
        for _ in range(count):
            enrolment = Enrolment.objects.create(
                course=course_potenza, student=other_student(school_potenza), enrolled_on=course_potenza.starts_on
            )
            session = make_session(course_potenza)
            SessionAttendance.objects.create(session=session, enrolment=enrolment, present=True)

    client = client_for(operator_school_potenza)
    url = reverse("schools:course_detail", args=[course_potenza.pk])
    grow(2)
    with django_assert_max_num_queries(16) as few:
        assert client.get(url).status_code == 200
    grow(15)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_register_page_runs_a_fixed_number_of_queries(
    client_for, staff_school_potenza, course_potenza, make_session, school_potenza, django_assert_max_num_queries
):
    course_potenza.capacity = None
    course_potenza.save()
    session = make_session(course_potenza)
    client = client_for(staff_school_potenza)
    url = reverse("schools:course_register", args=[session.pk])

    def grow(count):
        for _ in range(count):
            Enrolment.objects.create(
                course=course_potenza, student=other_student(school_potenza), enrolled_on=course_potenza.starts_on
            )

    grow(2)
    with django_assert_max_num_queries(14) as few:
        assert client.get(url).status_code == 200
    grow(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200
    marks = {f"present_{pk}": "on" for pk in Enrolment.objects.values_list("pk", flat=True)}
    with django_assert_max_num_queries(len(few.captured_queries) + 4):
        assert client.post(url, marks).status_code == 302
    assert SessionAttendance.objects.filter(present=True).count() == 22


# --- the student page's part ------------------------------------------------------------------


def test_student_page_part_lists_enrolments_with_hours(
    rf, course_potenza, enrolment_potenza, make_session, operator_school_potenza
):
    from django.template.loader import render_to_string

    session = make_session(course_potenza, hours=2)
    SessionAttendance.objects.create(session=session, enrolment=enrolment_potenza, present=True)
    student = enrolment_potenza.student
    with_hours = render_to_string(
        "schools/students/_courses.html",
        {"student": student, "course_enrolments": service.student_enrolments(student)},
    )
    assert "Italiano per comunicare" in with_hours
    assert "2.00 / 10" in with_hours
    assert "100%" in with_hours


def test_the_student_page_shows_the_courses_part(client_for, operator_school_potenza, enrolment_potenza):
    response = client_for(operator_school_potenza).get(
        reverse("schools:student_detail", args=[enrolment_potenza.student_id])
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert 'id="student-courses-heading"' in content
    assert "Italiano per comunicare" in content
    assert "/ 10" in content  # the hours attended of the planned ten


def test_course_list_totals_match_its_rows(
    client_for, operator_school_potenza, school_potenza, make_course, make_session
):
    build_courses(make_course, school_potenza, 4, make_session)
    make_course(school_potenza, title="Laboratorio", kind="intercultural_lab", cefr_level="")
    response = client_for(operator_school_potenza).get(reverse("schools:course_list"))
    rows = list(response.context["page"].object_list)
    totals = response.context["totals"]
    assert totals.courses == len(rows) == 5
    assert totals.enrolled == sum(row.enrolled for row in rows) == 4
    assert totals.sessions == sum(row.sessions_count for row in rows) == 4
    assert totals.hours_scheduled == sum(row.hours_scheduled for row in rows)
    assert (totals.marks, totals.marks_present) == (4, 2)
    assert totals.attendance_rate == 50
    assert totals.student_hours == 4  # two students present at a 2-hour session
    only_labs = client_for(operator_school_potenza).get(reverse("schools:course_list"), {"kind": "intercultural_lab"})
    assert only_labs.context["totals"].courses == 1
    assert only_labs.context["totals"].enrolled == 0
