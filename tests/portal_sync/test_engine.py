"""The pull engine's rules, with a fake adapter that hands over batches built in the test."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from aipim.accounts.models import Role
from portal_sync.adapters import register
from portal_sync.adapters.base import Incoming, PullBatch, Rejection, RemoteError
from portal_sync.models import (
    ContentItem,
    ContentVersion,
    Endpoint,
    ItemKind,
    ItemState,
    RejectedRecord,
    SyncRun,
)
from portal_sync.services.engine import AlreadyRunning, due_endpoints, endpoint_lock, run_endpoint, upsert

FAKE = "fake"


class FakeAdapter:
    """Returns the next prepared batch (or raises the prepared error) and remembers the cursors."""

    def __init__(self) -> None:
        self.batches: list[PullBatch | Exception] = []
        self.cursors: list[str] = []

    def pull(self, endpoint: Endpoint, client: Any, *, cursor: str) -> PullBatch:
        self.cursors.append(cursor)
        step = self.batches.pop(0)
        if isinstance(step, Exception):
            raise step
        return step


@pytest.fixture
def adapter() -> Iterator[FakeAdapter]:
    fake = FakeAdapter()
    register(FAKE, "pull", fake)
    yield fake


@pytest.fixture
def endpoint(make_endpoint: Callable[..., Endpoint], adapter: FakeAdapter) -> Endpoint:
    return make_endpoint(adapter=FAKE)


def news(number: int, **fields: Any) -> Incoming:
    fields.setdefault("title", f"News {number}")
    fields.setdefault("summary", f"Summary {number}")
    fields.setdefault("url", f"https://portal.example/news/{number}")
    fields.setdefault("published_at", datetime.datetime(2026, 11, number, 9, 0, tzinfo=datetime.UTC))
    return Incoming(external_id=f"urn:news:{number}", kind=ItemKind.NEWS, **fields)


def batch(*records: Incoming | Rejection, complete: bool = True, cursor: str | None = None) -> PullBatch:
    present = {r.external_id for r in records if isinstance(r, Incoming)} if complete else None
    return PullBatch(records=list(records), present_ids=present, cursor=cursor)


def snapshot() -> tuple[int, int, int, list[tuple[int, Any, str]]]:
    """Everything a run may write about items: counts and every item's updated_at and state."""
    return (
        ContentItem.objects.count(),
        ContentVersion.objects.count(),
        RejectedRecord.objects.count(),
        list(ContentItem.objects.order_by("pk").values_list("pk", "updated_at", "state")),
    )


def test_first_run_creates_items_with_version_one(endpoint: Endpoint, adapter: FakeAdapter) -> None:
    adapter.batches.append(batch(news(1), news(2), cursor="2026-11-30T07:00:00Z"))
    run = run_endpoint(endpoint)
    assert run.status == SyncRun.Status.SUCCEEDED
    assert (run.seen, run.created, run.updated, run.unchanged, run.withdrawn, run.failed) == (2, 2, 0, 0, 0, 0)
    assert run.finished_at is not None
    item = ContentItem.objects.get(endpoint=endpoint, external_id="urn:news:1")
    assert (item.state, item.version, item.title, item.kind) == (ItemState.RECEIVED, 1, "News 1", ItemKind.NEWS)
    assert item.title_it == "News 1"  # type: ignore[attr-defined]  # a modeltranslation field
    assert list(item.versions.values_list("version", "title", "run")) == [(1, "News 1", run.pk)]
    assert len(set(ContentItem.objects.values_list("public_id", flat=True))) == 2
    endpoint.refresh_from_db()
    assert endpoint.cursor == "2026-11-30T07:00:00Z"
    assert endpoint.last_success_at is not None and endpoint.consecutive_failures == 0
    assert endpoint.next_run_at is not None
    assert endpoint.next_run_at > timezone.now() + datetime.timedelta(minutes=endpoint.interval_minutes - 1)


def test_second_run_with_nothing_new_writes_nothing(endpoint: Endpoint, adapter: FakeAdapter) -> None:
    adapter.batches += [batch(news(1), news(2)), batch(news(1), news(2))]
    run_endpoint(endpoint)
    before = snapshot()
    run = run_endpoint(endpoint)
    assert snapshot() == before
    assert (run.seen, run.created, run.updated, run.unchanged, run.withdrawn) == (2, 0, 0, 2, 0)


