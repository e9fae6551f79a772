"""The case list and its CSV export: scoping for every persona, filters, name search kept out of
URLs, sorting, and a fixed number of queries whatever the page size."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from aipim.core.models import AuditEvent, Consent
from pua.models import Assessment, BreakGlassGrant, Case, CaseShare, Need
from pua.selectors import case_list
from pua.services.cases import change_status, open_case
from tests.factories import ConsentFactory, PersonFactory, municipality
from tests.personas import PERSONAS

SEES_IRSINA_CASES = {"caseworker_irsina", "supervisor_irsina"}
PUA_STAFF = SEES_IRSINA_CASES | {"caseworker_picerno"}


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def make_case(desk, user, *, given="Amina", family="Benali", town="Irsina", **person):
    person = PersonFactory(given_names=given, family_names=family, municipality=municipality(town), **person)
    ConsentFactory(person=person, purpose=Consent.Purpose.CASE_MANAGEMENT, organisation=desk, recorded_by=user)
    return open_case(person=person, desk=desk, by=user, caseworker=user)


def assess(case, user, **severities):
    assessment = Assessment.objects.create(case=case, assessed_by=user)
    for domain, severity in severities.items():
        Need.objects.create(assessment=assessment, domain=domain, severity=severity)
    return assessment


def numbers(response) -> list[str]:
    return [case.number for case in response.context["page"].object_list]


@pytest.mark.parametrize("persona", PERSONAS)
def test_case_list_by_role_and_organisation(request, client_for, case_irsina, case_picerno, persona):
    user = request.getfixturevalue(persona)
    response = client_for(user).get(reverse("pua:case_list"))
    body = response.content.decode()
    if persona in PUA_STAFF:
        assert response.status_code == 200
        assert (case_irsina.number in body) is (persona in SEES_IRSINA_CASES)
        assert (case_picerno.number in body) is (persona == "caseworker_picerno")
        assert AuditEvent.objects.filter(user=user, action="case.list").exists()
    else:
        assert response.status_code == 403
        assert case_irsina.number not in body
        assert "Abdel Aziz" not in body


@pytest.mark.parametrize("persona", PERSONAS)
def test_case_export_by_role_and_organisation(request, client_for, case_irsina, case_picerno, persona):
    user = request.getfixturevalue(persona)
    response = client_for(user).get(reverse("pua:case_export"))
    body = response.content.decode()
    if persona in PUA_STAFF:
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        assert (case_irsina.number in body) is (persona in SEES_IRSINA_CASES)
        assert (case_picerno.number in body) is (persona == "caseworker_picerno")
        event = AuditEvent.objects.get(user=user, action="case.export")
        assert event.details["count"] == 1
    else:
        assert response.status_code == 403
        assert case_irsina.number not in body


def test_the_scope_holds_own_shared_and_break_glass_cases(
    case_irsina, case_picerno, caseworker_irsina, caseworker_picerno, supervisor_irsina, desk_irsina, desk_picerno
):
    other = make_case(desk_picerno, caseworker_picerno, given="Sara", family="Tesfay", town="Picerno")
    CaseShare.objects.create(
        case=case_picerno,
        kind=CaseShare.Kind.SHARE,
        from_desk=desk_picerno,
        desk=desk_irsina,
        status=CaseShare.Status.ACCEPTED,
        reason="moved",
        requested_by=caseworker_picerno,
    )
    BreakGlassGrant.objects.create(
        case=other, user=caseworker_irsina, reason="crisis", expires_at=timezone.now() + datetime.timedelta(hours=24)
    )
    assert set(Case.objects.for_user(caseworker_irsina)) == {case_irsina, case_picerno, other}
    assert set(Case.objects.for_user(supervisor_irsina)) == {case_irsina, case_picerno}  # break glass is personal
    assert set(Case.objects.for_user(caseworker_picerno)) == {case_picerno, other}


def test_filters(caseworker_irsina, supervisor_irsina, desk_irsina):
    housing = make_case(desk_irsina, caseworker_irsina, given="Ali", family="Hassan", town="Matera")
    work = make_case(desk_irsina, supervisor_irsina, given="Sara", family="Tesfay")
    assess(housing, caseworker_irsina, work=3)
    assess(housing, caseworker_irsina, housing=4, work=0)  # the latest assessment counts
    assess(work, caseworker_irsina, work=2)
    change_status(case=work, to=Case.Status.ASSESSED, by=caseworker_irsina)
    Case.objects.filter(pk=housing.pk).update(opened_at=timezone.now() - datetime.timedelta(days=40))

    def found(**filters):
        return set(case_list(caseworker_irsina, filters))

    assert found(domain="housing") == {housing}
    assert found(domain="work") == {work}
    assert found(status="assessed") == {work}
    assert found(caseworker=supervisor_irsina.pk) == {work}
    Case.objects.filter(pk=work.pk).update(caseworker=None)
    assert found(caseworker="none") == {work}
    assert found(caseworker=supervisor_irsina.pk) == set()
    assert found(municipality=municipality("Matera").pk) == {housing}
    assert found(opened_from=timezone.localdate() - datetime.timedelta(days=5)) == {work}
    assert found(opened_to=timezone.localdate() - datetime.timedelta(days=5)) == {housing}
    assert found(search="Alee Hasan") == {housing}
    assert next(iter(case_list(caseworker_irsina, {"domain": "housing"}))).need_domains == ["housing"]


def test_each_row_links_to_its_case(client_for, caseworker_irsina, desk_irsina, settings):
    cases = [make_case(desk_irsina, caseworker_irsina, given=given, family="Diallo") for given in ("Awa", "Moussa")]
    body = client_for(caseworker_irsina).get(reverse("pua:case_list")).content.decode()
    for case in cases:
        assert f'<a href="{reverse("pua:case_detail", kwargs={"pk": case.pk})}">{case.number}</a>' in body
    settings.LANGUAGE_CODE = "it"
    body = client_for(caseworker_irsina).get(reverse("pua:case_list")).content.decode()
    assert f'href="{reverse("pua:case_detail", kwargs={"pk": cases[0].pk})}"' in body


def test_filters_through_the_page(client_for, caseworker_irsina, desk_irsina):
    closed = make_case(desk_irsina, caseworker_irsina, given="Ali", family="Hassan")
    still_open = make_case(desk_irsina, caseworker_irsina, given="Sara", family="Tesfay")
    change_status(case=closed, to=Case.Status.CLOSED, by=caseworker_irsina, closing_reason="moved")
    response = client_for(caseworker_irsina).get(reverse("pua:case_list"), {"status": "closed"})
    assert numbers(response) == [closed.number]
    assert still_open.number not in response.content.decode()


def test_search_keeps_the_name_out_of_the_url(client_for, caseworker_irsina, desk_irsina):
    found = make_case(desk_irsina, caseworker_irsina, given="Mohamed", family="Abdelkarim")
    other = make_case(desk_irsina, caseworker_irsina, given="Sara", family="Tesfay")
    client = client_for(caseworker_irsina)
    response = client.post(reverse("pua:case_list"), {"q": "Muhammad Abd al Karim", "query": "status=open"})
    assert response.status_code == 302
    location = response["Location"]
    assert "arim" not in location.lower()
    assert "status=open" in location
    assert "search=" in location
    page = client.get(location)
    assert numbers(page) == [found.number]
    export = client.get(reverse("pua:case_export") + location[location.index("?") :])
    assert found.number in export.content.decode()
    assert other.number not in export.content.decode()
    # Another user cannot reuse the key: it lives in the searcher's session.
    assert AuditEvent.objects.get(action="case.export").details["searched"] is True


def test_a_searched_page_brings_its_rows_and_their_total_in_one_query(client_for, caseworker_irsina, desk_irsina):
    for i in range(27):
        make_case(desk_irsina, caseworker_irsina, given="Mohamed", family=f"Diallo{chr(97 + i)}")
    make_case(desk_irsina, caseworker_irsina, given="Sara", family="Tesfay")
    client = client_for(caseworker_irsina)
    location = client.post(reverse("pua:case_list"), {"q": "Muhammad", "query": ""})["Location"]
    client.get(location)
    with CaptureQueriesContext(connection) as queries:
        first = client.get(location)
    assert first.context["page"].paginator.count == 27
    assert len(numbers(first)) == 25
    assert not [q for q in queries if "COUNT(*)" in q["sql"].upper() and "OVER" not in q["sql"].upper()]
    assert len(queries) <= 9
    second = client.get(location + "&page=2")
    assert (second.context["page"].number, len(numbers(second))) == (2, 2)
    assert set(numbers(first)).isdisjoint(numbers(second))
    past_the_end = client.get(location + "&page=9")  # shows the last page, as unsearched lists do
    assert past_the_end.context["page"].number == 2
    none = client.post(reverse("pua:case_list"), {"q": "Zzyzx Qwerty", "query": ""})["Location"]
    empty = client.get(none)
    assert empty.context["page"].paginator.count == 0
    assert "No cases match." in empty.content.decode()


def test_sorting(client_for, caseworker_irsina, desk_irsina):
    zed = make_case(desk_irsina, caseworker_irsina, given="Amina", family="Zeroual")
    abe = make_case(desk_irsina, caseworker_irsina, given="Ali", family="Abebe")
    client = client_for(caseworker_irsina)
    assert numbers(client.get(reverse("pua:case_list"), {"sort": "name"})) == [abe.number, zed.number]
    assert numbers(client.get(reverse("pua:case_list"), {"sort": "-name"})) == [zed.number, abe.number]
    assert numbers(client.get(reverse("pua:case_list"), {"sort": "number"})) == [zed.number, abe.number]
    assert numbers(client.get(reverse("pua:case_list"))) == [abe.number, zed.number]  # newest first
    page = client.get(reverse("pua:case_list"), {"sort": "name"}).content.decode()
    assert 'aria-sort="ascending"' in page


def test_pagination_keeps_the_filters(client_for, caseworker_irsina, desk_irsina):
    for i in range(27):
        make_case(desk_irsina, caseworker_irsina, given=f"Given{i}", family=f"Family{i}")
    response = client_for(caseworker_irsina).get(reverse("pua:case_list"), {"status": "open"})
    assert len(numbers(response)) == 25
    assert "status=open&amp;page=2" in response.content.decode()


def test_csv_cells_never_run_as_formulas(client_for, caseworker_irsina, desk_irsina):
    make_case(desk_irsina, caseworker_irsina, given="=HYPERLINK(1)", family="Test")
    rows = list(csv.reader(io.StringIO(client_for(caseworker_irsina).get(reverse("pua:case_export")).content.decode())))
    assert rows[0][0] == "number"
    assert rows[1][7] == "'=HYPERLINK(1)"


def count_list_queries(client, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("pua:case_list"), params).status_code == 200
    return len(queries)


def test_case_list_runs_a_fixed_number_of_queries(
    client_for, caseworker_irsina, supervisor_irsina, desk_irsina, django_assert_max_num_queries
):
    client = client_for(caseworker_irsina)
    for i in range(3):
        assess(make_case(desk_irsina, caseworker_irsina, given=f"Given{i}", family="Few"), caseworker_irsina, work=2)
    client.get(reverse("pua:case_list"))  # the first page of a session also updates the session
    few = count_list_queries(client)
    for i in range(30):
        case = make_case(desk_irsina, supervisor_irsina, given=f"Given{i}", family="Many", town="Matera")
        assess(case, supervisor_irsina, work=2, housing=3, health=1)
    with django_assert_max_num_queries(few):
        client.get(reverse("pua:case_list"))
    with django_assert_max_num_queries(few):
        client.get(reverse("pua:case_list"), {"page": 2, "sort": "name", "domain": "work"})
    # Every filter set at once: the choices are validated without a query of their own.
    every_filter = {
        "status": "open",
        "caseworker": supervisor_irsina.pk,
        "domain": "work",
        "municipality": municipality("Matera").pk,
        "desk": desk_irsina.pk,
        "opened_from": "2020-01-01",
        "sort": "-name",
    }
    with django_assert_max_num_queries(few):
        response = client.get(reverse("pua:case_list"), every_filter)
    assert len(numbers(response)) == 25
    assert count_list_queries(client) == few
    # Session, user, memberships, shared cases, count, rows, audit, caseworkers, municipalities.
    assert few <= 9


def test_a_filter_nobody_can_choose_is_refused_with_a_reason(client_for, caseworker_irsina, desk_picerno):
    response = client_for(caseworker_irsina).get(
        reverse("pua:case_list"), {"desk": desk_picerno.pk, "caseworker": "123456789"}
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"desk", "caseworker"}
    assert "Select a valid choice" in response.content.decode()
