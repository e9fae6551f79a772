"""The one way portal_sync talks HTTP: a client configured from an Endpoint, and `fetch`, which
retries what can heal (5xx, 429, timeouts, dropped connections) with short exponential backoff and
jitter, refuses bodies past a size limit while streaming, and turns every other failure into
`RemoteError` so a run fails with a clear message instead of a traceback."""

from __future__ import annotations

import email.utils
import json
import logging
import random
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
from django.conf import settings
from django.utils import timezone

from portal_sync.adapters.base import RemoteError

if TYPE_CHECKING:
    from portal_sync.models import Endpoint

logger = logging.getLogger(__name__)

USER_AGENT = "AIPIM-portal-sync/1"
DEFAULT_MAX_BYTES = 10 * 1024 * 1024


def client_for(endpoint: Endpoint) -> httpx.Client:
    """An httpx client for `endpoint`: its timeout, redirects followed, our User-Agent and its
    credentials ("user:password" → basic, anything else → bearer token)."""
    headers = {"User-Agent": USER_AGENT}
    auth: httpx.BasicAuth | None = None
    credentials = (endpoint.credentials or "").strip()
    if credentials:
        if ":" in credentials:
            user, password = credentials.split(":", 1)
            auth = httpx.BasicAuth(user, password)
        else:
            headers["Authorization"] = f"Bearer {credentials}"
    return httpx.Client(
        timeout=httpx.Timeout(float(endpoint.timeout_seconds)),
        follow_redirects=True,
        headers=headers,
        auth=auth,
    )


@dataclass
class FetchedResponse:
    """What `fetch` read: the status, the headers and the whole body (never more than max_bytes)."""

    status_code: int
    headers: httpx.Headers
    content: bytes
    url: str

    @property
    def text(self) -> str:
        return self.content.decode(self.encoding or "utf-8", errors="replace")

    @property
    def encoding(self) -> str | None:
        content_type = self.headers.get("content-type", "")
        for part in content_type.split(";")[1:]:
            key, _, value = part.strip().partition("=")
            if key.lower() == "charset" and value:
                return value.strip('"')
        return None

    def json(self) -> Any:
        return json.loads(self.content)


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After is either seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - timezone.now()).total_seconds())


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def fetch(
    client: httpx.Client,
    url: str,
    *,
    params: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    max_bytes: int | None = None,
    attempts: int | None = None,
    backoff: float | None = None,
) -> FetchedResponse:
    """GET `url` (with extra `headers`, e.g. If-None-Match) and read the whole body; a 304 is
    returned like a 200. Retries 5xx, 429, timeouts and connection failures up to
    `attempts` times (settings.PORTAL_SYNC_HTTP_ATTEMPTS, 4) waiting backoff·2ⁿ plus jitter
    (settings.PORTAL_SYNC_HTTP_BACKOFF, 0.25 s), or the remote's Retry-After capped at
    settings.PORTAL_SYNC_RETRY_AFTER_CAP (5 s). Raises RemoteError when it gives up, at once on a
    4xx other than 429, and when the body passes `max_bytes` (settings.PORTAL_SYNC_MAX_BYTES, 10 MB)."""
    max_bytes = max_bytes or _setting("PORTAL_SYNC_MAX_BYTES", DEFAULT_MAX_BYTES)
    attempts = attempts or _setting("PORTAL_SYNC_HTTP_ATTEMPTS", 4)
    backoff = _setting("PORTAL_SYNC_HTTP_BACKOFF", 0.25) if backoff is None else backoff
    retry_after_cap = float(_setting("PORTAL_SYNC_RETRY_AFTER_CAP", 5.0))
    last_error: RemoteError | None = None
    for attempt in range(attempts):
        if attempt:
            delay = backoff * (2 ** (attempt - 1)) * (1 + random.random())  # noqa: S311 - jitter, not crypto
            if last_error is not None and last_error.retry_after is not None:
                delay = min(last_error.retry_after, retry_after_cap)
            time.sleep(delay)
        try:
            return _fetch_once(client, url, params=params, headers=headers, max_bytes=max_bytes)
        except RemoteError as error:
            if not _retryable(error):
                raise
            last_error = error
            logger.info("portal_sync fetch %s failed (attempt %d/%d): %s", url, attempt + 1, attempts, error)
    assert last_error is not None
    raise last_error


class TooLarge(RemoteError):
    """The body passed the size limit: asking again would bring the same body."""


class BadAddress(RemoteError):
    """The URL cannot be requested at all."""


def _retryable(error: RemoteError) -> bool:
    if isinstance(error, TooLarge | BadAddress):
        return False
    return error.status is None or error.status == 429 or error.status >= 500


def _fetch_once(
    client: httpx.Client, url: str, *, params: dict[str, Any] | None, headers: dict[str, str] | None, max_bytes: int
) -> FetchedResponse:
    try:
        with client.stream("GET", url, params=params, headers=headers) as response:
            status = response.status_code
            if status == 429 or status >= 500:
                raise RemoteError(
                    f"{url} answered {status}",
                    status=status,
                    retry_after=retry_after_seconds(response.headers.get("retry-after")),
                )
            if status >= 400:
                raise RemoteError(f"{url} answered {status}", status=status)
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise _too_large(url, max_bytes)
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise _too_large(url, max_bytes)
                chunks.append(chunk)
            return FetchedResponse(
                status_code=status, headers=response.headers, content=b"".join(chunks), url=str(response.url)
            )
    except httpx.TimeoutException as error:
        raise RemoteError(f"{url}: no answer in time ({type(error).__name__})") from error
    except httpx.RemoteProtocolError as error:
        # A connection closed early or a body shorter than its Content-Length (truncated).
        raise RemoteError(f"{url}: the connection broke off ({error})") from error
    except httpx.TransportError as error:
        raise RemoteError(f"{url}: cannot connect ({error})") from error
    except httpx.InvalidURL as error:
        raise BadAddress(f"{url}: not a valid address ({error})") from error


def _too_large(url: str, max_bytes: int) -> TooLarge:
    return TooLarge(f"{url}: too large (more than {max_bytes} bytes)")
