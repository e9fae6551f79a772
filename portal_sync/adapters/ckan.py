"""Push our open datasets (aipim.core.datasets) to the Region's CKAN open-data portal through the CKAN
Action API, with DCAT-AP_IT metadata in the field names of ckanext-dcatapit (Endpoint adapter
"ckan", direction "push"). See docs/open-data.md.

An outbox message is `("dataset", "<dataset slug>:<YYYY-MM>")`: one month of one dataset. At the
portal a dataset is one CKAN package, named `<name_prefix><slug>` (e.g. `aipim-pua-cases-opened`),
and each month is one CSV resource of it, named `<slug>-<YYYY-MM>.csv` (uploaded, multipart).

`send` runs a sequence that a retry can repeat without making a second package or resource (a
timeout after CKAN had saved the package or the file is followed by a resend of the same message):

1. `package_show?id=<name>`; if it is not there, `package_create`; if it is (even deleted),
   `package_patch` (state active, metadata refreshed, temporal coverage widened to take in the
   month, `modified` never moved back). A create that loses a race ("That URL is already in use")
   shows the package again and patches it.
2. The month's resource is the package's resource with our remote id, else the one with the
   month's name: `resource_patch` it with the new file; none: `resource_create`.
   The remote id kept by the drain is the resource's id.

`delete` (the month or the dataset no longer exists on our side) runs `resource_delete`, and
`package_delete` once the package has no resource left. A 404 there is a thing already gone.

The API token goes in the `Authorization` header, as CKAN wants it (no "Bearer").
Answers are CKAN's envelopes `{"success": true, "result": ...}` / `{"success": false, "error": {...}}`:
a validation error (409, or 400) is a PermanentError with CKAN's reasons; 429, 5xx, timeouts and
broken connections are RemoteError (retried with backoff); 401/403 (a wrong token, an account not
in the organisation) are RemoteError too, so the messages go through once an administrator fixes the
endpoint, as for the HSDS push.

Options (Endpoint.options):
- `owner_org` (required): the CKAN organisation (name or id) that holds the packages.
- `name_prefix` (default "aipim-"): put before the dataset slug to make the package name.
- `holder_name` / `holder_identifier` (default "Regione Basilicata" / "r_basili", its IPA code):
  the rights holder; `publisher_name` / `publisher_identifier` default to the holder.
- `license_id` (default "CC-BY-4.0"), `license_type` (the resource's DCAT-AP_IT licence, default
  the A21 CC BY 4.0 URI of the Italian licences vocabulary).
- `language` (default "it"): the language of titles and descriptions; `languages` (default
  "{ITA,ENG}"): the DCAT-AP_IT dataset languages.
- `geographical_name` (a code of the OP "places" vocabulary) and `geographical_geonames_url`: sent
  when set (the ISTAT codes of the municipalities are in the CSV itself).
- `private` (default false).
"""

from __future__ import annotations

import contextlib
import datetime
import json
from typing import TYPE_CHECKING, Any

import httpx
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from aipim.core.datasets import Dataset, UnknownDataset, get_dataset, last_day, parse_month, region, to_csv
from aipim.reports.figures import SMALL_NUMBER_THRESHOLD
from portal_sync.adapters import register
from portal_sync.adapters.base import PermanentError, RemoteError
from portal_sync.http import DEFAULT_MAX_BYTES, retry_after_seconds
from portal_sync.models import Adapter, Direction

if TYPE_CHECKING:
    from portal_sync.models import Endpoint, OutboxMessage, RemoteRecord

DATASET = "dataset"
HOLDER_NAME = "Regione Basilicata"
HOLDER_IDENTIFIER = "r_basili"
LICENSE_ID = "CC-BY-4.0"
LICENSE_TYPE = "https://w3id.org/italia/controlled-vocabulary/licences/A21_CCBY40"
MAX_REASON = 300
REFUSED = frozenset({400, 409, 413, 422})


