"""Benchmark: the PUA case list with 200,000 cases over 10 desks (people, links, consents,
assessments with needs, referrals, encrypted notes), in a throw-away database.

Times the page through Django (view, scoping, filters, template) for page 1, a deep page, a
filtered page, a page sorted by name and a name search, against a floor measured in the same
run: one hand-written SQL query that fetches the same rows. Prints one JSON object as its last
line, with `ratio` (median over the scenarios of page time / floor time), `queries` (for one
page) and `search_ms` (the searched page, server time). It also times a bare logged-in page (the
PUA home: layout, middleware, session, user) and gives `ratio_vs_sql_and_bare_page`, page time /
(SQL floor + bare page): where the SQL takes a millisecond, no server-rendered page can come
within 3x of the SQL alone, and this second ratio shows what the list itself adds.

    .venv/bin/python bench/pua_caselist.py [--cases 200000] [--rounds 15]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
import uuid

from benchlib import copy_people, count_queries, throwaway_database, timed
from django.db import connection
from django.test import Client
from django.urls import reverse

from aipim.core.names import name_key

GIVEN = [
    "Mohamed",
    "Muhammad",
    "Ahmed",
    "Ali",
    "Aly",
    "Omar",
    "Youssef",
    "Ibrahim",
    "Mustafa",
    "Hussein",
    "Abdel",
    "Abdoulaye",
    "Amadou",
    "Tesfaye",
    "Yonas",
    "Samuel",
    "Dawit",
    "Bilal",
    "Imran",
    "Rahim",
    "Karim",
    "Hassan",
    "Hamza",
    "Idris",
    "Musa",
    "Issa",
    "Moussa",
    "Sekou",
    "Lamin",
    "Ousmane",
    "Fatima",
    "Amina",
    "Aisha",
    "Mariam",
    "Khadija",
    "Zainab",
    "Hawa",
    "Aminata",
    "Fatou",
    "Awa",
    "Saida",
    "Nadia",
    "Leila",
    "Samira",
    "Yasmin",
    "Rahma",
    "Hiba",
    "Selam",
    "Helen",
    "Senait",
    "Ruth",
    "Meron",
    "Nasrin",
    "Shirin",
    "Farida",
    "Parveen",
    "Ayesha",
    "Sadia",
    "Rukhsana",
    "Naima",
]
FAMILY = [
    "Abdel Aziz",
    "Abdelkarim",
    "Ben Ali",
    "Benali",
    "El Sayed",
    "Al Amin",
    "Hassan",
    "Hussain",
    "Khan",
    "Rahman",
    "Ahmed",
    "Diallo",
    "Bah",
    "Sow",
    "Barry",
    "Camara",
    "Keita",
    "Traore",
    "Coulibaly",
    "Toure",
    "Kone",
    "Sissoko",
    "Ndiaye",
    "Diop",
    "Fall",
    "Gueye",
    "Sarr",
    "Mbaye",
    "Tesfay",
    "Gebremedhin",
    "Haile",
    "Tekle",
    "Berhane",
    "Kidane",
    "Woldemariam",
    "Mengistu",
    "Alemu",
    "Girma",
    "Osman",
    "Yusuf",
    "Ibrahim",
    "Mahmoud",
    "Saleh",
    "Nasser",
    "Farah",
    "Omar",
    "Jama",
    "Warsame",
    "Hersi",
    "Mohamud",
    "Islam",
    "Hossain",
    "Uddin",
    "Chowdhury",
    "Begum",
    "Akter",
    "Miah",
    "Sheikh",
    "Sarkar",
    "Das",
    "Iqbal",
    "Butt",
    "Malik",
    "Qureshi",
    "Chaudhry",
    "Javed",
    "Aslam",
    "Anwar",
    "Rashid",
    "Latif",
    "Okafor",
    "Okeke",
    "Adeyemi",
    "Balogun",
    "Eze",
    "Nwosu",
    "Ogunleye",
    "Bello",
]
DOMAINS = ["health", "work", "housing", "legal", "language", "schooling", "family", "income"]


def copy_realistic_people(count: int, towns: list[int], rng: random.Random) -> None:
    """COPY `count` people with realistic names (name_key as Person.save computes it)."""

    def rows():
        for i in range(count):
            given, family = rng.choice(GIVEN), rng.choice(FAMILY)
            key = name_key(given, family, given, family)
            birth = f"{rng.randint(1960, 2008)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            sex = rng.choice("FM")
            yield (
                f"{uuid.uuid4()}\t{given}\t{family}\t{given}\t{family}\t{birth}\t{sex}\tMA\t{{ar}}\tar\t\t\t\\N\t\t"
                f"{key}\t{towns[i % len(towns)]}\t\\N\tnow\tnow\n"
            )

    copy_people(rows())


def build(cases: int, desks: list, users: list, service_id: str, note_cipher: str) -> None:
    """Cases (one per person, desks in turn), links, consents, assessments with needs,
    referrals and notes, with bulk SQL."""
    desk_ids = [desk.pk for desk in desks]
    user_ids = [user.pk for user in users]
    codes = [desk.code for desk in desks]
    sql = [
        # One case per person; desk i % 10, opened over the last two years.
        """INSERT INTO pua_case (number, person_id, desk_id, caseworker_id, status, closing_reason, opened_at,
               closed_at, opened_by_id, updated_at)
           SELECT 'PUA-' || (%(codes)s::text[])[1 + (rn %% 10)] || '-2026-' || lpad(rn::text, 6, '0'),
                  id, (%(desks)s::int[])[1 + (rn %% 10)], (%(users)s::int[])[1 + (rn %% 10)],
                  s.status, CASE WHEN s.status = 'closed' THEN 'goals_met' ELSE '' END,
                  now() - (rn %% 730) * interval '1 day' - (rn %% 977) * interval '1 minute',
                  CASE WHEN s.status = 'closed' THEN now() ELSE NULL END,
                  (%(users)s::int[])[1 + (rn %% 10)], now()
           FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM core_person) p,
                LATERAL (SELECT (ARRAY['open','assessed','plan_active','closed'])[1 + (p.rn * 7 %% 4)] AS status) s""",
        """INSERT INTO core_personlink (person_id, organisation_id, reason, created_at)
           SELECT person_id, desk_id, 'pua_case', opened_at FROM pua_case""",
        """INSERT INTO core_consent (person_id, purpose, given_at, given_by_name, evidence, organisation_id,
               recorded_by_id)
           SELECT person_id, 'case_management', opened_at, '', 'signed form', desk_id, opened_by_id FROM pua_case""",
        # Four cases in five are assessed; some twice (the latest counts).
        """INSERT INTO pua_assessment (case_id, assessed_by_id, assessed_at)
           SELECT id, opened_by_id, opened_at + interval '3 days' FROM pua_case WHERE id %% 5 <> 0
           UNION ALL
           SELECT id, opened_by_id, opened_at + interval '30 days' FROM pua_case WHERE id %% 7 = 0""",
        """INSERT INTO pua_need (assessment_id, domain, severity, notes)
           SELECT a.id, (%(domains)s::text[])[1 + ((a.id + k * 3) %% 8)], 1 + ((a.id + k) %% 4), NULL
           FROM pua_assessment a, generate_series(0, 1 + (a.id %% 2)) k""",
        """INSERT INTO pua_referral (case_id, service_id, reason, status, created_by_id, created_at, outcome)
           SELECT id, %(service)s, 'work', 'sent', opened_by_id, opened_at, '' FROM pua_case WHERE id %% 2 = 0""",
        """INSERT INTO pua_note (case_id, kind, body, restricted, author_id, created_at)
           SELECT id, 'general', %(note)s, false, opened_by_id, opened_at FROM pua_case""",
    ]
    params = {
        "codes": codes,
        "desks": desk_ids,
        "users": user_ids,
        "domains": DOMAINS,
        "service": service_id,
        "note": note_cipher,
    }
    with connection.cursor() as cursor:
        for statement in sql:
            cursor.execute(statement, params)
        cursor.execute("SELECT count(*) FROM pua_case")
        assert cursor.fetchone()[0] == cases
        cursor.execute("ANALYZE")


FLOOR_SELECT = """
SELECT c.id, c.number, c.status, c.opened_at, p.given_names, p.family_names, p.given_names_latin,
       p.family_names_latin, p.birth_date, d.name, u.full_name, m.name,
       ARRAY(SELECT n.domain FROM pua_need n WHERE n.assessment_id = la.id AND n.severity > 0
             ORDER BY n.severity DESC, n.domain)
