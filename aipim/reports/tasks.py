"""Celery tasks of the reports: thin, they load ids and call aipim.reports.services."""

from __future__ import annotations

from celery import shared_task

from aipim.reports import services
from aipim.reports.models import ReportRequest

MAX_RETRIES = 5


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=services.TRANSIENT_ERRORS,
    retry_backoff=True,
    retry_backoff_max=10 * 60,
    retry_jitter=True,
    max_retries=MAX_RETRIES,
)
def build_report(self, request_id: int) -> None:  # type: ignore[no-untyped-def]
    report_request = ReportRequest.objects.filter(pk=request_id).first()
    if report_request is None:
        return  # purged, or deleted by an administrator, before a worker got to it
    try:
        services.run_report(report_request)
    except services.TRANSIENT_ERRORS:
        if self.request.retries >= self.max_retries:
            services.give_up_report(report_request)
            return
        raise  # autoretry_for retries it with exponential backoff


@shared_task(acks_late=True)
def purge_expired_reports() -> int:
    return services.purge_expired_reports()
