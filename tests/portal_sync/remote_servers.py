"""Remote systems played by real HTTP servers on loopback, for portal_sync's tests: they keep state
and can be told to fail their next requests in the ways networks and servers fail.

- `RegionalSystem`: the regional information system we push services to, speaking the protocol of
  portal_sync/adapters/hsds_push.py (POST with Idempotency-Key, PUT and DELETE by its own ids). It
  checks each service against the official HSDS 3.0 schema, gives records its own ids ("R-0001"),
  and never makes a second record for a key it has seen.
- `Portal`: the national portal we pull from: an HSDS 3.0 API (`/hsds/services` with page,
  per_page, modified_after, minimal; `/hsds/services/{id}`) and an Atom feed of news (`/news.atom`).

Failures (`server.fail_next(kind, times=N)`), taken by the next matching requests in order:
500, 429 with Retry-After, 400 (a refused record), "slow" (answers after `delay` seconds, past a
client's timeout), "reset" (a TCP reset instead of an answer), "truncated" (a 2xx whose body stops
half-way), "invalid" (a 200 whose body is an HTML error page, not the document asked for).
`applied=True` makes the server carry the request out before it fails (a record saved whose answer
never arrives), the case that idempotency keys are for.

The fixtures `regional_system` and `portal` give one server each, started once per session and
emptied for each test. A non-root conftest cannot load plugins, so bind them in the test module
that uses them: `regional_system = remote_servers.regional_system` (an assignment, not an import:
no lint noise when a test names it as an argument).
"""

from __future__ import annotations

import contextlib
import datetime
import itertools
import json
import os
import re
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from aipim.core.hsds import validation_errors

ERROR_500 = "500"
TOO_MANY = "429"
REFUSED = "400"
SLOW = "slow"
RESET = "reset"
TRUNCATED = "truncated"
INVALID = "invalid"
KINDS = (ERROR_500, TOO_MANY, REFUSED, SLOW, RESET, TRUNCATED, INVALID)


@dataclass
class Failure:
    kind: str
    applied: bool = False  # carry the request out, then fail its answer (slow, reset, truncated, invalid)
    methods: tuple[str, ...] = ()  # only requests with these methods take it (all when empty)
    retry_after: str = "1"
    delay: float = 1.5


@dataclass
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    failed: str = ""  # the failure it took, if any


class ScriptedServer:
    """A threaded loopback HTTP server (pytest-httpserver) whose every request goes to `handle`,
    unless a scripted failure is waiting."""

    def __init__(self) -> None:
        self.server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
        self.server.expect_request(re.compile(".*")).respond_with_handler(self._dispatch)
        self.lock = threading.RLock()
        self.failures: list[Failure] = []
        self.requests: list[Seen] = []

    def reset(self) -> None:
        """Forget every request, scripted failure and record."""
        with self.lock:
            self.failures.clear()
            self.requests.clear()

    def start(self) -> None:
        self.server.start()

    def stop(self) -> None:
        self.server.clear()
        self.server.stop()

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.server.port}{path}"

    def fail_next(self, kind: str, times: int = 1, **options: Any) -> None:
        """The next `times` matching requests fail this way (after those already scripted)."""
        assert kind in KINDS, kind
        with self.lock:
            self.failures.extend(Failure(kind, **options) for _ in range(times))

    @property
    def pending_failures(self) -> int:
        return len(self.failures)

    def handle(self, request: Request) -> Response:
        raise NotImplementedError

    def _dispatch(self, request: Request) -> Response:
        body: Any = request.get_data(as_text=True)
        with contextlib.suppress(ValueError):
            body = json.loads(body) if body else None
        seen = Seen(request.method, request.path, dict(request.headers), body)
        with self.lock:
            self.requests.append(seen)
            failure = next((f for f in self.failures if not f.methods or request.method in f.methods), None)
            if failure is not None:
                self.failures.remove(failure)
                seen.failed = failure.kind
        if failure is None:
            return self.handle(request)
        return self._fail(request, failure)

    def _fail(self, request: Request, failure: Failure) -> Response:
        if failure.kind == ERROR_500:
            return Response("The server is down for maintenance.", status=500)
        if failure.kind == TOO_MANY:
            return Response("Slow down.", status=429, headers={"Retry-After": failure.retry_after})
        if failure.kind == REFUSED:
            return Response(json.dumps({"detail": "Scripted refusal."}), status=400, content_type="application/json")
        if failure.kind == INVALID:
            if failure.applied:
                self.handle(request)
            return Response("<html><body>Service temporarily unavailable</body></html>", content_type="text/html")
        if failure.kind == SLOW:
            answer = self.handle(request) if failure.applied else Response("Not done.", status=503)
            time.sleep(failure.delay)
            return answer
        # Not applied: an answer cut short on its way (a proxy), of a request that never arrived.
        answer = self.handle(request) if failure.applied else _json({"id": "never saved", "detail": "x" * 100})
        if failure.kind == RESET:
            _reset(request)
        _truncate(request, answer)
        raise AssertionError("unreachable")


