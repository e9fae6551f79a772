"""Benchmark: 500 people book the last 50 seats of a workshop at the same moment, through the public
booking API of the portal served by gunicorn on loopback; then the public event page's throughput
against a bare Django view served by the same gunicorn.

In a throw-away database (migrated), one association publishes one workshop with one 50-seat
session. gunicorn serves the portal with bench/booking_settings.py (DJANGO_DEBUG=false; the
portal's settings plus `bare/`, booking rate limits raised since every request comes from one
address, emails dropped) and persistent database connections as in production. Then:

1. 500 threads each open a connection, wait for the others, and POST /api/v1/bookings/ one seat
   each with their own email. Exactly 50 must be confirmed and 450 on the waiting list (counted in
   the database and in the answers), and no answer may be a server error (5xx) or missing.
2. A fixed number of clients on kept-alive connections request the event page, then the bare view,
   for a fixed time each, in alternating rounds; the median requests per second of each, and the
   median of the rounds' ratios page / floor (target >= 0.5). The home page (the portal's layout,
   no query) is measured alongside, for what the layout alone costs.

The last line is one JSON object: confirmed, waiting, server_errors, throughput_ratio, the rps
figures, workers, requests.

    .venv/bin/python bench/booking.py [--requests 500] [--seats 50] [--workers 4] [--threads 4]
                                      [--clients 16] [--seconds 2] [--rounds 7]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from benchlib import throwaway_database
from booking_load import burst, get_status, throughput, wait_until_up
from django.db import connection
from django.utils import timezone

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def database_url() -> str:
    """The URL of the throw-away database this process just created, for the server."""
    settings = connection.settings_dict
    user = quote(settings["USER"] or "", safe="")
    password = f":{quote(settings['PASSWORD'], safe='')}" if settings.get("PASSWORD") else ""
    host = quote(settings["HOST"] or "", safe="")  # a Unix socket folder is percent-encoded
    port = f":{settings['PORT']}" if settings.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{settings['NAME']}"


def make_workshop(seats: int):
    """One association, one published workshop, one session with `seats` seats in a week."""
    from aipim.core.models import Municipality, Organisation
    from associations.models import Association, BookingMode, Event, EventCategory, EventStatus, LegalForm, Session

    town = Municipality.objects.order_by("pk").first()
    assert town is not None, "the migrations load the municipalities"
    organisation = Organisation.objects.create(
        name="Ponti tra culture", code="bench-ponti", kind=Organisation.Kind.ASSOCIATION, municipality=town
    )
    association = Association.objects.create(
        organisation=organisation, slug="ponti-bench", legal_form=LegalForm.APS, languages=["it", "ar"]
    )
    event = Event.objects.create(
        association=association,
        slug="cucina-siriana-bench",
        title_it="Cucina siriana per tutti",
        title_en="Syrian cooking for everyone",
        title_ar="المطبخ السوري للجميع",
        summary_it="Un laboratorio di cucina condotto da Rasha, per residenti e nuovi arrivati.",
        description_it="Impariamo insieme a preparare il pane e i piatti della tradizione siriana.",
        category=EventCategory.FOOD,
        audiences=["residents", "migrants"],
        languages=["it", "ar"],
        is_migrant_led=True,
        led_by="Rasha",
        status=EventStatus.PUBLISHED,
        booking_mode=BookingMode.SESSION,
        max_seats_per_booking=4,
    )
    starts = timezone.now().replace(minute=0, second=0, microsecond=0) + datetime.timedelta(days=7)
    session = Session.objects.create(
        event=event,
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=2),
        venue="Centro interculturale",
        address="Via Pretoria 10",
        municipality=town,
        capacity=seats,
    )
    return event, session


def start_server(port: int, workers: int, threads: int, log_path: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.booking_settings",
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": database_url(),
        "DATABASE_CONN_MAX_AGE": "60",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("REDIS_URL", None)  # no broker: the messages are sent in-process, as in development
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "aipim.wsgi:application",
        f"--bind={HOST}:{port}",
        f"--workers={workers}",
        "--worker-class=gthread",
        f"--threads={threads}",
        "--backlog=2048",
        "--timeout=120",
        "--keep-alive=5",
        "--log-level=warning",
        f"--chdir={ROOT}",
    ]
    log = log_path.open("wb")
    # Its own process group: killed whole (master and workers) at the end, whatever happens.
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--seats", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    started = time.perf_counter()
    log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-booking-gunicorn-{os.getpid()}.log"

    with throwaway_database():
        from associations.models import Booking, BookingStatus

        event, session = make_workshop(args.seats)
        port = free_port()
        server = start_server(port, args.workers, args.threads, log_path)
        try:
            wait_until_up(
                lambda: get_status(HOST, port, "/bare/")[0] == 200, timeout=90, alive=lambda: server.poll() is None
            )
            event_path = f"/events/{event.slug}/"
            status, _body = get_status(HOST, port, event_path)
            if status != 200:
                raise RuntimeError(f"the event page answered {status}")
            print(
                f"gunicorn up on {HOST}:{port} ({args.workers} workers x {args.threads} threads, gthread) in"
                f" {time.perf_counter() - started:.1f} s; booking rate limits raised for the bench"
                " (bench/booking_settings.py), emails dropped; no REDIS_URL: cache in each worker's memory, messages"
                " sent in-process",
                flush=True,
            )

            # 1. The burst of bookings.
            bookings: list[tuple[str, str, dict[str, Any] | None]] = [
                (
                    "POST",
                    "/api/v1/bookings/",
                    {
                        "session": str(session.public_id),
                        "name": f"Persona {number}",
                        "email": f"persona{number}@example.org",
                        "phone": "",
                        "seats": 1,
                        "language": "it",
                        "privacy_consent": True,
                    },
                )
                for number in range(args.requests)
            ]
            burst_started = time.perf_counter()
            outcome = burst(HOST, port, bookings)
            burst_s = time.perf_counter() - burst_started
            rows = Booking.objects.filter(session=session)
            confirmed = rows.filter(status=BookingStatus.CONFIRMED).count()
            waiting = rows.filter(status=BookingStatus.WAITING).count()
            seats_confirmed = sum(rows.filter(status=BookingStatus.CONFIRMED).values_list("seats", flat=True))
            answered = {"confirmed": 0, "waiting": 0}
            for body in outcome.bodies:
                if isinstance(body, dict) and body.get("status") in answered:
                    answered[body["status"]] += 1
            print(
                f"{args.requests} bookings in {burst_s:.2f} s (slowest answer {outcome.slowest_s:.2f} s):"
                f" statuses {dict(sorted(outcome.statuses.items()))}; in the database {confirmed} confirmed"
                f" ({seats_confirmed} seats), {waiting} waiting; the answers said {answered}",
                flush=True,
            )
            for error in outcome.errors[:5]:
                print(f"  no answer: {error}", flush=True)
            # The page people see now must say the session is full (a cached page must not lag).
            status, page_body = get_status(HOST, port, event_path)
            page_shows_full = (
                status == 200
                and b'class="badge bg-warning' in page_body
                and b'class="badge bg-primary"' not in page_body
            )
            print(f"the event page after the bookings shows the session full: {page_shows_full}", flush=True)
            unexpected = [body for body in outcome.bodies if not (isinstance(body, dict) and "status" in body)]
            for body in unexpected[:3]:
                print(f"  unexpected answer: {body}", flush=True)

            # 2. Throughput: the event page against the bare view, alternating, after a warm-up.
            for path in (event_path, "/bare/"):
                throughput(HOST, port, path, clients=args.clients, seconds=1.0)
            page_rps: list[float] = []
            bare_rps: list[float] = []
            home_rps: list[float] = []
            client_cpu: dict[str, list[float]] = {}
            other_statuses: dict[str, dict[int, int]] = {}
            for _round in range(args.rounds):
                for path, samples in ((event_path, page_rps), ("/bare/", bare_rps), ("/", home_rps)):
                    measured = throughput(HOST, port, path, clients=args.clients, seconds=args.seconds)
                    samples.append(measured.rps)
                    client_cpu.setdefault(path, []).append(measured.client_cpu)
                    others = {status: n for status, n in measured.statuses.items() if status != 200}
                    if others:
                        other_statuses[path] = others
            page = statistics.median(page_rps)
            bare = statistics.median(bare_rps)
            home = statistics.median(home_rps)
            cpu = {path: round(statistics.median(values), 2) for path, values in client_cpu.items()}
            # Each round measures the page and the floor one after the other: the median of the rounds'
            # ratios is what the machine's other work disturbs least.
            ratio = statistics.median(p / b for p, b in zip(page_rps, bare_rps, strict=True) if b)
            print(
                f"event page {page:.0f} rps {[round(r) for r in page_rps]}, bare view {bare:.0f} rps"
                f" {[round(r) for r in bare_rps]}, for reference the home page (the layout, no query) {home:.0f} rps"
                f" ({args.clients} clients, {args.seconds:g} s x {args.rounds} rounds); ratio {ratio:.2f} (median of the"
                f" rounds' ratios; of the medians {page / bare if bare else 0.0:.2f}); the clients took {cpu} cores"
                + (f"; non-200 answers {other_statuses}" if other_statuses else ""),
                flush=True,
            )
        except BaseException:
            stop_server(server)
            print(f"gunicorn's log ({log_path}), its end:", flush=True)
            print(log_path.read_text(errors="replace")[-3000:], flush=True)
            raise
        finally:
            stop_server(server)
        if server.returncode not in (0, -signal.SIGTERM):
            print(f"gunicorn exited with {server.returncode}; its log: {log_path}", flush=True)
        else:
            log_path.unlink(missing_ok=True)

    bookings_ok = (
        confirmed == args.seats
        and waiting == args.requests - args.seats
        and outcome.server_errors == 0
        and outcome.failed == 0
    )
    result = {
        "confirmed": confirmed,
        "waiting": waiting,
        "server_errors": outcome.server_errors,
        "no_answer": outcome.failed,
        "throughput_ratio": round(ratio, 3),
        "event_page_rps": round(page, 1),
        "bare_rps": round(bare, 1),
        "home_rps": round(home, 1),
        "ratio_of_medians": round(page / bare if bare else 0.0, 3),
        "client_cpu_cores": cpu,
        "cores": os.cpu_count(),
        "workers": args.workers,
        "threads": args.threads,
        "clients": args.clients,
        "requests": args.requests,
        "seats": args.seats,
        "rate_limits": "raised for the bench (bench/booking_settings.py)",
        "statuses": {str(status): n for status, n in sorted(outcome.statuses.items())},
        "booking_burst_s": round(burst_s, 2),
        "bookings_ok": bookings_ok,
        "throughput_ok": ratio >= 0.5,
        "event_page_shows_full": page_shows_full,
        "ok": bookings_ok and ratio >= 0.5,
        "total_s": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(result), flush=True)
    if not bookings_ok:
        sys.exit(1)  # a seat counted twice or a lost booking is a bug; a slow page is a measure


if __name__ == "__main__":
    main()
