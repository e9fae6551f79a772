"""The outbox drain against a real loopback remote (tests/portal_sync/push_remote.py): what is
sent, what is not sent again, retries with backoff and jitter, dead letters, retry and discard,
idempotent resends, deletions, and the message rolled back with its change."""

from __future__ import annotations

import datetime
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone
from pytest_httpserver import HTTPServer

from aipim.core import directory
from aipim.core.models import AuditEvent, Service
from portal_sync.adapters import register
from portal_sync.models import Direction, Endpoint, OutboxMessage, RemoteRecord, SyncRun
from portal_sync.services import outbox
from portal_sync.services.engine import AlreadyRunning, endpoint_lock
from tests.factories import ServiceFactory
from tests.portal_sync.push_remote import ADAPTER, SLOW, FakePortal, LoopbackPush
from tests.portal_sync.test_http import RawServer

pytestmark = pytest.mark.django_db

Status = OutboxMessage.Status


@pytest.fixture
def portal(httpserver: HTTPServer) -> FakePortal:
    remote = FakePortal()
    remote.install(httpserver)
    return remote


@pytest.fixture
def adapter() -> LoopbackPush:
    push = LoopbackPush()
    register(ADAPTER, "push", push)
    return push


@pytest.fixture
def pushing(make_endpoint: Callable[..., Endpoint], httpserver: HTTPServer, adapter: LoopbackPush) -> Endpoint:
    return make_endpoint(
        name="portale", adapter=ADAPTER, direction=Direction.PUSH, url=httpserver.url_for("/"), item_kind=""
    )


@pytest.fixture
def _english(settings) -> None:  # type: ignore[no-untyped-def]
    settings.LANGUAGE_CODE = "en"


def make_due() -> None:
    """Time passes: every waiting message is due again."""
    OutboxMessage.objects.filter(status=Status.PENDING).update(next_attempt_at=timezone.now())


def drain(endpoint: Endpoint) -> SyncRun:
    return outbox.drain(endpoint, trigger=SyncRun.Trigger.COMMAND)


def _reset(conn: socket.socket) -> None:
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


@pytest.fixture
def resetting() -> Iterator[RawServer]:
    server = RawServer(_reset)
    yield server
    server.close()


def test_a_new_service_is_sent_once_with_its_idempotency_key(pushing: Endpoint, portal: FakePortal) -> None:
    service = ServiceFactory(name="Sportello salute")
    message = OutboxMessage.objects.get()
    assert (message.object_type, message.object_id, message.status) == ("service", str(service.pk), Status.PENDING)
    run = drain(pushing)
    assert (run.direction, run.status, run.pushed, run.unchanged, run.failed) == ("push", "succeeded", 1, 0, 0)
    assert run.finished_at is not None
    message.refresh_from_db()
    assert message.status == Status.SENT and message.sent_at is not None and message.remote_id == "r1"
    assert [(r.method, r.idempotency_key) for r in portal.requests] == [("POST", str(message.idempotency_key))]
    assert portal.records == {"r1": {**portal.records["r1"], "name": "Sportello salute"}}
    remote = RemoteRecord.objects.get()
    assert (remote.remote_id, remote.content_hash) == ("r1", outbox.document_hash(portal.records["r1"]))
    pushing.refresh_from_db()
    assert pushing.last_success_at is not None and pushing.consecutive_failures == 0
    assert AuditEvent.objects.filter(action="portal_sync.drain", object_id=str(run.pk)).exists()


def test_an_unchanged_record_is_not_sent_again(pushing: Endpoint, portal: FakePortal) -> None:
    service = ServiceFactory()
    drain(pushing)
    service.save()  # saved, nothing changed: a message, but the same document
    assert OutboxMessage.objects.filter(status=Status.PENDING).count() == 1
    run = drain(pushing)
    assert (run.pushed, run.unchanged) == (0, 1)
    assert len(portal.requests) == 1
    assert not OutboxMessage.objects.exclude(status=Status.SENT).exists()


def test_a_changed_record_updates_the_same_remote_record(pushing: Endpoint, portal: FakePortal) -> None:
    service = ServiceFactory(name="Prima")
    drain(pushing)
    service.name = "Dopo"
    service.save()
    drain(pushing)
    assert [(r.method, r.path) for r in portal.requests] == [("POST", "/records"), ("PUT", "/records/r1")]
    assert list(portal.records) == ["r1"] and portal.records["r1"]["name"] == "Dopo"


