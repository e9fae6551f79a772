"""System checks that keep the scoping promise: no personal data without `for_user`."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core import checks


@checks.register(checks.Tags.security)
def personal_data_models_are_scoped(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from pghistory.models import Event

    from aipim.core.models import Person

    errors: list[checks.CheckMessage] = []
    for model in apps.get_models():
        if issubclass(model, Event):
            continue  # history tables are read only through the admin site
        points_at_person = model is Person or any(
            getattr(field, "related_model", None) is Person and field.many_to_one for field in model._meta.get_fields()
        )
        if points_at_person and not hasattr(model._default_manager, "for_user"):
            errors.append(
                checks.Error(
                    f"{model._meta.label} holds personal data but its manager has no for_user(user).",
                    hint="Give its QuerySet a for_user method and use it in every view, form and export.",
                    obj=model,
                    id="aipim.E001",
                )
            )
    return errors
