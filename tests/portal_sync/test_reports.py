"""The "Action 3 – portal sync" report: every figure against the page that shows the same thing for the
same filters (each test names it: the editors' inbox, the rejected records, the admin's run and
rejected-record lists), failure streaks and dead letters with their times to resolve, who may request
it, a fixed number of queries, and the same figures in the PDF."""

from __future__ import annotations

import datetime
import re
import subprocess

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from aipim.reports import rendering
from aipim.reports.registry import get_builder
from portal_sync.models import (
    ContentItem,
    ContentVersion,
    Direction,
    ItemKind,
    ItemState,
    OutboxMessage,
    RejectedRecord,
    SyncRun,
)
from portal_sync.reports import Action3Report, action3_figures, duration, failure_streaks, median, period_bounds
from tests.factories import UserFactory
from tests.personas import PERSONAS
from tests.portal_sync.test_editorial import make_item

TODAY = timezone.localdate()
DATE_FROM = TODAY - datetime.timedelta(days=60)
DATE_TO = TODAY - datetime.timedelta(days=1)
SLUG = "portal-sync-results"
DAY, MINUTES_5 = datetime.timedelta(days=1), datetime.timedelta(minutes=5)


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def at(days_ago: int, hour: int = 10) -> datetime.datetime:
    day = TODAY - datetime.timedelta(days=days_ago)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def item(endpoint, *, received: int, kind=ItemKind.NEWS, **fields) -> ContentItem:
    made = make_item(endpoint, kind=kind, **fields)
    ContentItem.objects.filter(pk=made.pk).update(received_at=at(received), state_changed_at=at(received))
    return made


def run(endpoint, days_ago: int, status: str, *, direction=Direction.PULL, hour: int = 10) -> SyncRun:
    started = at(days_ago, hour)
    return SyncRun.objects.create(
        endpoint=endpoint, direction=direction, status=status, started_at=started, finished_at=started + MINUTES_5
    )


def message(endpoint, **fields) -> OutboxMessage:
    fields.setdefault("object_type", "service")
    fields.setdefault("object_id", "1")
    return OutboxMessage.objects.create(endpoint=endpoint, operation=OutboxMessage.Operation.UPSERT, **fields)


