"""The PUA read API: every persona inside and outside the desk, the audit trail of reads, what is
never exposed (notes, free text, names in lists), filters, and a fixed number of queries."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from aipim.core.models import AuditEvent, Consent
from pua.models import Appointment, Assessment, Case, Need, NeedDomain, Note, Referral
from pua.services.cases import change_status, open_case
from tests.factories import ConsentFactory, PersonFactory, ServiceFactory
from tests.personas import PERSONAS

# The Irsina desk's case is read by its own caseworker and supervisor, and by no one else
# (administrators answer access requests through the privacy tools, not through case reads).
SEES_CASE_AT_IRSINA = {"caseworker_irsina", "supervisor_irsina"}
MATRIX = [(persona, persona in SEES_CASE_AT_IRSINA) for persona in PERSONAS]


@pytest.fixture
def irsina_records(case_irsina, caseworker_irsina):
    """The Irsina case with a need, a note, a referral and an appointment."""
    assessment = Assessment.objects.create(case=case_irsina, assessed_by=caseworker_irsina)
    Need.objects.create(
        assessment=assessment, domain=NeedDomain.HEALTH, severity=Need.Severity.HIGH, notes="diabete non curato"
    )
    Note.objects.create(case=case_irsina, body="colloquio riservato", author=caseworker_irsina)
    service = ServiceFactory(name="Centro per l'impiego", category="work")
    referral = Referral.objects.create(
        case=case_irsina,
        service=service,
        reason="cerca lavoro, problemi di salute",
        status=Referral.Status.SENT,
        created_by=caseworker_irsina,
        sent_at=timezone.now(),
        acknowledge_by=timezone.now() - datetime.timedelta(days=1),
    )
    start = timezone.now() + datetime.timedelta(days=2)
    appointment = Appointment.objects.create(
        case=case_irsina,
        caseworker=caseworker_irsina,
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=1),
        purpose="Colloquio",
    )
    return {"case": case_irsina, "referral": referral, "appointment": appointment}


def _endpoints(records) -> list[tuple[str, str, str, str]]:
    """(list url, detail url, audit noun, the object's audited id)."""
    case, referral, appointment = records["case"], records["referral"], records["appointment"]
    return [
        (reverse("pua-case-list"), reverse("pua-case-detail", args=[case.number]), "case", str(case.pk)),
        (
            reverse("pua-referral-list"),
            reverse("pua-referral-detail", args=[referral.pk]),
            "referral",
            str(referral.pk),
        ),
        (
            reverse("pua-appointment-list"),
            reverse("pua-appointment-detail", args=[appointment.pk]),
            "appointment",
            str(appointment.pk),
        ),
    ]


@pytest.mark.parametrize(("persona", "allowed"), MATRIX)
def test_lists_by_role_and_organisation(request, client_for, irsina_records, case_picerno, persona, allowed):
    user = request.getfixturevalue(persona)
    client = client_for(user)
    for list_url, _detail, noun, _pk in _endpoints(irsina_records):
        response = client.get(list_url)
        assert response.status_code == 200, list_url
        rows = response.json()["results"]
        numbers = {row.get("number") or row.get("case") for row in rows}
        assert (irsina_records["case"].number in numbers) is allowed
        # Picerno's own case is in its caseworker's list; no one else sees it.
        assert (case_picerno.number in numbers) is (persona == "caseworker_picerno" and noun == "case")
        event = AuditEvent.objects.get(user=user, action=f"{noun}.list")
        assert event.details == {"count": len(rows), "via": "api"}


@pytest.mark.parametrize(("persona", "allowed"), MATRIX)
def test_details_by_role_and_organisation(request, client_for, irsina_records, persona, allowed):
    user = request.getfixturevalue(persona)
    client = client_for(user)
    for _list, detail_url, noun, pk in _endpoints(irsina_records):
        response = client.get(detail_url)
        viewed = AuditEvent.objects.filter(user=user, action=f"{noun}.view", object_id=pk)
        if allowed:
            assert response.status_code == 200, detail_url
            assert viewed.get().details == {"via": "api"}
        else:
            assert response.status_code == 404, detail_url
            assert "Abdel" not in response.content.decode()
            assert not viewed.exists()


def test_anonymous_callers_get_nothing(client, irsina_records):
    for list_url, detail_url, _noun, _pk in _endpoints(irsina_records):
        assert client.get(list_url).status_code in (401, 403)
        assert client.get(detail_url).status_code in (401, 403)


def test_a_list_names_no_one_and_the_detail_names_the_person(client_for, caseworker_irsina, irsina_records):
    client = client_for(caseworker_irsina)
    case = irsina_records["case"]
    [row] = client.get(reverse("pua-case-list")).json()["results"]
    assert row["person"] == {"public_id": str(case.person.public_id)}
    assert "Abdel" not in str(row) and "history" not in row and "needs" not in row
    detail = client.get(reverse("pua-case-detail", args=[case.number])).json()
    assert detail["person"]["family_names"] == "Abdel Aziz"
    assert detail["desk"] == "IRS" and detail["status"] == "open" and detail["caseworker"] == caseworker_irsina.email
    assert [(h["from_status"], h["to_status"]) for h in detail["history"]] == [("", "open")]
    assert detail["needs"] == [{"domain": "health", "severity": 3}]


def test_notes_and_free_text_never_travel(client_for, caseworker_irsina, irsina_records):
    client = client_for(caseworker_irsina)
    bodies = []
    for list_url, detail_url, _noun, _pk in _endpoints(irsina_records):
        bodies += [client.get(list_url).content.decode(), client.get(detail_url).content.decode()]
    for secret in ("diabete", "colloquio riservato", "problemi di salute", "Via Roma"):
        assert all(secret not in body for body in bodies), secret


def test_referral_fields(client_for, caseworker_irsina, irsina_records):
    referral = irsina_records["referral"]
    data = client_for(caseworker_irsina).get(reverse("pua-referral-detail", args=[referral.pk])).json()
    assert data["case"] == irsina_records["case"].number
    assert data["service"] == str(referral.service.pk) and data["service_category"] == "work"
    assert data["status"] == "sent" and data["is_overdue"] is True


def test_a_shared_case_is_read_by_the_receiving_desk(client_for, caseworker_picerno, irsina_records, desk_picerno):
    from pua.models import CaseShare

    case = irsina_records["case"]
    CaseShare.objects.create(
        case=case,
        kind=CaseShare.Kind.SHARE,
        from_desk=case.desk,
        desk=desk_picerno,
        status=CaseShare.Status.ACCEPTED,
        reason="presa in carico congiunta",
        requested_by=case.opened_by,
    )
    assert client_for(caseworker_picerno).get(reverse("pua-case-detail", args=[case.number])).status_code == 200


@pytest.fixture
def more_cases(desk_irsina, caseworker_irsina):
    """Open, closed and older cases at Irsina to filter."""
    cases = []
    for _ in range(3):
        person = PersonFactory(organisation=desk_irsina)
        ConsentFactory(person=person, purpose=Consent.Purpose.CASE_MANAGEMENT, organisation=desk_irsina)
        cases.append(open_case(person=person, desk=desk_irsina, by=caseworker_irsina))
    change_status(case=cases[0], to=Case.Status.CLOSED, by=caseworker_irsina, closing_reason="goals_met")
    Case.objects.filter(pk=cases[1].pk).update(opened_at=timezone.make_aware(datetime.datetime(2024, 3, 1, 10)))
    return cases


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=closed", {0}),
        ("status=open", {1, 2}),
        ("desk=IRS", {0, 1, 2}),
        ("desk=PIC", set()),
        ("opened_to=2024-12-31", {1}),
        ("opened_from=2025-01-01", {0, 2}),
        ("opened_from=2024-01-01&opened_to=2024-03-01", {1}),
    ],
)
def test_case_filters(client_for, caseworker_irsina, desk_picerno, more_cases, query, expected):
    response = client_for(caseworker_irsina).get(f"{reverse('pua-case-list')}?{query}")
    assert response.status_code == 200
    assert {row["number"] for row in response.json()["results"]} == {more_cases[i].number for i in expected}