def test_a_deleted_record_is_deleted_at_the_remote(pushing: Endpoint, portal: FakePortal) -> None:
    service = ServiceFactory()
    service_id = str(service.pk)
    drain(pushing)
    service.delete()
    run = drain(pushing)
    assert run.pushed == 1
    assert portal.requests[-1].method == "DELETE" and portal.records == {}
    assert RemoteRecord.objects.get().deleted_at is not None
    # Deleted here and there: a later message about it sends nothing.
    with transaction.atomic():
        outbox.enqueue("service", service_id)
    assert drain(pushing).unchanged == 1
    assert len(portal.requests) == 2


def test_a_record_never_sent_and_gone_sends_nothing(pushing: Endpoint, portal: FakePortal) -> None:
    service = ServiceFactory()
    service.delete()
    run = drain(pushing)
    # One message for both changes (it was still waiting), and nothing to delete at the remote.
    assert (OutboxMessage.objects.count(), run.pushed, run.unchanged, run.failed) == (1, 0, 1, 0)
    assert portal.requests == []


def test_the_message_is_rolled_back_with_the_change(pushing: Endpoint, portal: FakePortal, editor) -> None:  # type: ignore[no-untyped-def]
    service = ServiceFactory()
    OutboxMessage.objects.all().delete()
    with pytest.raises(RuntimeError), transaction.atomic():
        directory.update_service(service=service, fields={"name": "Mai salvato"}, by=editor)
        assert OutboxMessage.objects.count() == 1  # written in the change's transaction...
        raise RuntimeError("the request failed after the change")
    assert not OutboxMessage.objects.exists()  # ...and gone with it
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.enqueue("service", str(service.pk))
        raise RuntimeError
    assert not OutboxMessage.objects.exists()


def test_failures_back_off_with_jitter_then_the_remote_recovers(  # type: ignore[no-untyped-def]
    pushing: Endpoint, portal: FakePortal, resetting: RawServer, editor, settings, _english
) -> None:
    settings.PORTAL_SYNC_OUTBOX_BACKOFF_SECONDS = 30
    service = ServiceFactory(name="Prima")
    drain(pushing)  # OK
    service.name = "Dopo"
    service.save()
    message = OutboxMessage.objects.get(status=Status.PENDING)
    waits: list[float] = []

    def fails(expected_error: str) -> None:
        before = timezone.now()
        run = drain(pushing)
        message.refresh_from_db()
        assert (run.status, run.failed, message.status) == (SyncRun.Status.FAILED, 1, Status.PENDING)
        assert expected_error in message.last_error and expected_error in run.error
        waits.append((message.next_attempt_at - before).total_seconds())
        make_due()

    portal.script = ["500"]
    fails("answered 500")
    portal.script = ["429"]
    fails("answered 429")
    portal.script = ["slow"]
    fails("no answer in time")
    url = pushing.url
    Endpoint.objects.filter(pk=pushing.pk).update(url=resetting.url("/"))
    pushing.refresh_from_db()
    fails("connection failed")
    assert message.attempts == 4
    # 30 s, 60 s, 120 s, 240 s, each times a random 0.5–1.0; the 429 asked for 120 s, more than its 60 s.
    assert 15 - 1 <= waits[0] <= 30 + 1
    assert 120 - 1 <= waits[1] <= 120 + 1
    assert 60 - 1 <= waits[2] <= 120 + 1
    assert 120 - 1 <= waits[3] <= 240 + 1
    pushing.refresh_from_db()
    assert pushing.consecutive_failures == 4 and "connection failed" in pushing.last_error
    assert [m.to for m in mail.outbox] == [[editor.email]] and "is failing" in mail.outbox[0].subject

    Endpoint.objects.filter(pk=pushing.pk).update(url=url)
    pushing.refresh_from_db()
    run = drain(pushing)
    message.refresh_from_db()
    assert (run.status, run.pushed, message.status) == (SyncRun.Status.SUCCEEDED, 1, Status.SENT)
    assert list(portal.records) == ["r1"] and portal.records["r1"]["name"] == "Dopo"
    pushing.refresh_from_db()
    assert (pushing.consecutive_failures, pushing.last_error) == (0, "")
    assert len(mail.outbox) == 1  # editors were told once for the whole streak


def test_backoff_doubles_up_to_the_cap_with_jitter_in_range(settings) -> None:  # type: ignore[no-untyped-def]
    settings.PORTAL_SYNC_OUTBOX_BACKOFF_SECONDS = 30
    settings.PORTAL_SYNC_OUTBOX_BACKOFF_CAP_SECONDS = 6 * 3600
    for attempts, full in [(1, 30), (2, 60), (3, 120), (8, 30 * 128), (12, 6 * 3600), (40, 6 * 3600)]:
        samples = [outbox.backoff_seconds(attempts) for _ in range(200)]
        assert all(full * 0.5 <= s <= full for s in samples), attempts
        assert len(set(samples)) > 100  # jitter: failed together, not retried together
        assert min(samples) < full * 0.6 and max(samples) > full * 0.9
    assert outbox.backoff_seconds(1, retry_after=600) == 600  # the remote asks for longer
    assert outbox.backoff_seconds(5, retry_after=1) <= 30 * 16  # ... or shorter: ours
    assert outbox.backoff_seconds(1, retry_after=10**9) == 6 * 3600  # never past the cap