@pytest.fixture
def period(make_endpoint):
    """Two sources and two systems we send to.

    Portale (news feed): three news received in the period, one published and still published, one
    published then withdrawn by an editor; an opportunity withdrawn because the source removed it; an
    event still to review; a news received and published before the period. Its runs: a streak of two
    failures (an abandoned run in between) ended by a run with three rejected records after 3 days and
    5 minutes; a second streak of 1 day and 5 minutes; a third still failing.
    Directory (HSDS services): two services received in the period, one published, the other changed
    twice at the source (versions 2 and 3); a streak begun before the period that ended in it (15 days
    and 5 minutes); a rejected record before the period.
    CKAN and the regional directory (push): services and a dataset sent, two messages waiting, five
    dead letters (see `test_dead_letters_and_their_time_to_resolve`), a failed drain."""
    portal = make_endpoint(title="Portale Integrazione Migranti")
    directory = make_endpoint(title="Directory HSDS", adapter="hsds", item_kind="")
    ckan = make_endpoint(title="CKAN regionale", adapter="ckan", direction=Direction.PUSH, item_kind="")
    regional = make_endpoint(title="Directory regionale", adapter="hsds", direction=Direction.PUSH, item_kind="")

    for _ in range(3):
        item(portal, received=30)
    published = item(portal, received=29)
    ContentItem.objects.filter(pk=published.pk).update(state=ItemState.PUBLISHED, published_at=at(20))
    withdrawn = item(portal, received=28)
    ContentItem.objects.filter(pk=withdrawn.pk).update(
        state=ItemState.WITHDRAWN, published_at=at(25), state_changed_at=at(10), withdrawn_reason="Scaduto"
    )
    removed = item(portal, received=40, kind=ItemKind.OPPORTUNITY)
    ContentItem.objects.filter(pk=removed.pk).update(
        state=ItemState.WITHDRAWN, removed_at_source_at=at(5), state_changed_at=at(5)
    )
    item(portal, received=15, kind=ItemKind.EVENT)
    old = item(portal, received=90)
    ContentItem.objects.filter(pk=old.pk).update(state=ItemState.PUBLISHED, published_at=at(80))

    service = item(directory, received=50, kind=ItemKind.SERVICE)
    ContentItem.objects.filter(pk=service.pk).update(state=ItemState.PUBLISHED, published_at=at(45))
    changed = item(directory, received=50, kind=ItemKind.SERVICE, version=3)  # its version 3 is kept
    ContentVersion.objects.filter(item=changed).update(received_at=at(20))
    for number, days_ago in ((1, 50), (2, 30)):
        ContentVersion.objects.create(
            item=changed, version=number, content_hash=f"v{number}", title="x", received_at=at(days_ago)
        )

    run(portal, 59, SyncRun.Status.SUCCEEDED)
    run(portal, 50, SyncRun.Status.FAILED)
    run(portal, 49, SyncRun.Status.FAILED)
    run(portal, 48, SyncRun.Status.ABANDONED)
    partial = run(portal, 47, SyncRun.Status.PARTIAL)
    for reason in ("missing_field", "missing_field", "invalid_document"):
        RejectedRecord.objects.create(run=partial, endpoint=portal, reason=reason, created_at=at(47))
    run(portal, 10, SyncRun.Status.FAILED)
    run(portal, 9, SyncRun.Status.SUCCEEDED)
    run(portal, 2, SyncRun.Status.FAILED)
    before = run(directory, 75, SyncRun.Status.PARTIAL)
    RejectedRecord.objects.create(run=before, endpoint=directory, reason="schema", created_at=at(75))
    run(directory, 70, SyncRun.Status.FAILED)
    run(directory, 65, SyncRun.Status.FAILED)
    run(directory, 55, SyncRun.Status.SUCCEEDED)
    run(ckan, 20, SyncRun.Status.SUCCEEDED, direction=Direction.PUSH)
    run(ckan, 19, SyncRun.Status.FAILED, direction=Direction.PUSH)  # drains are not pull failures

    for days_ago in (30, 20, 10):
        message(ckan, status=OutboxMessage.Status.SENT, sent_at=at(days_ago))
    message(ckan, object_type="dataset", status=OutboxMessage.Status.SENT, sent_at=at(5))
    message(regional, status=OutboxMessage.Status.SENT, sent_at=at(15))
    message(regional, status=OutboxMessage.Status.SENT, sent_at=at(90))
    message(ckan, created_at=at(3))
    message(ckan, created_at=at(3))
    message(ckan)  # written after the period
    dead = OutboxMessage.Status.DEAD
    message(ckan, status=OutboxMessage.Status.SENT, sent_at=at(37), dead_at=at(40), resolved_at=at(38))
    message(ckan, status=OutboxMessage.Status.DISCARDED, dead_at=at(30), resolved_at=at(29, hour=12))
    message(ckan, status=dead, dead_at=at(8))
    message(regional, status=OutboxMessage.Status.DISCARDED, dead_at=at(70), resolved_at=at(50))
    message(regional, status=dead, dead_at=at(12), resolved_at=at(19))  # retried, dead again
    return {"portal": portal, "directory": directory, "ckan": ckan, "regional": regional, "partial": partial}


def figures(endpoint=None, kind="", **dates):
    return action3_figures(dates.get("date_from", DATE_FROM), dates.get("date_to", DATE_TO), endpoint, kind)


def build(**params):
    values = {"date_from": DATE_FROM, "date_to": DATE_TO, "endpoint": None, "kind": "", **params}
    return get_builder(SLUG).build(values, progress=lambda percent: None)


def inbox_count(client, **query) -> int:
    """How many items the editors' inbox (portal_sync:home) finds for the filters."""
    response = client.get(reverse("portal_sync:home"), {name: value for name, value in query.items() if value})
    assert response.status_code == 200
    return response.context["paginator"].count


@pytest.fixture
def admin_client(client_for):
    return client_for(UserFactory(email="root@example.org", is_superuser=True, is_staff=True))


def admin_count(client, model: str, **query) -> int:
    """How many rows the admin's list of `model` shows for the filters (its list_filter and dates)."""
    response = client.get(reverse(f"admin:portal_sync_{model}_changelist"), query)
    assert response.status_code == 200
    return response.context["cl"].result_count


# --- figures against the pages -------------------------------------------------------------------


def test_it_is_registered():
    builder = get_builder(SLUG)
    assert isinstance(builder, Action3Report)
    assert set(builder.roles) == {"editor", "regional_official", "administrator"}


