"""portal_sync.http against real HTTP servers on loopback: retries that heal, failures that do not,
and bodies that are cut short or too large."""

from __future__ import annotations

import base64
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from portal_sync.adapters.base import RemoteError
from portal_sync.http import USER_AGENT, TooLarge, client_for, fetch

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_backoff(settings) -> None:  # type: ignore[no-untyped-def]
    settings.PORTAL_SYNC_HTTP_BACKOFF = 0.01
    settings.PORTAL_SYNC_HTTP_ATTEMPTS = 3


class RawServer:
    """A loopback TCP server that answers each connection with `reply(socket)`: for what a
    well-behaved HTTP server will not do (reset a connection, send half a body)."""

    def __init__(self, reply: Callable[[socket.socket], None]) -> None:
        self.reply = reply
        self.connections = 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                conn.recv(65536)
                self.reply(conn)

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def raw_server() -> Iterator[Callable[[Callable[[socket.socket], None]], RawServer]]:
    servers: list[RawServer] = []

    def start(reply: Callable[[socket.socket], None]) -> RawServer:
        servers.append(RawServer(reply))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def test_client_sends_user_agent_and_bearer_token(make_endpoint, httpserver: HTTPServer) -> None:  # type: ignore[no-untyped-def]
    endpoint = make_endpoint(credentials="s3cret-token")
    httpserver.expect_request(
        "/feed", headers={"User-Agent": USER_AGENT, "Authorization": "Bearer s3cret-token"}
    ).respond_with_data("ok")
    with client_for(endpoint) as client:
        response = fetch(client, httpserver.url_for("/feed"))
    assert response.status_code == 200
    assert response.content == b"ok"


def test_client_sends_basic_auth_for_user_and_password(make_endpoint, httpserver: HTTPServer) -> None:  # type: ignore[no-untyped-def]
    endpoint = make_endpoint(credentials="portal:pa:ss")
    expected = "Basic " + base64.b64encode(b"portal:pa:ss").decode()
    httpserver.expect_request("/feed", headers={"Authorization": expected}).respond_with_data("ok")
    with client_for(endpoint) as client:
        assert fetch(client, httpserver.url_for("/feed")).text == "ok"


def test_client_follows_redirects_and_passes_params(make_endpoint, httpserver: HTTPServer) -> None:  # type: ignore[no-untyped-def]
    httpserver.expect_request("/old", query_string="page=2").respond_with_data(
        "", status=301, headers={"Location": "/new"}
    )
    httpserver.expect_request("/new").respond_with_json({"page": 2})
    with client_for(make_endpoint()) as client:
        response = fetch(client, httpserver.url_for("/old"), params={"page": 2})
    assert response.json() == {"page": 2}


def test_server_errors_are_retried_until_the_server_recovers(make_endpoint, httpserver: HTTPServer) -> None:  # type: ignore[no-untyped-def]
    httpserver.expect_oneshot_request("/feed").respond_with_data("down", status=503)
    httpserver.expect_oneshot_request("/feed").respond_with_data("down", status=500)
    httpserver.expect_request("/feed").respond_with_data("back")
    with client_for(make_endpoint()) as client:
        assert fetch(client, httpserver.url_for("/feed")).content == b"back"
    assert len(httpserver.log) == 3


def test_server_errors_that_last_raise_remote_error(make_endpoint, httpserver: HTTPServer) -> None:  # type: ignore[no-untyped-def]
    httpserver.expect_request("/feed").respond_with_data("down", status=502)
    with client_for(make_endpoint()) as client, pytest.raises(RemoteError) as caught:
        fetch(client, httpserver.url_for("/feed"))
    assert caught.value.status == 502
    assert len(httpserver.log) == 3  # PORTAL_SYNC_HTTP_ATTEMPTS


def test_client_errors_are_not_retried(make_endpoint, httpserver: HTTPServer) -> None:  # type: ignore[no-untyped-def]
    httpserver.expect_request("/feed").respond_with_data("no", status=404)
    with client_for(make_endpoint()) as client, pytest.raises(RemoteError, match="404") as caught:
        fetch(client, httpserver.url_for("/feed"))
    assert caught.value.status == 404
    assert len(httpserver.log) == 1


def test_429_waits_for_retry_after(make_endpoint, httpserver: HTTPServer, settings) -> None:  # type: ignore[no-untyped-def]
    settings.PORTAL_SYNC_HTTP_BACKOFF = 0
    httpserver.expect_oneshot_request("/feed").respond_with_data("slow down", status=429, headers={"Retry-After": "1"})
    httpserver.expect_request("/feed").respond_with_data("ok")
    started = time.monotonic()
    with client_for(make_endpoint()) as client:
        assert fetch(client, httpserver.url_for("/feed")).content == b"ok"
    assert time.monotonic() - started >= 1.0


def test_retry_after_is_capped(make_endpoint, httpserver: HTTPServer, settings) -> None:  # type: ignore[no-untyped-def]
    settings.PORTAL_SYNC_RETRY_AFTER_CAP = 0.2
    httpserver.expect_oneshot_request("/feed").respond_with_data("", status=429, headers={"Retry-After": "3600"})
    httpserver.expect_request("/feed").respond_with_data("ok")
    started = time.monotonic()
    with client_for(make_endpoint()) as client:
        assert fetch(client, httpserver.url_for("/feed")).content == b"ok"
    assert time.monotonic() - started < 2


