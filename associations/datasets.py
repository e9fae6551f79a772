"""Open datasets of the associations (Action 4): sessions held and participants checked in, per
municipality of the session and month, the same sessions as the Action 4 report counts as held
(associations.reports.sessions_held). See aipim.core.datasets and docs/open-data.md."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import Count, Sum
from django.utils.translation import gettext_lazy as _

from aipim.core.datasets import Dataset, Row, last_day, register
from associations.models import CheckIn, EventKind
from associations.reports import sessions_held


def sessions(month: datetime.date) -> Iterable[Row]:
    """Sessions held in the month, per municipality of the session and kind of event (one query)."""
    rows = (
        sessions_held(month, last_day(month))
        .values_list("municipality__istat_code", "municipality__name", "event__kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [Row(code, name, kind, n) for code, name, kind, n in rows]


def participants(month: datetime.date) -> Iterable[Row]:
    """People checked in at the sessions held in the month (a check-in counts its seats), per
    municipality of the session (one query)."""
    rows = (
        CheckIn.objects.filter(session__in=sessions_held(month, last_day(month)))
        .values_list("session__municipality__istat_code", "session__municipality__name")
        .annotate(n=Sum("seats"))
        .order_by()
    )
    return [Row(code, name, "participants_checked_in", n or 0) for code, name, n in rows]


register(
    Dataset(
        slug="associations-sessions",
        title=_("Associations: events and workshops held, per municipality and month"),
        description=_(
            "Sessions of the associations' published events and workshops that took place each month, per "
            "municipality of the session and kind of event."
        ),
        theme="SOCI",
        action=4,
        rows=sessions,
        measures=tuple((kind.value, kind.label) for kind in EventKind),
        keywords=("associazioni", "eventi", "laboratori"),
        suppress_small=False,
    )
)

register(
    Dataset(
        slug="associations-participants",
        title=_("Associations: participants checked in, per municipality and month"),
        description=_(
            "People checked in at the door of the associations' events and workshops held each month, per "
            "municipality of the session."
        ),
        theme="SOCI",
        action=4,
        rows=participants,
        measures=(("participants_checked_in", _("Participants checked in")),),
        keywords=("associazioni", "partecipazione", "eventi"),
    )
)