def test_a_changed_record_makes_version_two_and_keeps_version_one(endpoint: Endpoint, adapter: FakeAdapter) -> None:
    adapter.batches += [batch(news(1), news(2)), batch(news(1, title="News 1, corrected"), news(2))]
    run_endpoint(endpoint)
    run = run_endpoint(endpoint)
    assert (run.created, run.updated, run.unchanged) == (0, 1, 1)
    item = ContentItem.objects.get(external_id="urn:news:1")
    assert (item.version, item.title, item.state) == (2, "News 1, corrected", ItemState.RECEIVED)
    assert list(item.versions.order_by("version").values_list("version", "title")) == [
        (1, "News 1"),
        (2, "News 1, corrected"),
    ]
    assert ContentItem.objects.get(external_id="urn:news:2").version == 1


@pytest.mark.parametrize("state", [ItemState.PUBLISHED, ItemState.APPROVED])
def test_a_published_item_that_changes_goes_back_to_review(
    endpoint: Endpoint, adapter: FakeAdapter, state: str
) -> None:
    adapter.batches += [batch(news(1)), batch(news(1, summary="New terms"))]
    run_endpoint(endpoint)
    ContentItem.objects.update(state=state, published_at=timezone.now())
    run_endpoint(endpoint)
    item = ContentItem.objects.get()
    assert (item.state, item.changed_after_publishing, item.summary) == (ItemState.IN_REVIEW, True, "New terms")


def test_a_payload_change_alone_is_a_change(endpoint: Endpoint, adapter: FakeAdapter) -> None:
    adapter.batches += [batch(news(1, payload={"a": 1})), batch(news(1, payload={"a": 2}))]
    run_endpoint(endpoint)
    assert run_endpoint(endpoint).updated == 1
    assert ContentItem.objects.get().payload == {"a": 2}


def test_a_record_gone_from_the_remote_is_withdrawn(endpoint: Endpoint, adapter: FakeAdapter) -> None:
    adapter.batches += [batch(news(1), news(2)), batch(news(1))]
    run_endpoint(endpoint)
    run = run_endpoint(endpoint)
    assert run.withdrawn == 1
    gone = ContentItem.objects.get(external_id="urn:news:2")
    assert gone.state == ItemState.WITHDRAWN and gone.removed_at_source_at is not None
    assert ContentItem.objects.get(external_id="urn:news:1").state == ItemState.RECEIVED


def test_a_delta_without_a_listing_withdraws_nothing(endpoint: Endpoint, adapter: FakeAdapter) -> None:
    adapter.batches += [batch(news(1), news(2)), batch(news(1), complete=False)]
    run_endpoint(endpoint)
    assert run_endpoint(endpoint).withdrawn == 0
    assert not ContentItem.objects.filter(state=ItemState.WITHDRAWN).exists()


def test_a_withdrawn_record_that_comes_back_is_reviewed_again(endpoint: Endpoint, adapter: FakeAdapter) -> None:
    adapter.batches += [batch(news(1)), batch(), batch(news(1))]
    run_endpoint(endpoint)
    ContentItem.objects.update(state=ItemState.PUBLISHED, published_at=timezone.now())
    run_endpoint(endpoint)
    assert ContentItem.objects.get().state == ItemState.WITHDRAWN
    run = run_endpoint(endpoint)
    item = ContentItem.objects.get()
    assert (item.state, item.removed_at_source_at, item.version, run.updated) == (ItemState.IN_REVIEW, None, 1, 1)


def test_an_item_an_editor_withdrew_stays_withdrawn(endpoint: Endpoint, adapter: FakeAdapter) -> None:
    adapter.batches += [batch(news(1)), batch(news(1))]
    run_endpoint(endpoint)
    ContentItem.objects.update(state=ItemState.WITHDRAWN, withdrawn_reason="Not for us")
    before = snapshot()
    run_endpoint(endpoint)
    assert snapshot() == before