def test_after_max_attempts_the_message_is_dead(make_endpoint, pushing: Endpoint, portal: FakePortal) -> None:  # type: ignore[no-untyped-def]
    Endpoint.objects.filter(pk=pushing.pk).update(max_attempts=3)
    pushing.refresh_from_db()
    ServiceFactory()
    message = OutboxMessage.objects.get()
    for attempt in (1, 2, 3):
        portal.script = ["500"]
        drain(pushing)
        message.refresh_from_db()
        assert message.attempts == attempt
        make_due()
    assert (message.status, message.dead_at is not None) == (Status.DEAD, True)
    assert "answered 500" in message.last_error
    requests = len(portal.requests)
    run = drain(pushing)  # a dead letter is not sent any more
    assert len(portal.requests) == requests and (run.pushed, run.failed) == (0, 0)


def test_a_refused_record_is_dead_at_once(pushing: Endpoint, portal: FakePortal) -> None:
    ServiceFactory()
    portal.script = ["400"]
    run = drain(pushing)
    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts) == (Status.DEAD, 1)
    assert "refused the record (400)" in message.last_error and "name is required" in message.last_error
    # The remote answered: it is working, it refused one record.
    assert run.status == SyncRun.Status.PARTIAL and run.failed == 1
    pushing.refresh_from_db()
    assert pushing.consecutive_failures == 0


def test_retry_brings_a_dead_letter_back_and_it_is_sent_once(pushing: Endpoint, portal: FakePortal, editor) -> None:  # type: ignore[no-untyped-def]
    ServiceFactory()
    portal.script = ["400"]
    drain(pushing)
    message = OutboxMessage.objects.get()
    outbox.retry(message, editor)
    message.refresh_from_db()
    assert (message.status, message.attempts, message.resolved_by) == (Status.PENDING, 0, editor)
    assert message.resolved_at is not None and message.next_attempt_at <= timezone.now()
    drain(pushing)
    drain(pushing)
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert [r.method for r in portal.requests] == ["POST", "POST"]  # the refused one, then the one that went
    assert len(portal.records) == 1
    event = AuditEvent.objects.get(action="outbox_message.retry")
    assert (event.user, event.object_id) == (editor, str(message.pk))
    with pytest.raises(outbox.NotDeadLetter):
        outbox.retry(message, editor)


def test_discard_gives_a_dead_letter_up(pushing: Endpoint, portal: FakePortal, editor) -> None:  # type: ignore[no-untyped-def]
    ServiceFactory()
    portal.script = ["400"]
    drain(pushing)
    message = OutboxMessage.objects.get()
    outbox.discard(message, editor)
    message.refresh_from_db()
    assert (message.status, message.resolved_by) == (Status.DISCARDED, editor) and message.resolved_at
    assert drain(pushing).pushed == 0 and len(portal.requests) == 1
    assert AuditEvent.objects.filter(action="outbox_message.discard", user=editor).count() == 1
    with pytest.raises(outbox.NotDeadLetter):
        outbox.discard(message, editor)
    with pytest.raises(outbox.NotDeadLetter):
        outbox.retry(message, editor)


def test_a_timeout_after_the_remote_saved_resends_with_the_same_key(pushing: Endpoint, portal: FakePortal) -> None:
    ServiceFactory()
    portal.script = ["slow"]  # saved, then the answer is too late
    drain(pushing)
    message = OutboxMessage.objects.get()
    assert message.status == Status.PENDING and "no answer in time" in message.last_error
    assert len(portal.records) == 1
    # The server answers one request at a time: let it finish the late answer, or the resend waits
    # behind it and times out too (this failed in CI on a loaded machine).
    time.sleep(SLOW + 0.1)
    make_due()
    drain(pushing)
    message.refresh_from_db()
    assert message.status == Status.SENT and message.remote_id == "r1"
    keys = [r.idempotency_key for r in portal.requests]
    assert keys == [str(message.idempotency_key)] * 2
    assert list(portal.records) == ["r1"]  # one record at the remote


