"""The editorial workflow of pulled items: received → in review → approved → published → withdrawn
(a withdrawn item can be reconsidered: back to review), with who and when, the editors'
translations of titles and summaries, and the diff between two versions as the source sent them.

Every move locks the item's row and checks its state again, so two editors pressing buttons at the
same time cannot both move it. Publishing a service puts it in the shared service directory."""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from typing import Any, NamedTuple

import jsonschema
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aipim.core import audit
from aipim.core.hsds import HSDSImportError, service_from_hsds
from aipim.core.models import Service
from portal_sync.models import ContentItem, ContentVersion, ItemKind, ItemState

LANGUAGES = ("it", "en", "fr", "ar")
TEXT_FIELDS = tuple(f"{name}_{code}" for name in ("title", "summary") for code in LANGUAGES)

# verb → (states it may start from, state it leads to)
MOVES: dict[str, tuple[tuple[str, ...], str]] = {
    "start_review": ((ItemState.RECEIVED, ItemState.WITHDRAWN), ItemState.IN_REVIEW),
    "approve": ((ItemState.IN_REVIEW,), ItemState.APPROVED),
    "publish": ((ItemState.APPROVED,), ItemState.PUBLISHED),
    # An editor may refuse an item at any step, not only take a published one down.
    "withdraw": (
        (ItemState.RECEIVED, ItemState.IN_REVIEW, ItemState.APPROVED, ItemState.PUBLISHED),
        ItemState.WITHDRAWN,
    ),
}


class MoveNotAllowed(ValidationError):
    """The item is not in a state this move starts from (e.g. someone else moved it first)."""


def allowed_moves(item: ContentItem) -> list[str]:
    """The verbs an editor may apply to the item now, in workflow order."""
    return [verb for verb, (sources, _target) in MOVES.items() if item.state in sources]


def _locked(item: ContentItem) -> ContentItem:
    return ContentItem.objects.select_for_update().get(pk=item.pk)


def _move(item: ContentItem, verb: str, *, by: Any, **changes: Any) -> ContentItem:
    sources, target = MOVES[verb]
    locked = _locked(item)
    if locked.state not in sources:
        raise MoveNotAllowed(
            _("This item is now “%(state)s”: it cannot be moved that way.") % {"state": locked.get_state_display()}
        )
    previous = locked.state
    now = timezone.now()
    locked.state = target
    locked.state_changed_at = now
    locked.state_changed_by = by
    for name, value in changes.items():
        setattr(locked, name, value)
    locked.save()
    audit.record(by, f"content_item.{verb}", locked, previous=previous, state=target)
    _copy(locked, item)
    return item


def _copy(source: ContentItem, target: ContentItem) -> None:
    """Refresh the caller's instance with the saved row (the views keep using it)."""
    if source is not target:
        for field in ContentItem._meta.concrete_fields:
            setattr(target, field.attname, getattr(source, field.attname))


@transaction.atomic
def start_review(item: ContentItem, *, by: Any) -> ContentItem:
    return _move(item, "start_review", by=by, withdrawn_reason="")


@transaction.atomic
def approve(item: ContentItem, *, by: Any) -> ContentItem:
    return _move(item, "approve", by=by)


@transaction.atomic
def publish(item: ContentItem, *, by: Any) -> ContentItem:
    """Publish the item; a service item becomes (or updates) a service of the shared directory,
    keyed by the endpoint and the source's id so that publishing again never makes a second one."""
    changes: dict[str, Any] = {"published_at": timezone.now(), "changed_after_publishing": False}
    if item.kind == ItemKind.SERVICE:
        try:
            service = service_from_hsds(
                item.payload,
                by=by,
                external_id=f"portal_sync:{item.endpoint_id}:{item.external_id}",
                language=item.language if item.language in LANGUAGES else "it",
            )
        except (jsonschema.ValidationError, HSDSImportError, KeyError, ValueError) as error:
            raise ValidationError(
                _("This service cannot be put in the directory: %(error)s") % {"error": str(error)[:300]}
            ) from error
        if service.status != Service.Status.ACTIVE:
            Service.objects.filter(pk=service.pk).update(status=Service.Status.ACTIVE)
        changes["service_id"] = service.pk
    return _move(item, "publish", by=by, **changes)


@transaction.atomic
def withdraw(item: ContentItem, *, by: Any, reason: str) -> ContentItem:
    """Withdraw the item (it leaves the public pages); its directory service becomes inactive."""
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Say why the item is withdrawn."))
    _move(item, "withdraw", by=by, withdrawn_reason=reason[:300])
    if item.service_id is not None:
        Service.objects.filter(pk=item.service_id).update(status=Service.Status.INACTIVE)
    return item


@transaction.atomic
def save_texts(item: ContentItem, *, by: Any, fields: Mapping[str, str]) -> ContentItem:
    """Save the editors' titles and summaries (it, en, fr, ar). The Italian title is required."""
    unknown = set(fields) - set(TEXT_FIELDS)
    if unknown:
        raise ValueError(f"Not a translatable text: {sorted(unknown)}")
    locked = _locked(item)
    if locked.state == ItemState.WITHDRAWN:
        raise MoveNotAllowed(_("A withdrawn item cannot be edited: put it back in review first."))
    values = {name: (value or "").strip() for name, value in fields.items()}
    if "title_it" in values and not values["title_it"]:
        raise ValidationError(_("The Italian title is required."))
    changed = sorted(name for name, value in values.items() if (getattr(locked, name) or "") != value)
    if not changed:
        return item
    for name in changed:
        setattr(locked, name, values[name] or None)
    locked.save(update_fields=[*changed, "updated_at"])
    audit.record(by, "content_item.save_texts", locked, fields=changed)
    _copy(locked, item)
    return item


class FieldChange(NamedTuple):
    field: str
    old: str
    new: str


class VersionDiff(NamedTuple):
    changes: list[FieldChange]
    lines: list[str]  # a unified diff of the changed fields, one line each


def _texts(version: ContentVersion) -> dict[str, str]:
    return {
        "title": version.title,
        "summary": version.summary,
        "body": version.body,
        "payload": json.dumps(version.payload, ensure_ascii=False, indent=2, sort_keys=True),
    }


def diff(item: ContentItem, old_version: ContentVersion, new_version: ContentVersion) -> VersionDiff:
    """What changed at the source between two versions of the item."""
    if old_version.item_id != item.pk or new_version.item_id != item.pk:
        raise ValueError("Both versions must belong to the item.")
    old, new = _texts(old_version), _texts(new_version)
    changes = [FieldChange(name, old[name], new[name]) for name in old if old[name] != new[name]]
    lines: list[str] = []
    for change in changes:
        lines.extend(
            line.rstrip("\n")
            for line in difflib.unified_diff(
                change.old.splitlines(),
                change.new.splitlines(),
                fromfile=f"{change.field} v{old_version.version}",
                tofile=f"{change.field} v{new_version.version}",
                lineterm="",
            )
        )
    return VersionDiff(changes, lines)
