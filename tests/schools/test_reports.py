"""The "Action 1 – schools" report: every figure against the list page that shows the same thing for
the same filters (each test names the list), who counts as supported, small numbers suppressed, an
operator limited to their schools, and the same figures in the PDF."""

from __future__ import annotations

import datetime
import re
import subprocess
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from aipim.core.models import Person
from aipim.reports import rendering
from aipim.reports.figures import suppress
from aipim.reports.registry import get_builder
from schools.models import (
    Course,
    CourseSession,
    CulturalInitiative,
    DeskSlot,
    Enrolment,
    HelpDesk,
    Intervention,
    RiskSignal,
    SessionAttendance,
    Student,
    SupportCase,
    WalkIn,
)
from schools.reports import SchoolResultsReport, age_band, month_ends, schools_for

TODAY = timezone.localdate()
DATE_FROM = TODAY - datetime.timedelta(days=60)
NEW_ARRIVAL = TODAY - datetime.timedelta(days=100)


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def period(**params):
    return {"date_from": DATE_FROM, "date_to": TODAY, "school": None, **params}


def build(user=None, **params):
    return get_builder("schools-results").build(period(**params), progress=lambda percent: None, user=user)


@pytest.fixture
def results(
    make_student, school_potenza, school_matera, class_potenza, student_matera, operator_school_potenza, school_year
):
    """IC Potenza: six newly arrived girls in tutoring (five improved, five high then low risk, five in
    an Italian L2 course with the ninth pupil), two boys seen at the help desk (six walk-ins with an
    anonymous one, one appointment held), one pupil only in the course, five pupils who moved away
    during the period (each in a support case). IC Matera: one pupil with a mediator and a walk-in."""
    by = operator_school_potenza
    desk = HelpDesk.objects.create(school=school_potenza, name="Sportello Potenza", languages=["ar"])
    desk_matera = HelpDesk.objects.create(school=school_matera, name="Sportello Matera", languages=["ti"])
    girls = [
        make_student(
            school_potenza,
            school_class=class_potenza,
            sex=Person.Sex.FEMALE,
            citizenship="MA",
            arrived_in_italy_on=NEW_ARRIVAL,
        )
        for _ in range(6)
    ]
    for index, girl in enumerate(girls):
        Intervention.objects.create(
            student=girl,
            kind=Intervention.Kind.TUTORING,
            starts_on=DATE_FROM + datetime.timedelta(days=1),
            status=Intervention.Status.DONE if index < 5 else Intervention.Status.PLANNED,
            outcome=Intervention.Outcome.IMPROVED if index < 5 else "",
            created_by=by,
        )
    for girl in girls[:5]:
        RiskSignal.objects.create(student=girl, computed_at=at(DATE_FROM), level="high", score=5, previous_level="none")
        RiskSignal.objects.create(
            student=girl, computed_at=timezone.now() - datetime.timedelta(minutes=1), level="low", score=1
        )
        Student.objects.filter(pk=girl.pk).update(risk_level="low")
    boys = [
        make_student(
            school_potenza,
            school_class=class_potenza,
            sex=Person.Sex.MALE,
            citizenship="ER",
            arrived_in_italy_on=datetime.date(2019, 9, 1),
        )
        for _ in range(2)
    ]
    for student, visits in ((boys[0], 3), (boys[1], 2), (None, 1)):
        for day in range(visits):
            WalkIn.objects.create(
                help_desk=desk,
                at=at(DATE_FROM + datetime.timedelta(days=2 + day)),
                student=student,
                visitor_name="" if student else "famiglia",
                topic=WalkIn.Topic.LANGUAGE,
                handled_by=by,
            )
    for status, student in ((DeskSlot.Status.DONE, boys[0]), (DeskSlot.Status.FREE, None)):
        start = at(DATE_FROM + datetime.timedelta(days=5))
        DeskSlot.objects.create(
            help_desk=desk,
            starts_at=start,
            ends_at=start + datetime.timedelta(minutes=30),
            mediator_name="Samira",
            language="ar",
            status=status,
            booked_student=student,
        )
    only_course = make_student(school_potenza, school_class=class_potenza)
    course = Course.objects.create(
        school=school_potenza,
        kind=Course.Kind.ITALIAN_L2,
        cefr_level="A1",
        title="Italiano A1",
        teacher_name="Rossi",
        starts_on=school_year.starts_on,
        ends_on=school_year.ends_on,
        hours_planned=40,
        school_year=school_year,
    )
    enrolments = [Enrolment.objects.create(course=course, student=s) for s in [*girls[:5], only_course]]
    for day, present in ((3, 6), (4, 4)):  # two sessions of two hours: 6 then 4 present of 6
        start = at(DATE_FROM + datetime.timedelta(days=day))
        session = CourseSession.objects.create(
            course=course, starts_at=start, ends_at=start + datetime.timedelta(hours=2)
        )
        for index, enrolment in enumerate(enrolments):
            SessionAttendance.objects.create(session=session, enrolment=enrolment, present=index < present)
    leavers = [make_student(school_potenza) for _ in range(5)]
    for leaver in leavers:
        case = SupportCase.objects.create(
            school=school_potenza, title="Trasferimento", opened_by=by, opened_at=at(DATE_FROM)
        )
        case.students.add(leaver)
        Student.objects.filter(pk=leaver.pk).update(
            left_on=TODAY - datetime.timedelta(days=5), leaving_reason=Student.LeavingReason.MOVED
        )
    CulturalInitiative.objects.create(
        school=school_potenza,
        title="Festa dei popoli",
        date=TODAY,
        families_invited=20,
        families_participated=12,
        students_participated=15,
        created_by=by,
    )
    Intervention.objects.create(
        student=student_matera, kind=Intervention.Kind.MEDIATOR, starts_on=DATE_FROM, created_by=by
    )
    WalkIn.objects.create(
        help_desk=desk_matera, at=at(DATE_FROM), student=student_matera, topic=WalkIn.Topic.FAMILY, handled_by=by
    )
    return {"girls": girls, "boys": boys, "leavers": leavers, "course": course, "desk": desk}


