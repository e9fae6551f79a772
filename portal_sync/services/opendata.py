"""Publish the open datasets (aipim.core.datasets) of a month that has ended: one outbox message
("dataset", "<slug>:<YYYY-MM>") per dataset for every enabled push endpoint that sends datasets (the
CKAN adapter). The messages only name the month; the adapter computes the figures when it sends."""

from __future__ import annotations

import datetime
import logging

from django.db import transaction
from django.utils import timezone

from aipim.core.datasets import all_datasets, month_start, previous_month
from portal_sync.adapters.ckan import DATASET, object_id
from portal_sync.models import OutboxMessage
from portal_sync.services import outbox

logger = logging.getLogger(__name__)


class MonthNotEnded(ValueError):
    """A month still running (or to come) has no final figures to publish."""


def publish_month(month: datetime.date | None = None) -> list[OutboxMessage]:
    """Enqueue every dataset of `month` (any day of it; default the month just ended). A month sent
    again (a correction) replaces its file at the portal; a message still waiting is reused."""
    this_month = month_start(timezone.localdate())
    month = previous_month(this_month) if month is None else month_start(month)
    if month >= this_month:
        raise MonthNotEnded(f"{month:%Y-%m} has not ended yet.")
    messages: list[OutboxMessage] = []
    endpoints = outbox.push_endpoints_for(DATASET)
    with transaction.atomic():
        for dataset in all_datasets():
            messages += outbox.enqueue(DATASET, object_id(dataset.slug, month), endpoints=endpoints)
    logger.info("open data: %d messages for %s", len(messages), f"{month:%Y-%m}")
    return messages
