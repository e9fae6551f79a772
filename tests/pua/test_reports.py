"""The "PUA activity" report: every figure against a direct query, small numbers suppressed, a
supervisor limited to their desks, and the same figures in the PDF."""

from __future__ import annotations

import datetime
import re
import subprocess
from decimal import Decimal

import pytest
from django.utils import timezone

from aipim.core.models import Consent
from aipim.reports import rendering
from aipim.reports.registry import get_builder
from pua.models import Assessment, Case, Need, NeedDomain, Referral, TrainingCourse, TrainingRecord
from pua.reports import PUAActivityReport, age_band, desks_for
from pua.services.cases import open_case
from tests.factories import ConsentFactory, PersonFactory, ServiceFactory

QUARTER = {"date_from": datetime.date(2026, 1, 1), "date_to": datetime.date(2026, 3, 31), "desk": None}
START = timezone.make_aware(datetime.datetime(2026, 1, 1))
END = timezone.make_aware(datetime.datetime(2026, 4, 1))


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def local(year, month, day, hour=12):
    return timezone.make_aware(datetime.datetime(year, month, day, hour))


def make_case(desk, user, *, opened, closed=None, sex="F", born=datetime.date(1990, 5, 1), country="MA") -> Case:
    person = PersonFactory(sex=sex, birth_date=born, citizenship=country, organisation=desk)
    ConsentFactory(person=person, purpose=Consent.Purpose.CASE_MANAGEMENT, organisation=desk)
    case = open_case(person=person, desk=desk, by=user)
    fields = {"opened_at": opened}
    if closed:
        fields.update(status=Case.Status.CLOSED, closed_at=closed, closing_reason="goals_met")
    Case.objects.filter(pk=case.pk).update(**fields)
    case.refresh_from_db()
    return case


@pytest.fixture
def activity(desk_irsina, desk_picerno, caseworker_irsina, caseworker_picerno):
    """Irsina: 7 cases opened in the quarter (one closed in February, one person a child, one born in
    Eritrea), one from 2025 still open, one closed in 2025, one opened in April. Picerno: 2 cases."""
    irsina = [
        make_case(desk_irsina, caseworker_irsina, opened=local(2026, 1, 10 + i), sex="M" if i < 5 else "F")
        for i in range(5)
    ]
    irsina.append(make_case(desk_irsina, caseworker_irsina, opened=local(2026, 2, 1), born=datetime.date(2015, 1, 1)))
    irsina.append(
        make_case(desk_irsina, caseworker_irsina, opened=local(2026, 1, 5), closed=local(2026, 2, 20), country="ER")
    )
    make_case(desk_irsina, caseworker_irsina, opened=local(2025, 11, 3))  # active, opened before
    make_case(desk_irsina, caseworker_irsina, opened=local(2025, 6, 3), closed=local(2025, 12, 1))  # not active
    make_case(desk_irsina, caseworker_irsina, opened=local(2026, 4, 2))  # after the period
    for day in (3, 4):
        make_case(desk_picerno, caseworker_picerno, opened=local(2026, 3, day), country="BD")

    for case in irsina[:6]:
        assessment = Assessment.objects.create(case=case, assessed_by=caseworker_irsina, assessed_at=local(2026, 3, 1))
        Need.objects.create(assessment=assessment, domain=NeedDomain.HEALTH, severity=Need.Severity.MEDIUM)
        Need.objects.create(assessment=assessment, domain=NeedDomain.WORK, severity=Need.Severity.NONE)
    job_centre = ServiceFactory(category="work")
    for index, case in enumerate(irsina[:6]):
        Referral.objects.create(
            case=case,
            service=job_centre,
            reason="lavoro",
            created_by=caseworker_irsina,
            created_at=local(2026, 2, 10),
            status=Referral.Status.COMPLETED if index == 0 else Referral.Status.SENT,
        )
    course = TrainingCourse.objects.create(title="GDPR", hours=Decimal("8"), data_protection=True)
    for completed, hours in ((datetime.date(2026, 2, 1), "8"), (datetime.date(2026, 3, 1), "4.5")):
        TrainingRecord.objects.create(
            user=caseworker_irsina,
            desk=desk_irsina,
            course=course,
            completed_on=completed,
            hours_attended=Decimal(hours),
        )
    TrainingRecord.objects.create(
        user=caseworker_irsina,
        desk=desk_irsina,
        course=course,
        completed_on=datetime.date(2025, 3, 1),
        hours_attended=Decimal("8"),
    )
    return irsina


