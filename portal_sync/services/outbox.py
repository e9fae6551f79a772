"""The outbox: every push to a remote system starts as an `OutboxMessage` written in the same
database transaction as the change that causes it, so a change is never saved without its message
nor a message written for a change that was rolled back.

A message only says "this record changed" (object type and id); the push adapter reads the record
when the message is sent (see `portal_sync.adapters.base.PushAdapter`). So several changes to one
record before the message is first tried are one message, and a record deleted since is deleted at
the remote.
"""

from __future__ import annotations

import logging

from django.db import connection, transaction

from portal_sync.adapters import push_adapter
from portal_sync.models import Direction, Endpoint, OutboxMessage

logger = logging.getLogger(__name__)


def push_endpoints_for(object_type: str) -> list[Endpoint]:
    """Enabled push endpoints whose adapter sends records of `object_type`."""
    endpoints = []
    for endpoint in Endpoint.objects.enabled().filter(direction=Direction.PUSH).defer("credentials"):
        try:
            adapter = push_adapter(endpoint.adapter)
        except LookupError:
            logger.error("portal_sync: endpoint %s has no push adapter %r", endpoint.name, endpoint.adapter)
            continue
        if object_type in adapter.object_types:
            endpoints.append(endpoint)
    return endpoints


def enqueue(
    object_type: str,
    object_id: str,
    *,
    operation: str = OutboxMessage.Operation.UPSERT,
    endpoints: list[Endpoint] | None = None,
) -> list[OutboxMessage]:
    """Write "record `object_type` `object_id` changed" for each enabled push endpoint that sends
    that type (or for `endpoints`), in the caller's transaction. A message for the same record that
    is still waiting for its first try is reused instead of writing a second one."""
    if not connection.in_atomic_block:
        # Called outside a transaction the message would commit apart from the change: refuse,
        # so the mistake shows in tests rather than as a lost push in production.
        raise transaction.TransactionManagementError(
            "portal_sync.outbox.enqueue must run inside the change's transaction."
        )
    targets = push_endpoints_for(object_type) if endpoints is None else endpoints
    messages = []
    object_id = str(object_id)
    for endpoint in targets:
        waiting = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(
                endpoint=endpoint,
                object_type=object_type,
                object_id=object_id,
                operation=operation,
                status=OutboxMessage.Status.PENDING,
                attempts=0,
            )
            .first()
        )
        if waiting is None:
            waiting = OutboxMessage.objects.create(
                endpoint=endpoint, object_type=object_type, object_id=object_id, operation=operation
            )
        messages.append(waiting)
    return messages
