"""Report builder of Action 3 (registered with aipim.reports, discovered at start-up).

"Action 3 – portal sync: results per period": items received, published and withdrawn by source and
kind, new versions sent by the sources, rejected records by reason, runs by endpoint and status,
messages pushed by endpoint and record type, and the failures with the time they took to resolve
(pull failure streaks and dead letters). Every figure is counted by one of the querysets below, with
the filters of the app's own pages (the editors' inbox, the rejected records, the operations page and
the admin's run list: the tests name each), so an official can explain every number.

Nothing here is about people: items are public information, runs and messages are the machines' work.
No count is suppressed, and the report says so."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.db.models import CharField, Count, F, Q, QuerySet, Value, Window
from django.db.models.functions import Coalesce, Concat, Lag
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _

from aipim.reports.forms import PeriodForm
from aipim.reports.registry import Progress, ReportBuilder, register
from portal_sync.models import (
    READER_ROLES,
    ContentItem,
    ContentVersion,
    Direction,
    Endpoint,
    ItemKind,
    ItemState,
    OutboxMessage,
    RejectedRecord,
    SyncRun,
)

# A pull failure streak ends with the endpoint's next run that brought data (a run with rejected
# records did); an abandoned run (the worker stopped) says nothing about the remote and is skipped.
RECOVERED = (SyncRun.Status.SUCCEEDED, SyncRun.Status.PARTIAL)
ENDED = (SyncRun.Status.FAILED, *RECOVERED)

# The record types push adapters send (OutboxMessage.object_type); any other is printed as stored.
RECORD_TYPES = {"service": _("Services"), "dataset": _("Datasets")}


class Action3Form(PeriodForm):
    endpoint = forms.ModelChoiceField(
        label=_("Endpoint"),
        queryset=Endpoint.objects.order_by("title"),
        required=False,
        empty_label=_("Every endpoint"),
        help_text=_("A source we read from or a system we send to."),
    )
    kind = forms.ChoiceField(
        label=_("Kind of items"),
        choices=[("", _("Every kind")), *ItemKind.choices],
        required=False,
        help_text=_("Applies to the items and their versions only."),
    )


def _midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def period_bounds(date_from: datetime.date, date_to: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """[start, end) in local time, both days included."""
    return _midnight(date_from), _midnight(date_to + datetime.timedelta(days=1))


# --- the querysets behind the figures ------------------------------------------------------------


def _items(endpoint: Endpoint | None, kind: str) -> QuerySet[ContentItem]:
    """Every item, narrowed as the editors' inbox narrows it by source and kind."""
    items = ContentItem.objects.all()
    if endpoint is not None:
        items = items.filter(endpoint=endpoint)
    if kind:
        items = items.filter(kind=kind)
    return items


def items_received(
    start: datetime.datetime, end: datetime.datetime, endpoint: Endpoint | None = None, kind: str = ""
) -> QuerySet[ContentItem]:
    """Items first received from their source in the period (new records, not new versions)."""
    return _items(endpoint, kind).filter(received_at__gte=start, received_at__lt=end)


def items_published(
    start: datetime.datetime, end: datetime.datetime, endpoint: Endpoint | None = None, kind: str = ""
) -> QuerySet[ContentItem]:
    """Items whose last publication was in the period, whatever their state now."""
    return _items(endpoint, kind).filter(published_at__gte=start, published_at__lt=end)


def items_withdrawn(
    start: datetime.datetime, end: datetime.datetime, endpoint: Endpoint | None = None, kind: str = ""
) -> QuerySet[ContentItem]:
    """Items withdrawn in the period and still withdrawn (the state's date is that of the withdrawal)."""
    return _items(endpoint, kind).filter(
        state=ItemState.WITHDRAWN, state_changed_at__gte=start, state_changed_at__lt=end
    )


def versions_received(
    start: datetime.datetime, end: datetime.datetime, endpoint: Endpoint | None = None, kind: str = ""
) -> QuerySet[ContentVersion]:
    """Changes at the source: versions after the first, received in the period."""
    versions = ContentVersion.objects.filter(version__gt=1, received_at__gte=start, received_at__lt=end)
    if endpoint is not None:
        versions = versions.filter(item__endpoint=endpoint)
    if kind:
        versions = versions.filter(item__kind=kind)
    return versions


