"""Benchmark: the scoped people list with 50,000 people at one desk (and 50,000 elsewhere).

Builds its own throw-away database, loads the people with COPY, then compares the page (view,
scoping, template) against a floor measured in the same run: the bare SQL that fetches the same
page of rows. Prints one JSON object as its last line.

    .venv/bin/python bench/people_list.py [--people 50000] [--rounds 30]
"""

from __future__ import annotations

import argparse
import json
import uuid

from benchlib import copy_people, count_queries, throwaway_database, timed
from django.db import connection
from django.test import Client

from aipim.core.names import name_key


def copy_people_at(desk_id: int, other_id: int, count: int) -> None:
    """COPY `count` people linked to the desk and as many linked to another one."""
    copy_people(
        f"{uuid.uuid4()}\tGiven{i}\tFamily{i:06d}\tGiven{i}\tFamily{i:06d}\t1990-01-01\tF\tMA\t{{ar}}\tar\t\t\t\\N\t\t"
        f"{name_key(f'Given{i}', f'Family{i:06d}')}\t\\N\t\\N\tnow\tnow\n"
        for i in range(2 * count)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO core_personlink (person_id, organisation_id, reason, created_at) "
            "SELECT id, CASE WHEN row_number() OVER (ORDER BY id) <= %s THEN %s ELSE %s END, 'case', now() "
            "FROM core_person",
            [count, desk_id, other_id],
        )
        cursor.execute("ANALYZE core_personlink")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()

    with throwaway_database():
        from aipim.accounts.models import Membership, Role, User
        from aipim.core.models import Municipality, Organisation

        town = Municipality.objects.get(name="Irsina")
        desk = Organisation.objects.create(name="PUA Irsina", code="IRS", kind="pua_desk", municipality=town)
        other = Organisation.objects.create(name="PUA Picerno", code="PIC", kind="pua_desk", municipality=town)
        user = User.objects.create_user("bench@example.org", "bench-password-1")
        Membership.objects.create(user=user, organisation=desk, role=Role.CASEWORKER)
        copy_people_at(desk.pk, other.pk, args.people)

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
        queries = count_queries(view)
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
                    "queries": queries,
                }
            )
        )


if __name__ == "__main__":
    main()