def list_count(client, name, **query):
    """How many rows the list page `name` finds for the filters (its paginator's count)."""
    response = client.get(reverse(name, **({"args": query.pop("args")} if "args" in query else {})), query)
    assert response.status_code == 200
    return response.context["page"].paginator.count


def test_it_is_registered():
    builder = get_builder("schools-results")
    assert isinstance(builder, SchoolResultsReport)
    assert set(builder.roles) == {"regional_official", "school_operator"}


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [
        ("caseworker_irsina", False),
        ("caseworker_picerno", False),
        ("supervisor_irsina", False),
        ("operator_school_potenza", True),  # limited to their schools (tests below)
        ("staff_school_matera", False),
        ("manager_association", False),
        ("editor", False),
        ("official", True),
        ("administrator", False),
    ],
)
def test_who_may_request_it(request, persona, allowed):
    assert get_builder("schools-results").may_request(request.getfixturevalue(persona)) is allowed


def test_supported_pupils_equal_the_student_list(results, client_for, operator_school_potenza, school_potenza):
    """Student list (schools:student_list) with status=all: every pupil of Potenza in the fixture is
    supported, so the list's counts and the report's are the same for the same filters."""
    client = client_for(operator_school_potenza)
    context = build(user=operator_school_potenza, school=school_potenza)
    everyone = list_count(client, "schools:student_list", school=school_potenza.pk, status="all")
    assert everyone == 14 and context["supported_total"] == suppress(everyone)
    arrivals = dict(context["by_arrival"])
    # The list's "newly arrived" is the report's when the period ends today (both: within two years).
    newly = list_count(client, "schools:student_list", school=school_potenza.pk, status="all", newly_arrived="yes")
    assert newly == 6 and arrivals["Newly arrived (in Italy for less than two years)"] == suppress(newly)
    not_new = list_count(client, "schools:student_list", school=school_potenza.pk, status="all", newly_arrived="no")
    settled, unknown = arrivals["In Italy for two years or more"], arrivals["Arrival date not known"]
    assert not_new == 8 and (settled, unknown) == ("<5", "6")  # two boys; the course pupil and the five leavers
    sexes = dict(context["by_sex"])
    supported = Student.objects.filter(school=school_potenza)
    assert sexes["Female"] == suppress(supported.filter(person__sex=Person.Sex.FEMALE).count())
    assert dict(context["by_country"])["Morocco"] == suppress(supported.filter(person__citizenship="MA").count())


