"""Shared fixtures of portal_sync: `make_endpoint(**fields)` builds an Endpoint (a pull feed by default);
`httpserver` (pytest-httpserver) is a real HTTP server on loopback that plays the remote systems."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from portal_sync.models import Adapter, Direction, Endpoint, ItemKind

_numbers = itertools.count(1)


@pytest.fixture
def make_endpoint(db: None) -> Callable[..., Endpoint]:
    def make(**fields: Any) -> Endpoint:
        number = next(_numbers)
        fields.setdefault("name", f"endpoint-{number}")
        fields.setdefault("title", f"Endpoint {number}")
        fields.setdefault("adapter", Adapter.FEED)
        fields.setdefault("direction", Direction.PULL)
        fields.setdefault("url", "http://127.0.0.1:9/feed.xml")
        fields.setdefault("item_kind", ItemKind.NEWS)
        fields.setdefault("timeout_seconds", 5)
        return Endpoint.objects.create(**fields)

    return make
