"""Open dataset of portal sync (Action 3): items published on the portal each month, by kind. Items
have no municipality, so the figures are the region's (see aipim.core.datasets, docs/open-data.md)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from aipim.core.datasets import Dataset, Row, month_bounds, region, register
from portal_sync.models import ContentItem, ItemKind


def items_published(month: datetime.date) -> Iterable[Row]:
    """Items (news, opportunities, services, events) whose latest publication by the editors fell in
    the month, whatever became of them since, by kind (one query). An item published again after a
    change at the source counts in the month of its new publication."""
    start, end = month_bounds(month)
    code, name = region()
    rows = (
        ContentItem.objects.filter(published_at__gte=start, published_at__lt=end)
        .values_list("kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [Row(code, name, kind, n) for kind, n in rows]


register(
    Dataset(
        slug="portal-items-published",
        title=_("Integration portal: items published by kind, per month"),
        description=_(
            "News, opportunities, services and events received from the national Portale Integrazione "
            "Migranti and published by the Region's editors each month, by kind, for the whole region."
        ),
        theme="GOVE",
        action=3,
        rows=items_published,
        measures=tuple((kind.value, kind.label) for kind in ItemKind),
        keywords=("portale integrazione migranti", "notizie", "opportunità"),
        suppress_small=False,
    )
)
