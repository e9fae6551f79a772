"""The storage for files with personal data (reports, case documents): `storages["private"]`,
outside any public path, served only by audited views.

A lazy proxy rather than the storage itself, so that a change of `STORAGES` (tests point it at a
temporary folder) reaches the FileField too; the field's own storage is fixed at import time."""

from __future__ import annotations

from typing import Any

from django.core.files.storage import storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty


class PrivateStorage(LazyObject):
    def _setup(self) -> None:
        self._wrapped = storages["private"]


private_storage_proxy = PrivateStorage()


def private_storage() -> Any:
    """Callable for `FileField(storage=...)`: migrations name this function, not a path on disk."""
    return private_storage_proxy


@receiver(setting_changed)
def _forget_private_storage(*, setting: str, **kwargs: Any) -> None:
    # Framework glue only: Django resets its own storages on this signal, we follow.
    if setting == "STORAGES":
        private_storage_proxy._wrapped = empty  # type: ignore[assignment]