def test_a_server_slower_than_the_timeout_raises_remote_error(make_endpoint, httpserver: HTTPServer, settings) -> None:  # type: ignore[no-untyped-def]
    settings.PORTAL_SYNC_HTTP_ATTEMPTS = 2
    endpoint = make_endpoint(timeout_seconds=1)

    def slow(request: Request) -> Response:
        time.sleep(1.5)
        return Response("late")

    httpserver.expect_request("/feed").respond_with_handler(slow)
    started = time.monotonic()
    with client_for(endpoint) as client, pytest.raises(RemoteError, match="no answer in time"):
        fetch(client, httpserver.url_for("/feed"))
    assert time.monotonic() - started < 6


def test_a_slow_first_answer_then_recovery(make_endpoint, httpserver: HTTPServer) -> None:  # type: ignore[no-untyped-def]
    endpoint = make_endpoint(timeout_seconds=1)

    def slow(request: Request) -> Response:
        time.sleep(1.3)
        return Response("late")

    httpserver.expect_oneshot_request("/feed").respond_with_handler(slow)
    httpserver.expect_request("/feed").respond_with_data("on time")
    with client_for(endpoint) as client:
        assert fetch(client, httpserver.url_for("/feed")).content == b"on time"


def _reset(conn: socket.socket) -> None:
    # SO_LINGER 0: closing sends a TCP RST, the peer sees "connection reset".
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def test_connection_reset_is_retried_then_raises(make_endpoint, raw_server) -> None:  # type: ignore[no-untyped-def]
    server = raw_server(_reset)
    with client_for(make_endpoint()) as client, pytest.raises(RemoteError):
        fetch(client, server.url("/feed"))
    assert server.connections == 3


def test_connection_reset_then_recovery(make_endpoint, raw_server) -> None:  # type: ignore[no-untyped-def]
    def reset_once(conn: socket.socket) -> None:
        if server.connections == 1:
            _reset(conn)
        else:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")

    server = raw_server(reset_once)
    with client_for(make_endpoint()) as client:
        assert fetch(client, server.url("/feed")).content == b"ok"


def test_truncated_body_raises_remote_error(make_endpoint, raw_server) -> None:  # type: ignore[no-untyped-def]
    def truncated(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n<feed><entry>")

    server = raw_server(truncated)
    with client_for(make_endpoint()) as client, pytest.raises(RemoteError, match="broke off"):
        fetch(client, server.url("/feed"))


def test_refused_connection_raises_remote_error(make_endpoint) -> None:  # type: ignore[no-untyped-def]
    with socket.create_server(("127.0.0.1", 0)) as sock:
        port = sock.getsockname()[1]
    with client_for(make_endpoint()) as client, pytest.raises(RemoteError, match="cannot connect"):
        fetch(client, f"http://127.0.0.1:{port}/feed")


def test_a_body_past_the_limit_is_refused_while_streaming(make_endpoint, httpserver: HTTPServer) -> None:  # type: ignore[no-untyped-def]
    def chunked(request: Request) -> Response:
        # No Content-Length: the limit must hold while reading, not only on the header.
        return Response((b"x" * 1000 for _ in range(100)), direct_passthrough=True)

    httpserver.expect_request("/feed").respond_with_handler(chunked)
    with client_for(make_endpoint()) as client, pytest.raises(TooLarge, match="too large"):
        fetch(client, httpserver.url_for("/feed"), max_bytes=10_000)
    assert len(httpserver.log) == 1  # the same body again would not help


def test_a_declared_length_past_the_limit_is_refused(make_endpoint, httpserver: HTTPServer, settings) -> None:  # type: ignore[no-untyped-def]
    settings.PORTAL_SYNC_MAX_BYTES = 100
    httpserver.expect_request("/feed").respond_with_data(b"y" * 101)
    with client_for(make_endpoint()) as client, pytest.raises(RemoteError, match="too large"):
        fetch(client, httpserver.url_for("/feed"))
    httpserver.clear()
    httpserver.expect_request("/feed").respond_with_data(b"y" * 100)
    with client_for(make_endpoint()) as client:
        assert len(fetch(client, httpserver.url_for("/feed")).content) == 100


def test_response_text_uses_the_declared_charset(make_endpoint, httpserver: HTTPServer) -> None:  # type: ignore[no-untyped-def]
    httpserver.expect_request("/feed").respond_with_data(
        "città".encode("latin-1"), content_type="text/plain; charset=iso-8859-1"
    )
    with client_for(make_endpoint()) as client:
        assert fetch(client, httpserver.url_for("/feed")).text == "città"


def test_extra_headers_and_a_304_answer(make_endpoint, httpserver: HTTPServer) -> None:  # type: ignore[no-untyped-def]
    httpserver.expect_request("/feed", headers={"If-None-Match": '"v1"'}).respond_with_data("", status=304)
    with client_for(make_endpoint()) as client:
        response = fetch(client, httpserver.url_for("/feed"), headers={"If-None-Match": '"v1"'})
    assert (response.status_code, response.content) == (304, b"")
    assert len(httpserver.log) == 1
