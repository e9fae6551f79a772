"""What the database itself refuses in portal_sync, and what an endpoint never shows."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from portal_sync.models import ContentItem, ItemKind, SyncRun


def test_two_runs_of_one_endpoint_cannot_both_be_running(make_endpoint) -> None:
    endpoint = make_endpoint()
    SyncRun.objects.create(endpoint=endpoint, direction="pull")
    with pytest.raises(IntegrityError), transaction.atomic():
        SyncRun.objects.create(endpoint=endpoint, direction="pull")
    SyncRun.objects.create(endpoint=make_endpoint(), direction="pull")  # another endpoint may run


def test_a_remote_record_is_one_item_per_endpoint(make_endpoint) -> None:
    endpoint = make_endpoint()
    fields = {"kind": ItemKind.NEWS, "title": "Bando", "content_hash": "x"}
    ContentItem.objects.create(endpoint=endpoint, external_id="urn:1", **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        ContentItem.objects.create(endpoint=endpoint, external_id="urn:1", **fields)
    ContentItem.objects.create(endpoint=make_endpoint(), external_id="urn:1", **fields)


def test_credentials_are_stored_encrypted(make_endpoint) -> None:
    endpoint = make_endpoint(credentials="token-very-secret")
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM portal_sync_endpoint WHERE id = %s", [endpoint.pk])
        stored = cursor.fetchone()[0]
    assert "token-very-secret" not in stored
    endpoint.refresh_from_db()
    assert endpoint.credentials == "token-very-secret"
