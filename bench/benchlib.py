"""What every benchmark here shares: Django set up against a throw-away database, the median
timer, and a COPY of people rows. Import it first: it sets up Django.

Each script builds its own data in a fresh test database and drops it at the end, so a bench never
touches the development data."""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from io import StringIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aipim.settings")
# Measure what production runs: no debug cursor logging every query, no debug template engine.
os.environ.setdefault("DJANGO_DEBUG", "false")

import django

django.setup()

from django.db import connection  # noqa: E402

# core_person columns a bench fills; the others take their defaults.
PERSON_COLUMNS = (
    "public_id",
    "given_names",
    "family_names",
    "given_names_latin",
    "family_names_latin",
    "birth_date",
    "sex",
    "citizenship",
    "languages",
    "preferred_language",
    "phone",
    "email",
    "address",
    "household_role",
    "name_key",
    "municipality_id",
    "anonymised_at",
    "created_at",
    "updated_at",
)


@contextmanager
def throwaway_database() -> Iterator[None]:
    """A fresh, migrated test database for the duration of the block, dropped afterwards.

    No `setup_test_environment()`: it instruments template rendering for the test client (a copy of
    every context), which would make pages look slower than they are in production."""
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def timed(fn: Callable[[], object], rounds: int) -> float:
    """Median seconds of `rounds` calls."""
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def copy_people(rows: Iterable[str]) -> None:
    """COPY tab-separated rows in PERSON_COLUMNS order into core_person, then ANALYZE it."""
    buffer = StringIO()
    buffer.writelines(rows)
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.copy_from(buffer, "core_person", columns=PERSON_COLUMNS)
        cursor.execute("ANALYZE core_person")


def count_queries(fn: Callable[[], object]) -> int:
    """Queries that one call of `fn` runs. The log is emptied first: once it holds its maximum
    (9,000 entries, easily reached while building data) CaptureQueriesContext undercounts."""
    from django.db import reset_queries
    from django.test.utils import CaptureQueriesContext

    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        fn()
    return len(queries)
