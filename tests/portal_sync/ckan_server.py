"""A CKAN open-data portal played by a real HTTP server on loopback, for the CKAN push tests: the
Action API (`/api/3/action/<action>`) with its JSON envelopes, packages and resources kept by name
and id, an API token checked on every write, and the DCAT-AP_IT fields that ckanext-dcatapit
requires checked on every package written. Failures are scripted as for the other remote systems
(tests/portal_sync/remote_servers.py: `fail_next(kind, times, applied=..., methods=...)`).

Bind the fixture in the test module: `ckan = ckan_server.ckan`.
"""

from __future__ import annotations

import datetime
import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug import Request, Response

from tests.portal_sync.remote_servers import KINDS, Failure, ScriptedServer, Seen

TOKEN = "ckan-token-0123456789"
ORGANISATION = "regione-basilicata"
# ckanext-dcatapit's required package fields (schema.py: validator not_empty).
DCATAPIT_REQUIRED = (
    "identifier",
    "theme",
    "publisher_name",
    "publisher_identifier",
    "modified",
    "frequency",
    "holder_name",
    "holder_identifier",
)
EU_THEMES = {"AGRI", "ECON", "EDUC", "ENER", "ENVI", "GOVE", "HEAL", "INTR", "JUST", "REGI", "SOCI", "TECH", "TRAN"}
FREQUENCIES = {"DAILY", "WEEKLY", "MONTHLY", "QUARTERLY", "ANNUAL", "IRREG", "UNKNOWN"}
WRITES = ("package_create", "package_patch", "package_delete", "resource_create", "resource_patch", "resource_delete")


def _envelope(result: Any = None, *, error: dict[str, Any] | None = None, status: int = 200) -> Response:
    body: dict[str, Any] = {"help": "http://ckan.test/api/3/action/help_show", "success": error is None}
    if error is None:
        body["result"] = result
    else:
        body["error"] = error
    return Response(json.dumps(body), status=status, content_type="application/json")


def _validation(**fields: list[str]) -> Response:
    return _envelope(error={"__type": "Validation Error", **fields}, status=409)


def _not_found() -> Response:
    return _envelope(error={"__type": "Not Found Error", "message": "Not found"}, status=404)


