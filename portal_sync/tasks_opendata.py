"""Celery task of the open data: once a month, the datasets of the month just ended go to the outbox
(portal_sync.services.opendata); the outbox drain sends them to the CKAN endpoints."""

from __future__ import annotations

from celery import shared_task

from portal_sync.services.opendata import publish_month


# Safe to run twice: a message still waiting for its first try is reused, and a month sent twice
# replaces its own file at the portal (the drain skips it when the figures have not changed).
@shared_task(acks_late=True)
def publish_open_data_task() -> int:
    """Enqueue the month just ended; returns how many messages were written."""
    return len(publish_month())