def build(user=None, **params):
    return get_builder("pua-activity").build({**QUARTER, **params}, progress=lambda percent: None, user=user)


def rows_by_code(context):
    return {row["code"]: row for row in context["desk_rows"]}


def test_it_is_registered():
    builder = get_builder("pua-activity")
    assert isinstance(builder, PUAActivityReport)
    assert set(builder.roles) == {"regional_official", "administrator", "pua_supervisor"}


def test_case_figures_equal_direct_queries(activity, desk_irsina, desk_picerno):
    context = build()
    irsina, picerno = Case.objects.filter(desk=desk_irsina), Case.objects.filter(desk=desk_picerno)
    opened = irsina.filter(opened_at__gte=START, opened_at__lt=END).count()
    closed = irsina.filter(closed_at__gte=START, closed_at__lt=END).count()
    open_at_end = irsina.filter(opened_at__lt=END).exclude(closed_at__lt=END).count()
    assert (opened, closed, open_at_end) == (7, 1, 7)
    rows = rows_by_code(context)
    assert (rows["IRS"]["opened"], rows["IRS"]["closed"], rows["IRS"]["open_at_end"]) == ("7", "<5", "7")
    assert rows["IRS"]["people"] == "8"  # the seven of the quarter and the one still open from 2025
    assert (rows["PIC"]["opened"], rows["PIC"]["people"]) == ("<5", "<5")
    assert picerno.filter(opened_at__gte=START, opened_at__lt=END).count() == 2
    assert (context["cases_opened"], context["cases_closed"], context["cases_open_at_end"]) == ("9", "<5", "9")
    assert context["people_total"] == "10"


def test_people_by_sex_age_and_citizenship(activity):
    context = build()
    assert dict(context["by_sex"]) == {"Female": "5", "Male": "5", "Other": "0", "Not stated": "0"}
    ages = dict(context["by_age"])
    assert ages["30–44"] == "9" and ages["0–17"] == "<5" and ages["18–29"] == "0"
    countries = dict(context["by_country"])
    assert countries["Morocco"] == "7" and countries["Bangladesh"] == "<5" and countries["Eritrea"] == "<5"


def test_needs_referrals_and_training(activity):
    context = build()
    needs = dict(context["needs"])
    assert needs["Health"] == "6" and needs["Work"] == "0"  # "no need" is not a need
    [row] = context["referral_rows"]
    assert row["label"] == "Work and job placement" and row["total"] == "6"
    statuses = dict(zip(context["referral_statuses"], row["cells"], strict=True))
    assert statuses == {"Drafted": "0", "Sent": "5", "Accepted": "0", "Completed": "<5", "Refused": "0"}
    assert (context["training_hours"], context["training_staff"]) == (Decimal("12.5"), 1)


def test_one_desk(activity, desk_picerno):
    context = build(desk=desk_picerno)
    assert list(rows_by_code(context)) == ["PIC"]
    assert context["people_total"] == "<5" and context["referral_rows"] == []
    assert context["desk_name"] == "PUA Picerno"


def test_a_supervisor_sees_only_their_desks(activity, supervisor_irsina, desk_picerno):
    assert list(desks_for(supervisor_irsina).values_list("code", flat=True)) == ["IRS"]
    context = build(user=supervisor_irsina)
    assert list(rows_by_code(context)) == ["IRS"] and context["people_total"] == "8"
    # Asking for another desk gives nothing of it.
    assert build(user=supervisor_irsina, desk=desk_picerno)["desk_rows"] == []
    form = get_builder("pua-activity").form(
        {"pua-activity-date_from": "2026-01-01", "pua-activity-date_to": "2026-03-31", "pua-activity-desk": ""},
        user=supervisor_irsina,
    )
    assert not form.is_valid() and "desk" in form.errors  # no "all desks" for a supervisor
    assert [str(choice[1]) for choice in form.fields["desk"].choices] == ["PUA Irsina"]


