"""The Celery tasks (run in process, as in every test not marked `worker`)."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable, Iterator

import pytest
from django.db import connection
from django.utils import timezone

from portal_sync.adapters import register
from portal_sync.adapters.base import Incoming, PullBatch
from portal_sync.models import ContentItem, Endpoint, ItemKind, SyncRun
from portal_sync.services.engine import endpoint_lock
from portal_sync.tasks import run_due_endpoints, run_endpoint_task

pytestmark = pytest.mark.django_db


class Counting:
    def __init__(self) -> None:
        self.pulled: list[str] = []

    def pull(self, endpoint: Endpoint, client: object, *, cursor: str) -> PullBatch:
        self.pulled.append(endpoint.name)
        return PullBatch([Incoming(external_id=f"{endpoint.name}-1", kind=ItemKind.NEWS, title="One")])


@pytest.fixture
def counting() -> Iterator[Counting]:
    adapter = Counting()
    register("taskfake", "pull", adapter)
    yield adapter


def test_run_endpoint_task_runs_and_records_who(
    make_endpoint: Callable[..., Endpoint], counting: Counting, django_user_model
) -> None:  # type: ignore[no-untyped-def]
    user = django_user_model.objects.create_user(email="editor@example.org", password="x")
    endpoint = make_endpoint(adapter="taskfake")
    run_id = run_endpoint_task.delay(endpoint.pk, trigger=SyncRun.Trigger.PAGE, user_id=user.pk).get()
    run = SyncRun.objects.get(pk=run_id)
    assert (run.trigger, run.started_by, run.status) == (SyncRun.Trigger.PAGE, user, SyncRun.Status.SUCCEEDED)
    assert ContentItem.objects.count() == 1


def test_run_endpoint_task_skips_gone_and_disabled_endpoints(
    make_endpoint: Callable[..., Endpoint], counting: Counting
) -> None:
    assert run_endpoint_task.delay(999_999).get() is None
    disabled = make_endpoint(adapter="taskfake", enabled=False)
    assert run_endpoint_task.delay(disabled.pk).get() is None
    # An editor may still run a disabled endpoint by hand, from the page.
    assert run_endpoint_task.delay(disabled.pk, trigger=SyncRun.Trigger.PAGE).get() is not None


def test_run_endpoint_task_drops_a_run_while_another_holds_the_lock(
    make_endpoint: Callable[..., Endpoint], counting: Counting
) -> None:
    endpoint = make_endpoint(adapter="taskfake")
    holding, release = threading.Event(), threading.Event()

    def other_worker() -> None:
        try:
            with endpoint_lock(endpoint.pk):
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert holding.wait(10)
        assert run_endpoint_task.delay(endpoint.pk).get() is None
    finally:
        release.set()
        thread.join(10)
    assert counting.pulled == []


def test_run_due_endpoints_sends_each_due_endpoint_once(
    make_endpoint: Callable[..., Endpoint], counting: Counting
) -> None:
    now = timezone.now()
    due = make_endpoint(name="due", adapter="taskfake", next_run_at=now - datetime.timedelta(minutes=5))
    make_endpoint(name="later", adapter="taskfake", next_run_at=now + datetime.timedelta(minutes=5))
    make_endpoint(name="off", adapter="taskfake", enabled=False)
    make_endpoint(name="out", adapter="taskfake", direction="push")
    assert run_due_endpoints.delay().get() == [due.pk]
    assert counting.pulled == ["due"]
    assert run_due_endpoints.delay().get() == []  # planned for the next interval now
    due.refresh_from_db()
    assert due.next_run_at is not None and due.next_run_at > now + datetime.timedelta(minutes=59)