def test_messages_about_one_record_go_in_order(pushing: Endpoint, portal: FakePortal) -> None:
    service = ServiceFactory()
    first = OutboxMessage.objects.get()
    second = OutboxMessage.objects.create(
        endpoint=pushing, operation="upsert", object_type="service", object_id=str(service.pk)
    )
    other = ServiceFactory()
    portal.script = ["500"]
    run = drain(pushing)
    # The first failed: the second waits behind it (though due); the other record is not held back.
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.attempts, second.status, second.attempts) == (Status.PENDING, 1, Status.PENDING, 0)
    assert (run.pushed, run.failed) == (1, 1)
    assert OutboxMessage.objects.get(object_id=str(other.pk)).status == Status.SENT
    make_due()
    run = drain(pushing)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (Status.SENT, Status.SENT)
    assert (run.pushed, run.unchanged) == (1, 1)  # the second found the remote up to date


def test_an_unexpected_error_in_one_message_does_not_stop_the_drain(  # type: ignore[no-untyped-def]
    pushing: Endpoint, portal: FakePortal, adapter: LoopbackPush
) -> None:
    broken = ServiceFactory()
    fine = ServiceFactory()
    adapter.broken_ids = {str(broken.pk)}
    run = drain(pushing)
    assert (run.status, run.pushed, run.failed) == (SyncRun.Status.PARTIAL, 1, 1)
    message = OutboxMessage.objects.get(object_id=str(broken.pk))
    assert (message.status, message.attempts) == (Status.PENDING, 1)
    assert message.last_error.startswith("KeyError") and "KeyError" in run.error
    assert OutboxMessage.objects.get(object_id=str(fine.pk)).status == Status.SENT


def test_a_database_error_in_the_adapter_is_one_failed_message(  # type: ignore[no-untyped-def]
    pushing: Endpoint, portal: FakePortal, adapter: LoopbackPush, monkeypatch: pytest.MonkeyPatch
) -> None:
    ServiceFactory()

    def bad_query(endpoint: Endpoint, message: OutboxMessage) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table")

    monkeypatch.setattr(adapter, "render", bad_query)
    run = drain(pushing)
    message = OutboxMessage.objects.get()
    assert (run.failed, message.attempts) == (1, 1) and "no_such_table" in message.last_error


def test_the_drain_stops_when_the_remote_keeps_failing(pushing: Endpoint, portal: FakePortal) -> None:
    for _ in range(5):
        ServiceFactory()
    portal.script = ["500"] * 5
    run = drain(pushing)
    assert (run.status, run.failed) == (SyncRun.Status.FAILED, outbox.STOP_AFTER_REMOTE_ERRORS)
    assert len(portal.requests) == outbox.STOP_AFTER_REMOTE_ERRORS
    assert (
        OutboxMessage.objects.filter(attempts=0, status=Status.PENDING).count() == 5 - outbox.STOP_AFTER_REMOTE_ERRORS
    )


def test_one_drain_of_an_endpoint_at_a_time(pushing: Endpoint, portal: FakePortal) -> None:
    ServiceFactory()
    holding, release = threading.Event(), threading.Event()

    def other_worker() -> None:
        try:
            with endpoint_lock(pushing.pk):
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert holding.wait(10)
        with pytest.raises(AlreadyRunning):
            drain(pushing)
    finally:
        release.set()
        thread.join(10)
    assert portal.requests == [] and not SyncRun.objects.exists()


def test_a_drain_left_running_by_a_dead_worker_is_abandoned(pushing: Endpoint, portal: FakePortal) -> None:
    dead = SyncRun.objects.create(endpoint=pushing, direction="push", status=SyncRun.Status.RUNNING)
    ServiceFactory()
    run = drain(pushing)
    dead.refresh_from_db()
    assert dead.status == SyncRun.Status.ABANDONED and run.status == SyncRun.Status.SUCCEEDED


def test_a_pull_endpoint_is_not_drained(make_endpoint: Callable[..., Endpoint]) -> None:
    with pytest.raises(ValueError, match="not a push endpoint"):
        drain(make_endpoint())


def test_an_endpoint_without_its_adapter_fails_its_drain(make_endpoint: Callable[..., Endpoint]) -> None:
    endpoint = make_endpoint(direction="push", adapter="nopush", item_kind="")
    OutboxMessage.objects.create(endpoint=endpoint, operation="upsert", object_type="service", object_id="x")
    run = drain(endpoint)
    assert run.status == SyncRun.Status.FAILED and "nopush" in run.error
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 1


def test_messages_due_later_wait(pushing: Endpoint, portal: FakePortal) -> None:
    ServiceFactory()
    OutboxMessage.objects.update(next_attempt_at=timezone.now() + datetime.timedelta(minutes=5))
    run = drain(pushing)
    assert (run.pushed, run.failed) == (0, 0) and portal.requests == []
    assert Service.objects.count() == 1