def rejected_records(
    start: datetime.datetime, end: datetime.datetime, endpoint: Endpoint | None = None
) -> QuerySet[RejectedRecord]:
    records = RejectedRecord.objects.filter(created_at__gte=start, created_at__lt=end)
    return records.filter(endpoint=endpoint) if endpoint is not None else records


def runs_started(
    start: datetime.datetime, end: datetime.datetime, endpoint: Endpoint | None = None
) -> QuerySet[SyncRun]:
    """Pull runs and outbox drains that started in the period, by their status now."""
    runs = SyncRun.objects.filter(started_at__gte=start, started_at__lt=end)
    return runs.filter(endpoint=endpoint) if endpoint is not None else runs


def _messages(endpoint: Endpoint | None) -> QuerySet[OutboxMessage]:
    messages = OutboxMessage.objects.all()
    return messages.filter(endpoint=endpoint) if endpoint is not None else messages


def messages_sent(
    start: datetime.datetime, end: datetime.datetime, endpoint: Endpoint | None = None
) -> QuerySet[OutboxMessage]:
    """Messages delivered in the period (an unchanged record counts too: the remote already held it)."""
    return _messages(endpoint).filter(status=OutboxMessage.Status.SENT, sent_at__gte=start, sent_at__lt=end)


def messages_waiting(end: datetime.datetime, endpoint: Endpoint | None = None) -> QuerySet[OutboxMessage]:
    """Messages written before the end of the period and still waiting to be sent now."""
    return _messages(endpoint).filter(status=OutboxMessage.Status.PENDING, created_at__lt=end)


def dead_letters(
    start: datetime.datetime, end: datetime.datetime, endpoint: Endpoint | None = None
) -> QuerySet[OutboxMessage]:
    """Messages that became dead letters in the period (the last time, for one that died twice)."""
    return _messages(endpoint).filter(dead_at__gte=start, dead_at__lt=end)


def dead_letters_resolved(
    start: datetime.datetime, end: datetime.datetime, endpoint: Endpoint | None = None
) -> QuerySet[OutboxMessage]:
    """Dead letters an editor retried or discarded in the period. A retried message that died again
    has a newer dead_at than its resolution: it is open again, not resolved."""
    return (
        _messages(endpoint)
        .filter(dead_at__isnull=False, resolved_at__gte=start, resolved_at__lt=end)
        .filter(resolved_at__gte=F("dead_at"))
    )


def dead_letters_open_at(moment: datetime.datetime, endpoint: Endpoint | None = None) -> QuerySet[OutboxMessage]:
    """Dead letters no one had retried or discarded at `moment`."""
    return (
        _messages(endpoint)
        .filter(dead_at__lt=moment)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__lt=F("dead_at")) | Q(resolved_at__gte=moment))
    )


def _pull_runs_before(moment: datetime.datetime, endpoint: Endpoint | None) -> QuerySet[SyncRun]:
    """Ended pull runs started before `moment`, each with `transition`: the status of the run before
    it and its own ("succeeded>failed"; ">failed" for an endpoint's first run). The filters below
    must name `transition` only: Django applies a filter on a plain column before the window, which
    would change what the previous run is."""
    runs = SyncRun.objects.filter(direction=Direction.PULL, status__in=ENDED, started_at__lt=moment)
    if endpoint is not None:
        runs = runs.filter(endpoint=endpoint)
    previous = Window(
        Lag("status", default=Value("")),
        partition_by=[F("endpoint_id")],
        order_by=[F("started_at").asc(), F("id").asc()],
    )
    return runs.annotate(transition=Concat(previous, Value(">"), "status", output_field=CharField()))


# A streak begins with a failed run after a run that brought data (or with an endpoint's first run),
# and ends with the first run that brings data after a failed run.
STREAK_BEGINS = [f"{previous}>{SyncRun.Status.FAILED}" for previous in (*RECOVERED, "")]
STREAK_ENDS = [f"{SyncRun.Status.FAILED}>{status}" for status in RECOVERED]


