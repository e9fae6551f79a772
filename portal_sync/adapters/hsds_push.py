"""Push the services of our published directory to a regional information system as Open Referral
HSDS 3.0 documents (Endpoint adapter "hsds", direction "push").

No documented API exists on the other side, so this module defines the protocol (written up for the
regional system's developers in docs/interoperability.md, "Pushing services (HSDS)"). `{url}` is
the endpoint's address; `/services` is added unless it already ends so.

- Create: `POST {url}/services`, the HSDS service as JSON, with `Idempotency-Key: <uuid>`. The
  remote answers 200/201 with the record as JSON whose `id` is its id for the record (or with a
  `Location` header ending in it). A POST that repeats a key the remote has already seen must not
  make a second record: the remote answers with the record made under that key (updated with this
  body). The key belongs to the record, not to the outbox message (see `creation_key`): every
  message that creates one of our records carries the same key until the remote's record of it is
  known to be gone, so neither a resend after a lost answer nor a later message after a dead or
  discarded one can make a second copy.
- Update: `PUT {url}/services/{remote id}` once the remote's id is known. A 404/410 there means
  someone removed the record at the remote: it is created again with a POST as above.
- Delete: `DELETE {url}/services/{remote id}`; 404/410 mean it is already gone, which is success.
- Credentials: `Authorization: Bearer <token>`, or HTTP basic for "user:password"
  (portal_sync.http.client_for).
- Answers: 400/409/413/422 mean the remote refuses the record itself (PermanentError, with the
  remote's reason, truncated); 429, 5xx, timeouts, dropped or cut-short connections are RemoteError
  (retried with backoff, honouring Retry-After). A remote still working on an earlier request with
  the same key answers 429 or 503 with Retry-After, not 409. Other 4xx (401, 403, 405...) say the
  endpoint's address or credentials are wrong: RemoteError, so the messages go through once an
  administrator fixes the endpoint.

What is sent: a service of the published directory (aipim.core.hsds.directory_queryset), written
by aipim.core.hsds.service_to_hsds in the endpoint's language (option `language`, default
settings.LANGUAGE_CODE, so the document and its hash do not depend on who triggered the send) and
checked against the official HSDS 3.0 schema before it leaves. A service that left the published
directory renders as None, so the drain deletes it at the remote. A service that came from a pull
(referenced by a ContentItem) is never pushed: it belongs to the system we pulled it from, and
pushing it back would echo it to the portal.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlsplit

import httpx
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from aipim.core.hsds import HSDSImportError, directory_queryset, service_to_hsds, validate
from portal_sync.adapters import register
from portal_sync.adapters.base import PermanentError, RemoteError
from portal_sync.adapters.hsds import services_url
from portal_sync.http import DEFAULT_MAX_BYTES, BadAddress, TooLarge, retry_after_seconds
from portal_sync.models import Adapter, ContentItem, Direction, RemoteRecord

if TYPE_CHECKING:
    from portal_sync.models import Endpoint, OutboxMessage

SERVICE = "service"
KEY_NAMESPACE = uuid.UUID("5d0c8a4e-2f1b-5b7e-9a63-6c1f0e8b2d47")
# service_from_hsds is given this prefix for the services that editors publish from a pull.
PULLED_PREFIX = "portal_sync:"
MAX_REASON = 300
MAX_REMOTE_ID = 300  # RemoteRecord.remote_id
REFUSED = frozenset({400, 409, 413, 422})
GONE = frozenset({404, 410})


@dataclass
class Answer:
    status: int
    headers: httpx.Headers
    content: bytes


class HSDSPushAdapter:
    object_types = (SERVICE,)

    def render(self, endpoint: Endpoint, message: OutboxMessage) -> dict[str, Any] | None:
        if message.object_type != SERVICE:
            raise PermanentError(
                _("The HSDS push sends services only, not “%(type)s”.") % {"type": message.object_type}
            )
        try:
            service_id = uuid.UUID(str(message.object_id))
        except ValueError:
            return None
        if ContentItem.objects.filter(service_id=service_id).exists():
            return None  # pulled: the portal's own record, which pushing would echo back to it
        service = directory_queryset().filter(pk=service_id).first()
        if service is None or service.external_id.startswith(PULLED_PREFIX):
            return None
        with translation.override(language(endpoint)):
            return service_to_hsds(service)

    def send(
        self,
        endpoint: Endpoint,
        message: OutboxMessage,
        document: dict[str, Any],
        client: httpx.Client,
        *,
        remote: RemoteRecord | None,
    ) -> str:
        try:
            validate(document)
        except HSDSImportError as error:
            raise PermanentError(
                _("Not a valid HSDS 3.0 service: %(errors)s") % {"errors": str(error)[:MAX_REASON]}
            ) from error
        base = services_url(endpoint.url)
        if remote is not None and remote.remote_id and remote.deleted_at is None:
            answer = request(client, "PUT", record_url(base, remote.remote_id), document=document)
            if answer.status not in GONE:
                return remote_id(answer, base, known=remote.remote_id)
            gone = remote.remote_id  # removed at the remote by someone else: create it again, once
        else:
            gone = (
                RemoteRecord.objects.filter(
                    endpoint=endpoint, object_type=message.object_type, object_id=message.object_id
                )
                .values_list("remote_id", flat=True)
                .first()
                or ""
            )
        answer = request(
            client, "POST", base, document=document, headers={"Idempotency-Key": creation_key(endpoint, message, gone)}
        )
        if answer.status in GONE:
            raise RemoteError(
                _("%(url)s answered %(status)d to a new record.") % {"url": base, "status": answer.status}
            )
        return remote_id(answer, base, known=None)

    def delete(self, endpoint: Endpoint, message: OutboxMessage, client: httpx.Client, *, remote: RemoteRecord) -> None:
        if not remote.remote_id:
            return  # the remote never told us an id: there is nothing we could name
        # A 404 or 410 is a record already gone: what a delete wants.
        request(client, "DELETE", record_url(services_url(endpoint.url), remote.remote_id))


def creation_key(endpoint: Endpoint, message: OutboxMessage, gone: str) -> str:
    """The Idempotency-Key that creates our record `message.object_id` at `endpoint`: one per record
    and generation, `gone` being the remote's id of its last record there that is now deleted ("" for
    the first). Not `message.idempotency_key`: a message whose POST reached the remote but whose answer
    was lost may go dead or be discarded, and the next message about the record, with a key of its
    own, would then make a second copy."""
    name = f"{endpoint.pk}:{message.object_type}:{message.object_id}:{gone}"
    return str(uuid.uuid5(KEY_NAMESPACE, name))


def language(endpoint: Endpoint) -> str:
    return str((endpoint.options or {}).get("language") or settings.LANGUAGE_CODE)


def record_url(base: str, record_id: str) -> str:
    return f"{base}/{quote(record_id, safe='')}"


def request(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    document: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    """One request, its answer read whole (never more than settings.PORTAL_SYNC_MAX_BYTES). Returns
    2xx, 404 and 410 answers; raises PermanentError for a refused record and RemoteError for the rest.
    No retry here: the outbox retries the message with backoff, and the idempotency key or the
    remote id make a retry safe."""
    max_bytes = int(getattr(settings, "PORTAL_SYNC_MAX_BYTES", DEFAULT_MAX_BYTES))
    try:
        with client.stream(method, url, json=document, headers=headers) as response:
            status = response.status_code
            if status == 429 or status >= 500:
                raise RemoteError(
                    _("%(method)s %(url)s answered %(status)d.") % {"method": method, "url": url, "status": status},
                    status=status,
                    retry_after=retry_after_seconds(response.headers.get("retry-after")),
                )
            content = _read(response, url, max_bytes)
    except httpx.TimeoutException as error:
        raise RemoteError(_("%(method)s %(url)s: no answer in time.") % {"method": method, "url": url}) from error
    except httpx.ConnectError as error:
        raise RemoteError(
            _("%(method)s %(url)s: cannot connect (%(error)s).") % {"method": method, "url": url, "error": error}
        ) from error
    except (httpx.RemoteProtocolError, httpx.NetworkError) as error:
        # Reset or closed before the whole answer came: the remote may have saved the record, so
        # the retry must carry the same key.
        raise RemoteError(
            _("%(method)s %(url)s: the connection broke off (%(error)s).")
            % {"method": method, "url": url, "error": error}
        ) from error
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as error:
        raise BadAddress(_("%(url)s: not a valid address (%(error)s).") % {"url": url, "error": error}) from error
    except httpx.TransportError as error:
        raise RemoteError(
            _("%(method)s %(url)s: cannot connect (%(error)s).") % {"method": method, "url": url, "error": error}
        ) from error
    if status in REFUSED:
        raise PermanentError(
            _("%(method)s %(url)s answered %(status)d: %(reason)s")
            % {"method": method, "url": url, "status": status, "reason": reason(content)}
        )
    if 200 <= status < 300 or status in GONE:
        return Answer(status, response.headers, content)
    raise RemoteError(
        _("%(method)s %(url)s answered %(status)d: %(reason)s")
        % {"method": method, "url": url, "status": status, "reason": reason(content)},
        status=status,
    )


def _read(response: httpx.Response, url: str, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise TooLarge(
                _("%(url)s: the answer is too large (more than %(max)d bytes).") % {"url": url, "max": max_bytes}
            )
        chunks.append(chunk)
    return b"".join(chunks)


def reason(content: bytes) -> str:
    """The remote's words for a refusal: a JSON error's title, detail, message and errors when it
    sends them, else its text; on one line and truncated."""
    text = content.decode("utf-8", errors="replace")
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        parts = [
            value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            for value in (data.get(key) for key in ("title", "detail", "message", "error", "errors"))
            if value
        ]
        if parts:
            text = " ".join(parts)
    text = " ".join(text.split())
    if not text:
        return _("no reason given")
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 1] + "…"


def remote_id(answer: Answer, base: str, *, known: str | None) -> str:
    """The remote's id of the record: the answer's JSON `id`, else the last segment of its Location
    header, else the one we already knew."""
    found = ""
    try:
        data = json.loads(answer.content) if answer.content.strip() else None
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("id"), str | int) and not isinstance(data.get("id"), bool):
        found = str(data["id"]).strip()
    if not found and answer.headers.get("location"):
        found = unquote(urlsplit(answer.headers["location"]).path.rstrip("/").rsplit("/", 1)[-1])
    found = found or known or ""
    if not found:
        # The remote saved the record but did not say under which id: ask again with the same key.
        raise RemoteError(
            _("%(url)s answered %(status)d without the record's id.") % {"url": base, "status": answer.status},
            status=answer.status,
        )
    if len(found) > MAX_REMOTE_ID:
        raise RemoteError(
            _("%(url)s answered with an id longer than %(max)d characters.") % {"url": base, "max": MAX_REMOTE_ID}
        )
    return found


register(Adapter.HSDS, Direction.PUSH, HSDSPushAdapter())
