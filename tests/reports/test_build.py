"""Building a request: the task, its idempotency, failures kept for the requester, retries, purge."""

from __future__ import annotations

import datetime
import os

import pytest
from django.core.files.storage import storages
from django.db import OperationalError
from django.utils import timezone

from aipim.accounts.models import Role
from aipim.core.models import AuditEvent
from aipim.reports import services, tasks
from aipim.reports.models import ReportRequest
from aipim.reports.registry import ReportBuilder, ReportError, get_builder
from tests.reports.conftest import QUARTER


class Broken(ReportBuilder):
    slug = "test-broken"
    title = "Broken"
    roles = (Role.REGIONAL_OFFICIAL,)
    template_name = "reports/core/people_reached.html"

    def build(self, params, *, progress):
        raise ReportError("The register of March has not been imported yet.")


class Buggy(Broken):
    slug = "test-buggy"

    def build(self, params, *, progress):
        raise ZeroDivisionError("division by zero")


class Flaky(Broken):
    """Fails with a database error `fail_times` times, then builds nothing special."""

    slug = "test-flaky"
    fail_times = 0
    calls = 0

    def build(self, params, *, progress):
        type(self).calls += 1
        if type(self).calls <= self.fail_times:
            raise OperationalError("server closed the connection unexpectedly")
        return get_builder("people-reached").build(params, progress=progress)


@pytest.fixture
def flaky(registered):
    Flaky.calls = 0
    registered(Flaky)
    return Flaky


def request_as(user, slug="people-reached", **params):
    builder = get_builder(slug)
    return services.request_report(builder=builder, parameters={**QUARTER, **params}, by=user)


def test_request_is_queued_after_commit_and_built(official, reached, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report_request = request_as(official)
    assert report_request.status == ReportRequest.Status.QUEUED
    assert len(callbacks) == 1  # nothing runs before the row is committed
    callbacks[0]()
    report_request.refresh_from_db()
    assert report_request.status == ReportRequest.Status.DONE
    assert report_request.progress == 100
    assert report_request.attempts == 1
    assert report_request.started_at <= report_request.finished_at
    with report_request.file.open("rb") as handle:
        assert handle.read(4) == b"%PDF"
    assert storages["private"].exists(report_request.file.name)
    assert "Irsina" in report_request.preview_html
    assert AuditEvent.objects.filter(user=official, action="report.request", object_id=str(report_request.pk)).exists()


def test_a_request_already_done_is_not_built_again(official, reached, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report_request = request_as(official)
    report_request.refresh_from_db()
    first_file, finished_at = report_request.file.name, report_request.finished_at

    tasks.build_report.delay(report_request.pk)  # a second delivery of the same task
    report_request.refresh_from_db()
    assert (report_request.file.name, report_request.finished_at, report_request.attempts) == (
        first_file,
        finished_at,
        1,
    )


def test_a_task_for_a_deleted_request_does_nothing(db):
    tasks.build_report.delay(987654)  # no error: the request was purged before the worker got to it


def test_a_role_that_may_not_request_is_refused(caseworker_irsina):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        request_as(caseworker_irsina)
    assert not ReportRequest.objects.exists()


def test_a_builder_error_fails_with_its_message(official, registered, django_capture_on_commit_callbacks):
    registered(Broken)
    with django_capture_on_commit_callbacks(execute=True):
        report_request = request_as(official, slug="test-broken")
    report_request.refresh_from_db()
    assert report_request.status == ReportRequest.Status.FAILED
    assert report_request.error == "The register of March has not been imported yet."
    assert report_request.attempts == 1  # a fault in the report is not retried
    assert not report_request.file


def test_an_unexpected_error_fails_with_a_message_fit_for_a_person(
    official, registered, django_capture_on_commit_callbacks, caplog
):
    registered(Buggy)
    with django_capture_on_commit_callbacks(execute=True):
        report_request = request_as(official, slug="test-buggy")
    report_request.refresh_from_db()
    assert report_request.status == ReportRequest.Status.FAILED
    assert f"quoting request number {report_request.pk}" in report_request.error
    assert "ZeroDivisionError" not in report_request.error
    assert "ZeroDivisionError" in caplog.text  # the traceback is in the log for the administrators


def test_a_transient_error_is_retried_and_then_built(official, flaky, reached, django_capture_on_commit_callbacks):
    flaky.fail_times = 2
    with django_capture_on_commit_callbacks(execute=True):
        report_request = request_as(official, slug="test-flaky")
    report_request.refresh_from_db()
    assert report_request.status == ReportRequest.Status.DONE
    assert report_request.attempts == 3
    assert report_request.error == ""


def test_a_transient_error_that_persists_ends_failed(official, flaky, django_capture_on_commit_callbacks):
    flaky.fail_times = 1000
    with django_capture_on_commit_callbacks(execute=True):
        report_request = request_as(official, slug="test-flaky")
    report_request.refresh_from_db()
    assert report_request.status == ReportRequest.Status.FAILED
    assert report_request.attempts == tasks.MAX_RETRIES + 1
    assert "even after several tries" in report_request.error


def test_retry_queues_a_failed_request_again(official, flaky, reached, django_capture_on_commit_callbacks):
    flaky.fail_times = 1000
    with django_capture_on_commit_callbacks(execute=True):
        report_request = request_as(official, slug="test-flaky")
    flaky.fail_times = 0
    with django_capture_on_commit_callbacks(execute=True):
        services.retry_report(report_request=report_request, by=official)
    report_request.refresh_from_db()
    assert report_request.status == ReportRequest.Status.DONE
    assert AuditEvent.objects.filter(action="report.retry", object_id=str(report_request.pk)).exists()


def test_only_a_failed_request_can_be_retried(official, done_request):
    with pytest.raises(services.ReportNotReady):
        services.retry_report(report_request=done_request(official), by=official)


def test_purge_deletes_expired_requests_and_their_files(official, done_request, settings):
    settings.REPORT_RETENTION_DAYS = 30
    old = done_request(official)
    ReportRequest.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=31))
    recent = done_request(official)
    old_file = old.file.name
    assert storages["private"].exists(old_file)

    assert tasks.purge_expired_reports.delay().get() == 1

    assert list(ReportRequest.objects.all()) == [recent]
    assert not storages["private"].exists(old_file)
    assert storages["private"].exists(recent.file.name)


def test_purge_deletes_old_files_whose_request_is_gone(official, done_request, settings):
    settings.REPORT_RETENTION_DAYS = 30
    kept = done_request(official)
    orphan = done_request(official)
    orphan_file = orphan.file.name
    ReportRequest.objects.filter(pk=orphan.pk).delete()  # e.g. the requester's account was deleted
    storage = storages["private"]
    os.utime(storage.path(orphan_file), (0, 0))  # written long ago
    os.utime(storage.path(kept.file.name), (0, 0))  # as old, but its request is recent

    services.purge_expired_reports()

    assert not storage.exists(orphan_file)
    assert storage.exists(kept.file.name)
