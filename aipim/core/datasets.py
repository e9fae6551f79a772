"""The registry of open datasets: aggregate, anonymous monthly counts that portal sync publishes to the
Region's open-data portal (CKAN, see portal_sync/adapters/ckan.py and docs/open-data.md).

Each app declares its datasets in `<app>/datasets.py`:

    register(Dataset(
        slug="pua-cases-opened",
        title=_("New unified cases per municipality"),
        ...,
        rows=cases_opened,        # (month) -> rows of (istat_code, municipality, measure, count)
    ))

The modules are imported the first time the registry is read (`autodiscover_modules("datasets")`).

One CSV per dataset and month (with the month in a column too, so files can be stacked): a month
that has ended no longer changes, so its file is computed once, kept as it is at the portal, and a
month sent again (a retry, a correction) replaces only its own file; a growing whole-history file
would be recomputed every month and rewrite figures already published.

Disclosure control: a count from 1 to SMALL_NUMBER_THRESHOLD - 1 (4) is published as "<5". No
totals or margins are published (no "all municipalities" row, no "all measures" row, no regional sum
next to municipal cells), and each dataset's measures are disjoint categories of one unit, so a
suppressed cell cannot be recovered by subtracting the published cells from a published total.
Rows with a count of 0 are left out (a missing row means 0). Counts of things that are not people
(sessions held, public items published) set `suppress_small=False`.
"""

from __future__ import annotations

import calendar
import csv
import datetime
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _

from aipim.reports.figures import SMALL_NUMBER_THRESHOLD

# DCAT-AP_IT themes (the EU data theme vocabulary) our datasets use.
THEMES = ("SOCI", "EDUC", "GOVE", "JUST", "HEAL", "ECON", "REGI")


@dataclass(frozen=True)
class Row:
    """One cell of a dataset: a count for one municipality and one measure (a category code)."""

    istat_code: str
    municipality: str
    measure: str
    count: int


@dataclass(frozen=True)
class Column:
    name: str
    description: str | Promise


# Every dataset's CSV has these columns, in this order.
COLUMNS = (
    Column("month", _("Month, as YYYY-MM.")),
    Column("istat_code", _("ISTAT code of the municipality (6 digits); the region's (2 digits) for regional figures.")),
    Column("municipality", _("Name of the municipality, or of the region for regional figures.")),
    Column("measure", _("What is counted: one of the dataset's measure codes.")),
    Column("count", _('The count; "<5" when it is from 1 to 4 in datasets that count people.')),
)


@dataclass(frozen=True)
class Dataset:
    """An open dataset. `rows(month)` gives its cells for the month starting on `month` (the first
    day), counts only, never a person's data; `measures` are (code, label) pairs of what the
    `measure` column may hold."""

    slug: str
    title: str | Promise
    description: str | Promise
    theme: str  # a DCAT-AP_IT theme code (THEMES)
    action: int  # the programme's action (1 schools, 2 PUA, 3 portal sync, 4 associations)
    rows: Callable[[datetime.date], Iterable[Row]]
    measures: tuple[tuple[str, str | Promise], ...] = ()
    keywords: tuple[str, ...] = ()
    suppress_small: bool = True
    columns: tuple[Column, ...] = field(default=COLUMNS)

    def __post_init__(self) -> None:
        if self.theme not in THEMES:
            raise ValueError(f"Dataset {self.slug}: unknown DCAT-AP_IT theme {self.theme!r}.")


class UnknownDataset(LookupError):
    """No dataset is registered under this slug."""


_registry: dict[str, Dataset] = {}
_discovered = False


def register(dataset: Dataset) -> Dataset:
    existing = _registry.get(dataset.slug)
    if existing is not None and existing is not dataset:
        raise ValueError(f"Two datasets are registered as {dataset.slug!r}.")
    _registry[dataset.slug] = dataset
    return dataset


def _discover() -> None:
    global _discovered
    if not _discovered:
        # Set first: a datasets module that reads the registry while being imported must not recurse.
        _discovered = True
        autodiscover_modules("datasets")


def all_datasets() -> list[Dataset]:
    _discover()
    return sorted(_registry.values(), key=lambda dataset: dataset.slug)


def get_dataset(slug: str) -> Dataset:
    _discover()
    try:
        return _registry[slug]
    except KeyError:
        raise UnknownDataset(slug) from None


def region() -> tuple[str, str]:
    """The region's ISTAT code and name, for figures that have no municipality
    (settings OPEN_DATA_REGION_ISTAT_CODE, "17", and OPEN_DATA_REGION_NAME, "Basilicata")."""
    return (
        str(settings.OPEN_DATA_REGION_ISTAT_CODE),
        str(settings.OPEN_DATA_REGION_NAME),
    )


# --- months ---------------------------------------------------------------------------------------


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def last_day(month: datetime.date) -> datetime.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def previous_month(day: datetime.date) -> datetime.date:
    """The first day of the month before the one of `day`."""
    return month_start(month_start(day) - datetime.timedelta(days=1))


def month_bounds(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """[start, end) of the month in local time (Europe/Rome), as the reports count."""
    start = timezone.make_aware(datetime.datetime.combine(month_start(month), datetime.time.min))
    following = last_day(month) + datetime.timedelta(days=1)
    return start, timezone.make_aware(datetime.datetime.combine(following, datetime.time.min))


def parse_month(text: str) -> datetime.date:
    """ "2026-10" → date(2026, 10, 1); ValueError otherwise."""
    year, _sep, month = text.partition("-")
    if len(year) != 4 or len(month) != 2 or not (year + month).isdigit():
        raise ValueError(f"Not a month (YYYY-MM): {text!r}")
    return datetime.date(int(year), int(month), 1)


# --- publishing -----------------------------------------------------------------------------------


def published_count(count: int, *, suppress_small: bool = True, threshold: int = SMALL_NUMBER_THRESHOLD) -> str:
    """A count as the CSV prints it: "<5" for 1 to 4 (when suppressing), else the plain number
    (no locale grouping: "1234", which every program reads as a number)."""
    if suppress_small and 0 < count < threshold:
        return f"<{threshold}"
    return str(count)


def safe_cell(value: object) -> str:
    """A cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def table(dataset: Dataset, month: datetime.date) -> list[list[str]]:
    """The dataset's cells for the month, as published: rows with a count of 0 left out, small counts
    suppressed, sorted by municipality code and measure so the same data always gives the same file."""
    label = f"{month:%Y-%m}"
    rows = sorted(
        (row for row in dataset.rows(month_start(month)) if row.count > 0),
        key=lambda row: (row.istat_code, row.measure),
    )
    return [
        [
            label,
            safe_cell(row.istat_code),
            safe_cell(row.municipality),
            safe_cell(row.measure),
            published_count(row.count, suppress_small=dataset.suppress_small),
        ]
        for row in rows
    ]


def to_csv(dataset: Dataset, month: datetime.date) -> str:
    """The month's CSV: UTF-8 text with a byte-order mark (so spreadsheet programs read accented
    names right), a header row, comma-separated, CRLF line ends (RFC 4180)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([column.name for column in dataset.columns])
    writer.writerows(table(dataset, month))
    return buffer.getvalue()
