"""Writes on the service directory by its editors: a service with its locations and weekly hours.

Each function owns its transaction and its audit record; the editor pages, the admin and any
command call these (portal sync imports through `aipim.core.hsds.service_from_hsds`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction

from aipim.accounts.models import Role
from aipim.core import audit
from aipim.core.models import Location, Organisation, Schedule, Service

EDITOR_ROLES = (Role.EDITOR, Role.ADMINISTRATOR)


def can_edit_directory(user: Any) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.has_role(*EDITOR_ROLES)))


@transaction.atomic
def create_service(
    *,
    organisation: Organisation,
    fields: Mapping[str, Any],
    locations: Sequence[Mapping[str, Any]] = (),
    schedules: Sequence[Mapping[str, Any]] = (),
    by: Any,
) -> Service:
    """`fields` are Service fields (translated ones by language: name_it, name_en, ...);
    `locations` and `schedules` as in `update_service`."""
    service = Service(organisation=organisation)
    for name, value in fields.items():
        setattr(service, name, value)
    service.full_clean(exclude=["locations"])
    service.save()
    _save_locations(service, locations)
    _replace_schedules(service, schedules)
    audit.record(by, "service.create", service, organisation=organisation)
    return service


@transaction.atomic
def update_service(
    *,
    service: Service,
    fields: Mapping[str, Any],
    locations: Sequence[Mapping[str, Any]] | None = None,
    schedules: Sequence[Mapping[str, Any]] | None = None,
    by: Any,
) -> Service:
    """Change a service. `locations`: one mapping per location, with `location` (an existing
    Location of the service, or None for a new one), `delete` (detach it) and Location fields.
    `schedules`: the complete weekly hours (`weekday`, `opens_at`, `closes_at`, `location`,
    `notes`), which replace the previous ones. None leaves either untouched."""
    service = Service.objects.select_for_update().get(pk=service.pk)
    changed = [name for name, value in fields.items() if getattr(service, name) != value]
    for name in changed:
        setattr(service, name, fields[name])
    service.full_clean(exclude=["locations"])
    if locations is not None and _save_locations(service, locations):
        changed.append("locations")
    if schedules is not None and _replace_schedules(service, schedules):
        changed.append("schedules")
    if changed:
        # Saved last, also when only hours or places changed: `updated_at` is the page's last-update date.
        service.save()
        audit.record(by, "service.change", service, organisation=service.organisation, fields=sorted(changed))
    return service


def _save_locations(service: Service, locations: Sequence[Mapping[str, Any]]) -> bool:
    changed = False
    for item in locations:
        values = {key: value for key, value in item.items() if key not in ("location", "delete")}
        given: Location | None = item.get("location")
        if given is not None:
            # Read it again: a bound ModelForm has already written the new values on its instance.
            location = service.locations.filter(pk=given.pk).first()
            if location is None:
                raise ValueError("This location does not belong to the service.")
            if item.get("delete"):
                service.locations.remove(location)
                if not location.services.exists():
                    location.delete()  # its opening hours go with it
                changed = True
                continue
            edits = {key: value for key, value in values.items() if getattr(location, key) != value}
            if edits:
                for key, value in edits.items():
                    setattr(location, key, value)
                location.full_clean()
                location.save()
                changed = True
        elif not item.get("delete"):
            location = Location(organisation=service.organisation, **values)
            location.full_clean()
            location.save()
            service.locations.add(location)
            changed = True
    return changed


def _replace_schedules(service: Service, schedules: Sequence[Mapping[str, Any]]) -> bool:
    def key(row: Mapping[str, Any]) -> tuple[Any, ...]:
        location = row.get("location")
        return (
            row["weekday"],
            row["opens_at"],
            row["closes_at"],
            location.pk if location else None,
            row.get("notes") or "",
        )

    wanted = sorted({key(row) for row in schedules}, key=str)
    existing = sorted(
        {(s.weekday, s.opens_at, s.closes_at, s.location_id, s.notes) for s in service.schedules.all()}, key=str
    )
    if wanted == existing:
        return False
    located = set(service.locations.values_list("pk", flat=True))
    service.schedules.all().delete()
    for weekday, opens_at, closes_at, location_id, notes in wanted:
        schedule = Schedule(
            service=service,
            weekday=weekday,
            opens_at=opens_at,
            closes_at=closes_at,
            location_id=location_id if location_id in located else None,
            notes=notes,
        )
        schedule.full_clean()
        schedule.save()
    return True