@pytest.mark.parametrize(
    ("url", "status", "reason"),
    [
        ("/api/v1/pua/cases/?status=magic", 400, "status"),
        ("/api/v1/pua/cases/?desk=NOPE", 400, "desk"),
        ("/api/v1/pua/cases/?opened_from=yesterday", 400, "opened_from"),
        ("/api/v1/pua/cases/?name=Abdel", 400, "unknown_parameters"),
        ("/api/v1/pua/cases/PUA-IRS-2026-99999/", 404, "detail"),
        ("/api/v1/pua/cases/not-a-number/", 404, None),
        ("/api/v1/pua/referrals/999999/", 404, "detail"),
        ("/api/v1/pua/referrals/abc/", 404, None),
        ("/api/v1/pua/appointments/?starts_from=soon", 400, "starts_from"),
    ],
)
def test_client_mistakes_answer_with_a_reason(client_for, caseworker_irsina, url, status, reason):
    response = client_for(caseworker_irsina).get(url)
    assert response.status_code == status
    if reason:
        assert reason in response.json()


def test_appointment_filters(client_for, caseworker_irsina, irsina_records):
    client = client_for(caseworker_irsina)
    day = timezone.localdate(irsina_records["appointment"].starts_at)
    url = reverse("pua-appointment-list")
    assert client.get(f"{url}?starts_from={day}&starts_to={day}").json()["count"] == 1
    assert client.get(f"{url}?starts_to={day - datetime.timedelta(days=1)}").json()["count"] == 0
    assert client.get(f"{url}?case={irsina_records['case'].number}").json()["count"] == 1


