"""A fixed-window rate limit on the Django cache (Redis in production, shared by every web
process): `allow("booking-ip", ip, limit=20, window_seconds=3600)` is False once the key has been
counted `limit` times in the current window. Keys are hashed: no address or email in the cache."""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache


def _cache_key(scope: str, key: str, window_seconds: int) -> str:
    digest = hashlib.sha256(f"{scope}\0{key}".encode()).hexdigest()[:32]
    window = int(time.time() // window_seconds)
    return f"ratelimit:{scope}:{digest}:{window}"


def allow(scope: str, key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one more use of `key` in `scope`; True while the count stays within `limit`."""
    cache_key = _cache_key(scope, key, window_seconds)
    # add() is atomic: only the first use of the window creates the counter, which then expires.
    cache.add(cache_key, 0, timeout=window_seconds + 1)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # the counter expired between add() and incr()
        cache.set(cache_key, 1, timeout=window_seconds + 1)
        count = 1
    return count <= limit


def reset(scope: str, key: str, *, window_seconds: int) -> None:
    """Forget the uses of `key` in the current window (tests, or a manager lifting a block)."""
    cache.delete(_cache_key(scope, key, window_seconds))
