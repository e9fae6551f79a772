"""Benchmark: the portal sync pull engine against a remote HSDS 3.0 API of 10,000 services and an
Atom feed of 5,000 entries (bench/sync_remote.py, on loopback in its own process), in a throw-away
database.

Timed through the real engine (`portal_sync.services.engine.run_endpoint`, both endpoints):
- the first full pull (every record new: items and their first versions), `--rounds` times from
  empty tables, median;
- a second pull with nothing new: it must write no item row. Writes are counted by PostgreSQL
  (`pg_stat_user_tables`, inserted + updated + deleted tuples, flushed before each reading):
  `rerun_rows_written` is the rows written to the items' tables (items, versions, rejected
  records); the run's own bookkeeping (its SyncRun row, the endpoint's health and cursor, the audit
  event) is counted apart in `rerun_bookkeeping_rows`;
- a pull with 1% changed (100 services and 50 entries): 150 new versions.
The HSDS endpoint asks for `modified_after` its last run's cursor, so a later pull reads only the
changed services and the minimal listing; the feed has no ETag, so every run reads all of it.

The floor, measured in the same run: a bulk `INSERT ... ON CONFLICT (endpoint_id, external_id) DO
UPDATE` (psycopg2 execute_values, one transaction) of the rows the first pull wrote, already in
memory and in database form (JSON as text), into tables of the same shape as the items and
versions tables (their columns, defaults, indexes, unique constraints and foreign keys).

The first pull's time is split into: `http` (requests, the remote's time included), `parse` (the
adapters reading pages and feed, HSDS schema checks), `prepare` (sanitising and hashing every
record), `database` (the engine's writes and reads) and `bookkeeping` (lock, run row, audit).

Prints one JSON object as its last line with `ratio` (first pull / floor), `items_per_s` (first
pull) and `rerun_rows_written`.

    .venv/bin/python bench/sync.py [--services 10000] [--entries 5000] [--per-page 100] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from benchlib import throwaway_database, timed
from django.db import connection, transaction
from psycopg2.extras import execute_values

ITEM_TABLES = ("portal_sync_contentitem", "portal_sync_contentversion", "portal_sync_rejectedrecord")
FLOOR_ITEMS, FLOOR_VERSIONS = "bench_floor_item", "bench_floor_version"


def start_remote(services: int, entries: int) -> tuple[subprocess.Popen[str], str]:
    command = [
        sys.executable,
        str(Path(__file__).with_name("sync_remote.py")),
        f"--services={services}",
        f"--entries={entries}",
    ]
    remote = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert remote.stdout is not None
    port = int(remote.stdout.readline())
    return remote, f"http://127.0.0.1:{port}"


def table_writes() -> dict[str, int]:
    """Rows inserted, updated and deleted so far in each table, as PostgreSQL counts them. This
    session's pending counts are flushed first (they reach the statistics when it goes idle)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables")
        return dict(cursor.fetchall())


def written_since(before: dict[str, int]) -> dict[str, int]:
    after = table_writes()
    return {name: count - before.get(name, 0) for name, count in sorted(after.items()) if count != before.get(name, 0)}