def streak_boundaries(moment: datetime.datetime, endpoint: Endpoint | None = None) -> QuerySet[SyncRun]:
    """The pull runs that began or ended a failure streak, before `moment`."""
    return _pull_runs_before(moment, endpoint).filter(
        transition__in=[*STREAK_BEGINS, *STREAK_ENDS]  # type: ignore[misc]  # the stubs miss window annotations
    )


@dataclass
class Streak:
    endpoint_id: int
    began_at: datetime.datetime
    recovered_at: datetime.datetime | None = None


def failure_streaks(moment: datetime.datetime, endpoint: Endpoint | None = None) -> list[Streak]:
    """Every pull failure streak begun before `moment`, with when the run that ended it finished
    (None: still failing at `moment`). In time order, an endpoint's boundaries alternate: a run
    that begins a streak, the run that ends it, the run that begins the next."""
    streaks: list[Streak] = []
    open_streaks: dict[int, Streak] = {}
    boundaries = (
        streak_boundaries(moment, endpoint)
        .order_by("endpoint_id", "started_at", "id")
        .values_list("endpoint_id", "status", "started_at", Coalesce("finished_at", "started_at"))
    )
    for endpoint_id, status, started_at, finished_at in boundaries:
        if status == SyncRun.Status.FAILED:
            open_streaks[endpoint_id] = Streak(endpoint_id, started_at)
            streaks.append(open_streaks[endpoint_id])
        elif (streak := open_streaks.pop(endpoint_id, None)) is not None and finished_at < moment:
            # A run that had not finished by `moment` had not recovered the endpoint yet.
            streak.recovered_at = finished_at
    return streaks


# --- the figures -------------------------------------------------------------------------------


@dataclass
class Action3Figures:
    """The report's counts and durations (the tests compare them with the pages)."""

    received: dict[tuple[int, str], int] = field(default_factory=dict)
    published: dict[tuple[int, str], int] = field(default_factory=dict)
    withdrawn: dict[tuple[int, str], int] = field(default_factory=dict)
    withdrawn_at_source: int = 0
    versions: dict[tuple[int, str], int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)
    runs: dict[tuple[int, str], int] = field(default_factory=dict)
    streaks_begun: int = 0
    streaks_ended: int = 0
    recovery_times: list[datetime.timedelta] = field(default_factory=list)
    still_failing: int = 0
    pushed: dict[tuple[int, str], int] = field(default_factory=dict)
    waiting: int = 0
    dead: int = 0
    retried: int = 0
    discarded: int = 0
    resolution_times: list[datetime.timedelta] = field(default_factory=list)
    dead_open: int = 0

    @property
    def items_received(self) -> int:
        return sum(self.received.values())

    @property
    def items_published(self) -> int:
        return sum(self.published.values())

    @property
    def items_withdrawn(self) -> int:
        return sum(self.withdrawn.values())

    @property
    def versions_received(self) -> int:
        return sum(self.versions.values())

    @property
    def messages_sent(self) -> int:
        return sum(self.pushed.values())


def _by_endpoint_and(queryset: QuerySet[Any], endpoint_field: str, other: str) -> dict[tuple[int, str], int]:
    rows = queryset.order_by().values_list(endpoint_field, other).annotate(n=Count("pk"))
    return {(endpoint_id, value): n for endpoint_id, value, n in rows}


