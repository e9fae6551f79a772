"""The HSDS 3.0 adapter against a small HSDS API on loopback (pages, modified_after, minimal): the
services it takes, the deltas it asks for, the deletions it sees, and bad pages or services refused
without losing what was read."""

from __future__ import annotations

import copy
import datetime
import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from aipim.core.hsds import validation_errors
from portal_sync.adapters import pull_adapter
from portal_sync.adapters.base import Incoming, PullBatch, Rejection, RemoteError
from portal_sync.adapters.hsds import read_page, read_service, services_url
from portal_sync.http import client_for
from portal_sync.models import Adapter, Endpoint, ItemKind

# Three services written by aipim.core.hsds.service_to_hsds from factories, valid HSDS 3.0.
SERVICES: list[dict[str, Any]] = json.loads((Path(__file__).parent / "data" / "hsds_services.json").read_text())


class HSDSServer:
    """Plays a remote HSDS 3.0 API: GET /api/services with page, per_page, modified_after, minimal."""

    def __init__(self, httpserver: HTTPServer, services: list[dict[str, Any]], per_page: int = 2) -> None:
        self.services = services
        self.per_page = per_page
        self.requests: list[dict[str, str]] = []
        self.hidden: set[str] = set()  # left out of the full listing's pages (as if they had shifted)
        self.singles: list[str] = []
        httpserver.expect_request("/api/services").respond_with_handler(self.handle)
        httpserver.expect_request(re.compile(r"^/api/services/[^/]+$")).respond_with_handler(self.one)

    def one(self, request: Request) -> Response:
        service_id = request.path.rsplit("/", 1)[1]
        self.singles.append(service_id)
        for service in self.services:
            if isinstance(service, dict) and service.get("id") == service_id:
                return Response(json.dumps(service), content_type="application/json")
        return Response("not found", status=404)

    def handle(self, request: Request) -> Response:
        args = dict(request.args)
        self.requests.append(args)
        services = self.services
        if "modified_after" in args:
            after = datetime.datetime.fromisoformat(args["modified_after"])
            services = [s for s in services if datetime.datetime.fromisoformat(s["last_modified"]) >= after]
        services = [s for s in services if not isinstance(s, dict) or s.get("id") not in self.hidden]
        if args.get("minimal") == "true":
            services = self.services
            services = [{"id": s["id"], "last_modified": s["last_modified"]} for s in services if isinstance(s, dict)]
        per_page = int(args.get("per_page", self.per_page))
        page = int(args.get("page", 1))
        total_pages = max(1, -(-len(services) // per_page))
        contents = services[(page - 1) * per_page : page * per_page]
        body = {
            "total_items": len(services),
            "total_pages": total_pages,
            "page_number": page,
            "size": len(contents),
            "first_page": page == 1,
            "last_page": page >= total_pages,
            "empty": not contents,
            "contents": contents,
        }
        return Response(json.dumps(body), content_type="application/json")


def services(modified: str = "2026-11-20T10:00:00+00:00") -> list[dict[str, Any]]:
    documents = copy.deepcopy(SERVICES)
    for document in documents:
        document["last_modified"] = modified
    return documents


def pull(endpoint: Endpoint, cursor: str = "") -> PullBatch:
    with client_for(endpoint) as client:
        return pull_adapter(Adapter.HSDS).pull(endpoint, client, cursor=cursor)


def incoming(batch: PullBatch) -> dict[str, Incoming]:
    return {record.external_id: record for record in batch.records if isinstance(record, Incoming)}


def rejections(batch: PullBatch) -> list[Rejection]:
    return [record for record in batch.records if isinstance(record, Rejection)]


@pytest.fixture
def hsds_endpoint(make_endpoint, httpserver: HTTPServer):
    def make(**options: Any) -> Endpoint:
        return make_endpoint(
            adapter=Adapter.HSDS, url=httpserver.url_for("/api/"), item_kind=ItemKind.SERVICE, options=options
        )

    return make


def test_the_sample_services_follow_the_schema() -> None:
    assert len(SERVICES) == 3
    assert all(validation_errors(service) == [] for service in SERVICES)


def test_a_first_pull_reads_every_page_and_every_service(httpserver: HTTPServer, hsds_endpoint) -> None:
    remote = HSDSServer(httpserver, services())
    before = timezone.now()

    batch = pull(hsds_endpoint())

    items = incoming(batch)
    assert set(items) == {service["id"] for service in SERVICES}
    assert not rejections(batch)
    pua = next(item for item in items.values() if item.title == "Sportello PUA di Potenza")
    assert pua.kind == ItemKind.SERVICE
    assert pua.summary.startswith("Punto unico di accesso")
    assert pua.url == "https://www.comune.potenza.it/pua"
    assert pua.updated_at == datetime.datetime(2026, 11, 20, 10, tzinfo=datetime.UTC)
    assert pua.payload["service_at_locations"][0]["location"]["addresses"][0]["city"] == "Potenza"
    # Two pages of two, the full nested services, no delta on a first run; then the minimal listing.
    assert [(r.get("page"), r.get("full"), r.get("minimal"), r.get("modified_after")) for r in remote.requests] == [
        ("1", "true", None, None),
        ("2", "true", None, None),
        ("1", None, "true", None),
        ("2", None, "true", None),
    ]
    assert batch.present_ids == set(items)
    assert remote.singles == []  # the pages brought everything the listing holds
    # The cursor is the run's start less the safety margin.
    assert batch.cursor is not None
    cursor = datetime.datetime.fromisoformat(batch.cursor)
    assert before - datetime.timedelta(seconds=301) <= cursor <= timezone.now() - datetime.timedelta(seconds=299)


def test_a_later_pull_asks_for_changes_and_lists_ids_for_deletions(httpserver: HTTPServer, hsds_endpoint) -> None:
    documents = services()
    documents[1]["last_modified"] = "2026-11-29T08:00:00+00:00"
    documents[1]["description"] = "Corsi gratuiti: nuove classi serali a Melfi."
    gone = documents.pop(2)
    remote = HSDSServer(httpserver, documents)

    batch = pull(hsds_endpoint(per_page=1), cursor="2026-11-28T00:00:00+00:00")

    assert list(incoming(batch)) == [documents[1]["id"]]
    assert incoming(batch)[documents[1]["id"]].summary == "Corsi gratuiti: nuove classi serali a Melfi."
    deltas = [r for r in remote.requests if "minimal" not in r]
    assert deltas == [{"full": "true", "per_page": "1", "modified_after": "2026-11-28T00:00:00+00:00", "page": "1"}]
    listings = [r for r in remote.requests if r.get("minimal") == "true"]
    assert [r["page"] for r in listings] == ["1", "2"]  # every page of the minimal listing
    assert all("modified_after" not in r for r in listings)
    assert batch.present_ids == {documents[0]["id"], documents[1]["id"]}
    assert gone["id"] not in batch.present_ids


def test_deletions_can_be_left_alone(httpserver: HTTPServer, hsds_endpoint) -> None:
    remote = HSDSServer(httpserver, services())

    batch = pull(hsds_endpoint(detect_deletions=False), cursor="2026-11-01T00:00:00+00:00")

    assert batch.present_ids is None
    assert not any(r.get("minimal") for r in remote.requests)


def test_a_service_against_the_schema_is_rejected_and_the_others_taken(httpserver: HTTPServer, hsds_endpoint) -> None:
    documents = services()
    documents[0]["status"] = "maybe open"
    del documents[1]["name"]
    documents.append("not an object")  # type: ignore[arg-type]
    remote = HSDSServer(httpserver, documents, per_page=10)

    batch = pull(hsds_endpoint())

    assert set(incoming(batch)) == {documents[2]["id"]}
    refused = {(rejection.external_id, rejection.reason) for rejection in rejections(batch)}
    assert refused == {(documents[0]["id"], "schema"), (documents[1]["id"], "schema"), ("", "invalid_document")}
    status = next(r for r in rejections(batch) if r.external_id == documents[0]["id"])
    assert "status" in status.detail and "maybe open" in status.excerpt
    # A service refused today is still there: it is not withdrawn (nor asked for again).
    assert remote.singles == []
    assert batch.present_ids is not None and documents[0]["id"] in batch.present_ids


def test_html_with_scripts_in_a_description_passes_through(httpserver: HTTPServer, hsds_endpoint) -> None:
    documents = services()
    documents[0]["description"] = '<p onmouseover="x()">Orari<script>alert(1)</script></p>'
    HSDSServer(httpserver, documents)

    batch = pull(hsds_endpoint())

    assert incoming(batch)[documents[0]["id"]].summary == documents[0]["description"]  # the engine sanitises


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"contents": [', "invalid_document"),
        (b"<html>Service Unavailable</html>", "invalid_document"),
        (b'{"items": []}', "invalid_document"),
        (b'{"contents": [], "total_pages": "many"}', "invalid_document"),
        ('{"contents": [{"id": "1", "name": "Caffè", "status": "active"}]}'.encode("latin-1"), "encoding"),
    ],
    ids=["truncated", "html", "no-contents", "bad-total", "latin-1"],
)
def test_an_unreadable_second_page_keeps_the_first_and_moves_nothing(
    httpserver: HTTPServer, hsds_endpoint, body: bytes, reason: str
) -> None:
    first = {"contents": services()[:2], "total_pages": 2, "page_number": 1}
    httpserver.expect_request("/api/services", query_string={"full": "true", "page": "1"}).respond_with_json(first)
    httpserver.expect_request("/api/services", query_string={"full": "true", "page": "2"}).respond_with_data(
        body, content_type="application/json; charset=utf-8"
    )

    batch = pull(hsds_endpoint())

    assert len(incoming(batch)) == 2
    assert [rejection.reason for rejection in rejections(batch)] == [reason]
    assert batch.cursor is None  # the next run asks again from the same point
    assert batch.present_ids is None  # nothing withdrawn on half a listing


def test_an_unreadable_minimal_listing_withdraws_nothing(httpserver: HTTPServer, hsds_endpoint) -> None:
    page = {"contents": services()[:1], "total_pages": 1, "page_number": 1}
    query = {"full": "true", "modified_after": "2026-11-01T00:00:00+00:00", "page": "1"}
    httpserver.expect_request("/api/services", query_string=query).respond_with_json(page)
    httpserver.expect_request("/api/services", query_string={"minimal": "true", "page": "1"}).respond_with_data("oops")

    batch = pull(hsds_endpoint(), cursor="2026-11-01T00:00:00+00:00")

    assert len(incoming(batch)) == 1
    assert [rejection.reason for rejection in rejections(batch)] == ["invalid_document"]
    assert batch.present_ids is None
    assert batch.cursor is not None  # the changes were all read


def test_a_listing_longer_than_allowed_stops_without_moving_the_cursor(httpserver: HTTPServer, hsds_endpoint) -> None:
    HSDSServer(httpserver, services(), per_page=1)

    batch = pull(hsds_endpoint(max_pages=2))

    assert len(incoming(batch)) == 2
    assert [rejection.reason for rejection in rejections(batch)] == ["too_large"]
    assert batch.cursor is None and batch.present_ids is None


def test_a_huge_page_is_refused_by_fetch(httpserver: HTTPServer, hsds_endpoint) -> None:
    HSDSServer(httpserver, services(), per_page=10)

    with pytest.raises(RemoteError, match="too large"):
        pull(hsds_endpoint(max_bytes=2000))


def test_a_server_error_is_a_remote_error(httpserver: HTTPServer, hsds_endpoint, settings) -> None:
    settings.PORTAL_SYNC_HTTP_BACKOFF = 0
    httpserver.expect_request("/api/services").respond_with_data("down", status=500)

    with pytest.raises(RemoteError):
        pull(hsds_endpoint())


def test_pages_and_addresses_read_plainly() -> None:
    assert services_url("https://pim.example/hsds/") == "https://pim.example/hsds/services"
    assert services_url("https://pim.example/hsds/services") == "https://pim.example/hsds/services"
    assert read_page(b'[{"id": "a"}]') == ([{"id": "a"}], 1)
    assert read_page(b'\xef\xbb\xbf{"contents": [], "total_pages": 0}') == ([], 0)
    naive = read_service(
        {"id": SERVICES[0]["id"], "name": "Sportello", "status": "active", "last_modified": "2026-11-20T10:00:00"}
    )
    assert isinstance(naive, Incoming) and naive.updated_at == datetime.datetime(2026, 11, 20, 10, tzinfo=datetime.UTC)
    not_a_uuid = read_service({"id": "s1", "name": "Sportello", "status": "active"})
    assert isinstance(not_a_uuid, Rejection) and not_a_uuid.reason == "schema" and "uuid" in not_a_uuid.detail
    script_url = read_service({"id": SERVICES[0]["id"], "name": "X", "status": "active", "url": "javascript:alert(1)"})
    assert isinstance(script_url, Incoming) and script_url.url == ""  # never a javascript: link


# --- through the engine --------------------------------------------------------------------------


def test_runs_keep_the_cursor_ask_for_changes_and_withdraw_deleted_services(
    httpserver: HTTPServer, hsds_endpoint
) -> None:
    from portal_sync.models import ContentItem, ItemState, RejectedRecord, SyncRun
    from portal_sync.services.engine import run_endpoint

    documents = services()
    documents[2]["status"] = "not a status"
    remote = HSDSServer(httpserver, documents)
    endpoint = hsds_endpoint()

    first = run_endpoint(endpoint)

    assert (first.status, first.created, first.failed) == (SyncRun.Status.PARTIAL, 2, 1)
    assert RejectedRecord.objects.get(run=first).reason == RejectedRecord.Reason.SCHEMA
    endpoint.refresh_from_db()
    saved = datetime.datetime.fromisoformat(endpoint.cursor)
    assert first.started_at - datetime.timedelta(seconds=301) <= saved <= first.started_at
    cursor = endpoint.cursor

    # At the remote: one service changed now, one deleted.
    documents[0]["last_modified"] = timezone.now().isoformat()
    documents[0]["description"] = "Nuovi orari dal 1° dicembre."
    deleted = documents.pop(1)
    remote.requests.clear()

    second = run_endpoint(endpoint)

    assert remote.requests[0]["modified_after"] == cursor
    assert (second.created, second.updated, second.withdrawn) == (0, 1, 1)
    assert ContentItem.objects.get(endpoint=endpoint, external_id=deleted["id"]).state == ItemState.WITHDRAWN
    changed = ContentItem.objects.get(endpoint=endpoint, external_id=documents[0]["id"])
    assert changed.summary == "Nuovi orari dal 1° dicembre." and changed.version == 2


def test_a_page_refused_for_a_moment_is_asked_again(httpserver: HTTPServer, hsds_endpoint, settings) -> None:
    settings.PORTAL_SYNC_HTTP_BACKOFF = 0
    remote = HSDSServer(httpserver, services())
    answers = iter([Response("slow down", status=429, headers={"Retry-After": "0"})])

    def busy_once(request: Request) -> Response:
        if request.args.get("page") == "2":
            refused = next(answers, None)
            if refused is not None:
                remote.requests.append(dict(request.args))
                return refused
        return remote.handle(request)

    httpserver.clear_all_handlers()
    httpserver.expect_request("/api/services").respond_with_handler(busy_once)

    batch = pull(hsds_endpoint())

    assert len(incoming(batch)) == 3 and not rejections(batch)
    assert [r["page"] for r in remote.requests if "minimal" not in r] == ["1", "2", "2"]


def test_services_the_pages_skipped_are_asked_for_one_by_one(httpserver: HTTPServer, hsds_endpoint) -> None:
    documents = services()
    documents[2]["last_modified"] = "2026-11-29T08:00:00+00:00"
    remote = HSDSServer(httpserver, documents)
    remote.hidden = {documents[0]["id"], documents[2]["id"]}

    first = pull(hsds_endpoint())  # a first run: every service the listing holds must arrive

    assert set(incoming(first)) == {service["id"] for service in documents}
    assert sorted(remote.singles) == sorted([documents[0]["id"], documents[2]["id"]])
    assert first.present_ids == set(incoming(first))

    remote.singles.clear()
    later = pull(hsds_endpoint(), cursor="2026-11-28T00:00:00+00:00")

    # Only the one changed since the cursor is missing from the delta: the unchanged one is not asked.
    assert remote.singles == [documents[2]["id"]]
    assert set(incoming(later)) == {documents[2]["id"]}


def test_a_service_gone_before_it_is_asked_for_is_absent(httpserver: HTTPServer, hsds_endpoint) -> None:
    documents = services()
    remote = HSDSServer(httpserver, documents)
    remote.hidden = {documents[0]["id"]}
    httpserver.clear_all_handlers()
    httpserver.expect_request("/api/services").respond_with_handler(remote.handle)
    httpserver.expect_request(f"/api/services/{documents[0]['id']}").respond_with_data("gone", status=404)

    batch = pull(hsds_endpoint())

    assert documents[0]["id"] not in incoming(batch)
    assert batch.present_ids == {documents[1]["id"], documents[2]["id"]}
    assert not rejections(batch)


def test_too_many_skipped_services_leave_the_cursor_for_next_time(httpserver: HTTPServer, hsds_endpoint) -> None:
    documents = services(modified="2026-11-29T08:00:00+00:00")
    remote = HSDSServer(httpserver, documents)
    remote.hidden = {service["id"] for service in documents}

    batch = pull(hsds_endpoint(max_refetch=1), cursor="2026-11-28T00:00:00+00:00")

    assert len(remote.singles) == 1 and len(incoming(batch)) == 1
    assert batch.cursor is None


def test_the_same_service_twice_in_one_run_is_taken_once_the_later_copy(httpserver: HTTPServer, hsds_endpoint) -> None:
    documents = services()
    newer = copy.deepcopy(documents[0])
    newer["description"] = "Versione più recente."
    HSDSServer(httpserver, [*documents, newer], per_page=2)

    batch = pull(hsds_endpoint())

    assert [record.external_id for record in batch.records].count(documents[0]["id"]) == 1
    assert incoming(batch)[documents[0]["id"]].summary == "Versione più recente."
    assert not rejections(batch)