def test_items_received_equal_the_inbox_by_source_and_kind(period, client_for, editor):
    """The inbox has no dates: over a period that holds every item, its count for each source and kind
    is the report's; over the report's period the one item received before it is left out."""
    client = client_for(editor)
    everything = figures(date_from=TODAY - datetime.timedelta(days=365), date_to=TODAY)
    for source in (period["portal"], period["directory"]):
        for kind in ItemKind.values:
            assert everything.received.get((source.pk, kind), 0) == inbox_count(client, source=source.pk, kind=kind)
    assert everything.items_received == inbox_count(client) == 10
    result = figures()
    assert result.items_received == 9
    assert result.received[(period["portal"].pk, ItemKind.NEWS)] == inbox_count(client, kind=ItemKind.NEWS) - 1 == 5
    assert result.received == {
        (period["portal"].pk, "news"): 5,
        (period["portal"].pk, "opportunity"): 1,
        (period["portal"].pk, "event"): 1,
        (period["directory"].pk, "service"): 2,
    }


def test_published_and_withdrawn_equal_the_inbox_by_state(period, client_for, editor):
    """Inbox filtered by state: published in the period (the item withdrawn since was published too) and
    withdrawn in the period, by an editor or because the source removed it."""
    client = client_for(editor)
    result = figures()
    # Published now, less the one published before the period, plus the one withdrawn since.
    assert result.items_published == inbox_count(client, state=ItemState.PUBLISHED) - 1 + 1 == 3
    assert result.published == {(period["portal"].pk, "news"): 2, (period["directory"].pk, "service"): 1}
    assert result.items_withdrawn == inbox_count(client, state=ItemState.WITHDRAWN) == 2
    assert result.withdrawn_at_source == 1
    portal = period["portal"].pk
    assert result.withdrawn == {(portal, "news"): 1, (portal, "opportunity"): 1}
    only_news = figures(kind=ItemKind.NEWS)
    assert only_news.items_withdrawn == inbox_count(client, state=ItemState.WITHDRAWN, kind=ItemKind.NEWS) == 1


def test_changes_at_the_source_are_versions_after_the_first(period):
    result = figures()
    assert result.versions == {(period["directory"].pk, ItemKind.SERVICE): 2}
    assert figures(period["portal"]).versions_received == 0
    assert figures(kind=ItemKind.NEWS).versions_received == 0
    assert figures(date_from=TODAY - datetime.timedelta(days=25)).versions_received == 1


def test_rejected_records_equal_the_rejection_lists(period, client_for, editor, admin_client):
    """The admin's rejected records by reason and endpoint, and the run's list (portal_sync:rejections)."""
    result = figures()
    portal = period["portal"]
    for reason in RejectedRecord.Reason.values:
        listed = admin_count(admin_client, "rejectedrecord", reason=reason, endpoint__id__exact=portal.pk)
        assert result.rejected.get(reason, 0) == listed, reason
    assert result.rejected == {"missing_field": 2, "invalid_document": 1}  # the directory's is older
    response = client_for(editor).get(reverse("portal_sync:rejections"), {"run": period["partial"].pk})
    assert response.context["paginator"].count == sum(result.rejected.values()) == 3


def test_runs_equal_the_admins_run_list(period, admin_client):
    """The admin's run list filtered by status and endpoint, for the same dates."""
    start, end = period_bounds(DATE_FROM, DATE_TO)
    dates = {"started_at__gte": start.isoformat(), "started_at__lt": end.isoformat()}
    result = figures()
    for endpoint in ("portal", "directory", "ckan", "regional"):
        pk = period[endpoint].pk
        for status in SyncRun.Status.values:
            listed = admin_count(admin_client, "syncrun", status=status, endpoint__id__exact=pk, **dates)
            assert result.runs.get((pk, status), 0) == listed, (endpoint, status)
    assert sum(result.runs.values()) == admin_count(admin_client, "syncrun", **dates) == 11


def test_failure_streaks_and_their_time_to_recover(period):
    result = figures()
    assert result.streaks_begun == 3  # the portal's three; the directory's began before the period
    assert result.streaks_ended == 3  # the portal's first two and the directory's
    assert result.recovery_times == [DAY + MINUTES_5, 3 * DAY + MINUTES_5, 15 * DAY + MINUTES_5]
    assert result.still_failing == 1
    # A period that ends before the portal's second streak ended: it is still open then.
    earlier = figures(date_to=TODAY - datetime.timedelta(days=10))
    assert (earlier.streaks_begun, earlier.streaks_ended, earlier.still_failing) == (2, 2, 1)
    only_directory = figures(period["directory"])
    assert (only_directory.streaks_begun, only_directory.streaks_ended, only_directory.still_failing) == (0, 1, 0)


