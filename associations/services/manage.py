"""Writes of the managers' pages that carry a rule: an association's profile, networks and their
directory service, events and their sessions. Each function owns its transaction and its audit
record (ids and field names only). Writes on bookings live in associations.services.booking."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from aipim.core import audit
from aipim.core.directory import create_service, update_service
from aipim.core.models import Organisation, Service
from associations.models import (
    SPECIALTY_SERVICE_CATEGORY,
    Association,
    BookingMode,
    Event,
    EventStatus,
    Network,
    NetworkMembership,
    Session,
)
from associations.selectors import availability

LANGUAGES = ("it", "en", "fr", "ar")
# django-modeltranslation's original fields read the active language's column: validating them
# would ask for a title in the manager's language. The forms require the Italian one.
EVENT_TRANSLATED = ["title", "summary", "description", "accessibility_notes"]
NETWORK_TRANSLATED = ["name", "description", "how_to_access"]


# First parts of public addresses under /events/ that an event's own address must not take.
RESERVED_EVENT_SLUGS = frozenset({"associations", "networks", "my-booking"})


def unique_slug(
    model: type[models.Model],
    text: str,
    *,
    max_length: int,
    exclude_pk: Any = None,
    reserved: frozenset[str] = frozenset(),
) -> str:
    """slugify(text), with -2, -3 ... when another row (or a `reserved` address) has it already."""
    base = (slugify(text) or "evento")[: max_length - 4].strip("-") or "evento"
    taken = reserved | set(
        model._default_manager.filter(slug__startswith=base)  # type: ignore[attr-defined]
        .exclude(pk=exclude_pk)
        .values_list("slug", flat=True)
    )
    slug, number = base, 2
    while slug in taken:
        slug = f"{base}-{number}"
        number += 1
    return slug


def _apply(instance: models.Model, fields: Mapping[str, Any]) -> list[str]:
    changed = [name for name, value in fields.items() if getattr(instance, name) != value]
    for name in changed:
        setattr(instance, name, fields[name])
    return changed


# --- Association profile ---------------------------------------------------------------------


@transaction.atomic
def update_association(
    *, association: Association, fields: Mapping[str, Any], organisation_fields: Mapping[str, Any], by: Any
) -> Association:
    """The profile (Association fields) and the contacts and description kept on its Organisation."""
    association = Association.objects.select_for_update().get(pk=association.pk)
    organisation = Organisation.objects.select_for_update().get(pk=association.pk)
    changed = _apply(association, fields)
    changed_org = _apply(organisation, organisation_fields)
    if changed:
        association.full_clean()
        association.save()
    if changed_org:
        organisation.full_clean()
        organisation.save()
    if changed or changed_org:
        audit.record(
            by, "association.change", association, organisation=organisation, fields=sorted(changed + changed_org)
        )
    return association


# --- Networks --------------------------------------------------------------------------------


def _save_members(network: Network, members: Iterable[Mapping[str, Any]]) -> bool:
    """`members`: one mapping per row: `membership` (existing or None), `delete`, and the fields."""
    changed = False
    for row in members:
        membership: NetworkMembership | None = row.get("membership")
        values = {k: v for k, v in row.items() if k not in ("membership", "delete")}
        if membership is not None:
            membership = NetworkMembership.objects.get(pk=membership.pk, network=network)
            if row.get("delete"):
                membership.delete()
                changed = True
            elif _apply(membership, values):
                membership.full_clean()
                membership.save()
                changed = True
        elif not row.get("delete") and values.get("association") is not None:
            membership = NetworkMembership(network=network, **values)
            membership.full_clean()
            membership.save()
            changed = True
    return changed


@transaction.atomic
def create_network(*, fields: Mapping[str, Any], members: Iterable[Mapping[str, Any]] = (), by: Any) -> Network:
    network = Network(**fields)
    network.slug = unique_slug(Network, network.name_it or network.name, max_length=80)  # type: ignore[attr-defined]
    network.full_clean(exclude=["service", *NETWORK_TRANSLATED])
    network.save()
    _save_members(network, members)
    if not network.memberships.filter(association=network.lead).exists():
        NetworkMembership.objects.create(network=network, association=network.lead, role="")
    audit.record(by, "network.create", network, organisation=network.lead.organisation)
    return network


@transaction.atomic
def update_network(
    *, network: Network, fields: Mapping[str, Any], members: Iterable[Mapping[str, Any]] = (), by: Any
) -> Network:
    network = Network.objects.select_for_update().get(pk=network.pk)
    changed = _apply(network, fields)
    if changed:
        network.full_clean(exclude=["service", *NETWORK_TRANSLATED])
        network.save()
    if _save_members(network, members):
        changed.append("members")
    if changed:
        if network.service_id:
            # The directory shows what the network says now.
            _sync_service(network, by=by)
        audit.record(by, "network.change", network, organisation=network.lead.organisation, fields=sorted(changed))
    return network


def _service_fields(network: Network) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "category": SPECIALTY_SERVICE_CATEGORY[network.specialty],  # type: ignore[index]
        "email": network.email or network.lead.organisation.email,
        "phone": network.phone or network.lead.organisation.phone,
        "status": Service.Status.ACTIVE if network.is_active else Service.Status.INACTIVE,
    }
    for language in LANGUAGES:
        fields[f"name_{language}"] = getattr(network, f"name_{language}") or ""
        fields[f"description_{language}"] = getattr(network, f"description_{language}") or ""
        fields[f"application_process_{language}"] = getattr(network, f"how_to_access_{language}") or ""
    return fields


def _sync_service(network: Network, *, by: Any) -> None:
    assert network.service is not None
    fields = _service_fields(network)
    fields["status"] = network.service.status  # unpublishing is its own act
    fields["organisation"] = network.lead.organisation
    update_service(service=network.service, fields=fields, by=by)


@transaction.atomic
def publish_network(*, network: Network, by: Any) -> Service:
    """Create or update the network's service in the directory (the lead association offers it) and
    make it active, so caseworkers can refer people to the network."""
    network = (
        Network.objects.select_for_update(of=("self",))
        .select_related("lead__organisation", "service")
        .get(pk=network.pk)
    )
    fields = _service_fields(network)
    fields["status"] = Service.Status.ACTIVE
    if network.service is None:
        service = create_service(organisation=network.lead.organisation, fields=fields, by=by)
        network.service = service
        network.save(update_fields=["service", "updated_at"])
    else:
        service = update_service(
            service=network.service, fields={**fields, "organisation": network.lead.organisation}, by=by
        )
    audit.record(by, "network.publish", network, organisation=network.lead.organisation, service=str(service.pk))
    return service


@transaction.atomic
def unpublish_network(*, network: Network, by: Any) -> None:
    """The directory keeps the service (referrals point at it) but no longer offers it."""
    network = (
        Network.objects.select_for_update(of=("self",))
        .select_related("lead__organisation", "service")
        .get(pk=network.pk)
    )
    if network.service is None:
        return
    update_service(service=network.service, fields={"status": Service.Status.INACTIVE}, by=by)
    audit.record(by, "network.unpublish", network, organisation=network.lead.organisation)


# --- Events and sessions ------------------------------------------------------------------------


def _organisation_of(event: Event) -> Organisation | None:
    return event.association.organisation if event.association_id else None  # type: ignore[union-attr]


@transaction.atomic
def create_event(*, fields: Mapping[str, Any], by: Any) -> Event:
    event = Event(**fields, created_by=by if getattr(by, "is_authenticated", False) else None)
    event.slug = unique_slug(
        Event,
        event.title_it or event.title,  # type: ignore[attr-defined]
        max_length=100,
        reserved=RESERVED_EVENT_SLUGS,
    )
    event.full_clean(exclude=EVENT_TRANSLATED)
    event.save()
    audit.record(by, "event.create", event, organisation=_organisation_of(event))
    return event


@transaction.atomic
def update_event(*, event: Event, fields: Mapping[str, Any], by: Any) -> Event:
    event = Event.objects.select_for_update().get(pk=event.pk)
    changed = _apply(event, fields)
    if changed:
        event.full_clean(exclude=EVENT_TRANSLATED)
        event.save()
        audit.record(by, "event.change", event, organisation=_organisation_of(event), fields=sorted(changed))
    return event


class EventNotReady(Exception):
    """An event that cannot be published yet; the message says why, for the manager."""


@transaction.atomic
def publish_event(*, event: Event, by: Any) -> Event:
    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.status == EventStatus.CANCELLED:
        raise EventNotReady(_("A cancelled event cannot be published again."))
    if not event.sessions.filter(status=Session.Status.SCHEDULED).exists():
        raise EventNotReady(_("Add at least one session before publishing."))
    if event.status != EventStatus.PUBLISHED:
        event.status = EventStatus.PUBLISHED
        event.save(update_fields=["status", "updated_at"])
        audit.record(by, "event.publish", event, organisation=_organisation_of(event))
    return event


def cancel_event(*, event: Event, reason: str, by: Any) -> int:
    """Cancel the event and each of its sessions still to come, telling everyone booked (through the
    booking service, one transaction per session). Returns how many bookings were told."""
    from associations.services import booking as booking_service

    told = 0
    for session in event.sessions.filter(status=Session.Status.SCHEDULED, ends_at__gte=timezone.now()).order_by("id"):
        told += booking_service.cancel_session(session, by=by, message=reason)
    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=event.pk)
        event.status = EventStatus.CANCELLED
        event.cancelled_reason = reason
        event.save(update_fields=["status", "cancelled_reason", "updated_at"])
        audit.record(by, "event.cancel", event, organisation=_organisation_of(event), told=told)
    return told


@transaction.atomic
def save_session(*, event: Event, session: Session | None, fields: Mapping[str, Any], by: Any) -> Session:
    if session is None:
        session = Session(event=event, **fields)
        session.full_clean()
        session.save()
        audit.record(by, "session.create", session, organisation=_organisation_of(event))
        return session
    # Lock the session: a booking for the last seat must not slip in while the capacity shrinks.
    session = Session.objects.select_for_update().get(pk=session.pk, event=event)
    before = session.capacity
    changed = _apply(session, fields)
    if "capacity" in changed and event.booking_mode != BookingMode.NONE:
        held = availability([session])[session.pk].held
        if session.capacity < held:
            raise ValidationError(
                {"capacity": _("%(held)s seats are already booked: the capacity cannot be lower.") % {"held": held}}
            )
    if changed:
        session.full_clean()
        session.save()
        audit.record(by, "session.change", session, organisation=_organisation_of(event), fields=sorted(changed))
        if session.capacity > before and event.is_bookable:
            # New seats go to the waiting list first, in order.
            from associations.services import booking as booking_service

            booking_service.offer_seats(
                session=None if event.booking_mode == BookingMode.SERIES else session, event=event
            )
    return session
