"""The rate limit on the cache: per scope and key, within a window, forgotten when the window ends."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from aipim.core import ratelimit


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    cache.clear()


def test_allows_up_to_the_limit_then_refuses() -> None:
    results = [ratelimit.allow("booking-ip", "10.0.0.1", limit=3, window_seconds=60) for _ in range(5)]
    assert results == [True, True, True, False, False]


def test_keys_and_scopes_are_counted_apart() -> None:
    assert ratelimit.allow("booking-ip", "10.0.0.1", limit=1, window_seconds=60)
    assert not ratelimit.allow("booking-ip", "10.0.0.1", limit=1, window_seconds=60)
    assert ratelimit.allow("booking-ip", "10.0.0.2", limit=1, window_seconds=60)
    assert ratelimit.allow("booking-email", "10.0.0.1", limit=1, window_seconds=60)


def test_a_new_window_starts_a_new_count(monkeypatch) -> None:
    now = [1_000_000.0]
    monkeypatch.setattr(ratelimit.time, "time", lambda: now[0])
    assert ratelimit.allow("s", "k", limit=1, window_seconds=60)
    assert not ratelimit.allow("s", "k", limit=1, window_seconds=60)
    now[0] += 60
    assert ratelimit.allow("s", "k", limit=1, window_seconds=60)


def test_the_cache_holds_no_address_or_email(monkeypatch) -> None:
    seen: list[str] = []
    original = ratelimit._cache_key
    monkeypatch.setattr(ratelimit, "_cache_key", lambda *a: seen.append(original(*a)) or seen[-1])
    ratelimit.allow("booking-email", "amina@example.org", limit=5, window_seconds=60)
    assert seen and "amina" not in seen[0]


def test_reset_forgets_the_count() -> None:
    ratelimit.allow("s", "k", limit=1, window_seconds=60)
    ratelimit.reset("s", "k", window_seconds=60)
    assert ratelimit.allow("s", "k", limit=1, window_seconds=60)