def test_a_failing_endpoints_first_run_begins_a_streak(make_endpoint):
    endpoint = make_endpoint()
    run(endpoint, 5, SyncRun.Status.FAILED)
    run(endpoint, 4, SyncRun.Status.RUNNING)
    [streak] = failure_streaks(timezone.now())
    assert streak.began_at == at(5) and streak.recovered_at is None
    run(endpoint, 3, SyncRun.Status.SUCCEEDED)
    [streak] = failure_streaks(timezone.now())
    assert streak.recovered_at == at(3) + MINUTES_5
    # Seen from a moment before the recovery run finished, it was still failing.
    [streak] = failure_streaks(at(3, hour=10) + datetime.timedelta(minutes=1))
    assert streak.recovered_at is None


def test_messages_sent_and_waiting(period):
    result = figures()
    ckan, regional = period["ckan"].pk, period["regional"].pk
    # The dead letter sent again and then sent counts as sent too.
    assert result.pushed == {(ckan, "service"): 4, (ckan, "dataset"): 1, (regional, "service"): 1}
    assert result.waiting == 2  # the one written today is after the period
    assert figures(period["regional"]).waiting == 0
    assert figures(period["portal"]).messages_sent == 0


def test_dead_letters_and_their_time_to_resolve(period):
    result = figures()
    # Dead in the period: the one sent again, the one discarded, the one still dead, the one dead again.
    assert result.dead == 4
    # Resolved in the period: sent again after 2 days, discarded after 1 day 2 h, and the regional one
    # dead before the period and discarded in it after 20 days. The one dead again is open.
    assert (result.retried, result.discarded) == (1, 2)
    assert result.resolution_times == [DAY + datetime.timedelta(hours=2), 2 * DAY, 20 * DAY]
    assert median(result.resolution_times) == 2 * DAY
    assert result.dead_open == 2
    assert figures(date_to=TODAY - datetime.timedelta(days=39)).dead_open == 1  # the first, not resolved yet
    assert figures(period["ckan"]).dead_open == 1


def test_median_and_durations_in_words():
    assert median([]) is None and duration(None) == "–"
    assert median([DAY, 3 * DAY]) == 2 * DAY
    assert duration(DAY + datetime.timedelta(hours=2)).replace("\xa0", " ") == "1 day, 2 hours"
    assert duration(DAY + MINUTES_5).replace("\xa0", " ") == "1 day"  # two adjacent units at most
    assert duration(3 * DAY + datetime.timedelta(hours=4, minutes=30)).replace("\xa0", " ") == "3 days, 4 hours"


# --- the report ----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_request_it(request, persona):
    allowed = persona in {"editor", "official", "administrator"}
    assert get_builder(SLUG).may_request(request.getfixturevalue(persona)) is allowed


@pytest.mark.parametrize(("persona", "status"), [("editor", 302), ("official", 302), ("caseworker_irsina", 403)])
def test_requesting_it_from_the_reports_page(request, persona, status, client_for, period):
    form = {"report": SLUG, f"{SLUG}-date_from": str(DATE_FROM), f"{SLUG}-date_to": str(DATE_TO)}
    client = client_for(request.getfixturevalue(persona))
    assert client.post(reverse("reports:request"), form).status_code == status


def test_the_report_says_how_it_counts_and_suppresses_nothing(period):
    builder = get_builder(SLUG)
    params = {"date_from": DATE_FROM, "date_to": DATE_TO, "endpoint": None, "kind": ""}
    context = build()
    html = rendering.render_body(builder, context, params=params)
    assert "No count is suppressed" in html and "<5" not in html
    assert "a failure streak begins with a failed run" in html and "time to resolve goes from" in html
    received = {row["label"]: row for row in context["received"]["rows"]}
    assert received["Portale Integrazione Migranti"]["cells"] == ["5", "1", "0", "1"]
    assert context["received"]["grand_total"] == "9"
    assert context["received"]["columns"] == ["News", "Opportunity", "Service", "Event"]
    assert dict(context["streak_rows"])["Median time to recover"].replace("\xa0", " ") == "3 days"
    assert dict(context["dead_letter_rows"])["Longest time to resolve"].replace("\xa0", " ") == "2 weeks, 6 days"
    assert dict(context["rejected_rows"]) == {
        "A required field is missing": "2",
        "Not a valid document": "1",
        "All rejected records": "3",
    }
    assert [row["label"] for row in context["pushed"]["rows"]] == ["CKAN regionale", "Directory regionale"]
    assert context["pushed"]["columns"] == ["Datasets", "Services"]
    # No copied table markup: the tables are the shared partials.
    assert html.count('<table class="report-table">') == 11


