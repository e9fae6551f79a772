"""How counts appear in a report: small numbers are suppressed so no one can be singled out."""

from __future__ import annotations

from django.conf import settings
from django.utils.formats import number_format

# Counts from 1 to THRESHOLD - 1 are printed as "<THRESHOLD" (statistical disclosure control).
SMALL_NUMBER_THRESHOLD = getattr(settings, "REPORT_SMALL_NUMBER_THRESHOLD", 5)


def suppress(count: int, threshold: int = SMALL_NUMBER_THRESHOLD) -> str:
    """A count as printed: "0", "<5" for 1 to 4, else the number with the locale's grouping."""
    if 0 < count < threshold:
        return f"<{threshold}"
    return number_format(count, force_grouping=True)
