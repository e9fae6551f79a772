"""The CKAN push adapter against a loopback CKAN (tests/portal_sync/ckan_server.py): DCAT-AP_IT
metadata, one package per dataset and one CSV resource per month, the API token, CKAN's error
envelopes, and exactly one package and one resource after every kind of failure and its retries."""

from __future__ import annotations

import csv
import datetime
import io
import json

import pytest
from django.db import transaction
from django.utils import timezone

from portal_sync.adapters import push_adapter
from portal_sync.adapters.base import PermanentError, RemoteError
from portal_sync.adapters.ckan import LICENSE_TYPE, Api, CKANAdapter, merged
from portal_sync.http import client_for
from portal_sync.models import Adapter, ContentItem, Direction, ItemKind, ItemState, OutboxMessage, RemoteRecord
from portal_sync.services import outbox
from tests.portal_sync import ckan_server
from tests.portal_sync.ckan_server import DCATAPIT_REQUIRED, ORGANISATION, TOKEN
from tests.portal_sync.remote_servers import ERROR_500, RESET, SLOW, TOO_MANY, TRUNCATED

ckan = ckan_server.ckan

SLUG = "portal-items-published"
OCTOBER = datetime.date(2026, 10, 1)
NOVEMBER = datetime.date(2026, 11, 1)
PACKAGE = f"aipim-{SLUG}"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def endpoint(make_endpoint, ckan):
    return make_endpoint(
        adapter=Adapter.CKAN,
        direction=Direction.PUSH,
        item_kind="",
        url=ckan.base_url,
        credentials=TOKEN,
        options={"owner_org": ORGANISATION, "language": "en"},
        timeout_seconds=1,
        max_attempts=20,
    )


def publish_items(endpoint, month: datetime.date, kinds: dict[str, int]) -> None:
    """ContentItems published in `month` (on the 10th), `kinds` → how many."""
    when = timezone.make_aware(datetime.datetime(month.year, month.month, 10, 12))
    for kind, count in kinds.items():
        for number in range(count):
            ContentItem.objects.create(
                endpoint=endpoint,
                external_id=f"{kind}-{month:%Y%m}-{number}",
                kind=kind,
                title=f"{kind} {number}",
                content_hash="x",
                state=ItemState.PUBLISHED,
                published_at=when,
            )


def message_for(endpoint, month: datetime.date, slug: str = SLUG) -> OutboxMessage:
    return OutboxMessage.objects.create(
        endpoint=endpoint,
        operation=OutboxMessage.Operation.UPSERT,
        object_type="dataset",
        object_id=f"{slug}:{month:%Y-%m}",
    )


def push(endpoint, message, *, remote=None) -> str:
    adapter = push_adapter(endpoint.adapter)
    document = adapter.render(endpoint, message)
    assert document is not None
    with client_for(endpoint) as client:
        return adapter.send(endpoint, message, document, client, remote=remote)


