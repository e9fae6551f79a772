"""The early-warning pages: who may open them (role × organisation), what they show, their audit
records and their fixed number of queries."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from aipim.core.models import AuditEvent
from schools.models import Intervention, RiskSettings, RiskSignal, Student, SupportCase
from schools.services.risk import recompute_students
from tests.personas import PERSONAS
from tests.schools.risk.conftest import DAY, TODAY, absences, make_high, note

pytestmark = pytest.mark.django_db

SCHOOL_PERSONAS = {"operator_school_potenza", "staff_school_matera"}


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def both_at_risk(student_potenza, student_matera, school_potenza, django_capture_on_commit_callbacks):
    """Both students high, Potenza's waiting for confirmation (its school does not open cases by itself)."""
    RiskSettings.objects.create(school=school_potenza, auto_open_intervention=False)
    make_high(student_potenza)
    make_high(student_matera)
    with django_capture_on_commit_callbacks(execute=False):
        recompute_students(today=DAY)
    return student_potenza, student_matera


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("page", ["schools:risk_list", "schools:risk_to_confirm", "schools:risk_follow_up"])
def test_lists_by_role_and_organisation(request, client_for, both_at_risk, persona, page):
    matera = both_at_risk[1]
    Student.objects.filter(pk=matera.pk).update(referent=request.getfixturevalue("staff_school_matera"))
    for student in both_at_risk:  # a case to follow up for each
        case = SupportCase.objects.create(
            school=student.school,
            title="Risk",
            opened_by=request.getfixturevalue("operator_school_potenza"),
            origin=SupportCase.Origin.RISK,
            act_by=TODAY + datetime.timedelta(days=3),
        )
        case.students.add(student)
    user = request.getfixturevalue(persona)
    response = client_for(user).get(reverse(page))
    body = response.content.decode()
    if persona in SCHOOL_PERSONAS:
        assert response.status_code == 200
        if page != "schools:risk_to_confirm":  # alerts with an open risk case are not to confirm
            assert ("Amina Haddad" in body) is (persona == "operator_school_potenza")
            assert ("Yonas Tesfaye" in body) is (persona == "staff_school_matera")
        assert AuditEvent.objects.filter(user=user, object_type__startswith="schools.").exists()
    else:
        assert response.status_code == 403
        assert "Amina" not in body and "Yonas" not in body


@pytest.mark.parametrize("persona", PERSONAS)
def test_to_confirm_by_role_and_organisation(request, client_for, both_at_risk, persona):
    matera = both_at_risk[1]
    Student.objects.filter(pk=matera.pk).update(referent=request.getfixturevalue("staff_school_matera"))
    user = request.getfixturevalue(persona)
    response = client_for(user).get(reverse("schools:risk_to_confirm"))
    body = response.content.decode()
    if persona in SCHOOL_PERSONAS:
        assert response.status_code == 200
        assert ("Amina Haddad" in body) is (persona == "operator_school_potenza")
        assert ("Yonas Tesfaye" in body) is (persona == "staff_school_matera")
        assert "Attendance in the last 30 days: 55 % (threshold 90 %)" in body
        assert AuditEvent.objects.filter(user=user, action="risksignal.to_confirm_list").exists()
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("persona", PERSONAS)
def test_timeline_by_role_and_organisation(request, client_for, both_at_risk, persona):
    potenza = both_at_risk[0]
    user = request.getfixturevalue(persona)
    response = client_for(user).get(reverse("schools:risk_timeline", args=[potenza.pk]))
    if persona == "operator_school_potenza":
        assert response.status_code == 200
        assert "Amina Haddad" in response.content.decode()
        assert AuditEvent.objects.filter(user=user, action="student.timeline", object_id=str(potenza.pk)).exists()
    elif persona == "staff_school_matera":
        assert response.status_code == 404
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("persona", PERSONAS)
def test_settings_by_role_and_organisation(request, client_for, school_potenza, persona):
    user = request.getfixturevalue(persona)
    client = client_for(user)
    index = client.get(reverse("schools:risk_settings_index"))
    page = client.get(reverse("schools:risk_settings", args=[school_potenza.pk]))
    if persona == "operator_school_potenza":
        assert index.status_code == 302 and index["Location"] == reverse(
            "schools:risk_settings", args=[school_potenza.pk]
        )
        assert page.status_code == 200
        assert "Minimum attendance over the last 30 days (%)" in page.content.decode()
    elif persona == "staff_school_matera":
        assert index.status_code == 403 and page.status_code == 403  # staff may not change thresholds
    else:
        assert index.status_code == 403 and page.status_code == 403