class NotFound(Exception):
    """CKAN answered 404 (Not Found Error)."""


def object_id(slug: str, month: datetime.date) -> str:
    return f"{slug}:{month:%Y-%m}"


def read_object_id(value: str) -> tuple[Dataset, datetime.date] | None:
    """The dataset and month of an outbox object id, None when no such dataset (or not an id)."""
    slug, _sep, month_text = str(value).rpartition(":")
    try:
        return get_dataset(slug), parse_month(month_text)
    except (UnknownDataset, ValueError):
        return None


def package_name(endpoint: Endpoint, slug: str) -> str:
    prefix = str((endpoint.options or {}).get("name_prefix", "aipim-"))
    return f"{prefix}{slug}".lower()[:100]


def resource_name(slug: str, month: datetime.date) -> str:
    return f"{slug}-{month:%Y-%m}.csv"


class CKANAdapter:
    object_types = (DATASET,)

    def render(self, endpoint: Endpoint, message: OutboxMessage) -> dict[str, Any] | None:
        if message.object_type != DATASET:
            raise PermanentError(
                _("The CKAN push sends datasets only, not “%(type)s”.") % {"type": message.object_type}
            )
        found = read_object_id(message.object_id)
        if found is None:
            return None
        dataset, month = found
        options = endpoint.options or {}
        with translation.override(str(options.get("language") or "it")):
            return {
                "package": package_metadata(endpoint, dataset, month),
                "resource": resource_metadata(endpoint, dataset, month),
                "csv": to_csv(dataset, month),
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
        options = endpoint.options or {}
        if not options.get("owner_org"):
            raise PermanentError(_("The CKAN endpoint has no owner_org option: set the portal's organisation."))
        api = Api(endpoint, client)
        wanted = {**document["package"], "owner_org": str(options["owner_org"])}
        name = wanted["name"]
        package = api.show(name)
        if package is None:
            try:
                package = api.call("package_create", body=wanted)
            except PermanentError as error:
                if "already in use" not in str(error):
                    raise
                # Another send made it meanwhile (or our timed-out create did): update that one.
                package = api.show(name)
                if package is None:
                    raise RemoteError(
                        _("CKAN says the package %(name)s exists but does not show it.") % {"name": name}
                    ) from error
                package = api.call("package_patch", body={**merged(wanted, package), "id": package["id"]})
        else:
            package = api.call("package_patch", body={**merged(wanted, package), "id": package["id"]})

        fields = dict(document["resource"])
        resources = [r for r in package.get("resources") or [] if isinstance(r, dict)]
        existing = None
        if remote is not None and remote.remote_id:
            existing = next((r for r in resources if r.get("id") == remote.remote_id), None)
        if existing is None:
            existing = next((r for r in resources if r.get("name") == fields["name"]), None)
        upload = {"upload": (fields["name"], document["csv"].encode("utf-8"), "text/csv")}
        if existing is not None:
            resource = api.call("resource_patch", data={**fields, "id": existing["id"]}, files=upload)
        else:
            resource = api.call("resource_create", data={**fields, "package_id": package["id"]}, files=upload)
        resource_id = str(resource.get("id") or "")
        if not resource_id:
            raise RemoteError(_("CKAN did not give the resource's id."))
        return resource_id

    def delete(self, endpoint: Endpoint, message: OutboxMessage, client: httpx.Client, *, remote: RemoteRecord) -> None:
        api = Api(endpoint, client)
        if remote.remote_id:
            with contextlib.suppress(NotFound):  # already gone: what a delete wants
                api.call("resource_delete", body={"id": remote.remote_id})
        slug = str(message.object_id).rpartition(":")[0]
        if not slug:
            return
        package = api.show(package_name(endpoint, slug))
        if package is not None and package.get("state") != "deleted":
            left = [r for r in package.get("resources") or [] if isinstance(r, dict) and r.get("state") != "deleted"]
            if not left:
                with contextlib.suppress(NotFound):
                    api.call("package_delete", body={"id": package["id"]})


def package_metadata(endpoint: Endpoint, dataset: Dataset, month: datetime.date) -> dict[str, Any]:
    """The CKAN package of the dataset with its DCAT-AP_IT fields (ckanext-dcatapit names), as this
    month's file sees it: the temporal coverage is the month's, `modified` the day after it ended
    (widened by `merged` against what the portal already holds)."""
    options = endpoint.options or {}
    name = package_name(endpoint, dataset.slug)
    holder_name = str(options.get("holder_name") or HOLDER_NAME)
    holder_identifier = str(options.get("holder_identifier") or HOLDER_IDENTIFIER)
    region_code, region_name = region()
    notes = "\n\n".join(
        [
            str(dataset.description),
            _("Action %(action)d of the AIPIM programme. One CSV file per month.") % {"action": dataset.action},
            _("Columns: %(columns)s.")
            % {"columns": "; ".join(f"{column.name}: {column.description}" for column in dataset.columns)},
            _("Measures: %(measures)s.")
            % {"measures": "; ".join(f"{code} = {label}" for code, label in dataset.measures)},
            (
                _(
                    "Counts from 1 to %(below)d are published as “<%(threshold)d” so that no one can be singled out; no totals are published."
                )
                % {"below": SMALL_NUMBER_THRESHOLD - 1, "threshold": SMALL_NUMBER_THRESHOLD}
                if dataset.suppress_small
                else _("These are not counts of people: no count is suppressed.")
            ),
            _("Area: %(region)s (ISTAT %(code)s).") % {"region": region_name, "code": region_code},
        ]
    )
    package: dict[str, Any] = {
        "name": name,
        "title": str(dataset.title),
        "notes": notes,
        "private": bool(options.get("private", False)),
        "license_id": str(options.get("license_id") or LICENSE_ID),
        "tags": [{"name": keyword} for keyword in dataset.keywords],
        # DCAT-AP_IT (ckanext-dcatapit)
        "identifier": f"{holder_identifier}:{name}",
        "theme": json.dumps([{"theme": dataset.theme, "subthemes": []}]),
        "publisher_name": str(options.get("publisher_name") or holder_name),
        "publisher_identifier": str(options.get("publisher_identifier") or holder_identifier),
        "holder_name": holder_name,
        "holder_identifier": holder_identifier,
        "frequency": "MONTHLY",
        "modified": (last_day(month) + datetime.timedelta(days=1)).isoformat(),
        "temporal_coverage": json.dumps(
            [{"temporal_start": month.isoformat(), "temporal_end": last_day(month).isoformat()}]
        ),
        "language": str(options.get("languages") or "{ITA,ENG}"),
    }
    for key in ("geographical_name", "geographical_geonames_url"):
        if options.get(key):
            package[key] = str(options[key])
    return package


def resource_metadata(endpoint: Endpoint, dataset: Dataset, month: datetime.date) -> dict[str, str]:
    options = endpoint.options or {}
    return {
        "name": resource_name(dataset.slug, month),
        "description": _("%(title)s: %(month)s.") % {"title": dataset.title, "month": f"{month:%Y-%m}"},
        "format": "CSV",
        "mimetype": "text/csv",
        "distribution_format": "CSV",
        "license_type": str(options.get("license_type") or LICENSE_TYPE),
    }


def merged(wanted: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """The package fields to patch: ours, with the temporal coverage widened to take in what the portal
    already covers and `modified` never moved back (an older month sent again must not shrink them)."""
    result = {**wanted, "state": "active"}
    starts, ends = [], []
    for coverage in (wanted.get("temporal_coverage"), current.get("temporal_coverage")):
        for period in _periods(coverage):
            if _iso_date(str(period.get("temporal_start") or "")):
                starts.append(str(period["temporal_start"])[:10])
            if _iso_date(str(period.get("temporal_end") or "")):
                ends.append(str(period["temporal_end"])[:10])
    if starts and ends:
        result["temporal_coverage"] = json.dumps([{"temporal_start": min(starts), "temporal_end": max(ends)}])
    current_modified = str(current.get("modified") or "")
    if _iso_date(current_modified) and current_modified > str(wanted.get("modified") or ""):
        result["modified"] = current_modified
    return result


def _periods(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return []
    if isinstance(value, list):
        return [period for period in value if isinstance(period, dict)]
    return []


def _iso_date(text: str) -> bool:
    try:
        datetime.date.fromisoformat(text[:10])
    except ValueError:
        return False
    return True


class Api:
    """CKAN's Action API at `{endpoint.url}/api/3/action/<action>`, one request per call (no retry
    here: the outbox retries the message, and the sequence above is safe to repeat)."""

    def __init__(self, endpoint: Endpoint, client: httpx.Client) -> None:
        base = endpoint.url.rstrip("/")
        self.base = base if base.endswith("/api/3/action") else f"{base}/api/3/action"
        self.client = client
        token = (endpoint.credentials or "").strip()
        self.headers = {"Authorization": token} if token else {}
        self.max_bytes = int(getattr(settings, "PORTAL_SYNC_MAX_BYTES", DEFAULT_MAX_BYTES))

    def show(self, name: str) -> dict[str, Any] | None:
        try:
            return self.call("package_show", params={"id": name})
        except NotFound:
            return None

    def call(
        self,
        action: str,
        *,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        files: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        url = f"{self.base}/{action}"
        method = "GET" if params is not None else "POST"
        try:
            with self.client.stream(
                method, url, params=params, json=body, data=data, files=files, headers=self.headers
            ) as response:
                status = response.status_code
                if status == 429 or status >= 500:
                    raise RemoteError(
                        _("CKAN %(action)s answered %(status)d.") % {"action": action, "status": status},
                        status=status,
                        retry_after=retry_after_seconds(response.headers.get("retry-after")),
                    )
                content = self._read(response, action)
        except httpx.TimeoutException as error:
            raise RemoteError(_("CKAN %(action)s: no answer in time.") % {"action": action}) from error
        except httpx.TransportError as error:
            raise RemoteError(
                _("CKAN %(action)s: the connection failed (%(error)s).") % {"action": action, "error": error}
            ) from error
        envelope = _envelope(content)
        if 200 <= status < 300 and envelope.get("success") is True:
            result = envelope.get("result")
            return result if isinstance(result, dict) else {}  # the deletes answer null
        failure: dict[str, Any] = envelope["error"] if isinstance(envelope.get("error"), dict) else {}
        if status == 404 or failure.get("__type") == "Not Found Error":
            raise NotFound(action)
        reason = _reason(failure, content)
        words = _("CKAN %(action)s answered %(status)d: %(reason)s") % {
            "action": action,
            "status": status,
            "reason": reason,
        }
        if status in REFUSED or failure.get("__type") == "Validation Error":
            raise PermanentError(words)
        raise RemoteError(words, status=status)

    def _read(self, response: httpx.Response, action: str) -> bytes:
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise RemoteError(_("CKAN %(action)s: the answer is too large.") % {"action": action})
            chunks.append(chunk)
        return b"".join(chunks)


def _envelope(content: bytes) -> dict[str, Any]:
    try:
        data = json.loads(content.decode("utf-8"))
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _reason(error: dict[str, Any], content: bytes) -> str:
    """CKAN's words for a refusal: its message, or its validation errors field by field."""
    if error:
        parts = []
        for key, value in error.items():
            if key == "__type":
                continue
            text = " ".join(value) if isinstance(value, list) else str(value)
            parts.append(text if key == "message" else f"{key}: {text}")
        text = "; ".join(parts) or str(error.get("__type") or "")
    else:
        text = content.decode("utf-8", errors="replace")
    text = " ".join(text.split()) or _("no reason given")
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 1] + "…"


register(Adapter.CKAN, Direction.PUSH, CKANAdapter())
