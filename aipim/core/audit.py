"""The one helper that writes the audit trail: every view, export, create, change and delete of
personal data calls `record`. It stores references, never the data."""

from __future__ import annotations

from typing import Any

from django.db import models

from aipim.core.middleware import current_ip
from aipim.core.models import AuditEvent


def record(
    user: Any,
    action: str,
    obj: models.Model | None = None,
    *,
    organisation: Any = None,
    object_type: str = "",
    object_id: str | int = "",
    **details: Any,
) -> AuditEvent:
    """Write one AuditEvent: `user` did `action` (verb-style, e.g. "person.view") on `obj`.

    `details` must hold ids and counts only, no names or free text about a person."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    return AuditEvent.objects.create(
        user=user if authenticated else None,
        user_email=user.email if authenticated else "",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        organisation=organisation,
        ip_address=current_ip.get(),
        details=details,
    )
