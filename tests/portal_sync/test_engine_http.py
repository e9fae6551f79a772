"""The engine against a real HTTP server on loopback that serves normal data, then fails, then
recovers: after recovery every record is present exactly once and the cursor never skipped."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer

from portal_sync.adapters import register
from portal_sync.adapters.base import Incoming, PullBatch
from portal_sync.http import fetch
from portal_sync.models import ContentItem, ContentVersion, Endpoint, ItemKind, SyncRun
from portal_sync.services.engine import run_endpoint


class JsonList:
    """A minimal pull adapter: GET {url}?since=<cursor> → {"items": [...], "now": "..."}."""

    def pull(self, endpoint: Endpoint, client: httpx.Client, *, cursor: str) -> PullBatch:
        document = fetch(client, endpoint.url, params={"since": cursor}).json()
        records = [Incoming(external_id=i["id"], kind=ItemKind.NEWS, title=i["title"]) for i in document["items"]]
        return PullBatch(records=list(records), present_ids=None, cursor=document["now"])


@pytest.fixture
def endpoint(make_endpoint: Callable[..., Endpoint], httpserver: HTTPServer, settings: Any) -> Iterator[Endpoint]:
    settings.PORTAL_SYNC_HTTP_BACKOFF = 0.01
    settings.PORTAL_SYNC_HTTP_ATTEMPTS = 2
    register("jsonlist", "pull", JsonList())
    yield make_endpoint(adapter="jsonlist", url=httpserver.url_for("/items"), timeout_seconds=1)


def items(*numbers: int, now: str) -> dict[str, Any]:
    return {"items": [{"id": f"n{n}", "title": f"News {n}"} for n in numbers], "now": now}


def test_errors_then_recovery_leave_every_record_exactly_once(endpoint: Endpoint, httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/items", query_string="since=").respond_with_json(items(1, 2, now="T1"))
    for _ in range(2):  # both attempts of the second run
        httpserver.expect_ordered_request("/items", query_string="since=T1").respond_with_data("down", status=500)
    httpserver.expect_ordered_request("/items", query_string="since=T1").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "0"}
    )
    httpserver.expect_ordered_request("/items", query_string="since=T1").respond_with_json(items(2, 3, now="T2"))

    assert run_endpoint(endpoint).status == SyncRun.Status.SUCCEEDED
    failed = run_endpoint(endpoint)
    assert failed.status == SyncRun.Status.FAILED and "500" in failed.error
    endpoint.refresh_from_db()
    assert (endpoint.cursor, endpoint.consecutive_failures) == ("T1", 1)

    recovered = run_endpoint(endpoint)
    assert (recovered.status, recovered.created, recovered.unchanged) == (SyncRun.Status.SUCCEEDED, 1, 1)
    httpserver.check_assertions()
    assert sorted(ContentItem.objects.values_list("external_id", flat=True)) == ["n1", "n2", "n3"]
    assert ContentVersion.objects.count() == 3
    endpoint.refresh_from_db()
    assert (endpoint.cursor, endpoint.consecutive_failures, endpoint.last_error) == ("T2", 0, "")


def test_a_truncated_answer_fails_the_run_and_writes_nothing(endpoint: Endpoint, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/items").respond_with_data('{"items": [{"id": "n1", "title": "Ne')
    run = run_endpoint(endpoint)
    assert run.status == SyncRun.Status.FAILED
    assert run.error.startswith("JSONDecodeError")
    assert not ContentItem.objects.exists()