def action3_figures(
    date_from: datetime.date,
    date_to: datetime.date,
    endpoint: Endpoint | None = None,
    kind: str = "",
    *,
    now: datetime.datetime | None = None,
    progress: Progress = lambda percent: None,
) -> Action3Figures:
    start, end = period_bounds(date_from, date_to)
    # "At the end of the period" is now for a period that has not ended yet.
    moment = min(end, now or timezone.now())
    figures = Action3Figures()
    figures.received = _by_endpoint_and(items_received(start, end, endpoint, kind), "endpoint_id", "kind")
    figures.published = _by_endpoint_and(items_published(start, end, endpoint, kind), "endpoint_id", "kind")
    withdrawn = (
        items_withdrawn(start, end, endpoint, kind)
        .order_by()
        .values_list("endpoint_id", "kind")
        .annotate(n=Count("pk"), at_source=Count("pk", filter=Q(removed_at_source_at__isnull=False)))
    )
    for endpoint_id, item_kind, n, at_source in withdrawn:
        figures.withdrawn[(endpoint_id, item_kind)] = n
        figures.withdrawn_at_source += at_source
    figures.versions = _by_endpoint_and(
        versions_received(start, end, endpoint, kind), "item__endpoint_id", "item__kind"
    )
    progress(30)

    figures.rejected = dict(
        rejected_records(start, end, endpoint).order_by().values_list("reason").annotate(n=Count("pk"))
    )
    figures.runs = _by_endpoint_and(runs_started(start, end, endpoint), "endpoint_id", "status")
    streaks = failure_streaks(moment, endpoint)
    figures.streaks_begun = sum(1 for streak in streaks if streak.began_at >= start)
    recovered = [streak for streak in streaks if streak.recovered_at is not None and streak.recovered_at >= start]
    figures.streaks_ended = len(recovered)
    figures.recovery_times = sorted(streak.recovered_at - streak.began_at for streak in recovered)  # type: ignore[operator]
    figures.still_failing = sum(1 for streak in streaks if streak.recovered_at is None)
    progress(60)

    figures.pushed = _by_endpoint_and(messages_sent(start, end, endpoint), "endpoint_id", "object_type")
    figures.waiting = messages_waiting(end, endpoint).count()
    figures.dead = dead_letters(start, end, endpoint).count()
    resolved = dead_letters_resolved(start, end, endpoint)
    figures.retried = resolved.exclude(status=OutboxMessage.Status.DISCARDED).count()
    figures.discarded = resolved.filter(status=OutboxMessage.Status.DISCARDED).count()
    figures.dead_open = dead_letters_open_at(moment, endpoint).count()
    figures.resolution_times = sorted(
        resolved_at - dead_at
        for dead_at, resolved_at in resolved.order_by().values_list("dead_at", "resolved_at")
        if dead_at is not None and resolved_at is not None
    )
    progress(90)
    return figures


# --- how the figures are printed ---------------------------------------------------------------


def _count(value: int) -> str:
    return number_format(value, force_grouping=True)


def duration(delta: datetime.timedelta | None) -> str:
    """A time to recover as people say it ("2 hours, 5 minutes"), "–" when there is none."""
    if delta is None:
        return "–"
    base = timezone.now()
    return timesince(base, base + delta, depth=2)


def median(times: list[datetime.timedelta]) -> datetime.timedelta | None:
    """The middle time (the mean of the two middle ones for an even count), None for no time."""
    if not times:
        return None
    ordered, middle = sorted(times), len(times) // 2
    return ordered[middle] if len(times) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def grid(
    counts: Mapping[tuple[int, str], int], endpoints: Iterable[Endpoint], columns: list[tuple[str, Any]]
) -> dict[str, Any]:
    """A reports/_grid.html table: one row per endpoint with something to count, one column per value."""
    rows = []
    totals = [0] * len(columns)
    for endpoint in endpoints:
        cells = [counts.get((endpoint.pk, value), 0) for value, _label in columns]
        if any(cells):
            rows.append({"label": str(endpoint), "cells": [_count(n) for n in cells], "total": _count(sum(cells))})
            totals = [total + n for total, n in zip(totals, cells, strict=True)]
    return {
        "columns": [label for _value, label in columns],
        "rows": rows,
        "totals": [_count(n) for n in totals],
        "grand_total": _count(sum(totals)),
    }


