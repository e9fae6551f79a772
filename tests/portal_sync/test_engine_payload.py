"""A first pull's new items and their first versions share one serialised payload: both hold the
remote's document; a payload JSON cannot hold is refused for that record alone."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest

from portal_sync.adapters.base import Incoming
from portal_sync.models import ContentItem, ContentVersion, Endpoint, ItemKind, RejectedRecord, SyncRun
from portal_sync.services.engine import run_endpoint
from tests.portal_sync.test_engine import FAKE, FakeAdapter, adapter, batch  # noqa: F401 - the fixture


@pytest.fixture
def endpoint(make_endpoint: Callable[..., Endpoint], adapter: FakeAdapter) -> Endpoint:  # noqa: F811
    return make_endpoint(adapter=FAKE)


def service(number: int, **payload: object) -> Incoming:
    document = {"id": f"s-{number}", "name": f"Service {number}", "languages": [{"code": "it"}], **payload}
    return Incoming(external_id=f"s-{number}", kind=ItemKind.SERVICE, title=f"Service {number}", payload=document)


def test_the_item_and_its_first_version_hold_the_remote_document(endpoint: Endpoint, adapter: FakeAdapter) -> None:  # noqa: F811
    adapter.batches.append(batch(service(1, note="àè “quoted” \u2028"), service(2)))
    run = run_endpoint(endpoint)
    assert run.created == 2
    item = ContentItem.objects.get(external_id="s-1")
    expected = {"id": "s-1", "name": "Service 1", "languages": [{"code": "it"}], "note": "àè “quoted” \u2028"}
    assert item.payload == expected
    assert ContentVersion.objects.get(item=item).payload == expected


def test_a_payload_json_cannot_hold_is_refused_alone(
    endpoint: Endpoint,
    adapter: FakeAdapter,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("portal_sync.services.engine.CHUNK", 2)
    odd = service(3, opened=datetime.date(2026, 1, 1))  # hashed fine, but not JSON
    adapter.batches.append(batch(service(1), service(2), odd, service(4)))
    run = run_endpoint(endpoint)
    assert (run.created, run.failed, run.status) == (3, 1, SyncRun.Status.PARTIAL)
    assert RejectedRecord.objects.get().external_id == "s-3"
    assert ContentItem.objects.count() == ContentVersion.objects.count() == 3