def _add_case_with_children(desk, caseworker):
    person = PersonFactory(organisation=desk)
    ConsentFactory(person=person, purpose=Consent.Purpose.CASE_MANAGEMENT, organisation=desk)
    case = open_case(person=person, desk=desk, by=caseworker, caseworker=caseworker)
    Referral.objects.create(case=case, service=ServiceFactory(), reason="x", created_by=caseworker)
    start = timezone.now()
    Appointment.objects.create(
        case=case, caseworker=caseworker, starts_at=start, ends_at=start + datetime.timedelta(hours=1), purpose="p"
    )


@pytest.mark.parametrize("name", ["pua-case-list", "pua-referral-list", "pua-appointment-list"])
def test_lists_run_a_fixed_number_of_queries(
    client_for, caseworker_irsina, desk_irsina, name, django_assert_max_num_queries
):
    client = client_for(caseworker_irsina)
    _add_case_with_children(desk_irsina, caseworker_irsina)
    with django_assert_max_num_queries(20) as small:
        assert client.get(reverse(name)).json()["count"] == 1
    for _ in range(15):
        _add_case_with_children(desk_irsina, caseworker_irsina)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(reverse(name)).json()["count"] == 16


def test_case_detail_runs_a_fixed_number_of_queries(
    client_for, caseworker_irsina, irsina_records, django_assert_max_num_queries
):
    client = client_for(caseworker_irsina)
    url = reverse("pua-case-detail", args=[irsina_records["case"].number])
    with django_assert_max_num_queries(20) as small:
        client.get(url)
    case = irsina_records["case"]
    change_status(case=case, to=Case.Status.ASSESSED, by=caseworker_irsina)
    change_status(case=case, to=Case.Status.PLAN_ACTIVE, by=caseworker_irsina)
    assessment = Assessment.objects.create(case=case, assessed_by=caseworker_irsina)
    for domain in (NeedDomain.WORK, NeedDomain.HOUSING, NeedDomain.LANGUAGE):
        Need.objects.create(assessment=assessment, domain=domain, severity=Need.Severity.LOW)
    with django_assert_max_num_queries(len(small.captured_queries)):
        data = client.get(url).json()
    assert len(data["history"]) == 3 and len(data["needs"]) == 3


def test_the_pua_endpoints_are_in_the_schema(client, db):
    schema = client.get("/api/schema/?format=json").json()
    for path in (
        "/api/v1/pua/cases/",
        "/api/v1/pua/cases/{number}/",
        "/api/v1/pua/referrals/",
        "/api/v1/pua/referrals/{id}/",
        "/api/v1/pua/appointments/",
        "/api/v1/pua/appointments/{id}/",
    ):
        assert "200" in schema["paths"][path]["get"]["responses"], path
    case = schema["components"]["schemas"]["Case"]["properties"]
    assert "notes" not in case and {"history", "needs", "person"} <= set(case)