@register
class Action3Report(ReportBuilder):
    slug = "portal-sync-results"
    title = _("Action 3 – portal sync: results per period")
    description = _(
        "Items received, published and withdrawn by source and kind, changes at the sources, rejected records, "
        "runs, messages sent to other systems, and the failures with the time they took to resolve."
    )
    roles = READER_ROLES
    form_class = Action3Form
    template_name = "reports/portal_sync/results.html"
    # The runs table has a column for each of the five statuses.
    page_orientation = "landscape"

    def describe_parameters(self, params: Mapping[str, Any]) -> list[tuple[str, str]]:
        """As every report, but "Every endpoint" rather than a dash when none was chosen."""
        described = super().describe_parameters(params)
        if params.get("endpoint") is None:
            field = self.form_class.base_fields["endpoint"]
            described = [
                (label, str(_("Every endpoint")) if label == str(field.label) else value) for label, value in described
            ]
        return described

    def build(self, params: Mapping[str, Any], *, progress: Progress) -> dict[str, Any]:
        date_from: datetime.date = params["date_from"]
        date_to: datetime.date = params["date_to"]
        endpoint: Endpoint | None = params.get("endpoint")
        kind: str = params.get("kind") or ""
        figures = action3_figures(date_from, date_to, endpoint, kind, progress=progress)
        listed = Endpoint.objects.only("pk", "name", "title").order_by("title", "pk")
        endpoints = list(listed.filter(pk=endpoint.pk) if endpoint is not None else listed)
        kinds = [(value, label) for value, label in ItemKind.choices if not kind or value == kind]
        record_types = sorted({object_type for _endpoint_id, object_type in figures.pushed})
        return {
            "date_from": date_from,
            "date_to": date_to,
            "endpoint_name": str(endpoint) if endpoint is not None else "",
            "kind_name": dict(ItemKind.choices)[kind] if kind else "",
            "figures": figures,
            "summary_rows": [
                (_("Items received"), _count(figures.items_received)),
                (_("Items published"), _count(figures.items_published)),
                (_("Items withdrawn"), _count(figures.items_withdrawn)),
                (_("of which because the source removed them"), _count(figures.withdrawn_at_source)),
                (_("Changes at the sources (new versions)"), _count(figures.versions_received)),
                (_("Records rejected"), _count(sum(figures.rejected.values()))),
                (_("Runs"), _count(sum(figures.runs.values()))),
                (_("Messages sent to other systems"), _count(figures.messages_sent)),
            ],
            "received": grid(figures.received, endpoints, kinds),
            "published": grid(figures.published, endpoints, kinds),
            "withdrawn": grid(figures.withdrawn, endpoints, kinds),
            "versions": grid(figures.versions, endpoints, kinds),
            "rejected_rows": [
                *(
                    (label, _count(figures.rejected.get(value, 0)))
                    for value, label in RejectedRecord.Reason.choices
                    if figures.rejected.get(value)
                ),
                (_("All rejected records"), _count(sum(figures.rejected.values()))),
            ],
            "runs": grid(figures.runs, endpoints, list(SyncRun.Status.choices)),
            "streak_rows": [
                (_("Failure streaks that began in the period"), _count(figures.streaks_begun)),
                (_("Failure streaks that ended in the period"), _count(figures.streaks_ended)),
                (_("Median time to recover"), duration(median(figures.recovery_times))),
                (_("Longest time to recover"), duration(max(figures.recovery_times, default=None))),
                (_("Endpoints still failing at the end of the period"), _count(figures.still_failing)),
            ],
            "pushed": grid(
                figures.pushed, endpoints, [(value, RECORD_TYPES.get(value, value)) for value in record_types]
            ),
            "outbox_rows": [
                (_("Messages sent"), _count(figures.messages_sent)),
                (_("Written by the end of the period and still waiting to be sent"), _count(figures.waiting)),
            ],
            "dead_letter_rows": [
                (_("Messages that became dead letters in the period"), _count(figures.dead)),
                (_("Dead letters sent again by an editor"), _count(figures.retried)),
                (_("Dead letters discarded by an editor"), _count(figures.discarded)),
                (_("Median time to resolve"), duration(median(figures.resolution_times))),
                (_("Longest time to resolve"), duration(max(figures.resolution_times, default=None))),
                (_("Dead letters still open at the end of the period"), _count(figures.dead_open)),
            ],
        }