def test_rejected_records_are_recorded_and_the_run_is_partial(endpoint: Endpoint, adapter: FakeAdapter) -> None:
    adapter.batches.append(
        batch(
            news(1),
            Rejection("urn:news:bad", RejectedRecord.Reason.MISSING_FIELD, "No title", "<entry/>"),
            news(3, title="   "),  # no title once cleaned: refused by the engine itself
            Incoming(external_id="x" * 301, kind=ItemKind.NEWS, title="Too long an id"),
        )
    )
    run = run_endpoint(endpoint)
    assert run.status == SyncRun.Status.PARTIAL
    assert (run.seen, run.created, run.failed) == (4, 1, 3)
    rejected = {r.external_id: r for r in RejectedRecord.objects.filter(run=run)}
    assert rejected["urn:news:bad"].reason == RejectedRecord.Reason.MISSING_FIELD
    assert rejected["urn:news:bad"].excerpt == "<entry/>"
    assert rejected["urn:news:3"].reason == RejectedRecord.Reason.BAD_VALUE
    assert "x" * 300 in rejected
    assert ContentItem.objects.count() == 1


def test_an_empty_listing_with_rejections_withdraws_nothing(endpoint: Endpoint, adapter: FakeAdapter) -> None:
    invalid = Rejection("", RejectedRecord.Reason.INVALID_DOCUMENT, "Not XML")
    adapter.batches += [batch(news(1)), PullBatch(records=[invalid], present_ids=set())]
    run_endpoint(endpoint)
    run = run_endpoint(endpoint)
    assert (run.status, run.withdrawn) == (SyncRun.Status.PARTIAL, 0)
    assert ContentItem.objects.get().state == ItemState.RECEIVED


def test_remote_html_is_sanitised_on_the_way_in(endpoint: Endpoint, adapter: FakeAdapter) -> None:
    adapter.batches.append(
        batch(
            news(
                1,
                title="<b>Bando</b> <script>alert(1)</script>2026",
                summary='<p onclick="x()">Apply <script>steal()</script>now</p>',
                body='<p>Text<script>steal()</script><a href="javascript:x()">a</a></p><iframe src="x"></iframe>',
                url="javascript:alert(1)",
            )
        )
    )
    run_endpoint(endpoint)
    item = ContentItem.objects.get()
    assert item.title == "Bando 2026"
    assert item.summary == "Apply now"
    assert item.body == '<p>Text<a rel="noopener noreferrer">a</a></p>'
    assert item.url == ""
    assert "script" not in item.versions.get().body


def test_a_remote_failure_fails_the_run_keeps_the_cursor_and_tells_editors_once(
    endpoint: Endpoint, adapter: FakeAdapter, make_member, regional_office
) -> None:  # type: ignore[no-untyped-def]
    make_member(Role.EDITOR, regional_office, email="editor@example.org")
    Endpoint.objects.filter(pk=endpoint.pk).update(cursor="C1")
    endpoint.refresh_from_db()
    adapter.batches += [
        RemoteError("http://portal.example answered 503", status=503),
        RemoteError("http://portal.example answered 503", status=503),
        batch(news(1), cursor="C2"),
        RemoteError("no answer in time"),
    ]
    first = run_endpoint(endpoint)
    assert (first.status, first.error) == (SyncRun.Status.FAILED, "http://portal.example answered 503")
    endpoint.refresh_from_db()
    assert (endpoint.cursor, endpoint.consecutive_failures, endpoint.is_healthy) == ("C1", 1, False)
    assert endpoint.last_error == "http://portal.example answered 503"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["editor@example.org"]
    assert "503" in mail.outbox[0].body

    run_endpoint(endpoint)
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 2
    assert len(mail.outbox) == 1  # the same streak: no second email

    assert run_endpoint(endpoint).status == SyncRun.Status.SUCCEEDED
    endpoint.refresh_from_db()
    assert (endpoint.cursor, endpoint.consecutive_failures, endpoint.last_error) == ("C2", 0, "")

    run_endpoint(endpoint)
    assert len(mail.outbox) == 2  # a new streak
    assert adapter.cursors == ["C1", "C1", "C1", "C2"]


def test_an_unexpected_error_is_recorded_not_raised(endpoint: Endpoint, adapter: FakeAdapter) -> None:
    adapter.batches.append(ZeroDivisionError("division by zero"))
    run = run_endpoint(endpoint)
    assert run.status == SyncRun.Status.FAILED
    assert run.error == "ZeroDivisionError: division by zero"
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 1


