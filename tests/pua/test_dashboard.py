"""The supervisor's dashboard of a desk: right figures, only for that desk's supervisors, each figure
linked to its list, and the same number of queries whatever the desk's size."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from aipim.accounts.models import Role
from aipim.core.models import AuditEvent, Consent
from pua.models import Assessment, Case, CaseShare, Need, Referral, Task
from pua.services.cases import change_status, open_case
from tests.factories import ConsentFactory, PersonFactory, ServiceFactory
from tests.personas import PERSONAS


@pytest.fixture
def english(settings):
    settings.LANGUAGE_CODE = "en"


def new_case(desk, by, caseworker=None) -> Case:
    person = PersonFactory(organisation=desk)
    ConsentFactory(person=person, purpose=Consent.Purpose.CASE_MANAGEMENT, organisation=desk, recorded_by=by)
    return open_case(person=person, desk=desk, by=by, caseworker=caseworker)


def assess(case, by, **severities) -> Assessment:
    assessment = Assessment.objects.create(case=case, assessed_by=by)
    for domain, severity in severities.items():
        Need.objects.create(assessment=assessment, domain=domain, severity=severity)
    return assessment


def build_desk(desk, caseworker, n: int = 1) -> None:
    """n copies of: an open case, an assessed one, a closed one (unassigned), with needs, referrals and tasks."""
    service = ServiceFactory()
    today = timezone.localdate()
    for _ in range(n):
        open_one = new_case(desk, caseworker, caseworker)
        assessed = new_case(desk, caseworker, caseworker)
        old = assess(assessed, caseworker, health=3, work=2)
        Assessment.objects.filter(pk=old.pk).update(assessed_at=timezone.now() - timedelta(days=30))
        assess(assessed, caseworker, work=2, housing=0)  # latest: work only (housing "no need")
        change_status(case=assessed, to=Case.Status.ASSESSED, by=caseworker)
        closed = new_case(desk, caseworker)
        change_status(case=closed, to=Case.Status.CLOSED, by=caseworker, closing_reason="goals_met")
        Referral.objects.create(case=open_one, service=service, reason="r", created_by=caseworker)
        Referral.objects.create(
            case=assessed,
            service=service,
            reason="r",
            created_by=caseworker,
            status=Referral.Status.SENT,
            sent_at=timezone.now() - timedelta(days=10),
            acknowledge_by=timezone.now() - timedelta(days=3),
        )
        Task.objects.create(case=open_one, title="Call back", due_date=today - timedelta(days=2), created_by=caseworker)
        Task.objects.create(case=open_one, title="Later", due_date=today + timedelta(days=2), created_by=caseworker)


@pytest.fixture
def data(desk_irsina, desk_picerno, caseworker_irsina, caseworker_picerno):
    build_desk(desk_irsina, caseworker_irsina)
    build_desk(desk_picerno, caseworker_picerno)  # must not count at Irsina


@pytest.mark.parametrize("persona", PERSONAS)
def test_dashboard_by_role(request, client_for, data, persona):
    response = client_for(request.getfixturevalue(persona)).get(reverse("pua:dashboard"))
    # Supervisors of the desk only: caseworkers and every other role are refused.
    assert response.status_code == (200 if persona == "supervisor_irsina" else 403)


def test_supervisor_cannot_open_another_desks_dashboard(client_for, supervisor_irsina, desk_picerno):
    for path in ("pua:dashboard", "pua:dashboard_tasks"):
        response = client_for(supervisor_irsina).get(reverse(path), {"desk": desk_picerno.pk})
        assert response.status_code == 404
    response = client_for(supervisor_irsina).get(
        reverse("pua:dashboard_referrals"), {"desk": desk_picerno.pk, "status": "sent"}
    )
    assert response.status_code == 404


def test_figures(client_for, supervisor_irsina, caseworker_irsina, desk_irsina, data):
    context = client_for(supervisor_irsina).get(reverse("pua:dashboard")).context
    assert context["desk"] == desk_irsina
    rows = {row["key"]: row for row in context["caseload_rows"]}
    assert dict(rows[caseworker_irsina.pk]["cells"]) == {"open": 1, "assessed": 1, "plan_active": 0, "closed": 0}
    assert rows[caseworker_irsina.pk]["active"] == 2
    assert dict(rows["none"]["cells"])["closed"] == 1
    assert {value: n for value, _label, n in context["status_rows"]} == {
        "open": 1,
        "assessed": 1,
        "plan_active": 0,
        "closed": 1,
    }
    domains = {value: n for value, _label, n in context["domain_rows"]}
    assert domains["work"] == 1 and domains["health"] == 0 and domains["housing"] == 0
    referrals = {value: n for value, _label, n in context["referral_rows"]}
    assert referrals["drafted"] == 1 and referrals["sent"] == 1 and referrals["accepted"] == 0
    assert context["overdue_referrals"] == 1
    assert context["overdue_tasks"] == 1


def test_each_figure_links_to_its_list(client_for, supervisor_irsina, caseworker_irsina, desk_irsina, data, english):
    html = client_for(supervisor_irsina).get(reverse("pua:dashboard")).content.decode()
    assert f"?desk={desk_irsina.pk}&amp;caseworker={caseworker_irsina.pk}&amp;status=open" in html
    assert f"?desk={desk_irsina.pk}&amp;caseworker=none&amp;status=closed" in html
    assert f"?desk={desk_irsina.pk}&amp;status=closed" in html
    assert f"?desk={desk_irsina.pk}&amp;domain=work" in html
    assert f"{reverse('pua:dashboard_referrals')}?desk={desk_irsina.pk}&amp;status=overdue" in html
    assert f"{reverse('pua:dashboard_tasks')}?desk={desk_irsina.pk}" in html


def test_referral_and_task_lists_match_the_figures(client_for, supervisor_irsina, desk_irsina, data):
    client = client_for(supervisor_irsina)
    overdue = client.get(reverse("pua:dashboard_referrals"), {"desk": desk_irsina.pk, "status": "overdue"})
    assert overdue.status_code == 200
    assert [r.case.desk_id for r in overdue.context["page"].object_list] == [desk_irsina.pk]
    drafted = client.get(reverse("pua:dashboard_referrals"), {"desk": desk_irsina.pk, "status": "drafted"})
    assert len(drafted.context["page"].object_list) == 1
    tasks = client.get(reverse("pua:dashboard_tasks"), {"desk": desk_irsina.pk})
    assert [t.title for t in tasks.context["page"].object_list] == ["Call back"]
    assert AuditEvent.objects.filter(user=supervisor_irsina, action="task.list").exists()
    bad = client.get(reverse("pua:dashboard_referrals"), {"desk": desk_irsina.pk, "status": "nonsense"})
    assert bad.status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_drill_down_lists_by_role(request, client_for, data, desk_irsina, persona):
    client = client_for(request.getfixturevalue(persona))
    referrals = client.get(reverse("pua:dashboard_referrals"), {"desk": desk_irsina.pk, "status": "sent"})
    tasks = client.get(reverse("pua:dashboard_tasks"), {"desk": desk_irsina.pk})
    expected = 200 if persona == "supervisor_irsina" else 403
    assert (referrals.status_code, tasks.status_code) == (expected, expected)


def test_same_number_of_queries_whatever_the_size(client_for, supervisor_irsina, desk_irsina, make_member):
    client = client_for(supervisor_irsina)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("pua:dashboard")).status_code == 200
        return len(queries)

    first_worker = make_member(Role.CASEWORKER, desk_irsina)
    build_desk(desk_irsina, first_worker, n=1)
    count()  # the first request of a session also touches the session itself
    small = count()
    for _ in range(3):
        build_desk(desk_irsina, make_member(Role.CASEWORKER, desk_irsina), n=3)
    assert count() == small
    assert small <= 15


def test_case_list_behind_each_figure_counts_the_same(
    client_for, supervisor_irsina, caseworker_irsina, desk_irsina, data
):
    client = client_for(supervisor_irsina)
    context = client.get(reverse("pua:dashboard")).context

    def listed(**filters) -> int:
        return client.get(reverse("pua:case_list"), {"desk": desk_irsina.pk, **filters}).context["page"].paginator.count

    for value, _label, n in context["status_rows"]:
        assert listed(status=value) == n
    for value, _label, n in context["domain_rows"]:
        assert listed(domain=value) == n
    row = next(row for row in context["caseload_rows"] if row["key"] == caseworker_irsina.pk)
    for value, n in row["cells"]:
        assert listed(caseworker=caseworker_irsina.pk, status=value) == n
    unassigned = next(row for row in context["caseload_rows"] if row["user"] is None)
    assert dict(unassigned["cells"])["closed"] == 1
    for value, n in unassigned["cells"]:
        assert listed(caseworker="none", status=value) == n


def test_a_case_shared_with_the_desk_is_in_its_list_but_not_in_its_figures(
    client_for, supervisor_irsina, desk_irsina, desk_picerno, caseworker_picerno, data
):
    shared = Case.objects.filter(desk=desk_picerno, status=Case.Status.OPEN).first()
    CaseShare.objects.create(
        case=shared,
        kind=CaseShare.Kind.SHARE,
        from_desk=desk_picerno,
        desk=desk_irsina,
        status=CaseShare.Status.ACCEPTED,
        reason="Follow-up at Irsina",
        requested_by=caseworker_picerno,
    )
    client = client_for(supervisor_irsina)
    figures = {value: n for value, _label, n in client.get(reverse("pua:dashboard")).context["status_rows"]}

    def listed(**filters) -> list[str]:
        page = client.get(reverse("pua:case_list"), {"status": "open", **filters}).context["page"]
        return [case.number for case in page.object_list]

    # The figure links to the list of the desk's own cases; "any desk" adds the shared one.
    assert len(listed(desk=desk_irsina.pk)) == figures["open"] == 1
    assert sorted(listed()) == sorted([*listed(desk=desk_irsina.pk), shared.number])
