"""The OpenAPI schema: generated without warnings, served, and its Swagger page runs under our CSP."""

from __future__ import annotations

import io
import re

import pytest
import yaml
from django.core.management import call_command


def test_schema_generates_without_warnings(tmp_path):
    # --fail-on-warn turns every warning (an undocumented field, a guessed type) into an error.
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"), stderr=io.StringIO()
    )
    schema = yaml.safe_load((tmp_path / "schema.yaml").read_text())
    for path in (
        "/api/v1/people/",
        "/api/v1/people/{public_id}/",
        "/api/v1/people/{person_public_id}/consents/",
        "/api/v1/organisations/",
        "/api/v1/municipalities/",
        "/api/v1/services/",
        "/api/v1/services/{id}/",
    ):
        operation = schema["paths"][path]["get"]
        assert "200" in operation["responses"], path
        assert operation["responses"]["200"]["content"]["application/json"]["schema"], path
    assert "contents" in schema["components"]["schemas"]["PaginatedHSDSServiceList"]["properties"]
    assert "tokenAuth" in schema["components"]["securitySchemes"]


@pytest.mark.parametrize(
    ("fmt", "content_type"), [("", "application/vnd.oai.openapi"), ("?format=json", "application/vnd.oai.openapi+json")]
)
def test_schema_is_served(client, db, fmt, content_type):
    response = client.get(f"/api/schema/{fmt}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)
    assert b"/api/v1/services/" in response.content


def test_swagger_page_loads_only_local_files_and_no_inline_code(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "<style" not in html
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert len(scripts) == 3
    for attributes, body in scripts:
        assert body.strip() == "" and 'src="/' in attributes  # same-origin files only
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    for asset in re.findall(r"(?:src|href)=\"([^\"]+)\"", html):
        asset_response = client.get(asset)
        asset_response.close()  # static files are streamed: close them, or the open file warns
        assert asset_response.status_code == 200, asset


def test_swagger_init_script_is_served_as_javascript(client, db):
    response = client.get("/api/docs/?script=")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in response.content.decode()
