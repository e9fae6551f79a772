"""Celery task of the register imports (thin: take the import's id, call the service).

Not in schools/tasks.py (the risk tasks): it must be imported there, or listed in Celery's
`include`, for a worker to know it."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.utils.translation import gettext as _

from schools.services import imports

MAX_RETRIES = 5


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def run_register_import(self: Any, import_id: int) -> None:
    """Write a confirmed import. A database outage is retried with growing pauses; after the last
    try the import is marked failed with the reason. Running twice is harmless (the service skips
    an import that is done)."""
    try:
        imports.run_import(import_id=import_id)
    except imports.TransientImportError as error:
        if self.request.retries >= MAX_RETRIES:
            imports.mark_failed(
                import_id=import_id,
                reason=_("The database could not be reached, even after several tries; nothing was saved."),
            )
            return
        raise self.retry(exc=error, countdown=30 * 2**self.request.retries) from error