def test_who_counts_as_supported(make_student, school_potenza, operator_school_potenza):
    """Only what happened in the period counts; a cancelled intervention is no support."""
    by = operator_school_potenza
    desk = HelpDesk.objects.create(school=school_potenza, name="Sportello")
    before = make_student(school_potenza)
    WalkIn.objects.create(
        help_desk=desk, at=at(DATE_FROM - datetime.timedelta(days=1)), student=before, topic="other", handled_by=by
    )
    cancelled = make_student(school_potenza)
    Intervention.objects.create(
        student=cancelled, kind="tutoring", starts_on=DATE_FROM, status=Intervention.Status.CANCELLED, created_by=by
    )
    ongoing = make_student(school_potenza)  # started before the period, still under way
    Intervention.objects.create(
        student=ongoing, kind="tutoring", starts_on=DATE_FROM - datetime.timedelta(days=90), created_by=by
    )
    closed_case = make_student(school_potenza)
    case = SupportCase.objects.create(
        school=school_potenza,
        title="x",
        opened_by=by,
        opened_at=at(DATE_FROM - datetime.timedelta(days=30)),
        status="closed",
        closed_at=at(DATE_FROM - datetime.timedelta(days=1)),
    )
    case.students.add(closed_case)
    from schools.reports import schools_for as scope
    from schools.reports import supported_students

    assert list(supported_students(scope(None), DATE_FROM, TODAY)) == [ongoing]


def test_help_desk_figures_equal_the_walk_in_log(results, client_for, operator_school_potenza, school_potenza):
    """Walk-in log of the desk (schools:walkin_log): all of its walk-ins are in the period."""
    client = client_for(operator_school_potenza)
    context = build(user=operator_school_potenza)
    logged = list_count(client, "schools:walkin_log", args=[results["desk"].pk])
    assert logged == 6 and context["walk_ins_total"] == suppress(logged)
    assert dict(context["walk_in_topics"])["Language"] == "6"
    [row] = context["school_rows"]
    assert row["name"] == "IC Potenza" and row["walk_ins"] == "6" and row["slots_done"] == "<5"
    assert DeskSlot.objects.filter(status="done").count() == 1


def test_interventions_equal_the_interventions_list(results, client_for, operator_school_potenza, school_potenza):
    """Interventions list (schools:intervention_list) filtered by school and kind, and by outcome."""
    client = client_for(operator_school_potenza)
    context = build(user=operator_school_potenza, school=school_potenza)
    rows = {row["label"]: row for row in context["intervention_rows"]}
    tutoring = list_count(client, "schools:intervention_list", school=school_potenza.pk, kind="tutoring")
    assert tutoring == 6 and rows["Tutoring"]["total"] == suppress(tutoring)
    cells = dict(zip(context["outcome_labels"], rows["Tutoring"]["cells"], strict=True))
    assert cells == {"Improved": "5", "Unchanged": "0", "Worsened": "0", "Not recorded yet": "<5"}
    done = list_count(client, "schools:intervention_list", school=school_potenza.pk, kind="tutoring", status="done")
    assert cells["Improved"] == suppress(done)  # the five done are the five improved
    mediator = list_count(client, "schools:intervention_list", school=school_potenza.pk, kind="mediator")
    assert rows["Cultural mediator"]["total"] == suppress(mediator) == "0"  # Matera's is not Potenza's


def test_school_leaving_equals_the_student_list(results, client_for, operator_school_potenza, school_potenza):
    """Student list (schools:student_list) with status=left: the five left in the period."""
    client = client_for(operator_school_potenza)
    context = build(user=operator_school_potenza, school=school_potenza)
    left = list_count(client, "schools:student_list", school=school_potenza.pk, status="left")
    assert left == 5 and context["left_total"] == suppress(left)
    assert dict(context["leaving"])["Moved to another school"] == "5"