def test_officials_see_every_desk(activity, official):
    assert set(rows_by_code(build(user=official))) == {"IRS", "PIC"}


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [
        ("caseworker_irsina", False),
        ("caseworker_picerno", False),
        ("supervisor_irsina", True),  # limited to their desks (test above)
        ("operator_school_potenza", False),
        ("staff_school_matera", False),
        ("manager_association", False),
        ("editor", False),
        ("official", True),
        ("administrator", True),
    ],
)
def test_who_may_request_it(request, persona, allowed):
    assert get_builder("pua-activity").may_request(request.getfixturevalue(persona)) is allowed


def test_a_supervisors_request_is_built_for_their_desks_only(
    activity, supervisor_irsina, desk_irsina, desk_picerno, django_capture_on_commit_callbacks
):
    from aipim.reports.models import ReportRequest
    from aipim.reports.services import request_report

    builder = get_builder("pua-activity")
    form = builder.form(
        {
            "pua-activity-date_from": "2026-01-01",
            "pua-activity-date_to": "2026-03-31",
            "pua-activity-desk": desk_picerno.pk,
        },
        user=supervisor_irsina,
    )
    assert not form.is_valid()  # another desk is not a choice
    form = builder.form(
        {
            "pua-activity-date_from": "2026-01-01",
            "pua-activity-date_to": "2026-03-31",
            "pua-activity-desk": desk_irsina.pk,
        },
        user=supervisor_irsina,
    )
    assert form.is_valid(), form.errors
    with django_capture_on_commit_callbacks(execute=True):
        report = request_report(builder=builder, parameters=form.cleaned_data, by=supervisor_irsina)
    report.refresh_from_db()
    assert report.status == ReportRequest.Status.DONE, report.error
    assert "PUA Picerno" not in report.preview_html


def test_age_bands():
    on = datetime.date(2026, 3, 31)
    assert age_band(datetime.date(2008, 4, 1), on) == "0–17"
    assert age_band(datetime.date(2008, 3, 31), on) == "18–29"
    assert age_band(datetime.date(1961, 1, 1), on) == "65+"
    assert age_band(None, on) == ""


def test_parameters_survive_the_round_trip(desk_irsina):
    builder = get_builder("pua-activity")
    stored = builder.serialise_parameters({**QUARTER, "desk": desk_irsina})
    assert builder.parse_parameters(stored)["desk"] == desk_irsina


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


def test_the_pdf_prints_the_same_figures(activity, desk_irsina, tmp_path):
    builder = get_builder("pua-activity")
    context = build()
    body = rendering.render_body(builder, context, params=QUARTER)
    text = pdf_text(rendering.render_pdf(builder, body), tmp_path)

    irsina = Case.objects.filter(desk=desk_irsina)
    expected_irsina = [
        "8",
        str(irsina.filter(opened_at__gte=START, opened_at__lt=END).count()),
        "<5",
        str(irsina.filter(opened_at__lt=END).exclude(closed_at__lt=END).count()),
    ]
    assert figures_after(text, "PUA Irsina (IRS)") == expected_irsina
    assert figures_after(text, "PUA Picerno (PIC)") == ["<5", "<5", "0", "<5"]
    assert figures_after(text, "All desks in the report") == ["10", "9", "<5", "9"]
    assert figures_after(text, "Health") == [str(6)]
    assert figures_after(text, "Work and job placement") == ["0", "5", "0", "<5", "0", "6"]
    assert figures_after(text, "Morocco") == ["7"]
    assert "12.5" in text and "hours of training completed in the period by 1 member of staff" in text
