"""The schools read API: every persona inside and outside the school, the audit trail of reads, what
is never exposed (sensitive notes, names in lists), filters, client mistakes and a fixed number of
queries."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from aipim.core.models import AuditEvent
from schools.models import Course, RiskSignal, Student
from tests.personas import PERSONAS

# IC Potenza's records are read by its operator and no one else (Matera's staff read Matera's only;
# administrators manage accounts, not pupils).
SEES_POTENZA = {"operator_school_potenza"}
MATRIX = [(persona, persona in SEES_POTENZA) for persona in PERSONAS]


def make_course(school, school_year, **fields):
    values = {
        "kind": Course.Kind.ITALIAN_L2,
        "cefr_level": "A1",
        "title": "Italiano A1",
        "teacher_name": "Rossi",
        "starts_on": school_year.starts_on,
        "ends_on": school_year.ends_on,
        "hours_planned": 30,
        "school_year": school_year,
        **fields,
    }
    return Course.objects.create(school=school, **values)


def make_signal(student, level="high", **fields):
    return RiskSignal.objects.create(
        student=student,
        level=level,
        score=5,
        previous_level="none",
        indicators=[
            {
                "code": "attendance_30",
                "label": "Attendance in the last 30 days",
                "value": 0.7,
                "threshold": 0.9,
                "triggered": True,
                "points": 2,
            }
        ],
        **fields,
    )


@pytest.fixture
def records(student_potenza, student_matera, school_potenza, school_matera, school_year):
    return {
        "potenza": {
            "student": student_potenza,
            "course": make_course(school_potenza, school_year),
            "signal": make_signal(student_potenza),
        },
        "matera": {
            "student": student_matera,
            "course": make_course(school_matera, school_year, title="Tigrinya"),
            "signal": make_signal(student_matera, level="low"),
        },
    }


def _endpoints(objects) -> list[tuple[str, str, str, int]]:
    """(list url, detail url, audit noun, the object's id) for one school's student, course and signal."""
    return [
        (
            reverse("schools-student-list"),
            reverse("schools-student-detail", args=[objects["student"].pk]),
            "student",
            objects["student"].pk,
        ),
        (
            reverse("schools-course-list"),
            reverse("schools-course-detail", args=[objects["course"].pk]),
            "course",
            objects["course"].pk,
        ),
        (
            reverse("schools-risksignal-list"),
            reverse("schools-risksignal-detail", args=[objects["signal"].pk]),
            "risksignal",
            objects["signal"].pk,
        ),
    ]


@pytest.mark.parametrize(("persona", "allowed"), MATRIX)
def test_lists_by_role_and_organisation(request, client_for, records, persona, allowed):
    user = request.getfixturevalue(persona)
    client = client_for(user)
    potenza, matera = _endpoints(records["potenza"]), _endpoints(records["matera"])
    for (list_url, _d, noun, pk), (_l, _dm, _n, matera_pk) in zip(potenza, matera, strict=True):
        response = client.get(list_url)
        assert response.status_code == 200, list_url
        rows = response.json()["results"]
        ids = {row["id"] for row in rows}
        assert (pk in ids) is allowed, list_url
        assert (matera_pk in ids) is (persona == "staff_school_matera"), list_url
        event = AuditEvent.objects.get(user=user, action=f"{noun}.list")
        assert event.details == {"count": len(rows), "via": "api"}


@pytest.mark.parametrize(("persona", "allowed"), MATRIX)
def test_details_by_role_and_organisation(request, client_for, records, persona, allowed):
    user = request.getfixturevalue(persona)
    client = client_for(user)
    for _list, detail_url, noun, pk in _endpoints(records["potenza"]):
        response = client.get(detail_url)
        viewed = AuditEvent.objects.filter(user=user, action=f"{noun}.view", object_id=str(pk))
        if allowed:
            assert response.status_code == 200, detail_url
            assert viewed.get().details == {"via": "api"}
        else:
            assert response.status_code == 404, detail_url
            assert "Haddad" not in response.content.decode()
            assert not viewed.exists()


def test_another_schools_ids_answer_404(client_for, staff_school_matera, records):
    """Matera's staff reads Matera's records and gets 404 for each of Potenza's."""
    client = client_for(staff_school_matera)
    for _list, detail_url, _noun, _pk in _endpoints(records["matera"]):
        assert client.get(detail_url).status_code == 200, detail_url
    for _list, detail_url, _noun, _pk in _endpoints(records["potenza"]):
        assert client.get(detail_url).status_code == 404, detail_url


def test_anonymous_callers_get_nothing(client, records):
    for list_url, detail_url, _noun, _pk in _endpoints(records["potenza"]):
        assert client.get(list_url).status_code in (401, 403)
        assert client.get(detail_url).status_code in (401, 403)


def test_a_list_names_no_one_and_never_carries_the_sensitive_notes(client_for, operator_school_potenza, records):
    client = client_for(operator_school_potenza)
    student = records["potenza"]["student"]
    [row] = client.get(reverse("schools-student-list")).json()["results"]
    assert row["person"] == {"public_id": str(student.person.public_id)}
    assert "Haddad" not in str(row) and "sensitive_notes" not in row
    detail = client.get(reverse("schools-student-detail", args=[student.pk])).json()
    assert detail["person"]["family_names"] == "Haddad" and detail["person"]["citizenship"] == "MA"
    assert detail["school"] == "ICPZ" and detail["school_class"] == "2B" and detail["is_newly_arrived"] is True
    assert detail["referent"] == operator_school_potenza.email and "sensitive_notes" not in detail
    bodies = [
        client.get(url).content.decode()
        for url in (reverse("schools-student-list"), reverse("schools-student-detail", args=[student.pk]))
    ]
    assert all("residence permit" not in body for body in bodies)


def test_course_and_signal_fields(client_for, operator_school_potenza, records, school_year):
    client = client_for(operator_school_potenza)
    course = client.get(reverse("schools-course-detail", args=[records["potenza"]["course"].pk])).json()
    assert course["school"] == "ICPZ" and course["school_year"] == school_year.name and course["cefr_level"] == "A1"
    signal = client.get(reverse("schools-risksignal-detail", args=[records["potenza"]["signal"].pk])).json()
    assert signal["student"] == records["potenza"]["student"].pk and signal["risk_level"] == "high"
    assert signal["indicators"][0]["code"] == "attendance_30" and signal["indicators"][0]["triggered"] is True


def test_filters(client_for, operator_school_potenza, records, make_student, school_potenza, school_year):
    client = client_for(operator_school_potenza)
    student = records["potenza"]["student"]
    settled = make_student(school_potenza, arrived_in_italy_on=datetime.date(2015, 1, 1))
    left = make_student(school_potenza)
    Student.objects.filter(pk=left.pk).update(left_on=timezone.localdate(), leaving_reason="moved")
    Student.objects.filter(pk=student.pk).update(risk_level="high")
    url = reverse("schools-student-list")

    def ids(query):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 200, query
        return {row["id"] for row in response.json()["results"]}

    assert ids("newly_arrived=true") == {student.pk}
    assert ids("newly_arrived=false") == {settled.pk, left.pk}
    assert ids("has_left=true") == {left.pk}
    assert ids("risk_level=high") == {student.pk}
    assert ids("school=ICPZ") == {student.pk, settled.pk, left.pk}
    assert ids("school=ICMT") == set()
    make_course(school_potenza, school_year, kind=Course.Kind.INTERCULTURAL_LAB, cefr_level="", title="Lab")
    courses = client.get(f"{reverse('schools-course-list')}?kind=intercultural_lab").json()["results"]
    assert [c["title"] for c in courses] == ["Lab"]
    assert client.get(f"{reverse('schools-course-list')}?school_year={school_year.name}").json()["count"] == 2
    make_signal(student, level="low", computed_at=timezone.now() - datetime.timedelta(days=40))
    signals = reverse("schools-risksignal-list")
    assert client.get(f"{signals}?student={student.pk}").json()["count"] == 2
    assert client.get(f"{signals}?risk_level=low").json()["count"] == 1
    old = (timezone.localdate() - datetime.timedelta(days=30)).isoformat()
    assert client.get(f"{signals}?computed_to={old}").json()["count"] == 1


@pytest.mark.parametrize(
    ("url", "status", "reason"),
    [
        ("/api/v1/schools/students/?risk_level=extreme", 400, "risk_level"),
        ("/api/v1/schools/students/?school=NOPE", 400, "school"),
        ("/api/v1/schools/students/?newly_arrived=perhaps", 400, "newly_arrived"),
        ("/api/v1/schools/students/?name=Haddad", 400, "unknown_parameters"),
        ("/api/v1/schools/students/999999/", 404, "detail"),
        ("/api/v1/schools/students/abc/", 404, None),
        ("/api/v1/schools/courses/?kind=cooking", 400, "kind"),
        ("/api/v1/schools/courses/?school_year=1999", 400, "school_year"),
        ("/api/v1/schools/risk-signals/?student=abc", 400, "student"),
        ("/api/v1/schools/risk-signals/?computed_from=yesterday", 400, "computed_from"),
        ("/api/v1/schools/risk-signals/999999/", 404, "detail"),
    ],
)
def test_client_mistakes_answer_with_a_reason(client_for, operator_school_potenza, records, url, status, reason):
    response = client_for(operator_school_potenza).get(url)
    assert response.status_code == status
    if reason:
        assert reason in response.json()


def _add_records(school, school_year, make_student, count):
    for _ in range(count):
        student = make_student(school)
        make_course(school, school_year, title=f"Corso {student.pk}")
        make_signal(student)


@pytest.mark.parametrize("name", ["schools-student-list", "schools-course-list", "schools-risksignal-list"])
def test_lists_run_a_fixed_number_of_queries(
    client_for, operator_school_potenza, school_potenza, school_year, make_student, name, django_assert_max_num_queries
):
    client = client_for(operator_school_potenza)
    _add_records(school_potenza, school_year, make_student, 1)
    with django_assert_max_num_queries(20) as small:
        assert client.get(reverse(name)).json()["count"] == 1
    _add_records(school_potenza, school_year, make_student, 15)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(reverse(name)).json()["count"] == 16


def test_the_schools_endpoints_are_in_the_schema(client, db):
    schema = client.get("/api/schema/?format=json").json()
    for path in (
        "/api/v1/schools/students/",
        "/api/v1/schools/students/{id}/",
        "/api/v1/schools/courses/",
        "/api/v1/schools/courses/{id}/",
        "/api/v1/schools/risk-signals/",
        "/api/v1/schools/risk-signals/{id}/",
    ):
        assert "200" in schema["paths"][path]["get"]["responses"], path
    student = schema["components"]["schemas"]["Student"]["properties"]
    assert "sensitive_notes" not in student and {"person", "risk_level", "is_newly_arrived"} <= set(student)
    parameters = {p["name"] for p in schema["paths"]["/api/v1/schools/students/"]["get"]["parameters"]}
    assert {"school", "risk_level", "newly_arrived", "has_left"} <= parameters
    assert "indicators" in schema["components"]["schemas"]["RiskSignal"]["properties"]