def test_risk_levels_month_by_month(results, client_for, operator_school_potenza, school_potenza):
    """The last month's row is today's levels: the student list (schools:student_list) filtered by risk
    level, pupils at school; the first month's row is the history (high before the low signals)."""
    client = client_for(operator_school_potenza)
    context = build(user=operator_school_potenza, school=school_potenza)
    rows = context["risk_rows"]
    assert [row["day"] for row in rows] == month_ends(DATE_FROM, TODAY) and rows[-1]["day"] == TODAY
    first = dict(zip(context["risk_levels"], rows[0]["cells"], strict=True))
    last = dict(zip(context["risk_levels"], rows[-1]["cells"], strict=True))
    assert first["High"] == "5" and first["Low"] == "0"
    low = list_count(client, "schools:student_list", school=school_potenza.pk, risk_level="low")
    high = list_count(client, "schools:student_list", school=school_potenza.pk, risk_level="high")
    assert low == 5 and last["Low"] == suppress(low) and last["High"] == suppress(high) == "0"
    at_school = list_count(client, "schools:student_list", school=school_potenza.pk)
    assert at_school == 9 and rows[-1]["total"] == suppress(at_school)


def test_courses_equal_the_course_list_totals(results, client_for, operator_school_potenza, school_potenza):
    """Course list (schools:course_list) of the school year, its totals line."""
    client = client_for(operator_school_potenza)
    context = build(user=operator_school_potenza, school=school_potenza)
    response = client.get(reverse("schools:course_list"), {"school": school_potenza.pk})
    totals = response.context["totals"]
    every = context["course_all"]
    assert (every["courses"], every["sessions"]) == (totals.courses, totals.sessions) == (1, 2)
    assert every["hours_scheduled"] == totals.hours_scheduled == Decimal("4.00")
    assert every["student_hours"] == totals.student_hours == Decimal("20.00")
    assert every["students"] == suppress(totals.students) == "6"
    assert every["attendance_rate"] == f"{totals.attendance_rate} %" == "83 %"
    italian = context["course_rows"][0]
    assert italian["label"] == "Italian as a second language (L2)" and italian["student_hours"] == Decimal("20.00")


def test_initiatives_equal_the_initiative_list_totals(results, client_for, operator_school_potenza, school_potenza):
    """Initiative list (schools:initiative_list) of the school year, its totals."""
    client = client_for(operator_school_potenza)
    context = build(user=operator_school_potenza, school=school_potenza)
    totals = client.get(reverse("schools:initiative_list"), {"school": school_potenza.pk}).context["totals"]
    figures = context["initiatives"]
    assert figures["initiatives"] == totals.initiatives == 1
    assert figures["families_participated"] == suppress(totals.families_participated) == "12"
    assert figures["families_invited"] == "20" and figures["family_participation"] == "60 %"


def test_an_operator_sees_only_their_schools(results, operator_school_potenza, school_matera, official):
    assert list(schools_for(operator_school_potenza).values_list("name", flat=True)) == ["IC Potenza"]
    assert [row["name"] for row in build(user=operator_school_potenza)["school_rows"]] == ["IC Potenza"]
    # Asking for another school gives nothing of it.
    assert build(user=operator_school_potenza, school=school_matera)["school_rows"] == []
    form = get_builder("schools-results").form(
        {
            "schools-results-date_from": str(DATE_FROM),
            "schools-results-date_to": str(TODAY),
            "schools-results-school": "",
        },
        user=operator_school_potenza,
    )
    assert not form.is_valid() and "school" in form.errors  # no "all schools" for an operator
    assert [str(choice[1]) for choice in form.fields["school"].choices] == ["IC Potenza"]
    everyone = build(user=official)
    assert [row["name"] for row in everyone["school_rows"]] == ["IC Matera", "IC Potenza"]
    assert everyone["supported_total"] == "15"


def test_an_operators_request_is_built_for_their_school_only(
    results, operator_school_potenza, school_potenza, school_matera, django_capture_on_commit_callbacks
):
    from aipim.reports.models import ReportRequest
    from aipim.reports.services import request_report

    builder = get_builder("schools-results")
    data = {"schools-results-date_from": str(DATE_FROM), "schools-results-date_to": str(TODAY)}
    form = builder.form({**data, "schools-results-school": school_matera.pk}, user=operator_school_potenza)
    assert not form.is_valid()  # another school is not a choice
    form = builder.form({**data, "schools-results-school": school_potenza.pk}, user=operator_school_potenza)
    assert form.is_valid(), form.errors
    with django_capture_on_commit_callbacks(execute=True):
        report = request_report(builder=builder, parameters=form.cleaned_data, by=operator_school_potenza)
    report.refresh_from_db()
    assert report.status == ReportRequest.Status.DONE, report.error
    assert "IC Matera" not in report.preview_html
    for girl in results["girls"]:  # never a name
        assert girl.person.family_names not in report.preview_html


