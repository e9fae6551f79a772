"""A real Celery worker, through the real Redis, is killed (SIGKILL) in the middle of a pull; the
next run marks the dead run abandoned and finishes the work with no duplicate and no loss.

Runs when REDIS_URL is set (CI sets it); without it tasks run in-process and this is skipped. The
worker imports this module (--include) so that it knows the test adapter below."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from aipim.celery import app
from portal_sync.adapters import register
from portal_sync.adapters.base import Incoming, PullBatch, Rejection
from portal_sync.models import ContentItem, ContentVersion, Direction, Endpoint, ItemKind, SyncRun
from portal_sync.services import engine
from portal_sync.services.engine import AlreadyRunning, run_endpoint

ROOT = Path(__file__).resolve().parents[2]
ADAPTER = "stalling"
RECORDS = 6
# In the worker only: after this many records the run stops moving (and is killed there).
STALL_AFTER = os.environ.get("PORTAL_SYNC_TEST_STALL_AFTER")

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL: a real worker needs the real broker"),
]


class StallingRecords(list[Incoming | Rejection]):
    def __iter__(self) -> Iterator[Incoming | Rejection]:
        for number, record in enumerate(super().__iter__()):
            if STALL_AFTER is not None and number == int(STALL_AFTER):
                time.sleep(300)
            yield record


class StallingAdapter:
    def pull(self, endpoint: Endpoint, client: Any, *, cursor: str) -> PullBatch:
        records = [Incoming(external_id=f"n{n}", kind=ItemKind.NEWS, title=f"News {n}") for n in range(RECORDS)]
        return PullBatch(records=StallingRecords(records), present_ids={r.external_id for r in records}, cursor="T1")


register(ADAPTER, "pull", StallingAdapter())
if STALL_AFTER is not None:
    # In the worker: new records are committed in chunks of STALL_AFTER, so the first chunk is in
    # the database when the run stalls and is killed.
    engine.CHUNK = int(STALL_AFTER)


@pytest.fixture
def worker(transactional_db: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[subprocess.Popen[str]]:
    """`celery worker` in its own process on a queue of its own, against the test database."""
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": settings.REDIS_URL, "PORTAL_SYNC_TEST_STALL_AFTER": "3"}
    command = [sys.executable, "-m", "celery", "-A", "aipim", "worker", "--pool=solo", "--queues", queue]
    command += ["--include", __name__, "--loglevel=warning", "--without-gossip", "--without-mingle"]
    command += ["--without-heartbeat"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    monkeypatch.setitem(app.conf, "task_default_queue", queue)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
        output, _ = process.communicate(timeout=30)
        print(output)


def _wait_for(condition: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_a_worker_killed_mid_run_leaves_nothing_the_next_run_does_not_finish(
    worker: subprocess.Popen[str],
) -> None:
    from portal_sync.tasks import run_endpoint_task

    endpoint = Endpoint.objects.create(
        name="stalling", title="Stalling", adapter=ADAPTER, direction=Direction.PULL, url="http://127.0.0.1:9/"
    )
    run_endpoint_task.delay(endpoint.pk)
    assert _wait_for(lambda: ContentItem.objects.count() == 3, 90), "the worker never got half-way"

    worker.kill()  # SIGKILL: no cleanup, no ack, the lock's connection simply dies
    worker.wait(30)
    dead = SyncRun.objects.get()
    assert dead.status == SyncRun.Status.RUNNING and dead.finished_at is None
    assert (dead.seen, dead.created) == (3, 3)  # its progress was saved after its first chunk
    assert Endpoint.objects.get(pk=endpoint.pk).cursor == ""

    # The next run (the schedule's); PostgreSQL frees the dead session's lock within moments.
    run = None
    deadline = time.monotonic() + 20
    while run is None and time.monotonic() < deadline:
        try:
            run = run_endpoint(endpoint)
        except AlreadyRunning:
            time.sleep(0.2)
    assert run is not None, "the dead worker's lock was never freed"
    dead.refresh_from_db()
    assert dead.status == SyncRun.Status.ABANDONED
    assert (run.status, run.created, run.unchanged) == (SyncRun.Status.SUCCEEDED, RECORDS - 3, 3)
    assert sorted(ContentItem.objects.values_list("external_id", flat=True)) == [f"n{n}" for n in range(RECORDS)]
    assert ContentVersion.objects.count() == RECORDS
    assert Endpoint.objects.get(pk=endpoint.pk).cursor == "T1"