def floor_tables() -> None:
    """Tables shaped like the items and versions tables: same columns, defaults, identity, indexes,
    unique constraints, and the same foreign keys (deferred, as Django declares them)."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {FLOOR_ITEMS} (LIKE portal_sync_contentitem INCLUDING ALL)")
        cursor.execute(f"CREATE TABLE {FLOOR_VERSIONS} (LIKE portal_sync_contentversion INCLUDING ALL)")
        deferred = "DEFERRABLE INITIALLY DEFERRED"
        for table, column, target in (
            (FLOOR_ITEMS, "endpoint_id", "portal_sync_endpoint"),
            (FLOOR_ITEMS, "state_changed_by_id", "accounts_user"),
            (FLOOR_ITEMS, "service_id", "core_service"),
            (FLOOR_VERSIONS, "item_id", FLOOR_ITEMS),
            (FLOOR_VERSIONS, "run_id", "portal_sync_syncrun"),
        ):
            cursor.execute(f"ALTER TABLE {table} ADD FOREIGN KEY ({column}) REFERENCES {target} (id) {deferred}")


def columns_of(table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s AND column_name <> 'id'"
            " ORDER BY ordinal_position",
            [table],
        )
        return [f"{name}::text" if kind == "jsonb" else name for name, kind in cursor.fetchall()]


def written_rows() -> tuple[list[str], list[tuple[Any, ...]], list[str], list[tuple[Any, ...]]]:
    """The rows the first pull wrote, as the database holds them (the floor writes them again)."""
    item_columns = columns_of("portal_sync_contentitem")
    version_columns = columns_of("portal_sync_contentversion")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(item_columns)} FROM portal_sync_contentitem ORDER BY id")
        items = cursor.fetchall()
        cursor.execute(
            f"SELECT i.endpoint_id, i.external_id, {', '.join('v.' + c for c in version_columns)}"
            " FROM portal_sync_contentversion v JOIN portal_sync_contentitem i ON i.id = v.item_id ORDER BY v.id"
        )
        versions = cursor.fetchall()
    return item_columns, items, version_columns, versions


def floor_round(item_columns: list[str], items: list[tuple], version_columns: list[str], versions: list[tuple]) -> None:
    """One bulk upsert of the items, then their versions, in one transaction."""
    names = [column.removesuffix("::text") for column in item_columns]
    template = "(" + ", ".join("%s::jsonb" if c.endswith("::text") else "%s" for c in item_columns) + ")"
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in names if name not in ("endpoint_id", "external_id"))
    item_ids: dict[tuple[int, str], int] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        returned = execute_values(
            cursor,
            f"INSERT INTO {FLOOR_ITEMS} ({', '.join(names)}) VALUES %s"
            f" ON CONFLICT (endpoint_id, external_id) DO UPDATE SET {updates}"
            f" WHERE {FLOOR_ITEMS}.content_hash <> EXCLUDED.content_hash"
            " RETURNING id, endpoint_id, external_id",
            items,
            template=template,
            page_size=1000,
            fetch=True,
        )
        item_ids = {(endpoint_id, external_id): pk for pk, endpoint_id, external_id in returned}
        version_names = [column.removesuffix("::text") for column in version_columns]
        item_position = version_names.index("item_id")
        rows = []
        for row in versions:
            values = list(row[2:])
            values[item_position] = item_ids[(row[0], row[1])]
            rows.append(values)
        execute_values(
            cursor,
            f"INSERT INTO {FLOOR_VERSIONS} ({', '.join(version_names)}) VALUES %s"
            " ON CONFLICT (item_id, version) DO NOTHING",
            rows,
            template="(" + ", ".join("%s::jsonb" if c.endswith("::text") else "%s" for c in version_columns) + ")",
            page_size=1000,
        )


class Phases:
    """Seconds spent in named calls, wrapped around module functions and adapter methods."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed_call(*args: Any, **kwargs: Any) -> Any:
            begin = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - begin

        return timed_call

    def reset(self) -> dict[str, float]:
        seconds, self.seconds = self.seconds, {}
        return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=10_000)
    parser.add_argument("--entries", type=int, default=5_000)
    parser.add_argument("--per-page", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", help="write a cProfile of one first pull to this file")
    args = parser.parse_args()
    started = time.perf_counter()
    total = args.services + args.entries
    changed_services, changed_entries = args.services // 100, args.entries // 100

    remote, base = start_remote(args.services, args.entries)
    try:
        with throwaway_database():
            from portal_sync.adapters import feed, hsds, pull_adapter
            from portal_sync.models import (
                Adapter,
                ContentItem,
                ContentVersion,
                Direction,
                Endpoint,
                ItemKind,
                RejectedRecord,
                SyncRun,
            )
            from portal_sync.services import engine

            endpoints = [
                Endpoint.objects.create(
                    name="bench-hsds",
                    title="HSDS",
                    adapter=Adapter.HSDS,
                    direction=Direction.PULL,
                    url=f"{base}/api",
                    options={"per_page": args.per_page},
                    timeout_seconds=60,
                ),
                Endpoint.objects.create(
                    name="bench-feed",
                    title="Feed",
                    adapter=Adapter.FEED,
                    direction=Direction.PULL,
                    url=f"{base}/feed.atom",
                    item_kind=ItemKind.NEWS,
                    options={"max_bytes": 100 * 1024 * 1024, "opportunity_categories": ["Bandi"]},
                    timeout_seconds=60,
                ),
            ]
            phases = Phases()
            hsds.fetch = phases.wrap("http", hsds.fetch)
            feed.fetch = phases.wrap("http", feed.fetch)
            for name in (Adapter.HSDS, Adapter.FEED):
                adapter = pull_adapter(name)
                adapter.pull = phases.wrap("pull", adapter.pull)  # type: ignore[method-assign]
            engine.prepare = phases.wrap("prepare", engine.prepare)
            engine.apply_batch = phases.wrap("apply", engine.apply_batch)

            def pull_all() -> list[SyncRun]:
                runs = []
                for endpoint in endpoints:
                    endpoint.refresh_from_db()
                    runs.append(engine.run_endpoint(endpoint))
                return runs

            def empty() -> None:
                with connection.cursor() as cursor:
                    cursor.execute(
                        "TRUNCATE portal_sync_contentversion, portal_sync_rejectedrecord, portal_sync_contentitem,"
                        " portal_sync_syncrun"
                    )
                Endpoint.objects.update(cursor="")
                with connection.cursor() as cursor:
                    cursor.execute("VACUUM ANALYZE")

            # The remote renders its pages once and keeps them: ask for every page a first pull reads
            # first, so the timed pulls do not wait for the rendering.
            with httpx.Client(base_url=base, timeout=60) as client:
                for params in ({"full": "true"}, {"minimal": "true"}):
                    for page in range(1, -(-args.services // args.per_page) + 1):
                        client.get("/api/services", params={**params, "per_page": args.per_page, "page": page})
                client.get("/feed.atom")

            first_samples: list[float] = []
            split_samples: list[dict[str, float]] = []
            for _round in range(args.rounds):
                empty()
                begin = time.perf_counter()
                runs = pull_all()
                first_samples.append(time.perf_counter() - begin)
                seconds = phases.reset()
                split_samples.append(
                    {
                        "http": seconds["http"],
                        "parse": seconds["pull"] - seconds["http"],
                        "prepare": seconds["prepare"],
                        "database": seconds["apply"] - seconds["prepare"],
                        "bookkeeping": first_samples[-1] - seconds["pull"] - seconds["apply"],
                    }
                )
                assert [(r.status, r.created, r.failed) for r in runs] == [
                    ("succeeded", args.services, 0),
                    ("succeeded", args.entries, 0),
                ], [(r.status, r.created, r.failed, r.error) for r in runs]
            first_s = statistics.median(first_samples)
            split = {name: round(statistics.median(s[name] for s in split_samples), 3) for name in split_samples[0]}
            print(
                f"first pull of {total} records: {first_s:.3f} s (rounds {[round(s, 3) for s in first_samples]}),"
                f" {total / first_s:.0f} items/s, split {split}",
                flush=True,
            )
            if args.profile:
                import cProfile

                empty()
                cProfile.runctx("pull_all()", globals(), {"pull_all": pull_all}, args.profile)
                phases.reset()
                print(f"profile of one first pull in {args.profile}", flush=True)
            assert ContentVersion.objects.count() == total

            # The floor: the same rows, bulk-upserted into tables of the same shape.
            floor_tables()
            rows = written_rows()

            def floor() -> None:
                with connection.cursor() as cursor:
                    cursor.execute(f"TRUNCATE {FLOOR_VERSIONS}, {FLOOR_ITEMS}")
                    cursor.execute(f"VACUUM ANALYZE {FLOOR_ITEMS}, {FLOOR_VERSIONS}")
                begin = time.perf_counter()
                floor_round(*rows)
                floor_samples.append(time.perf_counter() - begin)

            floor_samples: list[float] = []
            timed(floor, args.rounds)
            floor_s = statistics.median(floor_samples)
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT (SELECT count(*) FROM {FLOOR_ITEMS}), (SELECT count(*) FROM {FLOOR_VERSIONS})")
                assert cursor.fetchone() == (total, total)
            print(f"floor (INSERT ... ON CONFLICT of {total} items and versions): {floor_s:.3f} s", flush=True)

            # Nothing new: no item row may be written.
            before = table_writes()
            begin = time.perf_counter()
            runs = pull_all()
            rerun_s = time.perf_counter() - begin
            rerun_written = written_since(before)
            rerun_items = sum(rerun_written.get(table, 0) for table in ITEM_TABLES)
            rerun_bookkeeping = {t: n for t, n in rerun_written.items() if t not in ITEM_TABLES}
            assert [(r.created, r.updated, r.failed) for r in runs] == [(0, 0, 0), (0, 0, 0)]
            unchanged = sum(r.unchanged for r in runs)
            print(
                f"second pull, nothing new: {rerun_s:.3f} s, {unchanged} records read unchanged,"
                f" item rows written {rerun_items}, bookkeeping rows {rerun_bookkeeping}",
                flush=True,
            )
            phases.reset()

            # 1% changed.
            httpx.post(f"{base}/_bench/change", params={"services": changed_services, "entries": changed_entries})
            versions_before = ContentVersion.objects.count()
            before = table_writes()
            begin = time.perf_counter()
            runs = pull_all()
            changed_s = time.perf_counter() - begin
            changed_written = written_since(before)
            versions_written = ContentVersion.objects.count() - versions_before
            assert [(r.updated, r.created, r.failed) for r in runs] == [
                (changed_services, 0, 0),
                (changed_entries, 0, 0),
            ], [(r.updated, r.created, r.failed, r.error) for r in runs]
            assert versions_written == changed_services + changed_entries
            print(
                f"pull with 1% changed: {changed_s:.3f} s, {versions_written} versions written,"
                f" rows written {changed_written}",
                flush=True,
            )
            assert not RejectedRecord.objects.exists()
            assert ContentItem.objects.count() == total

            print(
                json.dumps(
                    {
                        "bench": "sync",
                        "services": args.services,
                        "entries": args.entries,
                        "per_page": args.per_page,
                        "ratio": round(first_s / floor_s, 2),
                        "ratio_of_fastest_rounds": round(min(first_samples) / min(floor_samples), 2),
                        "items_per_s": round(total / first_s),
                        "first_pull_s": round(first_s, 3),
                        "floor_s": round(floor_s, 3),
                        "first_pull_split_s": split,
                        "http_and_parse_s": round(split["http"] + split["parse"], 3),
                        "database_s": round(split["database"], 3),
                        "rerun_s": round(rerun_s, 3),
                        "rerun_rows_written": rerun_items,
                        "rerun_bookkeeping_rows": rerun_bookkeeping,
                        "changed_pull_s": round(changed_s, 3),
                        "changed_versions_written": versions_written,
                        "changed_rows_written": changed_written,
                        "total_s": round(time.perf_counter() - started, 1),
                    }
                )
            )
    finally:
        remote.terminate()
        remote.wait(timeout=10)


if __name__ == "__main__":
    main()