def test_an_operator_cannot_open_another_school_s_settings(client_for, operator_school_potenza, school_matera):
    response = client_for(operator_school_potenza).get(reverse("schools:risk_settings", args=[school_matera.pk]))
    assert response.status_code == 404


SETTINGS_POST = {
    "attendance_30_percent": "75",
    "attendance_90_percent": "80",
    "failing_grade_below": "6",
    "failing_core_subjects_min": "2",
    "behaviour_notes_90_max": "3",
    "age_grade_gap_min": "2",
    "recent_arrival_years": "2",
    "medium_at": "2",
    "high_at": "4",
    "act_within_days": "5",
}


def test_changing_the_thresholds_is_audited_and_recomputes_the_school(
    client_for, operator_school_potenza, school_potenza, student_potenza, django_capture_on_commit_callbacks
):
    absences(student_potenza, 4)  # 82 % of 22 days
    with django_capture_on_commit_callbacks(execute=False):
        recompute_students()
    assert RiskSignal.objects.get().indicators[0]["triggered"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(operator_school_potenza).post(
            reverse("schools:risk_settings", args=[school_potenza.pk]), SETTINGS_POST
        )
    assert response.status_code == 302
    saved = RiskSettings.objects.get(school=school_potenza)
    assert saved.attendance_30_min == Decimal("0.75") and saved.attendance_90_min == Decimal("0.80")
    assert saved.auto_open_intervention is False and saved.act_within_days == 5
    assert saved.updated_by == operator_school_potenza
    event = AuditEvent.objects.get(action="risksettings.change")
    assert "attendance_30_min" in event.details["fields"]
    latest = RiskSignal.objects.order_by("-computed_at", "-pk").first()
    assert latest.indicators[0]["threshold"] == 0.75 and not latest.indicators[0]["triggered"]


def test_high_points_below_medium_points_are_refused(client_for, operator_school_potenza, school_potenza):
    response = client_for(operator_school_potenza).post(
        reverse("schools:risk_settings", args=[school_potenza.pk]), {**SETTINGS_POST, "medium_at": "5", "high_at": "3"}
    )
    assert response.status_code == 400
    assert "cannot be fewer than those for medium risk" in response.content.decode()
    assert not RiskSettings.objects.exists()


def test_list_filters_and_order(client_for, operator_school_potenza, make_student, school_potenza, class_potenza):
    high = make_student(school_potenza, school_class=class_potenza, given_names="Omar", family_names="High")
    make_high(high)
    medium = make_student(school_potenza, given_names="Sara", family_names="Medium", arrived_in_italy_on=TODAY)
    absences(medium, 3)  # 86 % over 30 days (2 points), and 1 for the recent arrival: medium
    notes_only = make_student(school_potenza, given_names="Ali", family_names="Notes")
    for days_ago in range(1, 5):
        note(notes_only, days_ago)
    make_student(school_potenza, given_names="Lina", family_names="Fine")
    recompute_students(today=DAY)
    client = client_for(operator_school_potenza)

    def names(**params):
        body = client.get(reverse("schools:risk_list"), params).content.decode()
        found = [name for name in ("Omar High", "Sara Medium", "Ali Notes", "Lina Fine") if name in body]
        return sorted(found, key=body.index)

    assert names() == ["Omar High", "Sara Medium", "Ali Notes"]  # high 5, medium 3, low 1; never "none"
    assert names(level="low") == ["Ali Notes"]
    assert names(school_class=class_potenza.pk) == ["Omar High"]
    assert names(indicator="behaviour_notes_90") == ["Ali Notes"]
    assert names(indicator="failing_core_subjects") == ["Omar High"]
    assert names(newly_arrived="on") == ["Sara Medium"]


def test_list_queries_do_not_grow_with_the_students(
    client_for, operator_school_potenza, make_student, school_potenza, class_potenza, django_assert_max_num_queries
):
    client = client_for(operator_school_potenza)
    url = reverse("schools:risk_list")

    def add(count):
        for _n in range(count):
            student = make_student(school_potenza, school_class=class_potenza, referent=operator_school_potenza)
            make_high(student)
        recompute_students()

    add(2)
    client.get(url)  # warm the session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    add(10)
    with django_assert_max_num_queries(len(few)):
        response = client.get(url)
    assert response.content.decode().count("/schools/students/") >= 12


def test_follow_up_shows_overdue_cases_first(client_for, operator_school_potenza, make_student, school_potenza):
    late = make_student(school_potenza, given_names="Late", family_names="Case")
    acted = make_student(school_potenza, given_names="Acted", family_names="Case")
    for student, act_by, acted_at in (
        (acted, TODAY - datetime.timedelta(days=2), timezone.now() - datetime.timedelta(days=5)),
        (late, TODAY - datetime.timedelta(days=1), None),
    ):
        case = SupportCase.objects.create(
            school=school_potenza,
            title="Risk",
            opened_by=operator_school_potenza,
            origin=SupportCase.Origin.RISK,
            act_by=act_by,
            acted_at=acted_at,
        )
        case.students.add(student)
    client = client_for(operator_school_potenza)
    body = client.get(reverse("schools:risk_follow_up")).content.decode()
    assert body.index("Late Case") < body.index("Acted Case")
    assert "Overdue" in body and "Acted in time" in body
    only = client.get(reverse("schools:risk_follow_up"), {"overdue": "1"}).content.decode()
    assert "Late Case" in only and "Acted Case" not in only


def test_follow_up_queries_do_not_grow(
    client_for, operator_school_potenza, make_student, school_potenza, django_assert_max_num_queries
):
    client = client_for(operator_school_potenza)

    def add(count):
        for _n in range(count):
            case = SupportCase.objects.create(
                school=school_potenza,
                title="Risk",
                opened_by=operator_school_potenza,
                origin=SupportCase.Origin.RISK,
                act_by=TODAY,
            )
            case.students.add(make_student(school_potenza))

    add(1)
    client.get(reverse("schools:risk_follow_up"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("schools:risk_follow_up"))
    add(8)
    with django_assert_max_num_queries(len(few)):
        client.get(reverse("schools:risk_follow_up"))


def test_to_confirm_queries_do_not_grow(
    client_for, operator_school_potenza, make_student, school_potenza, django_assert_max_num_queries
):
    RiskSettings.objects.create(school=school_potenza, auto_open_intervention=False)
    client = client_for(operator_school_potenza)

    def add(count):
        for _n in range(count):
            make_high(make_student(school_potenza))
        recompute_students()

    add(1)
    client.get(reverse("schools:risk_to_confirm"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("schools:risk_to_confirm"))
    add(6)
    with django_assert_max_num_queries(len(few)):
        body = client.get(reverse("schools:risk_to_confirm")).content.decode()
    assert body.count(">Open the case<") == 7


def test_confirm_and_dismiss_in_the_browser(client_for, operator_school_potenza, staff_school_matera, both_at_risk):
    potenza = both_at_risk[0]
    signal = RiskSignal.objects.get(student=potenza)
    # Another school's staff cannot act on the alert.
    client_for(staff_school_matera).post(reverse("schools:risk_confirm", args=[signal.pk]))
    assert not SupportCase.objects.filter(students=potenza).exists()
    client = client_for(operator_school_potenza)
    response = client.post(reverse("schools:risk_dismiss", args=[signal.pk]), {f"s{signal.pk}-reason": ""})
    assert response.status_code == 302 and not SupportCase.objects.exists()
    response = client.post(
        reverse("schools:risk_dismiss", args=[signal.pk]),
        {f"s{signal.pk}-reason": "Already followed by social services."},
    )
    assert not SupportCase.objects.filter(students=potenza).exists()
    signal.refresh_from_db()
    assert signal.review == "dismissed" and signal.review_note == "Already followed by social services."
    assert signal.reviewed_by == operator_school_potenza
    assert AuditEvent.objects.filter(user=operator_school_potenza, action="risksignal.dismiss").exists()
    # The decision is on the student's timeline: who, and why.
    timeline = client.get(reverse("schools:risk_timeline", args=[potenza.pk])).content.decode()
    assert "Alert dismissed: no case needed" in timeline and "Already followed by social services." in timeline


def test_student_partial_explains_every_indicator(student_potenza):
    make_high(student_potenza)
    recompute_students(today=DAY)
    html = render_to_string("schools/students/_risk.html", {"student": student_potenza})
    assert "High" in html and "6 points" in html
    assert "Attendance in the last 30 days: 55 % (threshold 90 %)" in html
    assert "Attendance in the last 90 days: 85 % (threshold 90 %)" in html
    assert "Core subjects with a failing grade: 2 (threshold: 2 or more)" in html
    assert "Behaviour notes in the last 90 days, a serious one counting as two: 0 (threshold: more than 3)" in html
    assert "Recent arrival in Italy: arrived 1" in html and "months ago (threshold: within 2 years)" in html
    assert html.count("<tr>") == 1 + 6


def test_student_partial_before_any_computation(student_potenza):
    html = render_to_string("schools/students/_risk.html", {"student": student_potenza})
    assert "Not computed yet" in html


def test_student_page_shows_the_risk_and_its_timeline(client_for, operator_school_potenza, student_potenza):
    make_high(student_potenza)
    recompute_students(today=DAY)
    Intervention.objects.create(
        student=student_potenza,
        kind="tutoring",
        owner=operator_school_potenza,
        starts_on=DAY,
        created_by=operator_school_potenza,
    )
    body = client_for(operator_school_potenza).get(reverse("schools:student_detail", args=[student_potenza.pk]))
    html = body.content.decode()
    assert "Attendance in the last 30 days: 55 % (threshold 90 %)" in html
    # The timeline is drawn with the page: no script, no second request.
    timeline = html[html.index('id="timeline-heading"') :]
    assert "Tutoring" in timeline and "Early warning" in timeline
    assert "hx-get" not in html


def test_timeline_merges_signals_and_interventions_newest_first(client_for, operator_school_potenza, student_potenza):
    recompute_students()  # level low (recent arrival)
    first = RiskSignal.objects.get()
    RiskSignal.objects.filter(pk=first.pk).update(computed_at=timezone.now() - datetime.timedelta(days=10))
    Intervention.objects.create(
        student=student_potenza,
        kind=Intervention.Kind.TUTORING,
        created_by=operator_school_potenza,
        created_at=timezone.now() - datetime.timedelta(days=5),
    )
    make_high(student_potenza)
    recompute_students()
    response = client_for(operator_school_potenza).get(
        reverse("schools:risk_timeline", args=[student_potenza.pk]), HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert "<html" not in html  # the fragment for the student page
    high, tutoring, low = html.index(">High<"), html.index(">Tutoring<"), html.index(">Low<")
    assert high < tutoring < low


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("action", ["schools:risk_confirm", "schools:risk_dismiss"])
def test_confirm_and_dismiss_by_role_and_organisation(request, client_for, both_at_risk, persona, action):
    signal = RiskSignal.objects.get(student=both_at_risk[0])
    user = request.getfixturevalue(persona)
    response = client_for(user).post(reverse(action, args=[signal.pk]), {f"s{signal.pk}-reason": "No need."})
    signal.refresh_from_db()
    handled = signal.review != "" or SupportCase.objects.filter(origin_signal=signal).exists()
    if persona == "operator_school_potenza":
        assert response.status_code == 302 and handled
        assert signal.review == ("confirmed" if action == "schools:risk_confirm" else "dismissed")
        assert signal.reviewed_by == user
    elif persona == "staff_school_matera":
        assert response.status_code == 302 and not handled  # "already handled, or not yours"
    else:
        assert response.status_code == 403 and not handled
