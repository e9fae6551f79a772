"""What bench/booking.py counts on: its load helpers count answers by status (a 5xx is a server
error, a connection that gets no answer is counted apart, never as a success), requests of a burst
really start together, and the bench's urlconf serves the bare view beside every portal page."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from bench import booking_load


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    arrivals: list[float] = []

    def log_message(self, *args: object) -> None:
        pass

    def answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/boom/":
            self.answer(500, b"")
        else:
            self.answer(200, b"{}")

    def do_POST(self) -> None:
        Handler.arrivals.append(time.monotonic())
        payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        time.sleep(0.05)
        if payload["n"] % 5 == 0:
            self.answer(503, b"busy")
        else:
            self.answer(201, json.dumps({"status": "confirmed" if payload["n"] < 3 else "waiting"}).encode())


class Server(ThreadingHTTPServer):
    request_queue_size = 64  # the burst connects all at once (socketserver's default backlog is 5)
    daemon_threads = True


@pytest.fixture
def server() -> Iterator[tuple[str, int]]:
    Handler.arrivals = []
    httpd = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield "127.0.0.1", httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def test_burst_counts_answers_by_status_and_sends_them_together(server):
    host, port = server
    outcome = booking_load.burst(host, port, [("POST", "/book/", {"n": n}) for n in range(20)])
    assert outcome.statuses == {201: 16, 503: 4}, outcome.errors
    assert outcome.server_errors == 4 and outcome.failed == 0
    assert sum(1 for body in outcome.bodies if body == {"status": "confirmed"}) == 2
    # Released by one barrier: the requests arrive within far less than the 20 x 50 ms one by one.
    assert max(Handler.arrivals) - min(Handler.arrivals) < 0.5


def test_a_request_without_answer_is_counted_apart():
    with socket.socket() as probe:  # a loopback port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    outcome = booking_load.burst("127.0.0.1", port, [("POST", "/book/", {"n": 1})] * 3, timeout=5)
    assert outcome.failed == 3 and outcome.server_errors == 0 and len(outcome.errors) == 3


def test_throughput_counts_only_successes(server):
    host, port = server
    good = booking_load.throughput(host, port, "/ok/", clients=2, seconds=0.3)
    assert good.requests > 0 and good.rps > 0 and set(good.statuses) == {200}
    bad = booking_load.throughput(host, port, "/boom/", clients=2, seconds=0.3)
    assert bad.requests == 0 and bad.statuses[500] > 0


def test_wait_until_up_gives_up_when_the_server_died():
    with pytest.raises(RuntimeError, match="exited"):
        booking_load.wait_until_up(lambda: False, timeout=5, alive=lambda: False)


@override_settings(ROOT_URLCONF="bench.booking_urls")
def test_bench_urlconf_serves_the_bare_view_beside_the_portal():
    response = Client().get("/bare/")  # no database: the floor touches none
    assert response.status_code == 200 and response.content == b"ok"
    assert reverse("events:event", args=["a-workshop"]) == "/events/a-workshop/"
