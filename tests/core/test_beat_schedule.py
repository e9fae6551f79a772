"""The beat schedule names only tasks that exist, and every job that says it runs on a schedule has
its entry (a missing entry fails silently: the job is simply never run)."""

from __future__ import annotations

from django.conf import settings

from aipim.celery import app

SCHEDULED_JOBS = {
    "aipim.core.tasks.apply_retention_policies",
    "aipim.reports.tasks.purge_expired_reports",
    "schools.tasks.recompute_risk_nightly",
    "pua.tasks.appointments.send_appointment_reminders",
    "pua.tasks.referrals.escalate_overdue_referrals",
    "portal_sync.tasks.run_due_endpoints",
    "portal_sync.tasks.drain_due_outboxes",
    "portal_sync.tasks.publish_open_data_task",
}


def test_every_scheduled_job_has_an_entry_and_every_entry_a_task():
    app.loader.import_default_modules()  # the apps' tasks modules, as a worker loads them
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled >= SCHEDULED_JOBS
    assert scheduled <= set(app.tasks)