def test_one_endpoint_and_one_kind(period):
    context = build(endpoint=period["portal"], kind=ItemKind.NEWS)
    assert context["received"]["columns"] == ["News"]
    assert [row["label"] for row in context["received"]["rows"]] == ["Portale Integrazione Migranti"]
    assert context["received"]["grand_total"] == "5"
    assert [row["label"] for row in context["runs"]["rows"]] == ["Portale Integrazione Migranti"]
    assert context["pushed"]["rows"] == []
    html = rendering.render_body(
        get_builder(SLUG), context, params={"date_from": DATE_FROM, "date_to": DATE_TO, "endpoint": period["portal"]}
    )
    assert "Only the endpoint Portale Integrazione Migranti is included." in html
    assert "Only the items of the kind “News”" in html


def test_parameters_survive_the_round_trip(period):
    builder = get_builder(SLUG)
    form = builder.form(
        {
            f"{SLUG}-date_from": str(DATE_FROM),
            f"{SLUG}-date_to": str(DATE_TO),
            f"{SLUG}-endpoint": period["ckan"].pk,
            f"{SLUG}-kind": "service",
        }
    )
    assert form.is_valid(), form.errors
    params = builder.parse_parameters(builder.serialise_parameters(form.cleaned_data))
    assert params["endpoint"] == period["ckan"] and params["kind"] == "service"
    described = dict(builder.describe_parameters(params))
    assert described["Endpoint"] == "CKAN regionale" and described["Kind of items"] == "Service"
    everything = dict(builder.describe_parameters({**params, "endpoint": None, "kind": ""}))
    assert everything["Endpoint"] == "Every endpoint" and everything["Kind of items"] == "Every kind"


def test_the_build_runs_a_fixed_number_of_queries(period, make_endpoint, django_assert_max_num_queries):
    with django_assert_max_num_queries(20) as small:
        build()
    for _ in range(3):
        source = make_endpoint()
        for kind in ItemKind.values:
            item(source, received=20, kind=kind)
        run(source, 30, SyncRun.Status.FAILED)
        run(source, 29, SyncRun.Status.SUCCEEDED)
        message(source, status=OutboxMessage.Status.DEAD, dead_at=at(4))
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert build()["received"]["grand_total"] == "21"


def pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


def figures_after(text: str, label: str) -> list[str]:
    """The figures printed on the line that starts with `label` in the PDF's text."""
    for line in text.splitlines():
        if line.strip().startswith(label):
            return re.findall(r"\d[\d.,]*", line[line.index(label) + len(label) :])
    raise AssertionError(f"{label!r} is not in the PDF")


@pytest.mark.parametrize("language", ["en", "it"])
def test_the_pdf_prints_the_same_figures(period, tmp_path, language):
    builder = get_builder(SLUG)
    params = {"date_from": DATE_FROM, "date_to": DATE_TO, "endpoint": None, "kind": ""}
    with translation.override(language):
        body = rendering.render_body(builder, build(), params=params)
        pdf = rendering.render_pdf(builder, body)
    path = tmp_path / f"report-{language}.pdf"
    path.write_bytes(pdf)
    text = pdf_text(path)
    assert figures_after(text, "Portale Integrazione Migranti") == ["5", "1", "0", "1", "7"]
    assert figures_after(text, "CKAN regionale") == ["0", "1", "0", "1", "0", "2"]  # its runs
    if language == "en":
        assert figures_after(text, "Items received") == ["9"]
        assert figures_after(text, "Endpoints still failing at the end of the period") == ["1"]
        assert figures_after(text, "Dead letters still open at the end of the period") == ["2"]
    # To look at it: pytest -k pdf --basetemp=/tmp/pdf, then pdftoppm -png -r 60 on the PDF.


# --- against the push side's pages and services, and the engine ---------------------------------


def test_waiting_and_open_dead_letters_equal_the_operations_pages(period, client_for, editor):
    """For a period that ends today: the operations page's messages waiting per endpoint, and the dead
    letters page (portal_sync:outbox_dead) filtered by endpoint."""
    client = client_for(editor)
    operations = {
        endpoint.pk: endpoint for endpoint in client.get(reverse("portal_sync:operations")).context["endpoints"]
    }
    for name in ("ckan", "regional"):
        endpoint = period[name]
        result = figures(endpoint, date_to=TODAY)
        assert result.waiting == operations[endpoint.pk].pending_count, name
        listed = client.get(reverse("portal_sync:outbox_dead"), {"endpoint": endpoint.pk}).context["page_obj"]
        assert result.dead_open == listed.paginator.count == operations[endpoint.pk].dead_count == 1, name
    assert figures(period["ckan"], date_to=TODAY).waiting == 3  # with the one written today


