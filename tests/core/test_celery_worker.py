"""A real Celery worker process, through the real Redis, builds a report and the database shows it.

Runs when REDIS_URL is set (CI sets it); without it tasks run in-process and this is skipped."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from aipim.celery import app
from aipim.core.reports import PeopleReachedReport
from aipim.reports.models import ReportRequest
from aipim.reports.services import request_report
from tests.factories import PersonFactory

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL: a real worker needs the real broker"),
]


@pytest.fixture
def worker_queue(transactional_db, monkeypatch, private_storage_in_tmp):
    """Start `celery worker` in its own process on a queue of its own, against the test database."""
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": settings.REDIS_URL,
        "PRIVATE_STORAGE_ROOT": str(private_storage_in_tmp),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "aipim",
            "worker",
            "--pool=solo",
            "--queues",
            queue,
            "--loglevel=warning",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    monkeypatch.setitem(app.conf, "task_default_queue", queue)
    try:
        yield queue
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
        print(output)


def test_worker_builds_a_report_through_redis(worker_queue, official, desk_irsina):
    for _ in range(6):
        PersonFactory(organisation=desk_irsina)
    builder = PeopleReachedReport()
    form = builder.form_class(data={"date_from": "2025-01-01", "date_to": "2027-12-31"})
    assert form.is_valid(), form.errors
    report = request_report(builder=builder, parameters=form.cleaned_data, by=official)

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        report.refresh_from_db()
        if report.status in (ReportRequest.Status.DONE, ReportRequest.Status.FAILED):
            break
        time.sleep(0.5)
    assert report.status == ReportRequest.Status.DONE, report.error
    with report.file.open("rb") as pdf:
        assert pdf.read(4) == b"%PDF"