class CKAN(ScriptedServer):
    """The portal's state: `packages` by id (each with its `resources` list), `files` (resource id →
    the uploaded bytes)."""

    def __init__(self, token: str = TOKEN) -> None:
        super().__init__()
        self.token = token
        self.organisations = {ORGANISATION}
        self.packages: dict[str, dict[str, Any]] = {}
        self.files: dict[str, bytes] = {}
        self._ids = itertools.count(1)
        self.action_failures: list[tuple[str, Failure]] = []

    def fail_action(self, action: str, kind: str, *, applied: bool = False, **options: Any) -> None:
        """The next call of `action` (e.g. "resource_create") fails this way; `applied=True` carries
        it out first (a slow answer past the client's timeout after the portal saved it)."""
        assert kind in KINDS, kind
        with self.lock:
            self.action_failures.append((action, Failure(kind, applied=applied, **options)))

    def _dispatch(self, request: Request) -> Response:
        action = request.path.rsplit("/", 1)[-1]
        with self.lock:
            scripted = next((item for item in self.action_failures if item[0] == action), None)
            if scripted is not None:
                self.action_failures.remove(scripted)
                self.requests.append(Seen(request.method, request.path, dict(request.headers), None, scripted[1].kind))
        if scripted is None:
            return super()._dispatch(request)
        return self._fail(request, scripted[1])

    @property
    def base_url(self) -> str:
        return self.url("/")

    # --- what the tests read -------------------------------------------------------------------

    def package(self, name: str) -> dict[str, Any] | None:
        with self.lock:
            return next((p for p in self.packages.values() if p["name"] == name), None)

    def resources(self, name: str) -> list[dict[str, Any]]:
        package = self.package(name)
        return [r for r in (package or {}).get("resources", []) if r["state"] == "active"]

    def csv(self, resource_id: str) -> str:
        return self.files[resource_id].decode("utf-8")

    def actions(self) -> list[str]:
        return [seen.path.rsplit("/", 1)[-1] for seen in self.requests]

    # --- the Action API ------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        action = request.path.removeprefix("/api/3/action/")
        if action == request.path:
            return Response("Not found", status=404)
        if action in WRITES and request.headers.get("Authorization") != self.token:
            return _envelope(
                error={"__type": "Authorization Error", "message": "Access denied: not authorized"}, status=403
            )
        if request.method == "POST" and request.mimetype == "application/json":
            data = json.loads(request.get_data(as_text=True) or "{}")
        else:
            data = {**request.args.to_dict(), **request.form.to_dict()}
        handler = getattr(self, "_" + action, None)
        if handler is None:
            return _envelope(error={"__type": "Not Found Error", "message": f"Action {action} not found"}, status=400)
        with self.lock:
            return handler(request, data)  # type: ignore[no-any-return]

    def _find(self, key: str) -> dict[str, Any] | None:
        return self.packages.get(key) or next((p for p in self.packages.values() if p["name"] == key), None)

    def _package_show(self, request: Request, data: dict[str, Any]) -> Response:
        package = self._find(str(data.get("id", "")))
        return _envelope(package) if package is not None else _not_found()

    def _check(self, package: dict[str, Any]) -> dict[str, list[str]]:
        errors: dict[str, list[str]] = {}
        for field in ("name", "title", "owner_org", "license_id", *DCATAPIT_REQUIRED):
            if not package.get(field):
                errors[field] = ["Missing value"]
        if package.get("owner_org") and package["owner_org"] not in self.organisations:
            errors["owner_org"] = ["Organization does not exist"]
        try:
            themes = json.loads(package.get("theme") or "[]")
            if not themes or any(t.get("theme") not in EU_THEMES for t in themes):
                errors["theme"] = ["Not a theme of the vocabulary"]
        except (ValueError, AttributeError):
            errors["theme"] = ["Not a list of themes"]
        if package.get("frequency") and package["frequency"] not in FREQUENCIES:
            errors["frequency"] = ["Not a frequency of the vocabulary"]
        try:
            datetime.date.fromisoformat(str(package.get("modified")))
            for period in json.loads(package.get("temporal_coverage") or "[]"):
                datetime.date.fromisoformat(period["temporal_start"])
                datetime.date.fromisoformat(period["temporal_end"])
        except (ValueError, KeyError, TypeError):
            errors["modified"] = ["Not a date"]
        same_identifier = [
            p
            for p in self.packages.values()
            if p["identifier"] == package.get("identifier") and p["id"] != package["id"]
        ]
        if same_identifier:
            errors["identifier"] = ["This identifier is already used"]
        return errors

    def _package_create(self, request: Request, data: dict[str, Any]) -> Response:
        if self._find(str(data.get("name", ""))) is not None:
            return _validation(name=["That URL is already in use."])
        package = {**data, "id": f"pkg-{next(self._ids):04d}", "state": "active", "resources": []}
        errors = self._check(package)
        if errors:
            return _validation(**errors)
        self.packages[package["id"]] = package
        return _envelope(package)

    def _package_patch(self, request: Request, data: dict[str, Any]) -> Response:
        package = self._find(str(data.get("id", "")))
        if package is None:
            return _not_found()
        patched = {**package, **{k: v for k, v in data.items() if k not in ("id", "resources")}}
        errors = self._check(patched)
        if errors:
            return _validation(**errors)
        package.update(patched)
        return _envelope(package)

    def _package_delete(self, request: Request, data: dict[str, Any]) -> Response:
        package = self._find(str(data.get("id", "")))
        if package is None:
            return _not_found()
        package["state"] = "deleted"
        return _envelope(None)

    def _resource(self, resource_id: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        for package in self.packages.values():
            for resource in package["resources"]:
                if resource["id"] == resource_id:
                    return package, resource
        return None

    def _upload(self, request: Request, resource: dict[str, Any]) -> dict[str, list[str]]:
        upload = request.files.get("upload")
        if upload is None:
            return {"upload": ["Missing file"]}
        self.files[resource["id"]] = upload.read()
        resource["url"] = self.url(
            f"/dataset/{resource['package_id']}/resource/{resource['id']}/download/{upload.filename}"
        )
        resource["url_type"] = "upload"
        return {}

    def _resource_create(self, request: Request, data: dict[str, Any]) -> Response:
        package = self._find(str(data.get("package_id", "")))
        if package is None:
            return _validation(package_id=["Not found: Dataset"])
        resource = {**data, "id": f"res-{next(self._ids):04d}", "package_id": package["id"], "state": "active"}
        errors = self._upload(request, resource)
        if errors:
            return _validation(**errors)
        package["resources"].append(resource)
        return _envelope(resource)

    def _resource_patch(self, request: Request, data: dict[str, Any]) -> Response:
        found = self._resource(str(data.get("id", "")))
        if found is None:
            return _not_found()
        _package, resource = found
        resource.update({k: v for k, v in data.items() if k not in ("id", "package_id")})
        if "upload" in request.files:
            self._upload(request, resource)
        return _envelope(resource)

    def _resource_delete(self, request: Request, data: dict[str, Any]) -> Response:
        found = self._resource(str(data.get("id", "")))
        if found is None or found[1]["state"] == "deleted":
            return _not_found()
        found[1]["state"] = "deleted"
        package = found[0]
        package["resources"] = [r for r in package["resources"] if r["id"] != found[1]["id"]]
        return _envelope(None)


@pytest.fixture
def ckan() -> Iterator[CKAN]:
    server = CKAN()
    server.start()
    try:
        yield server
    finally:
        server.stop()