def test_dead_letters_retried_and_discarded_by_the_outbox_services(make_endpoint, editor):
    from portal_sync.services import outbox

    endpoint = make_endpoint(direction=Direction.PUSH, adapter="ckan")
    two_hours_ago = timezone.now() - datetime.timedelta(hours=2)
    retried = message(endpoint, status=OutboxMessage.Status.DEAD, dead_at=two_hours_ago)
    discarded = message(endpoint, status=OutboxMessage.Status.DEAD, dead_at=two_hours_ago)
    message(endpoint, status=OutboxMessage.Status.DEAD, dead_at=two_hours_ago)
    outbox.retry(retried, editor)
    outbox.discard(discarded, editor)
    result = figures(date_to=TODAY)
    assert (result.dead, result.retried, result.discarded, result.dead_open, result.waiting) == (3, 1, 1, 1, 1)
    assert all(
        datetime.timedelta(hours=2) <= time < datetime.timedelta(hours=2, minutes=1) for time in result.resolution_times
    )
    # Sent again, it failed for good again: a dead letter again, open, no longer resolved.
    OutboxMessage.objects.filter(pk=retried.pk).update(status=OutboxMessage.Status.DEAD, dead_at=timezone.now())
    result = figures(date_to=TODAY)
    assert (result.dead, result.retried, result.discarded, result.dead_open) == (3, 0, 1, 2)


def test_a_streak_of_real_runs_against_a_failing_source(make_endpoint, httpserver, settings, client_for, official):
    """The engine against a loopback source: a run that works, two that fail (500), one that works,
    one that fails. The time to recover is from the first failed run's start to the end of the run
    that worked again; the source still failing is the one the operations page shows failing."""
    from portal_sync.adapters import register
    from portal_sync.services.engine import run_endpoint
    from tests.portal_sync.test_engine_http import JsonList, items

    settings.PORTAL_SYNC_HTTP_BACKOFF = 0.01
    settings.PORTAL_SYNC_HTTP_ATTEMPTS = 1
    register("jsonlist", "pull", JsonList())
    source = make_endpoint(adapter="jsonlist", url=httpserver.url_for("/items"), timeout_seconds=1)
    httpserver.expect_ordered_request("/items").respond_with_json(items(1, now="T1"))
    for _ in range(2):
        httpserver.expect_ordered_request("/items").respond_with_data("down", status=500)
    httpserver.expect_ordered_request("/items").respond_with_json(items(1, 2, now="T2"))
    httpserver.expect_ordered_request("/items").respond_with_data("down", status=500)
    runs = [run_endpoint(source) for _ in range(5)]
    httpserver.check_assertions()
    assert [run.status for run in runs] == ["succeeded", "failed", "failed", "succeeded", "failed"]

    result = figures(date_to=TODAY)
    assert (result.streaks_begun, result.streaks_ended, result.still_failing) == (2, 1, 1)
    assert result.recovery_times == [runs[3].finished_at - runs[1].started_at]
    assert result.items_received == 2 and result.runs == {(source.pk, "succeeded"): 2, (source.pk, "failed"): 3}
    page = client_for(official).get(reverse("portal_sync:operations")).context["endpoints"]
    assert [endpoint.pk for endpoint in page if not endpoint.is_healthy] == [source.pk]


def test_an_editor_requests_it_in_arabic_and_it_is_built(period, editor, django_capture_on_commit_callbacks):
    """The whole path: the request, the task, the body and the PDF, right to left."""
    from aipim.reports.models import ReportRequest
    from aipim.reports.services import request_report

    builder = get_builder(SLUG)
    with translation.override("ar"), django_capture_on_commit_callbacks(execute=True):
        report = request_report(
            builder=builder,
            parameters={"date_from": DATE_FROM, "date_to": DATE_TO, "endpoint": period["portal"], "kind": ""},
            by=editor,
        )
    report.refresh_from_db()
    assert report.status == ReportRequest.Status.DONE, report.error
    assert report.language == "ar" and report.file
    assert "Portale Integrazione Migranti" in report.preview_html and "CKAN regionale" not in report.preview_html
