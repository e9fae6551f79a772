"""The system check refuses a model that points at Person without a `for_user` scope."""

from __future__ import annotations

from django.apps import apps
from django.db import models
from django.test.utils import isolate_apps

from aipim.core.checks import personal_data_models_are_scoped
from aipim.core.models import Person


def test_every_installed_model_with_personal_data_is_scoped():
    assert personal_data_models_are_scoped() == []


@isolate_apps("aipim.core")
def test_an_unscoped_model_pointing_at_person_is_an_error(monkeypatch):
    class Diary(models.Model):  # noqa: DJ008
        person = models.ForeignKey(Person, on_delete=models.CASCADE)

        class Meta:
            app_label = "core"

    monkeypatch.setattr(apps, "get_models", lambda: [Diary])
    errors = personal_data_models_are_scoped()
    assert [e.id for e in errors] == ["aipim.E001"]