def test_two_runs_of_one_endpoint_never_overlap(endpoint: Endpoint, adapter: FakeAdapter) -> None:
    holding, release = threading.Event(), threading.Event()

    def other_worker() -> None:
        try:
            with endpoint_lock(endpoint.pk) as acquired:
                assert acquired
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert holding.wait(10)
        with pytest.raises(AlreadyRunning):
            run_endpoint(endpoint)
        assert not SyncRun.objects.exists()
    finally:
        release.set()
        thread.join(10)
    # Control: once the other worker lets go, the run goes ahead.
    adapter.batches.append(batch(news(1)))
    assert run_endpoint(endpoint).status == SyncRun.Status.SUCCEEDED


def test_a_run_left_by_a_dead_worker_is_abandoned_and_redone_without_duplicates(
    endpoint: Endpoint, adapter: FakeAdapter
) -> None:
    # The dead worker had written the first two records, then stopped: no lock is held any more.
    dead = SyncRun.objects.create(endpoint=endpoint, direction=endpoint.direction, status=SyncRun.Status.RUNNING)
    upsert(endpoint, news(1), dead)
    upsert(endpoint, news(2), dead)
    adapter.batches.append(batch(news(1), news(2), news(3), news(4)))
    run = run_endpoint(endpoint)
    dead.refresh_from_db()
    assert dead.status == SyncRun.Status.ABANDONED and dead.finished_at is not None
    assert (run.status, run.created, run.unchanged) == (SyncRun.Status.SUCCEEDED, 2, 2)
    assert sorted(ContentItem.objects.values_list("external_id", flat=True)) == [f"urn:news:{n}" for n in (1, 2, 3, 4)]
    assert ContentVersion.objects.count() == 4


def test_push_endpoints_are_not_pulled(make_endpoint: Callable[..., Endpoint]) -> None:
    with pytest.raises(ValueError):
        run_endpoint(make_endpoint(direction="push"))


def test_due_endpoints(make_endpoint: Callable[..., Endpoint]) -> None:
    now = timezone.now()
    never = make_endpoint()
    due = make_endpoint(next_run_at=now - datetime.timedelta(minutes=1))
    make_endpoint(next_run_at=now + datetime.timedelta(minutes=1))
    make_endpoint(enabled=False)
    make_endpoint(direction="push")
    assert set(due_endpoints(now)) == {never, due}


def test_every_run_is_audited(endpoint: Endpoint, adapter: FakeAdapter) -> None:
    from aipim.core.models import AuditEvent

    adapter.batches.append(batch(news(1)))
    run = run_endpoint(endpoint)
    event = AuditEvent.objects.get(action="portal_sync.run")
    assert event.object_id == str(run.pk)
    assert event.details["created"] == 1


def test_new_records_are_created_in_chunks_and_a_refused_one_is_rejected_alone(
    endpoint: Endpoint, adapter: FakeAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("portal_sync.services.engine.CHUNK", 2)
    refused = Incoming(external_id="urn:bad-kind", kind="k" * 40, title="A kind the column cannot hold")
    adapter.batches.append(batch(news(1), news(2), news(3), refused, news(5)))
    run = run_endpoint(endpoint)
    assert (run.seen, run.created, run.failed, run.status) == (5, 4, 1, SyncRun.Status.PARTIAL)
    assert RejectedRecord.objects.get().external_id == "urn:bad-kind"
    assert ContentItem.objects.count() == ContentVersion.objects.count() == 4


def test_a_record_sent_twice_in_one_batch_is_stored_once(endpoint: Endpoint, adapter: FakeAdapter) -> None:
    adapter.batches.append(batch(news(1), news(2), news(1, title="News 1, again"), news(2)))
    run = run_endpoint(endpoint)
    assert (run.created, run.updated, run.unchanged) == (2, 1, 1)
    assert ContentItem.objects.count() == 2
    assert ContentItem.objects.get(external_id="urn:news:1").version == 2


def test_a_rerun_reads_the_hashes_in_one_query(
    endpoint: Endpoint, adapter: FakeAdapter, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    adapter.batches += [batch(*(news(n) for n in range(1, 21))), batch(*(news(n) for n in range(1, 21)))]
    run_endpoint(endpoint)
    # Lock, abandon, run row, the hashes, withdrawals, run and endpoint updates, audit: not one per record.
    with django_assert_max_num_queries(14):
        assert run_endpoint(endpoint).unchanged == 20