def test_age_bands_and_month_ends():
    on = datetime.date(2026, 3, 31)
    assert age_band(datetime.date(2015, 4, 1), on) == "6–10"
    assert age_band(datetime.date(2012, 3, 31), on) == "14–18"
    assert age_band(None, on) == ""
    assert month_ends(datetime.date(2025, 12, 15), datetime.date(2026, 2, 10)) == [
        datetime.date(2025, 12, 31),
        datetime.date(2026, 1, 31),
        datetime.date(2026, 2, 10),
    ]


def test_parameters_survive_the_round_trip(school_potenza):
    builder = get_builder("schools-results")
    stored = builder.serialise_parameters(period(school=school_potenza))
    assert builder.parse_parameters(stored)["school"] == school_potenza


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


def figures_after(text: str, label: str) -> list[str]:
    """The figures printed on the line that starts with `label` in the PDF's text."""
    for line in text.splitlines():
        if line.strip().startswith(label):
            return re.findall(r"<5|\d[\d.,]*", line[line.index(label) + len(label) :])
    raise AssertionError(f"{label!r} is not in the PDF")


def test_the_pdf_prints_the_same_figures(results, official, tmp_path):
    builder = get_builder("schools-results")
    context = build(user=official)
    body = rendering.render_body(builder, context, params=period())
    text = pdf_text(rendering.render_pdf(builder, body), tmp_path)
    assert figures_after(text, "IC Potenza (ICPZ)") == ["14", "6", "<5", "6", "5"]
    assert figures_after(text, "IC Matera (ICMT)") == ["<5", "<5", "0", "<5", "0"]
    assert figures_after(text, "All schools in the report") == ["15", "7", "<5", "7", "5"]
    assert figures_after(text, "Tutoring") == ["5", "0", "0", "<5", "6"]
    assert figures_after(text, "Moved to another school") == ["5"]
    assert figures_after(text, "Families who took part") == ["12"]
    assert "83 %" in text


def test_an_operator_requests_it_from_the_reports_page(
    results, client_for, operator_school_potenza, school_potenza, django_capture_on_commit_callbacks
):
    from aipim.reports.models import ReportRequest

    client = client_for(operator_school_potenza)
    assert "Action 1 – schools: results per school and period" in client.get(reverse("reports:list")).content.decode()
    form = {
        "report": "schools-results",
        "schools-results-date_from": str(DATE_FROM),
        "schools-results-date_to": str(TODAY),
        "schools-results-school": school_potenza.pk,
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:request"), form)
    report = ReportRequest.objects.get(requested_by=operator_school_potenza)
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == ReportRequest.Status.DONE, report.error
    assert "IC Potenza" in report.preview_html


def test_it_renders_right_to_left_in_arabic(results, official):
    from django.utils import translation

    builder = get_builder("schools-results")
    with translation.override("ar"):
        context = build(user=official)
        body = rendering.render_body(builder, context, params=period())
        document = rendering.render_document(builder, body)
    assert 'dir="rtl"' in document and "<bdi" in body


def test_the_build_runs_a_fixed_number_of_queries(
    results, official, make_student, school_potenza, operator_school_potenza, django_assert_max_num_queries
):
    with django_assert_max_num_queries(60) as small:  # 34 for a period over three months
        build(user=official)
    for _ in range(10):
        pupil = make_student(school_potenza, arrived_in_italy_on=NEW_ARRIVAL)
        Intervention.objects.create(student=pupil, kind="mediator", starts_on=TODAY, created_by=operator_school_potenza)
        RiskSignal.objects.create(student=pupil, computed_at=at(DATE_FROM), level="medium", score=2)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert build(user=official)["supported_total"] == "25"


def test_a_share_of_a_small_number_is_not_printed(school_potenza, operator_school_potenza):
    CulturalInitiative.objects.create(
        school=school_potenza,
        title="Merenda",
        date=TODAY,
        families_invited=3,
        families_participated=2,
        created_by=operator_school_potenza,
    )
    figures = build(school=school_potenza)["initiatives"]
    assert (figures["families_invited"], figures["families_participated"]) == ("<5", "<5")
    assert figures["family_participation"] == "–"
