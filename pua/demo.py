"""Demo data of the PUA app, loaded by `manage.py seed_demo`."""

from __future__ import annotations

from typing import Any


def seed(organisations: dict[str, Any]) -> int:
    """Add demo records; return how many were created (0 on a second run)."""
    return 0
