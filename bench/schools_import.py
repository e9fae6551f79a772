"""Benchmark: a 200,000-row attendance export imported for a school of 20,000 students, and the
early-warning recomputation for those students, in a throw-away database.

The import is timed through the service (`schools.services.imports.run_import`: read the file,
COPY it into a temporary table, check and convert every row there, write the records, commit with
the records table's foreign keys checked), from an empty table each round, without the risk
recomputation that follows it in production (timed on its own). Its phases are reported too:
`check` (file to checked records), `write` (records into the records table), `commit` (the rest,
mostly the deferred foreign-key checks of every row written). The
floor is PostgreSQL `COPY` of the same file into a bare table (no index, no constraint; the date
typed, the rest as text), measured in the same run. Then `recompute_students(school_id=...)` for
the 20,000 students (S3's service). Also reported: the same file imported a second time (nothing
to write) and the rows per second.

Prints one JSON object as its last line with `ratio` (import time / COPY time, medians), `rows_per_s`
and `risk_seconds` (null when the risk service is not there); also `ratio_of_fastest_rounds` (steadier
on a busy machine) and `ratio_vs_copy_into_records` (what the records table's own indexes and foreign
keys cost whoever writes it).

    .venv/bin/python bench/schools_import.py [--students 20000] [--rows 200000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import io
import json
import random
import time
import uuid

from benchlib import copy_people, throwaway_database, timed
from django.db import connection, transaction
from django.db.models import Count

GIVEN = ["Amina", "Yonas", "Fatou", "Omar", "Selam", "Bilal", "Mariam", "Karim", "Hawa", "Imran"]
FAMILY = ["Diallo", "Haddad", "Tesfaye", "Khan", "Rahman", "Ndiaye", "Osman", "Begum", "Okafor", "Sow"]
# Registers that export every day: mostly present, some absences, late entries, early exits, hours.
STATUSES = ["P"] * 40 + ["A"] * 4 + ["R", "U", "2", "1,5"]


def school_days(today: datetime.date, count: int) -> list[datetime.date]:
    """The last `count` weekdays before today, newest first."""
    days = []
    day = today
    while len(days) < count:
        day -= datetime.timedelta(days=1)
        if day.weekday() < 5:
            days.append(day)
    return days


def build_students(count: int, school_id: int, class_ids: list[int], municipality_id: int) -> None:
    """People by COPY, then one Student per person with a register id (and a class, for the
    age–grade gap), in one INSERT ... SELECT."""
    rng = random.Random(7)

    def people():
        for i in range(count):
            given, family = GIVEN[i % len(GIVEN)], FAMILY[(i // len(GIVEN)) % len(FAMILY)]
            birth = f"{rng.randint(2008, 2016)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            yield (
                f"{uuid.uuid4()}\t{given}\t{family}\t{given}\t{family}\t{birth}\t{rng.choice('FM')}\tMA\t{{ar}}\tar"
                f"\t\t\t\\N\t\t{given.lower()} {family.lower()}\t{municipality_id}\t\\N\tnow\tnow\n"
            )

    copy_people(people())
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO schools_student (person_id, school_id, school_class_id, register_id, first_language,
                   arrived_in_italy_on, enrolled_on, leaving_reason, risk_level, created_at, updated_at)
               SELECT id, %(school)s, (%(classes)s::bigint[])[1 + (rn %% %(n_classes)s)],
                      'R' || lpad(rn::text, 6, '0'), 'ar',
                      CASE WHEN rn %% 5 = 0 THEN current_date - (rn %% 700)::int ELSE NULL END,
                      current_date - 400, '', 'none', now(), now()
               FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM core_person) p""",
            {"school": school_id, "classes": class_ids, "n_classes": len(class_ids)},
        )
        cursor.execute("ANALYZE")


def attendance_csv(students: int, rows: int, today: datetime.date) -> bytes:
    """An export like ClasseViva's daily register: one row per pupil and day, `;`-separated,
    dd/mm/yyyy dates, Italian yes/no. Each student gets rows/students distinct school days of the
    last 90; one pupil in 40 is absent most of the time (the early warning has something to find)."""
    rng = random.Random(11)
    per_student = rows // students
    days = [day.strftime("%d/%m/%Y") for day in school_days(today, 90)]
    out = io.StringIO()
    out.write("Alunno;Codice alunno;Classe;Data;Assenza;Giustificata\r\n")
    for number in range(1, students + 1):
        name = f"{FAMILY[number % len(FAMILY)]} {GIVEN[number % len(GIVEN)]}"
        often_away = number % 40 == 0
        for day in rng.sample(days, per_student):
            status = rng.choice(("A", "A", "P")) if often_away else rng.choice(STATUSES)
            out.write(f"{name};R{number:06d};2B;{day};{status};{rng.choice(('sì', 'no', ''))}\r\n")
    return out.getvalue().encode("utf-8")