def _reset(request: Request) -> None:
    """Drop the connection with a TCP reset instead of answering."""
    connection: socket.socket = request.environ["werkzeug.socket"]
    # Linger 0: closing sends RST. The descriptor is replaced by one end of a closed socket pair, which
    # closes the connection now (the server's own file objects share that descriptor) and lets the
    # server read end-of-file and finish quietly.
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    dead, other = socket.socketpair()
    other.close()
    os.dup2(dead.fileno(), connection.fileno())
    dead.close()
    raise ConnectionResetError("scripted reset")


def _truncate(request: Request, answer: Response) -> None:
    """Send the answer's status and headers and half its body, then close the connection."""
    connection: socket.socket = request.environ["werkzeug.socket"]
    body = answer.get_data() or b'{"id": "cut short"}'
    head = [f"HTTP/1.1 {answer.status}"]
    head += [f"{name}: {value}" for name, value in answer.headers.items() if name.lower() != "content-length"]
    head += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
    connection.sendall("\r\n".join(head).encode("latin-1") + body[: len(body) // 2])
    connection.shutdown(socket.SHUT_RDWR)
    # werkzeug takes a ConnectionError from the application as a dropped connection: it writes nothing.
    raise ConnectionAbortedError("scripted truncated answer")


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(data), status=status, headers=headers, content_type="application/json")


class RegionalSystem(ScriptedServer):
    """The regional information system: services by its own id, made once per Idempotency-Key."""

    def __init__(self, token: str | None = None) -> None:
        super().__init__()
        self.token = token
        self.services: dict[str, dict[str, Any]] = {}
        self.keys: dict[str, str] = {}  # Idempotency-Key → the id of the record made with it
        self._ids = itertools.count(1)

    def reset(self) -> None:
        with self.lock:
            super().reset()
            self.token = None
            self.services.clear()
            self.keys.clear()
            self._ids = itertools.count(1)

    @property
    def base_url(self) -> str:
        """The endpoint address to configure (the adapter adds /services)."""
        return self.url("/api")

    def source_ids(self) -> Counter[str]:
        """How many records the system holds for each of our service ids (1 each, or a duplicate)."""
        with self.lock:
            return Counter(str(document.get("id")) for document in self.services.values())

    def handle(self, request: Request) -> Response:
        if self.token is not None and request.headers.get("Authorization") != f"Bearer {self.token}":
            return _json({"detail": "Authentication required."}, status=401)
        match = re.fullmatch(r"/api/services(?:/([^/]+))?", request.path)
        if match is None:
            return _json({"detail": "No such resource."}, status=404)
        record_id = match.group(1)
        with self.lock:
            if record_id is None and request.method == "POST":
                return self._create(request)
            if record_id is None and request.method == "GET":
                return _json({"contents": [{"id": key, **doc} for key, doc in self.services.items()]})
            if record_id is not None and request.method in ("GET", "PUT", "DELETE"):
                if record_id not in self.services:
                    return _json({"detail": "No such service."}, status=404)
                if request.method == "GET":
                    return _json(self.services[record_id])
                if request.method == "DELETE":
                    del self.services[record_id]
                    return Response(status=204)
                document, refusal = self._document(request)
                if refusal is not None:
                    return refusal
                self.services[record_id] = document
                return _json({"id": record_id})
        return _json({"detail": "Method not allowed."}, status=405)

    def _document(self, request: Request) -> tuple[dict[str, Any], Response | None]:
        try:
            document = json.loads(request.get_data(as_text=True))
        except ValueError:
            return {}, _json({"detail": "The body is not JSON."}, status=400)
        errors = validation_errors(document) if isinstance(document, dict) else ["not an object"]
        if errors:
            return {}, _json({"detail": "Not an HSDS 3.0 service.", "errors": errors[:3]}, status=422)
        return document, None

    def _create(self, request: Request) -> Response:
        key = request.headers.get("Idempotency-Key", "")
        if not key:
            return _json({"detail": "Idempotency-Key is required."}, status=400)
        document, refusal = self._document(request)
        if refusal is not None:
            return refusal
        record_id = self.keys.get(key)
        if record_id is not None:  # the same request again: the record it made, never a second one
            self.services[record_id] = document
            return _json({"id": record_id, "name": document["name"]})
        record_id = f"R-{next(self._ids):04d}"
        self.keys[key] = record_id
        self.services[record_id] = document
        return _json(
            {"id": record_id, "name": document["name"]}, status=201, headers={"Location": f"/api/services/{record_id}"}
        )


@dataclass
class News:
    id: str
    title: str
    summary: str = ""
    updated: datetime.datetime = field(default_factory=lambda: datetime.datetime.now(datetime.UTC))


class Portal(ScriptedServer):
    """The national portal: an HSDS 3.0 API of services and an Atom feed of news, both complete
    listings of what it holds now (so what it removes is withdrawn on our side)."""

    def __init__(self, per_page: int = 2) -> None:
        super().__init__()
        self.per_page = per_page
        self.services: dict[str, dict[str, Any]] = {}
        self.news: dict[str, News] = {}

    def reset(self) -> None:
        with self.lock:
            super().reset()
            self.per_page = 2
            self.services.clear()
            self.news.clear()

    @property
    def hsds_url(self) -> str:
        return self.url("/hsds")

    @property
    def feed_url(self) -> str:
        return self.url("/news.atom")

    def put_service(self, document: dict[str, Any]) -> None:
        """Add or change a service; its last_modified becomes now."""
        with self.lock:
            now = datetime.datetime.now(datetime.UTC).isoformat()
            self.services[document["id"]] = {**document, "last_modified": now}

    def put_news(self, news_id: str, title: str, summary: str = "") -> None:
        with self.lock:
            self.news[news_id] = News(news_id, title, summary)

    def handle(self, request: Request) -> Response:
        with self.lock:
            if request.path == "/news.atom":
                return Response(self._feed(), content_type="application/atom+xml; charset=utf-8")
            if request.path == "/hsds/services":
                return self._page(request)
            match = re.fullmatch(r"/hsds/services/([^/]+)", request.path)
            if match and match.group(1) in self.services:
                return _json(self.services[match.group(1)])
        return _json({"detail": "No such resource."}, status=404)

    def _page(self, request: Request) -> Response:
        services = list(self.services.values())
        if request.args.get("minimal") == "true":
            services = [{"id": s["id"], "last_modified": s["last_modified"]} for s in services]
        elif "modified_after" in request.args:
            after = datetime.datetime.fromisoformat(request.args["modified_after"])
            services = [s for s in services if datetime.datetime.fromisoformat(s["last_modified"]) >= after]
        per_page = int(request.args.get("per_page", self.per_page))
        page = int(request.args.get("page", 1))
        total_pages = max(1, -(-len(services) // per_page))
        contents = services[(page - 1) * per_page : page * per_page]
        return _json(
            {"total_items": len(services), "total_pages": total_pages, "page_number": page, "contents": contents}
        )

    def _feed(self) -> str:
        entries = "".join(
            f"<entry><title>{escape(n.title)}</title><id>{escape(n.id)}</id>"
            f'<link rel="alternate" href="https://portale.example/news/{escape(n.id)}"/>'
            f"<updated>{n.updated.isoformat()}</updated><summary>{escape(n.summary)}</summary></entry>"
            for n in self.news.values()
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" xml:lang="it">'
            "<title>Portale Integrazione Migranti</title><id>tag:portale.example,2026:news</id>"
            f"<updated>{datetime.datetime.now(datetime.UTC).isoformat()}</updated>{entries}</feed>"
        )


_started: dict[type[ScriptedServer], ScriptedServer] = {}


def _server(kind: type[ScriptedServer]) -> Any:
    """One server of each kind for the whole session (stopping one costs half a second), emptied
    for each test."""
    if kind not in _started:
        _started[kind] = kind()
        _started[kind].start()
    server = _started[kind]
    server.reset()
    return server


@pytest.fixture
def regional_system() -> Iterator[RegionalSystem]:
    server: RegionalSystem = _server(RegionalSystem)
    yield server
    server.reset()


@pytest.fixture
def portal() -> Iterator[Portal]:
    server: Portal = _server(Portal)
    yield server
    server.reset()
