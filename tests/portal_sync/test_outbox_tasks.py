"""The drain's tasks (run in process) and command: drain one push endpoint, the beat's drain of
every push endpoint with messages due, `run_endpoint_task` and `portal_sync run` on push endpoints."""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from pytest_httpserver import HTTPServer

from portal_sync.adapters import register
from portal_sync.models import Direction, Endpoint, OutboxMessage, SyncRun
from portal_sync.tasks import drain_due_outboxes, drain_outbox_task, run_endpoint_task
from tests.factories import ServiceFactory
from tests.portal_sync.push_remote import ADAPTER, FakePortal, LoopbackPush

pytestmark = pytest.mark.django_db


@pytest.fixture
def portal(httpserver: HTTPServer) -> FakePortal:
    register(ADAPTER, "push", LoopbackPush())
    remote = FakePortal()
    remote.install(httpserver)
    return remote


@pytest.fixture
def make_push(make_endpoint: Callable[..., Endpoint], httpserver: HTTPServer) -> Callable[..., Endpoint]:
    def make(**fields: object) -> Endpoint:
        return make_endpoint(
            adapter=ADAPTER, direction=Direction.PUSH, item_kind="", url=httpserver.url_for("/"), **fields
        )

    return make


def test_drain_outbox_task_drains_and_records_who(make_push, portal: FakePortal, editor) -> None:  # type: ignore[no-untyped-def]
    endpoint = make_push()
    ServiceFactory()
    run_id = drain_outbox_task.delay(endpoint.pk, trigger=SyncRun.Trigger.PAGE, user_id=editor.pk).get()
    run = SyncRun.objects.get(pk=run_id)
    assert (run.direction, run.trigger, run.started_by, run.pushed) == ("push", "page", editor, 1)
    assert len(portal.records) == 1


def test_drain_outbox_task_skips_gone_pull_and_disabled_endpoints(  # type: ignore[no-untyped-def]
    make_push, make_endpoint, portal: FakePortal
) -> None:
    assert drain_outbox_task.delay(999_999).get() is None
    assert drain_outbox_task.delay(make_endpoint().pk).get() is None  # a pull endpoint
    disabled = make_push(enabled=False)
    assert drain_outbox_task.delay(disabled.pk).get() is None
    assert drain_outbox_task.delay(disabled.pk, trigger=SyncRun.Trigger.PAGE).get() is not None  # by hand


def test_run_endpoint_task_drains_a_push_endpoint(make_push, portal: FakePortal) -> None:  # type: ignore[no-untyped-def]
    endpoint = make_push()
    ServiceFactory()
    run = SyncRun.objects.get(pk=run_endpoint_task.delay(endpoint.pk).get())
    assert (run.direction, run.pushed) == ("push", 1)


def test_drain_due_outboxes_sends_each_push_endpoint_with_due_messages(  # type: ignore[no-untyped-def]
    make_push, make_endpoint, portal: FakePortal
) -> None:
    due = make_push(name="due")
    later = make_push(name="later")
    busy = make_push(name="busy")
    off = make_push(name="off", enabled=False)
    make_push(name="empty")
    make_endpoint(name="pull")
    for endpoint in (due, later, busy, off):
        OutboxMessage.objects.create(endpoint=endpoint, operation="upsert", object_type="service", object_id="x")
    OutboxMessage.objects.filter(endpoint=later).update(next_attempt_at=timezone.now() + datetime.timedelta(hours=1))
    SyncRun.objects.create(endpoint=busy, direction="push", status=SyncRun.Status.RUNNING)
    assert drain_due_outboxes.delay().get() == [due.pk]
    assert SyncRun.objects.filter(endpoint=due, direction="push").count() == 1
    # A run left RUNNING long ago by a killed worker does not hold its endpoint back.
    SyncRun.objects.filter(endpoint=busy).update(started_at=timezone.now() - datetime.timedelta(days=1))
    assert drain_due_outboxes.delay().get() == [busy.pk]
    assert SyncRun.objects.get(endpoint=busy, status=SyncRun.Status.ABANDONED)


def portal_sync(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("portal_sync", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def _english(settings) -> None:  # type: ignore[no-untyped-def]
    settings.LANGUAGE_CODE = "en"


@pytest.mark.usefixtures("_english")
def test_command_drains_a_push_endpoint(make_push, portal: FakePortal) -> None:  # type: ignore[no-untyped-def]
    make_push(name="portale")
    ServiceFactory()
    out, _ = portal_sync("run", "--endpoint", "portale")
    assert "portale: Succeeded — sent 1, unchanged 0, failed 0" in out
    assert SyncRun.objects.get().trigger == SyncRun.Trigger.COMMAND
    portal.script = ["500"]
    ServiceFactory()
    with pytest.raises(CommandError, match="1 run"):
        portal_sync("run", "--endpoint", "portale")


@pytest.mark.usefixtures("_english")
def test_command_run_and_run_all_include_push_endpoints(make_push, make_endpoint, portal: FakePortal) -> None:  # type: ignore[no-untyped-def]
    class NoNews:
        def pull(self, endpoint: Endpoint, client: object, *, cursor: str) -> object:
            from portal_sync.adapters.base import PullBatch

            return PullBatch([])

    register("nonews", "pull", NoNews())
    make_endpoint(name="feed", adapter="nonews")
    make_push(name="portale")
    ServiceFactory()
    make_push(name="idle")  # after the change: nothing for it
    out, _ = portal_sync("run")  # due pulls, and push endpoints with messages due
    assert [line.split(":")[0] for line in out.splitlines()] == ["feed", "portale"]
    out, _ = portal_sync("run", "--all")
    assert [line.split(":")[0] for line in out.splitlines()] == ["feed", "idle", "portale"]
