"""Framework glue: a change to a directory service (or to what its HSDS document is made of: its
organisation, locations, hours, contacts) writes an outbox message "service changed" for the push
endpoints that send services. The receivers hold no rule: which endpoints, and what is sent, is
the outbox's and the push adapter's business.

Every writer of services is atomic (aipim.core.directory, associations.services.manage,
aipim.core.hsds.service_from_hsds, the admin), so the message is written in the change's own
transaction and rolls back with it. A save outside any transaction (a shell, a script) has already
committed its change when the signal arrives: then the message is written in a transaction of its
own, and a warning is logged because a crash between the two would lose the push. Raising there
would not undo the change, only lose the message.

With no push endpoint for services, a directory edit costs one query more: the answer is kept for
the rest of the transaction (see `_push_endpoints`)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

from aipim.core.models import Contact, Location, Organisation, Schedule, Service
from portal_sync.models import Endpoint
from portal_sync.services import outbox

logger = logging.getLogger(__name__)

OBJECT_TYPE = "service"
_CACHE = "_portal_sync_push_endpoints"


def _push_endpoints() -> list[Endpoint]:
    """The push endpoints for services, read once per transaction. The answer is kept on the
    connection with a marker callback registered with on_commit: a commit or a rollback (also of a
    savepoint the marker was set in) drops the callback, and with it the answer."""
    if not connection.in_atomic_block:
        return outbox.push_endpoints_for(OBJECT_TYPE)
    cached = getattr(connection, _CACHE, None)
    if cached is not None:
        kept_marker, kept = cached
        # run_on_commit holds (savepoint ids, callback, robust) for each callback still to run.
        if any(entry[1] is kept_marker for entry in connection.run_on_commit):
            return kept  # type: ignore[no-any-return]

    def marker() -> None:
        forget_push_endpoints()

    endpoints = outbox.push_endpoints_for(OBJECT_TYPE)
    transaction.on_commit(marker)
    setattr(connection, _CACHE, (marker, endpoints))
    return endpoints


def forget_push_endpoints(**_kwargs: Any) -> None:
    """An endpoint was saved or deleted: read the push endpoints again."""
    if hasattr(connection, _CACHE):
        delattr(connection, _CACHE)


def _changed(service_ids: Iterable[Any] | None = None, *, query: Any = None) -> None:
    """Enqueue "service changed" for `service_ids` (or the ids `query()` gives, read only when a
    push endpoint wants services)."""
    endpoints = _push_endpoints()
    if not endpoints:
        return
    ids = sorted({str(pk) for pk in (service_ids if service_ids is not None else query())})
    if not ids:
        return
    if connection.in_atomic_block:
        for pk in ids:
            outbox.enqueue(OBJECT_TYPE, pk, endpoints=endpoints)
        return
    logger.warning(
        "portal_sync: services %s changed outside a transaction; their outbox messages are written after "
        "the change has committed",
        ", ".join(ids),
    )
    try:
        with transaction.atomic():
            for pk in ids:
                outbox.enqueue(OBJECT_TYPE, pk, endpoints=endpoints)
    except Exception:
        logger.exception("portal_sync: could not write the outbox messages of services %s", ", ".join(ids))


def service_saved(sender: Any, instance: Service, **kwargs: Any) -> None:
    _changed([instance.pk])


def service_part_changed(sender: Any, instance: Schedule | Contact, **kwargs: Any) -> None:
    _changed([instance.service_id])


def organisation_saved(sender: Any, instance: Organisation, **kwargs: Any) -> None:
    # The organisation is part of each of its services' documents. Its deletion needs nothing:
    # its services are deleted with it, each with its own signal.
    if kwargs.get("created"):
        return
    _changed(query=lambda: Service.objects.filter(organisation=instance).values_list("pk", flat=True))


def location_changed(sender: Any, instance: Location, **kwargs: Any) -> None:
    # pre_delete for a deletion: once deleted, the location's links to its services are gone.
    if kwargs.get("created"):
        return
    _changed(query=lambda: Service.objects.filter(locations=instance).values_list("pk", flat=True))


def service_locations_changed(
    sender: Any, instance: Service | Location, action: str, reverse: bool, pk_set: set[Any] | None, **kwargs: Any
) -> None:
    if not reverse:  # service.locations.add/remove/clear/set
        if action in ("post_add", "post_remove", "post_clear"):
            _changed([instance.pk])
    elif action in ("post_add", "post_remove"):  # location.services.add/remove
        _changed(pk_set or ())
    elif action == "pre_clear":  # location.services.clear(): read them while they are linked
        _changed(query=lambda: Service.objects.filter(locations=instance.pk).values_list("pk", flat=True))


def connect() -> None:
    post_save.connect(service_saved, sender=Service, dispatch_uid="portal_sync.service_saved")
    post_delete.connect(service_saved, sender=Service, dispatch_uid="portal_sync.service_deleted")
    for model in (Schedule, Contact):
        post_save.connect(service_part_changed, sender=model, dispatch_uid=f"portal_sync.{model.__name__}_saved")
        post_delete.connect(service_part_changed, sender=model, dispatch_uid=f"portal_sync.{model.__name__}_deleted")
    post_save.connect(organisation_saved, sender=Organisation, dispatch_uid="portal_sync.organisation_saved")
    post_save.connect(location_changed, sender=Location, dispatch_uid="portal_sync.location_saved")
    pre_delete.connect(location_changed, sender=Location, dispatch_uid="portal_sync.location_deleted")
    m2m_changed.connect(
        service_locations_changed, sender=Service.locations.through, dispatch_uid="portal_sync.service_locations"
    )
    post_save.connect(forget_push_endpoints, sender=Endpoint, dispatch_uid="portal_sync.endpoint_saved")
    post_delete.connect(forget_push_endpoints, sender=Endpoint, dispatch_uid="portal_sync.endpoint_deleted")