def rows_of(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")  # the byte-order mark spreadsheet programs look for
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def test_the_ckan_adapter_registers_itself_for_datasets():
    adapter = push_adapter(Adapter.CKAN)
    assert isinstance(adapter, CKANAdapter)
    assert adapter.object_types == ("dataset",)


def test_render_gives_dcatapit_metadata_and_the_csv(endpoint):
    publish_items(endpoint, OCTOBER, {ItemKind.NEWS: 7, ItemKind.EVENT: 2})
    document = push_adapter(Adapter.CKAN).render(endpoint, message_for(endpoint, OCTOBER))
    package = document["package"]
    for field in DCATAPIT_REQUIRED:
        assert package[field], field
    assert package["name"] == PACKAGE
    assert package["identifier"] == f"r_basili:{PACKAGE}"
    assert package["holder_name"] == "Regione Basilicata"
    assert package["holder_identifier"] == "r_basili"
    assert (package["publisher_name"], package["publisher_identifier"]) == ("Regione Basilicata", "r_basili")
    assert json.loads(package["theme"]) == [{"theme": "GOVE", "subthemes": []}]
    assert package["frequency"] == "MONTHLY"
    assert package["license_id"] == "CC-BY-4.0"
    assert package["language"] == "{ITA,ENG}"
    assert package["modified"] == "2026-11-01"
    assert json.loads(package["temporal_coverage"]) == [{"temporal_start": "2026-10-01", "temporal_end": "2026-10-31"}]
    assert "Integration portal" in package["title"]
    assert document["resource"]["name"] == f"{SLUG}-2026-10.csv"
    assert document["resource"]["format"] == "CSV"
    assert document["resource"]["license_type"] == LICENSE_TYPE
    assert rows_of(document["csv"]) == [
        ["month", "istat_code", "municipality", "measure", "count"],
        ["2026-10", "17", "Basilicata", "event", "2"],  # not people: not suppressed
        ["2026-10", "17", "Basilicata", "news", "7"],
    ]
    # The drain hashes the document: it must be plain JSON, the same each time.
    assert json.dumps(document, sort_keys=True) == json.dumps(
        push_adapter(Adapter.CKAN).render(endpoint, message_for(endpoint, OCTOBER)), sort_keys=True
    )


def test_render_is_none_for_a_dataset_that_no_longer_exists(endpoint):
    adapter = push_adapter(Adapter.CKAN)
    assert adapter.render(endpoint, message_for(endpoint, OCTOBER, slug="no-such-dataset")) is None
    message = message_for(endpoint, OCTOBER)
    message.object_id = "portal-items-published:October"
    assert adapter.render(endpoint, message) is None
    message.object_type = "service"
    with pytest.raises(PermanentError):
        adapter.render(endpoint, message)


def test_send_creates_the_package_and_uploads_the_month_with_the_token(endpoint, ckan):
    publish_items(endpoint, OCTOBER, {ItemKind.NEWS: 3})
    resource_id = push(endpoint, message_for(endpoint, OCTOBER))
    package = ckan.package(PACKAGE)
    assert package["owner_org"] == ORGANISATION
    assert [r["id"] for r in ckan.resources(PACKAGE)] == [resource_id]
    assert rows_of(ckan.csv(resource_id))[1] == ["2026-10", "17", "Basilicata", "news", "3"]
    assert ckan.actions() == ["package_show", "package_create", "resource_create"]
    writes = [seen for seen in ckan.requests if seen.method == "POST"]
    assert all(seen.headers["Authorization"] == TOKEN for seen in writes)  # CKAN's way: no "Bearer"


def test_months_are_resources_of_one_package_and_a_month_sent_again_is_patched(endpoint, ckan):
    publish_items(endpoint, OCTOBER, {ItemKind.NEWS: 3})
    publish_items(endpoint, NOVEMBER, {ItemKind.EVENT: 1})
    october = push(endpoint, message_for(endpoint, OCTOBER))
    november = push(endpoint, message_for(endpoint, NOVEMBER))
    assert october != november
    package = ckan.package(PACKAGE)
    assert json.loads(package["temporal_coverage"]) == [{"temporal_start": "2026-10-01", "temporal_end": "2026-11-30"}]
    assert package["modified"] == "2026-12-01"

    # October corrected: its own file is replaced; the package's dates do not move back.
    publish_items(endpoint, OCTOBER, {ItemKind.SERVICE: 5})
    remote = RemoteRecord(remote_id=october)
    assert push(endpoint, message_for(endpoint, OCTOBER), remote=remote) == october
    assert sorted(r["name"] for r in ckan.resources(PACKAGE)) == [f"{SLUG}-2026-10.csv", f"{SLUG}-2026-11.csv"]
    assert [row[3] for row in rows_of(ckan.csv(october))[1:]] == ["news", "service"]
    package = ckan.package(PACKAGE)
    assert package["modified"] == "2026-12-01"
    assert json.loads(package["temporal_coverage"])[0]["temporal_end"] == "2026-11-30"
    assert len(ckan.packages) == 1


def test_merged_widens_the_coverage_and_never_moves_modified_back():
    wanted = {
        "modified": "2026-10-01",
        "temporal_coverage": json.dumps([{"temporal_start": "2026-09-01", "temporal_end": "2026-09-30"}]),
    }
    current = {
        "modified": "2026-12-01",
        "temporal_coverage": json.dumps([{"temporal_start": "2026-10-01", "temporal_end": "2026-11-30"}]),
    }
    result = merged(wanted, current)
    assert result["modified"] == "2026-12-01"
    assert json.loads(result["temporal_coverage"]) == [{"temporal_start": "2026-09-01", "temporal_end": "2026-11-30"}]
    assert result["state"] == "active"
    assert merged(wanted, {"temporal_coverage": "not json"})["temporal_coverage"] == wanted["temporal_coverage"]


def test_a_create_whose_answer_timed_out_is_not_made_twice(endpoint, ckan):
    publish_items(endpoint, OCTOBER, {ItemKind.NEWS: 3})
    ckan.fail_action("package_create", SLOW, applied=True)
    with pytest.raises(RemoteError):
        push(endpoint, message_for(endpoint, OCTOBER))
    assert ckan.package(PACKAGE) is not None and ckan.resources(PACKAGE) == []
    ckan.fail_action("resource_create", SLOW, applied=True)
    with pytest.raises(RemoteError):
        push(endpoint, message_for(endpoint, OCTOBER))
    assert len(ckan.resources(PACKAGE)) == 1
    resource_id = push(endpoint, message_for(endpoint, OCTOBER))
    assert [r["id"] for r in ckan.resources(PACKAGE)] == [resource_id]
    assert len(ckan.packages) == 1


def test_a_create_that_lost_a_race_patches_the_package_made_meanwhile(endpoint, ckan, monkeypatch):
    publish_items(endpoint, OCTOBER, {ItemKind.NEWS: 3})
    document = push_adapter(Adapter.CKAN).render(endpoint, message_for(endpoint, OCTOBER))
    ckan.packages["pkg-race"] = {
        **document["package"],
        "id": "pkg-race",
        "owner_org": ORGANISATION,
        "state": "active",
        "resources": [],
    }
    # Another sender made the package just after our package_show found nothing.
    shown = []
    original = Api.show

    def late(self, name):
        shown.append(name)
        return None if len(shown) == 1 else original(self, name)

    monkeypatch.setattr(Api, "show", late)
    push(endpoint, message_for(endpoint, OCTOBER))
    assert ckan.actions() == ["package_create", "package_show", "package_patch", "resource_create"]
    assert len(ckan.packages) == 1 and len(ckan.resources(PACKAGE)) == 1


@pytest.mark.parametrize(
    ("options", "credentials", "error", "words"),
    [
        ({"owner_org": "no-such-org"}, TOKEN, PermanentError, "owner_org: Organization does not exist"),
        ({}, TOKEN, PermanentError, "owner_org"),
        ({"owner_org": ORGANISATION}, "wrong-token", RemoteError, "Access denied"),
    ],
)
def test_refusals_and_wrong_credentials(endpoint, ckan, options, credentials, error, words):
    endpoint.options = options
    endpoint.credentials = credentials
    endpoint.save()
    with pytest.raises(error) as raised:
        push(endpoint, message_for(endpoint, OCTOBER))
    assert words in str(raised.value)
    assert TOKEN not in str(raised.value)


@pytest.mark.parametrize("kind", [ERROR_500, TOO_MANY, RESET, TRUNCATED])
def test_server_failures_are_remote_errors(endpoint, ckan, kind):
    ckan.fail_next(kind)
    with pytest.raises(RemoteError) as raised:
        push(endpoint, message_for(endpoint, OCTOBER))
    if kind == TOO_MANY:
        assert raised.value.retry_after == 1
    push(endpoint, message_for(endpoint, OCTOBER))  # recovered
    assert len(ckan.resources(PACKAGE)) == 1


@pytest.mark.parametrize("status", [200, 502])
def test_an_answer_that_is_not_ckans_envelope_is_a_remote_error(endpoint, ckan, status):
    """A proxy's HTML page, even with a 200, is not CKAN's answer: tried again later, never taken as done."""
    ckan.server.clear()
    ckan.server.expect_request("/api/3/action/package_show").respond_with_data(
        "<html>Service temporarily unavailable</html>", status=status, content_type="text/html"
    )
    with pytest.raises(RemoteError):
        push(endpoint, message_for(endpoint, OCTOBER))


def test_delete_removes_the_month_and_the_package_once_empty(endpoint, ckan):
    publish_items(endpoint, OCTOBER, {ItemKind.NEWS: 3})
    october = push(endpoint, message_for(endpoint, OCTOBER))
    november = push(endpoint, message_for(endpoint, NOVEMBER))
    adapter = push_adapter(Adapter.CKAN)
    with client_for(endpoint) as client:
        adapter.delete(endpoint, message_for(endpoint, OCTOBER), client, remote=RemoteRecord(remote_id=october))
        assert [r["id"] for r in ckan.resources(PACKAGE)] == [november]
        assert ckan.package(PACKAGE)["state"] == "active"
        adapter.delete(endpoint, message_for(endpoint, NOVEMBER), client, remote=RemoteRecord(remote_id=november))
        assert ckan.package(PACKAGE)["state"] == "deleted"
        # Already gone: a delete again is done, not an error.
        adapter.delete(endpoint, message_for(endpoint, NOVEMBER), client, remote=RemoteRecord(remote_id=november))


def test_through_the_outbox_every_failure_then_recovery_leaves_one_package_and_one_resource(endpoint, ckan):
    """The drain sends two datasets' October while the portal fails in every way, then recovers:
    each dataset is one package with one resource, and every message is sent."""
    if not hasattr(outbox, "drain"):
        pytest.skip("outbox.drain is not there yet")
    publish_items(endpoint, OCTOBER, {ItemKind.NEWS: 3})
    ckan.fail_next(ERROR_500)
    ckan.fail_next(TOO_MANY)
    ckan.fail_action("package_create", SLOW, applied=True)
    ckan.fail_action("resource_create", TRUNCATED, applied=True)
    ckan.fail_next(RESET, applied=True)
    ckan.fail_action("resource_create", SLOW, applied=True)
    with pytest.MonkeyPatch.context() as patch:
        # The failures above are what is tested; the waits between tries are not.
        patch.setattr(outbox, "backoff_seconds", lambda attempts, retry_after=None: 0)
        with transaction.atomic():
            outbox.enqueue("dataset", f"{SLUG}:2026-10", endpoints=[endpoint])
            outbox.enqueue("dataset", "pua-cases-opened:2026-10", endpoints=[endpoint])
        for _round in range(15):
            if not OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).exists():
                break
            OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).update(next_attempt_at=timezone.now())
            outbox.drain(endpoint)
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxMessage.Status.SENT}
    assert ckan.pending_failures == 0 and ckan.action_failures == []
    assert sorted(p["name"] for p in ckan.packages.values()) == [
        "aipim-portal-items-published",
        "aipim-pua-cases-opened",
    ]
    for name in ("aipim-portal-items-published", "aipim-pua-cases-opened"):
        assert len(ckan.resources(name)) == 1, name
    assert RemoteRecord.objects.count() == 2

    # Sent again with the same figures: the drain sees the same document and calls nobody.
    before = len(ckan.requests)
    with transaction.atomic():
        outbox.enqueue("dataset", f"{SLUG}:2026-10", endpoints=[endpoint])
    outbox.drain(endpoint)
    assert len(ckan.requests) == before


def test_the_client_default_token_header_is_replaced(endpoint, ckan):
    """client_for sends "Bearer <token>"; CKAN wants the token alone, which every call sets."""
    with client_for(endpoint) as client:
        assert client.headers["Authorization"] == f"Bearer {TOKEN}"
    push(endpoint, message_for(endpoint, OCTOBER))
    assert {seen.headers.get("Authorization") for seen in ckan.requests} == {TOKEN}
