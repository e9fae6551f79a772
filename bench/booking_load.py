"""HTTP load for bench/booking.py, with the standard library only: a burst of requests that all
start at the same moment (one thread and one connection each, released together by a barrier), and
a fixed number of clients requesting one page over kept-alive connections for a fixed time."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Outcome:
    """What came back: status codes (0 for a connection that failed), the bodies parsed as JSON when
    they are, and the slowest answer."""

    statuses: Counter[int] = field(default_factory=Counter)
    bodies: list[Any] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    slowest_s: float = 0.0

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    @property
    def failed(self) -> int:
        """Requests that got no answer at all (connection refused or reset, timeout)."""
        return self.statuses.get(0, 0)


def burst(
    host: str,
    port: int,
    requests: list[tuple[str, str, dict[str, Any] | None]],
    *,
    timeout: float = 120.0,
    headers: dict[str, str] | None = None,
) -> Outcome:
    """Send every (method, path, json_body) at once: each thread connects, waits for all the others,
    then sends. Returns the outcome of all of them."""
    outcome = Outcome()
    lock = threading.Lock()
    barrier = threading.Barrier(len(requests))

    def one(method: str, path: str, body: dict[str, Any] | None) -> None:
        started = time.perf_counter()
        status, parsed, error = 0, None, ""
        connection = http.client.HTTPConnection(host, port, timeout=timeout)
        try:
            connection.connect()
            barrier.wait(timeout=timeout)
            started = time.perf_counter()
            payload = json.dumps(body).encode() if body is not None else None
            sent_headers = {"Accept": "application/json", "Connection": "close", **(headers or {})}
            if payload is not None:
                sent_headers["Content-Type"] = "application/json"
            connection.request(method, path, body=payload, headers=sent_headers)
            response = connection.getresponse()
            raw = response.read()
            status = response.status
            try:
                parsed = json.loads(raw) if raw else None
            except ValueError:
                parsed = raw[:200].decode(errors="replace")
        except (OSError, http.client.HTTPException, threading.BrokenBarrierError) as failure:
            error = f"{type(failure).__name__}: {failure}"
        finally:
            connection.close()
        elapsed = time.perf_counter() - started
        with lock:
            outcome.statuses[status] += 1
            outcome.bodies.append(parsed)
            outcome.slowest_s = max(outcome.slowest_s, elapsed)
            if error:
                outcome.errors.append(error)

    threads = [threading.Thread(target=one, args=request, daemon=True) for request in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout + 10)
    return outcome


@dataclass
class Throughput:
    requests: int
    seconds: float
    statuses: Counter[int]
    # CPU the load itself took (this process, in cores): on a small machine the clients compete
    # with the server, and a floor measured by busy clients is a floor too low.
    client_cpu: float = 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def throughput(
    host: str, port: int, path: str, *, clients: int, seconds: float, headers: dict[str, str] | None = None
) -> Throughput:
    """`clients` threads, each on its own kept-alive connection, GET `path` one after the other for
    `seconds`; answers counted (by status) and divided by the time taken."""
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)
    sent_headers = {"Accept": "text/html", **(headers or {})}
    deadline = [0.0]

    def client() -> None:
        local: Counter[int] = Counter()
        connection = http.client.HTTPConnection(host, port, timeout=30)
        barrier.wait()
        while time.perf_counter() < deadline[0]:
            try:
                connection.request("GET", path, headers=sent_headers)
                response = connection.getresponse()
                response.read()
                local[response.status] += 1
                if response.will_close:
                    connection.close()
            except (OSError, http.client.HTTPException):
                local[0] += 1
                connection.close()
        connection.close()
        with lock:
            statuses.update(local)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    deadline[0] = time.perf_counter() + seconds
    started, cpu_started = time.perf_counter(), time.process_time()
    barrier.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return Throughput(requests=sum(n for status, n in statuses.items() if status == 200), seconds=elapsed,
                      statuses=statuses, client_cpu=(time.process_time() - cpu_started) / elapsed)  # fmt: skip


def wait_until_up(url_ok: Callable[[], bool], *, timeout: float, alive: Callable[[], bool]) -> None:
    """Poll `url_ok` until it answers True; fail if the server died or `timeout` passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError("the server exited while starting")
        try:
            if url_ok():
                return
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer within {timeout:.0f} s")


def get_status(host: str, port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(host, port, timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()
