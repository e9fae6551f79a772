"""Open datasets of the PUA desks (Action 2): counts per municipality of the desk and month, never a
person's data (see aipim.core.datasets and docs/open-data.md). The municipality is the desk's, where
the work was done, not where the person lives."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from aipim.core.datasets import Dataset, Row, month_bounds, register
from aipim.core.models import ServiceCategory
from pua.models import Case, Referral


def cases_opened(month: datetime.date) -> Iterable[Row]:
    """Unified cases opened in the month, per municipality of the desk (one query)."""
    start, end = month_bounds(month)
    rows = (
        Case.objects.filter(opened_at__gte=start, opened_at__lt=end)
        .values_list("desk__municipality__istat_code", "desk__municipality__name")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [Row(code, name, "cases_opened", n) for code, name, n in rows]


def referrals_sent(month: datetime.date) -> Iterable[Row]:
    """Referrals sent to a service in the month, per municipality of the desk and category of the
    service (one query). Drafts never sent do not count."""
    start, end = month_bounds(month)
    rows = (
        Referral.objects.filter(sent_at__gte=start, sent_at__lt=end)
        .values_list("case__desk__municipality__istat_code", "case__desk__municipality__name", "service__category")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [Row(code, name, category, n) for code, name, category, n in rows]


register(
    Dataset(
        slug="pua-cases-opened",
        title=_("PUA desks: new unified cases per municipality and month"),
        description=_(
            "Unified cases opened by the PUA desks (single access points) each month, per municipality of the desk."
        ),
        theme="SOCI",
        action=2,
        rows=cases_opened,
        measures=(("cases_opened", _("Unified cases opened")),),
        keywords=("PUA", "migranti", "presa in carico"),
    )
)

register(
    Dataset(
        slug="pua-referrals",
        title=_("PUA desks: referrals by kind of service, per municipality and month"),
        description=_(
            "Referrals sent by the PUA desks to the services of the shared directory each month, per "
            "municipality of the desk and kind of service."
        ),
        theme="SOCI",
        action=2,
        rows=referrals_sent,
        measures=tuple((category.value, category.label) for category in ServiceCategory),
        keywords=("PUA", "migranti", "invii ai servizi"),
    )
)
