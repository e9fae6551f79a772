"""Benchmark: the scoped people list with 50,000 people at one desk (and 50,000 elsewhere).

Builds its own throw-away database, loads the people with COPY, then compares the page (view,
scoping, template) against a floor measured in the same run: the bare SQL that fetches the same
page of rows. Prints one JSON object as its last line.

    .venv/bin/python bench/people_list.py [--people 50000] [--rounds 30]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aipim.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402


def copy_people(desk_id: int, other_id: int, count: int) -> None:
    """COPY `count` people linked to the desk and as many linked to another one."""
    people = io.StringIO()
    for i in range(2 * count):
        people.write(
            f"{uuid.uuid4()}\tGiven{i}\tFamily{i:06d}\tGiven{i}\tFamily{i:06d}\t1990-01-01\tF\tMA\t{{ar}}\tar\t\t\t\\N\t\t\\N\tnow\tnow\n"
        )
    people.seek(0)
    with connection.cursor() as cursor:
        cursor.copy_from(
            people,
            "core_person",
            columns=(
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
                "anonymised_at",
                "created_at",
                "updated_at",
            ),
        )
        cursor.execute(
            "INSERT INTO core_personlink (person_id, organisation_id, reason, created_at) "
            "SELECT id, CASE WHEN row_number() OVER (ORDER BY id) <= %s THEN %s ELSE %s END, 'case', now() "
            "FROM core_person",
            [count, desk_id, other_id],
        )
        cursor.execute("ANALYZE core_person; ANALYZE core_personlink")


def timed(fn, rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        from aipim.accounts.models import Membership, Role, User
        from aipim.core.models import Municipality, Organisation

        town = Municipality.objects.get(name="Irsina")
        desk = Organisation.objects.create(name="PUA Irsina", code="IRS", kind="pua_desk", municipality=town)
        other = Organisation.objects.create(name="PUA Picerno", code="PIC", kind="pua_desk", municipality=town)
        user = User.objects.create_user("bench@example.org", "bench-password-1")
        Membership.objects.create(user=user, organisation=desk, role=Role.CASEWORKER)
        copy_people(desk.pk, other.pk, args.people)

        from django.conf import settings

        settings.MFA_REQUIRED = False
        client = Client()
        client.force_login(user)
        page = args.people // 25 // 2  # a page in the middle

        def view() -> None:
            response = client.get(f"/people/?page={page}")
            assert response.status_code == 200

        sql = (
            "SELECT p.id, p.public_id, p.given_names, p.family_names, p.given_names_latin, p.family_names_latin, "
            "p.birth_date, p.citizenship, m.name FROM core_person p LEFT JOIN core_municipality m "
            "ON m.id = p.municipality_id WHERE p.id IN (SELECT person_id FROM core_personlink "
            "WHERE organisation_id = %s AND ended_at IS NULL) "
            "ORDER BY p.family_names_latin, p.given_names_latin, p.id LIMIT 25 OFFSET %s"
        )

        def floor() -> None:
            with connection.cursor() as cursor:
                cursor.execute(sql, [desk.pk, (page - 1) * 25])
                assert len(cursor.fetchall()) == 25

        view()  # warm up caches and templates
        floor()
        with CaptureQueriesContext(connection) as queries:
            view()
        view_s = timed(view, args.rounds)
        floor_s = timed(floor, args.rounds)
        print(f"people={args.people} page={page} view={view_s * 1000:.1f} ms floor={floor_s * 1000:.1f} ms")
        print(
            json.dumps(
                {
                    "bench": "people_list",
                    "people_in_scope": args.people,
                    "view_ms": round(view_s * 1000, 1),
                    "floor_ms": round(floor_s * 1000, 1),
                    "ratio": round(view_s / floor_s, 1),
                    "queries": len(queries),
                }
            )
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