def copy_floor(data: bytes) -> None:
    """COPY of the same file into a bare table: the least any import of it can cost."""
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_bare_attendance")
        cursor.execute(
            "CREATE UNLOGGED TABLE bench_bare_attendance"
            " (name text, register_id text, class text, date date, status text, justified text)"
        )
        cursor.execute("SET datestyle = 'ISO, DMY'")
        cursor.copy_expert(
            "COPY bench_bare_attendance FROM STDIN WITH (FORMAT csv, HEADER true, DELIMITER ';')", io.BytesIO(data)
        )
        cursor.execute("SET datestyle = DEFAULT")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=20_000)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    started = time.perf_counter()

    with throwaway_database():
        from aipim.accounts.models import Membership, Role, User
        from aipim.core.models import Municipality, Organisation
        from schools.models import AttendanceRecord, RegisterImport, SchoolClass, SchoolYear, Stage, Student
        from schools.services import imports

        today = datetime.date.today()
        town = Municipality.objects.order_by("pk").first()
        school = Organisation.objects.create(name="IC Bench", code="ICBENCH", kind="school", municipality=town)
        operator = User.objects.create_user("operator@example.org", "bench-password-1", full_name="Operator")
        Membership.objects.create(user=operator, organisation=school, role=Role.SCHOOL_OPERATOR)
        start_year = today.year if today.month >= 9 else today.year - 1
        year = SchoolYear.objects.create(
            name=f"{start_year}/{str(start_year + 1)[2:]}",
            starts_on=datetime.date(start_year, 9, 1),
            ends_on=datetime.date(start_year + 1, 6, 30),
        )
        classes = [
            SchoolClass.objects.create(
                school=school, school_year=year, name=f"{grade}{section}", stage=Stage.LOWER_SECONDARY, grade=grade
            ).pk
            for grade in (1, 2, 3)
            for section in "ABCDEFGHIJKLMNOPQRST"
        ]
        with connection.cursor() as cursor:
            # A throw-away database: build without the history triggers (replica role).
            cursor.execute("SET session_replication_role = replica")
        build_students(args.students, school.pk, classes, town.pk)
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")
            cursor.execute("VACUUM ANALYZE")
        assert Student.objects.filter(school=school).count() == args.students
        data = attendance_csv(args.students, args.rows, today)
        built_s = time.perf_counter() - started
        print(f"built {args.students} students and a {len(data) / 1e6:.1f} MB file in {built_s:.0f} s", flush=True)

        # The floor. Its fastest round is kept too: on a busy machine the ratio of the fastest rounds
        # moves less than the ratio of the medians.
        floor_samples: list[float] = []

        def floor_round() -> None:
            begin = time.perf_counter()
            copy_floor(data)
            floor_samples.append(time.perf_counter() - begin)

        copy_s = timed(floor_round, args.rounds)
        print(f"COPY floor: {copy_s:.3f} s", flush=True)

        # Uploaded and previewed once; each round writes into an empty table from a fresh confirmed import.
        mapping = {"register_id": "Codice alunno", "student_name": "Alunno", "date": "Data", "status": "Assenza",
                   "justified": "Giustificata"}  # fmt: skip
        uploaded = imports.upload_import(
            school=school, kind="attendance", data=data, original_name="assenze.csv", by=operator
        )
        preview_started = time.perf_counter()
        preview = imports.preview_import(register_import=uploaded, mapping=mapping, by=operator)
        preview_s = time.perf_counter() - preview_started
        assert preview.errors == 0 and preview.new == args.rows, preview
        print(f"preview: {preview_s:.3f} s {preview}", flush=True)
        imports._recompute_risk = lambda ids: None  # timed on its own below
        phases: dict[str, list[float]] = {"check": [], "write": []}

        def timing(name, function):
            def timed_call(*args, **kwargs):
                begin = time.perf_counter()
                try:
                    return function(*args, **kwargs)
                finally:
                    phases[name].append(time.perf_counter() - begin)

            return timed_call

        imports.check_file = timing("check", imports.check_file)
        imports._write = timing("write", imports._write)

        def fresh_import() -> int:
            with connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {AttendanceRecord._meta.db_table}")
            uploaded.pk = None
            uploaded.status = RegisterImport.Status.CONFIRMED
            uploaded.confirmed_by = operator
            uploaded.save()
            return uploaded.pk

        samples = []
        for _round in range(args.rounds):
            import_id = fresh_import()
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE schools_attendancerecord")
            begin = time.perf_counter()
            done = imports.run_import(import_id=import_id)
            samples.append(time.perf_counter() - begin)
            assert done.status == RegisterImport.Status.DONE and done.rows_created == args.rows, done.failure
        phases["commit"] = [
            total - check - write for total, check, write in zip(samples, phases["check"], phases["write"], strict=True)
        ]
        phase_s = {name: round(sorted(values)[len(values) // 2], 3) for name, values in phases.items()}
        samples.sort()
        import_s = samples[len(samples) // 2]
        print(f"import: {import_s:.3f} s (rounds {[round(s, 3) for s in samples]}), phases {phase_s}", flush=True)

        # A second floor, for what this schema costs whoever writes it: the validated records COPYed
        # straight into the records table (its indexes, its foreign keys checked at commit).
        validated = imports.validate_file(uploaded)

        records_text = (
            imports._copy_text("attendance", validated.records.values(), encrypt=False)
            .getvalue()
            .replace("\n", f"\t{uploaded.pk}\n")
        )
        copy_samples = []
        for _round in range(args.rounds):
            with connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {AttendanceRecord._meta.db_table}")
            begin = time.perf_counter()
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.copy_expert(
                    f"COPY {AttendanceRecord._meta.db_table} (student_id, date, status, absent_hours, justified,"
                    " source_id) FROM STDIN",
                    io.StringIO(records_text),
                )
            copy_samples.append(time.perf_counter() - begin)
        records_copy_s = sorted(copy_samples)[len(copy_samples) // 2]
        print(f"COPY into the records table: {records_copy_s:.3f} s", flush=True)

        # The same file again: everything is already there, nothing is written.
        uploaded.pk = None
        uploaded.status = RegisterImport.Status.CONFIRMED
        uploaded.save()
        begin = time.perf_counter()
        again = imports.run_import(import_id=uploaded.pk)
        reimport_s = time.perf_counter() - begin
        assert again.rows_created == 0 and again.rows_unchanged == args.rows
        print(f"same file again: {reimport_s:.3f} s", flush=True)

        risk_s = None
        risk_note = ""
        if importlib.util.find_spec("schools.services.risk") is not None:
            from schools.services.risk import recompute_students

            begin = time.perf_counter()
            outcome = recompute_students(school_id=school.pk)
            risk_s = time.perf_counter() - begin
            levels = dict(
                Student.objects.filter(school=school).values_list("risk_level").annotate(n=Count("pk")).order_by()
            )
            print(
                f"risk for {args.students} students: {risk_s:.2f} s, {outcome.signals_written} signals written,"
                f" {len(outcome.entered_high)} entered high; levels {levels}",
                flush=True,
            )
        else:
            risk_note = "schools.services.risk is not there yet"
            print(risk_note, flush=True)

        print(
            json.dumps(
                {
                    "bench": "schools_import",
                    "students": args.students,
                    "rows": args.rows,
                    "file_mb": round(len(data) / 1e6, 2),
                    "build_s": round(built_s, 1),
                    "copy_seconds": round(copy_s, 3),
                    "import_seconds": round(import_s, 3),
                    "ratio": round(import_s / copy_s, 2),
                    "ratio_of_fastest_rounds": round(samples[0] / min(floor_samples), 2),
                    "records_copy_seconds": round(records_copy_s, 3),
                    "ratio_vs_copy_into_records": round(import_s / records_copy_s, 2),
                    "phases_seconds": phase_s,
                    "rows_per_s": round(args.rows / import_s),
                    "preview_seconds": round(preview_s, 3),
                    "reimport_seconds": round(reimport_s, 3),
                    "risk_seconds": round(risk_s, 2) if risk_s is not None else None,
                    "risk_note": risk_note,
                    "total_s": round(time.perf_counter() - started, 1),
                }
            )
        )


if __name__ == "__main__":
    main()
