"""A push remote for the outbox tests: `FakePortal`, a record store behind a real loopback HTTP
server (pytest-httpserver) whose next answers a test scripts ("500", "429", "slow", "400"), and
`LoopbackPush`, a push adapter that sends our directory services to it as a real adapter would:
POST with an Idempotency-Key for a new record, PUT to the remote id after, DELETE when it is gone.
It maps answers to RemoteError / PermanentError like any adapter must."""

from __future__ import annotations

import itertools
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from aipim.core.models import Service
from portal_sync.adapters.base import PermanentError, RemoteError
from portal_sync.models import Endpoint, OutboxMessage, RemoteRecord

ADAPTER = "pushfake"
# The adapter's own request timeout: short, so a "slow" answer is a timeout in a fraction of a second.
TIMEOUT = 0.2
SLOW = 0.5


@dataclass
class Seen:
    method: str
    path: str
    idempotency_key: str | None
    body: dict[str, Any] | None


@dataclass
class FakePortal:
    """What the remote holds (`records` by its ids) and every request it got (`requests`). `script`
    holds how to answer the next requests, one word each; then it answers normally."""

    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)  # Idempotency-Key → record id
    requests: list[Seen] = field(default_factory=list)
    script: list[str] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def install(self, httpserver: HTTPServer) -> None:
        httpserver.expect_request(re.compile(r"^/records(/.*)?$")).respond_with_handler(self.handle)

    def handle(self, request: Request) -> Response:
        body = json.loads(request.data) if request.data else None
        key = request.headers.get("Idempotency-Key")
        self.requests.append(Seen(request.method, request.path, key, body))
        behaviour = self.script.pop(0) if self.script else "ok"
        if behaviour == "500":
            return Response("down for maintenance", status=500)
        if behaviour == "429":
            return Response("slow down", status=429, headers={"Retry-After": "120"})
        if behaviour == "400":
            return Response(json.dumps({"error": "name is required"}), status=400, content_type="application/json")
        response = self._store(request.method, request.path, key, body)
        if behaviour == "slow":
            time.sleep(SLOW)  # saved, but the answer comes after the client has given up
        return response

    def _store(self, method: str, path: str, key: str | None, body: dict[str, Any] | None) -> Response:
        if method == "POST":
            if key in self.keys:  # the same request again: the same record
                record_id = self.keys[key]
            else:
                record_id = f"r{next(self._ids)}"
                if key:
                    self.keys[key] = record_id
            self.records[record_id] = body or {}
            return Response(json.dumps({"id": record_id}), status=201, content_type="application/json")
        record_id = path.rsplit("/", 1)[-1]
        if record_id not in self.records:
            return Response("no such record", status=404)
        if method == "PUT":
            self.records[record_id] = body or {}
            return Response(json.dumps({"id": record_id}), content_type="application/json")
        if method == "DELETE":
            del self.records[record_id]
            return Response(status=204)
        return Response(status=405)


class LoopbackPush:
    """The push adapter of the tests: a service as {"name", "description", "status", "organisation"}."""

    object_types = ("service",)

    def __init__(self) -> None:
        self.broken_ids: set[str] = set()  # render raises for these (a bug in one message)

    def render(self, endpoint: Endpoint, message: OutboxMessage) -> dict[str, Any] | None:
        if message.object_id in self.broken_ids:
            raise KeyError("organisation")
        service = Service.objects.filter(pk=message.object_id).select_related("organisation").first()
        if service is None:
            return None
        return {
            "name": service.name,
            "description": service.description,
            "status": service.status,
            "organisation": service.organisation.name,
        }

    def send(
        self,
        endpoint: Endpoint,
        message: OutboxMessage,
        document: dict[str, Any],
        client: httpx.Client,
        *,
        remote: RemoteRecord | None,
    ) -> str:
        base = endpoint.url.rstrip("/")
        if remote is not None:
            response = _call(client, "PUT", f"{base}/records/{remote.remote_id}", json=document)
        else:
            headers = {"Idempotency-Key": str(message.idempotency_key)}
            response = _call(client, "POST", f"{base}/records", json=document, headers=headers)
        return str(response.json()["id"])

    def delete(self, endpoint: Endpoint, message: OutboxMessage, client: httpx.Client, *, remote: RemoteRecord) -> None:
        _call(client, "DELETE", f"{endpoint.url.rstrip('/')}/records/{remote.remote_id}", allow_404=True)


def _call(client: httpx.Client, method: str, url: str, *, allow_404: bool = False, **kwargs: Any) -> httpx.Response:
    try:
        response = client.request(method, url, timeout=TIMEOUT, **kwargs)
    except httpx.TimeoutException as error:
        raise RemoteError(f"{url}: no answer in time") from error
    except httpx.TransportError as error:
        raise RemoteError(f"{url}: the connection failed ({error})") from error
    status = response.status_code
    if status == 429 or status >= 500:
        retry_after = response.headers.get("retry-after")
        raise RemoteError(
            f"{url} answered {status}", status=status, retry_after=float(retry_after) if retry_after else None
        )
    if status == 404 and allow_404:
        return response
    if status >= 400:
        raise PermanentError(f"{url} refused the record ({status}): {response.text[:200]}")
    return response
