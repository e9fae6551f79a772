"""Adapters, one module per protocol: feed (Atom/RSS), hsds (Open Referral HSDS 3.0), ical
(iCalendar), ckan (CKAN Action API). `pull_adapter(name)` / `push_adapter(name)` give the adapter
object of an Endpoint.adapter value; tests register fakes with `register`."""

from __future__ import annotations

import importlib
from typing import Any

from portal_sync.adapters.base import PullAdapter, PushAdapter

_registry: dict[tuple[str, str], Any] = {}


def register(name: str, direction: str, adapter: Any) -> None:
    """Make `adapter` the one for (Endpoint.adapter, Direction) `name`, `direction`."""
    _registry[(name, direction)] = adapter


def _get(name: str, direction: str) -> Any:
    if (name, direction) not in _registry:
        # A module registers its adapters when imported (portal_sync/adapters/<name>.py).
        importlib.import_module(f"portal_sync.adapters.{name}")
    try:
        return _registry[(name, direction)]
    except KeyError:
        raise LookupError(f"No {direction} adapter {name!r}.") from None


def pull_adapter(name: str) -> PullAdapter:
    return _get(name, "pull")  # type: ignore[no-any-return]


def push_adapter(name: str) -> PushAdapter:
    return _get(name, "push")  # type: ignore[no-any-return]