FROM pua_case c
JOIN core_person p ON p.id = c.person_id
JOIN core_organisation d ON d.id = c.desk_id
LEFT JOIN accounts_user u ON u.id = c.caseworker_id
LEFT JOIN core_municipality m ON m.id = p.municipality_id
LEFT JOIN LATERAL (SELECT a.id FROM pua_assessment a WHERE a.case_id = c.id
                   ORDER BY a.assessed_at DESC, a.id DESC LIMIT 1) la ON true
WHERE c.desk_id = %(desk)s {where}
ORDER BY {order} LIMIT 25 OFFSET %(offset)s
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    rng = random.Random(42)
    started = time.perf_counter()

    with throwaway_database():
        from django.conf import settings

        from aipim.accounts.models import Membership, Role, User
        from aipim.core.models import Municipality, Organisation, Service
        from pua.models import Note

        towns = list(Municipality.objects.order_by("pk").values_list("pk", flat=True)[:20])
        desks, users = [], []
        for i, code in enumerate(["IRS", "PIC", "PTG", "MRS", "PZ", "MT", "MLF", "POL", "LAU", "SCA"]):
            desk = Organisation.objects.create(name=f"PUA {code}", code=code, kind="pua_desk", municipality_id=towns[i])
            user = User.objects.create_user(f"caseworker{i}@example.org", "bench-password-1", full_name=f"Worker {i}")
            Membership.objects.create(user=user, organisation=desk, role=Role.CASEWORKER)
            desks.append(desk)
            users.append(user)
        provider = Organisation.objects.create(
            name="Centro per l'impiego", code="CPI", kind="service_provider", municipality_id=towns[0]
        )
        service = Service.objects.create(organisation=provider, name="Job centre", category="work")
        note_cipher = Note._meta.get_field("body").get_db_prep_value("A note about the case.", connection)
        with connection.cursor() as cursor:
            # A throw-away database: load without the history triggers and FK checks (replica
            # role), and build the trigram index once at the end rather than row by row.
            cursor.execute("SET session_replication_role = replica")
            cursor.execute("DROP INDEX person_name_key_trgm")
        copy_realistic_people(args.cases, towns, rng)
        build(args.cases, desks, users, str(service.pk), note_cipher)
        with connection.cursor() as cursor:
            cursor.execute("CREATE INDEX person_name_key_trgm ON core_person USING gin (name_key gin_trgm_ops)")
            cursor.execute("SET session_replication_role = DEFAULT")
            # What autovacuum does to a database in use: statistics, and the visibility map that
            # lets a count walk the index alone.
            cursor.execute("VACUUM ANALYZE")
        built_s = time.perf_counter() - started
        print(f"built {args.cases} cases in {built_s:.0f} s", flush=True)

        settings.MFA_REQUIRED = False
        client = Client()
        client.force_login(users[0])
        desk = desks[0]
        in_scope = args.cases // 10
        deep_page = in_scope // 25 // 2

        # The name search goes by POST; the page then carries only the session key of the term.
        search_text = "Mohamed Abdel Aziz"
        location = client.post(reverse("pua:case_list"), {"q": search_text, "query": ""})["Location"]
        search_token = location.split("search=")[1]
        words = sorted(set(name_key(search_text).split()))

        name_order = "p.family_names_latin, p.given_names_latin, c.id"
        scenarios = {
            "page_1": ({}, "", "c.opened_at DESC, c.id DESC", 0),
            "deep_page": ({"page": deep_page}, "", "c.opened_at DESC, c.id DESC", (deep_page - 1) * 25),
            "filtered": (
                {"status": "open", "domain": "housing"},
                "AND c.status = 'open' AND EXISTS (SELECT 1 FROM pua_need n WHERE n.assessment_id = la.id "
                "AND n.domain = 'housing' AND n.severity > 0)",
                "c.opened_at DESC, c.id DESC",
                0,
            ),
            "sorted_by_name": ({"sort": "name", "page": 3}, "", name_order, 50),
            "searched": (
                {"search": search_token},
                " ".join(f"AND p.name_key %%> '{word}'" for word in words),
                "c.opened_at DESC, c.id DESC",
                0,
            ),
        }
        # A second floor: the PUA home page (same layout, middleware, session and user, no list),
        # the fixed cost of any logged-in page, which the SQL floor above does not pay.
        bare_s = timed(lambda: client.get(reverse("pua:home")), args.rounds)
        results = {}
        page_queries = 0
        for name, (params, where, order, offset) in scenarios.items():
            sql = FLOOR_SELECT.format(where=where, order=order)

            def view(params=params) -> None:
                response = client.get(reverse("pua:case_list"), params)
                assert response.status_code == 200, response.status_code

            def floor(sql=sql, offset=offset) -> None:
                with connection.cursor() as cursor:
                    cursor.execute(sql, {"desk": desk.pk, "offset": offset})
                    cursor.fetchall()

            view()
            floor()
            query_count = count_queries(view)
            if name == "page_1":
                page_queries = query_count
            view_s, floor_s = timed(view, args.rounds), timed(floor, args.rounds)
            results[name] = {
                "view_ms": round(view_s * 1000, 1),
                "floor_ms": round(floor_s * 1000, 1),
                "ratio": round(view_s / floor_s, 2),
                "ratio_vs_sql_and_bare_page": round(view_s / (floor_s + bare_s), 2),
                "queries": query_count,
            }
            print(f"{name}: {results[name]}", flush=True)

        print(
            json.dumps(
                {
                    "bench": "pua_caselist",
                    "cases": args.cases,
                    "cases_in_scope": in_scope,
                    "build_s": round(built_s, 1),
                    "total_s": round(time.perf_counter() - started, 1),
                    "ratio": round(statistics.median(r["ratio"] for r in results.values()), 2),
                    "bare_page_ms": round(bare_s * 1000, 1),
                    "ratio_vs_sql_and_bare_page": round(
                        statistics.median(r["ratio_vs_sql_and_bare_page"] for r in results.values()), 2
                    ),
                    "queries": page_queries,
                    "search_ms": results["searched"]["view_ms"],
                    "scenarios": results,
                }
            )
        )


if __name__ == "__main__":
    main()
