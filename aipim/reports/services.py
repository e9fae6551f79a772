"""Every write on report requests: ask for a report, build it (idempotently), try again, purge."""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from aipim.core import audit
from aipim.reports import rendering
from aipim.reports.models import ReportRequest
from aipim.reports.registry import ReportBuilder, ReportError, UnknownReport, get_builder

logger = logging.getLogger("aipim.reports")

# Errors that may pass by themselves (the database restarting, a full or unmounted disk): the
# task retries these with backoff; anything else is a fault in the report and fails at once.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (OperationalError, InterfaceError, OSError)


class ReportNotReady(Exception):
    """The request is not in a state that allows this (e.g. retrying a report that is ready)."""


def _queue_build(report_request: ReportRequest) -> None:
    from aipim.reports.tasks import build_report

    pk = report_request.pk
    # After commit: a worker must never look for a row that does not exist yet.
    transaction.on_commit(lambda: build_report.delay(pk))


@transaction.atomic
def request_report(*, builder: ReportBuilder, parameters: dict[str, Any], by: Any) -> ReportRequest:
    """Record a request for `builder` with the form's cleaned_data and queue its build.

    The report is written in the language active now (the requester's)."""
    if not builder.may_request(by):
        raise PermissionDenied(_("You may not request this report."))
    report_request = ReportRequest.objects.create(
        requested_by=by,
        report=builder.slug,
        parameters=builder.serialise_parameters(parameters),
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    audit.record(by, "report.request", report_request, report=builder.slug)
    _queue_build(report_request)
    return report_request


@transaction.atomic
def retry_report(*, report_request: ReportRequest, by: Any) -> ReportRequest:
    """Queue a failed request again, for its requester."""
    report_request = ReportRequest.objects.select_for_update().get(pk=report_request.pk)
    if report_request.requested_by_id != by.pk:
        raise PermissionDenied
    if report_request.status != ReportRequest.Status.FAILED:
        raise ReportNotReady(_("Only a report that failed can be tried again."))
    report_request.status = ReportRequest.Status.QUEUED
    report_request.progress = 0
    report_request.error = ""
    report_request.started_at = report_request.finished_at = None
    report_request.save(update_fields=["status", "progress", "error", "started_at", "finished_at"])
    audit.record(by, "report.retry", report_request, report=report_request.report)
    _queue_build(report_request)
    return report_request


def _claim(pk: int) -> ReportRequest | None:
    """Mark the request running, unless it is already done (a task may be delivered twice)."""
    with transaction.atomic():
        report_request = ReportRequest.objects.select_for_update().filter(pk=pk).first()
        if report_request is None or report_request.status == ReportRequest.Status.DONE:
            return None
        report_request.status = ReportRequest.Status.RUNNING
        report_request.progress = 0
        report_request.attempts += 1
        report_request.started_at = timezone.now()
        report_request.save(update_fields=["status", "progress", "attempts", "started_at"])
        return report_request


def _set_progress(pk: int, percent: int) -> None:
    # Outside any transaction, so the requester's page sees it while the build goes on.
    ReportRequest.objects.filter(pk=pk, status=ReportRequest.Status.RUNNING).update(
        progress=max(0, min(99, int(percent)))
    )


def run_report(report_request: ReportRequest) -> ReportRequest:
    """Build the report of a request and store its PDF. Idempotent: a request already done is
    returned as it is, and if two deliveries of the task race, the first to finish wins.

    The row is locked only to claim it and to store the result, not for the whole build, so
    that progress written in between is visible to the requester's page."""
    claimed = _claim(report_request.pk)
    if claimed is None:
        report_request.refresh_from_db()
        return report_request
    report_request = claimed
    with translation.override(report_request.language):
        try:
            builder = get_builder(report_request.report)
            requester = report_request.requested_by
            params = builder.parse_parameters(report_request.parameters, user=requester)
            context = builder.build_for(
                params, progress=lambda percent: _set_progress(report_request.pk, percent), user=requester
            )
            body = rendering.render_body(builder, context, params=params, requested_at=report_request.created_at)
            pdf = rendering.render_pdf(builder, body)
        except TRANSIENT_ERRORS as error:
            logger.warning("Report request %s: transient error, will retry: %r", report_request.pk, error)
            message = _("A service the report needs did not answer; the report will be tried again in a moment.")
            _record_outcome(report_request.pk, status=ReportRequest.Status.QUEUED, error=message)
            raise
        except ReportError as error:
            return fail_report(report_request, str(error))
        except UnknownReport:
            return fail_report(report_request, _("This report is no longer available."))
        except ValidationError as error:
            message = _("The parameters of this request are no longer valid: %(errors)s Request the report again.")
            return fail_report(report_request, message % {"errors": " ".join(error.messages)})
        except Exception:
            logger.exception("Report request %s failed", report_request.pk)
            message = _(
                "The report could not be built because of an error in the portal. Trying again will not help "
                "until it is fixed: tell the portal administrators, quoting request number %(number)s."
            )
            return fail_report(report_request, message % {"number": report_request.pk})
    return _store_result(report_request.pk, body=body, pdf=pdf)


def _store_result(pk: int, *, body: str, pdf: bytes) -> ReportRequest:
    with transaction.atomic():
        report_request = ReportRequest.objects.select_for_update().get(pk=pk)
        if report_request.status == ReportRequest.Status.DONE:
            return report_request  # another delivery finished first; keep its file
        report_request.file.save(f"report-{pk}.pdf", ContentFile(pdf), save=False)
        report_request.preview_html = body
        report_request.status = ReportRequest.Status.DONE
        report_request.progress = 100
        report_request.error = ""
        report_request.finished_at = timezone.now()
        report_request.save(update_fields=["file", "preview_html", "status", "progress", "error", "finished_at"])
        logger.info("Report request %s built (%d bytes)", pk, len(pdf))
        return report_request


def _record_outcome(pk: int, *, status: str, error: str) -> None:
    finished_at = timezone.now() if status == ReportRequest.Status.FAILED else None
    ReportRequest.objects.filter(pk=pk).exclude(status=ReportRequest.Status.DONE).update(
        status=status, error=error, finished_at=finished_at
    )


def fail_report(report_request: ReportRequest, message: str) -> ReportRequest:
    """Give up on a request, keeping `message` for its requester (a request that is done stays done)."""
    _record_outcome(report_request.pk, status=ReportRequest.Status.FAILED, error=message)
    report_request.refresh_from_db()
    return report_request


def give_up_report(report_request: ReportRequest) -> ReportRequest:
    """The task has retried a transient error as often as it may: fail with a message that says so."""
    with translation.override(report_request.language):
        message = _(
            "The report could not be built because a service it needs (the database or the file store) "
            "did not answer, even after several tries. Try again later; if it keeps failing, tell the "
            "portal administrators."
        )
    return fail_report(report_request, message)


def purge_expired_reports(*, now: datetime.datetime | None = None) -> int:
    """Delete report files and their requests older than REPORT_RETENTION_DAYS; return how many
    requests went. Files left without a request (its requester's account was deleted) go too."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.REPORT_RETENTION_DAYS)
    deleted = 0
    for report_request in ReportRequest.objects.filter(created_at__lt=cutoff).only("pk", "file").iterator(200):
        # The file goes first: a row without its file is harmless, a file without its row is a leak.
        if report_request.file:
            report_request.file.delete(save=False)
        report_request.delete()
        deleted += 1
    orphans = _purge_orphan_files(cutoff)
    if deleted or orphans:
        logger.info("Purged %d expired report requests and %d files without a request", deleted, orphans)
    return deleted


def _purge_orphan_files(cutoff: datetime.datetime) -> int:
    storage = ReportRequest._meta.get_field("file").storage  # type: ignore[attr-defined]
    if not storage.exists("reports"):
        return 0
    deleted = 0
    for year in storage.listdir("reports")[0]:
        for month in storage.listdir(f"reports/{year}")[0]:
            folder = f"reports/{year}/{month}"
            names = [f"{folder}/{name}" for name in storage.listdir(folder)[1]]
            referenced = set(ReportRequest.objects.filter(file__in=names).values_list("file", flat=True))
            for name in names:
                if name not in referenced and storage.get_modified_time(name) < cutoff:
                    storage.delete(name)
                    deleted += 1
    return deleted
