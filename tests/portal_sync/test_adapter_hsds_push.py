"""The HSDS push adapter against a regional system played on loopback: what it renders (valid HSDS
3.0, nothing for a service that left the directory or came from a pull), how it sends (POST with
the idempotency key, then PUT by the remote's id), deletes, and how each failure is mapped."""

from __future__ import annotations

import base64
import socket
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import translation
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from aipim.core.hsds import validation_errors
from aipim.core.models import Contact, Location, Organisation, Schedule, Service
from portal_sync.adapters import push_adapter
from portal_sync.adapters.base import PermanentError, RemoteError
from portal_sync.adapters.hsds_push import HSDSPushAdapter, creation_key
from portal_sync.http import client_for
from portal_sync.models import Adapter, ContentItem, Direction, Endpoint, ItemKind, OutboxMessage, RemoteRecord
from portal_sync.services.outbox import push_endpoints_for
from tests.factories import OrganisationFactory, ServiceFactory, municipality
from tests.portal_sync import remote_servers
from tests.portal_sync.remote_servers import (
    ERROR_500,
    INVALID,
    REFUSED,
    RESET,
    SLOW,
    TOO_MANY,
    TRUNCATED,
    RegionalSystem,
)

regional_system = remote_servers.regional_system  # the fixture (a non-root conftest cannot load plugins)
adapter = HSDSPushAdapter()


@pytest.fixture(autouse=True)
def _english(settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"  # the adapter's messages are matched in English


@pytest.fixture
def service(db: None) -> Service:
    provider = OrganisationFactory(
        name="Sportello Lavoro Potenza", code="SLP", kind=Organisation.Kind.SERVICE_PROVIDER, email="lavoro@example.org"
    )
    service = ServiceFactory(
        organisation=provider,
        name_it="Orientamento al lavoro",
        name_en="Job orientation",
        category="work",
        languages=["it", "ar"],
        email="orientamento@example.org",
        phone="+39 0971 111111",
    )
    location = Location.objects.create(
        organisation=provider, name="Sede", address="Via Roma 10", municipality=municipality("Potenza")
    )
    service.locations.add(location)
    Schedule.objects.create(service=service, location=location, weekday="MO", opens_at="09:00", closes_at="12:00")
    Contact.objects.create(service=service, name="Accoglienza", phone="+39 0971 222222")
    return service


@pytest.fixture
def push_endpoint(make_endpoint: Callable[..., Endpoint], regional_system: RegionalSystem) -> Endpoint:
    return make_endpoint(
        adapter=Adapter.HSDS, direction=Direction.PUSH, url=regional_system.base_url, item_kind="", timeout_seconds=1
    )


def message_for(endpoint: Endpoint, service: Service | str) -> OutboxMessage:
    object_id = service if isinstance(service, str) else str(service.pk)
    return OutboxMessage.objects.create(
        endpoint=endpoint, operation=OutboxMessage.Operation.UPSERT, object_type="service", object_id=object_id
    )


def send(endpoint: Endpoint, message: OutboxMessage, remote: RemoteRecord | None = None) -> str:
    document = adapter.render(endpoint, message)
    assert document is not None
    with client_for(endpoint) as client:
        return adapter.send(endpoint, message, document, client, remote=remote)


def remote_record(endpoint: Endpoint, service: Service, remote_id: str) -> RemoteRecord:
    return RemoteRecord.objects.create(
        endpoint=endpoint, object_type="service", object_id=str(service.pk), remote_id=remote_id
    )


# --- render ----------------------------------------------------------------------------------------


def test_the_push_adapter_is_registered_for_services(push_endpoint: Endpoint) -> None:
    assert isinstance(push_adapter("hsds"), HSDSPushAdapter)
    assert push_adapter("hsds").object_types == ("service",)
    assert push_endpoint in push_endpoints_for("service")
    assert push_endpoint not in push_endpoints_for("dataset")


def test_render_is_the_published_service_as_valid_hsds_whatever_the_visitors_language(
    push_endpoint: Endpoint, service: Service
) -> None:
    message = message_for(push_endpoint, service)
    with translation.override("ar"):
        document = adapter.render(push_endpoint, message)
    assert document is not None
    assert validation_errors(document) == []
    assert document["id"] == str(service.pk)
    assert document["name"] == "Job orientation"  # settings.LANGUAGE_CODE, not the active language
    assert document["service_at_locations"][0]["schedules"][0]["byday"] == "MO"
    assert document["contacts"][0]["name"] == "Accoglienza"


def test_render_follows_the_endpoints_language(push_endpoint: Endpoint, service: Service) -> None:
    push_endpoint.options = {"language": "it"}
    assert adapter.render(push_endpoint, message_for(push_endpoint, service))["name"] == "Orientamento al lavoro"  # type: ignore[index]


@pytest.mark.parametrize(
    "leave",
    [
        pytest.param(lambda s: Service.objects.filter(pk=s.pk).update(status=Service.Status.INACTIVE), id="inactive"),
        pytest.param(lambda s: Service.objects.filter(pk=s.pk).update(status=Service.Status.DEFUNCT), id="defunct"),
        pytest.param(
            lambda s: Organisation.objects.filter(pk=s.organisation_id).update(is_active=False), id="provider-closed"
        ),
        pytest.param(lambda s: Service.objects.filter(pk=s.pk).delete(), id="deleted"),
    ],
)
def test_render_is_none_once_the_service_left_the_published_directory(
    push_endpoint: Endpoint, service: Service, leave: Callable[[Service], Any]
) -> None:
    message = message_for(push_endpoint, service)
    assert adapter.render(push_endpoint, message) is not None
    leave(service)
    assert adapter.render(push_endpoint, message) is None


def test_render_is_none_for_an_id_that_is_no_service(push_endpoint: Endpoint, db: None) -> None:
    assert adapter.render(push_endpoint, message_for(push_endpoint, str(uuid.uuid4()))) is None
    assert adapter.render(push_endpoint, message_for(push_endpoint, "not-a-uuid")) is None


def test_a_service_that_came_from_a_pull_is_never_pushed_back(
    push_endpoint: Endpoint, service: Service, make_endpoint: Callable[..., Endpoint]
) -> None:
    message = message_for(push_endpoint, service)
    portal = make_endpoint(adapter=Adapter.HSDS, item_kind="")
    ContentItem.objects.create(
        endpoint=portal, external_id="s1", kind=ItemKind.SERVICE, title="x", content_hash="h", service=service
    )
    assert adapter.render(push_endpoint, message) is None


def test_a_service_imported_by_a_pull_is_not_pushed_even_without_its_item(
    push_endpoint: Endpoint, service: Service
) -> None:
    Service.objects.filter(pk=service.pk).update(external_id="portal_sync:3:abc")
    assert adapter.render(push_endpoint, message_for(push_endpoint, service)) is None


def test_render_refuses_a_record_type_it_does_not_send(push_endpoint: Endpoint, service: Service) -> None:
    message = message_for(push_endpoint, service)
    message.object_type = "dataset"
    with pytest.raises(PermanentError, match="services only"):
        adapter.render(push_endpoint, message)


def test_render_reads_in_a_fixed_number_of_queries(
    push_endpoint: Endpoint, service: Service, django_assert_max_num_queries: Any
) -> None:
    message = message_for(push_endpoint, service)
    with django_assert_max_num_queries(6):
        adapter.render(push_endpoint, message)


# --- send ------------------------------------------------------------------------------------------


def test_first_send_posts_with_the_idempotency_key_then_updates_by_the_remote_id(
    push_endpoint: Endpoint,
    service: Service,
    regional_system: RegionalSystem,
) -> None:
    message = message_for(push_endpoint, service)
    assert send(push_endpoint, message) == "R-0001"
    post = regional_system.requests[-1]
    assert (post.method, post.path) == ("POST", "/api/services")
    assert post.headers["Idempotency-Key"] == creation_key(push_endpoint, message, gone="")
    assert post.headers["Content-Type"] == "application/json"
    assert post.body["id"] == str(service.pk)

    Service.objects.filter(pk=service.pk).update(name_en="Job orientation and CV help")
    later = message_for(push_endpoint, service)
    assert send(push_endpoint, later, remote=remote_record(push_endpoint, service, "R-0001")) == "R-0001"
    put = regional_system.requests[-1]
    assert (put.method, put.path) == ("PUT", "/api/services/R-0001")
    assert "Idempotency-Key" not in put.headers
    assert regional_system.source_ids() == {str(service.pk): 1}
    assert regional_system.services["R-0001"]["name"] == "Job orientation and CV help"


def test_the_same_message_sent_twice_makes_one_record(
    push_endpoint: Endpoint,
    service: Service,
    regional_system: RegionalSystem,
) -> None:
    message = message_for(push_endpoint, service)
    assert send(push_endpoint, message) == send(push_endpoint, message) == "R-0001"
    assert len(regional_system.services) == 1


@pytest.mark.parametrize("kind", [SLOW, RESET, TRUNCATED, INVALID])
def test_an_answer_lost_after_the_remote_saved_is_resent_with_the_same_key_and_makes_one_record(
    push_endpoint: Endpoint,
    service: Service,
    regional_system: RegionalSystem,
    kind: str,
) -> None:
    message = message_for(push_endpoint, service)
    regional_system.fail_next(kind, applied=True, delay=1.3)
    with pytest.raises(RemoteError):
        send(push_endpoint, message)
    assert len(regional_system.services) == 1  # saved, but we never heard its id

    assert send(push_endpoint, message) == "R-0001"
    keys = {seen.headers["Idempotency-Key"] for seen in regional_system.requests}
    assert keys == {creation_key(push_endpoint, message, gone="")}
    assert regional_system.source_ids() == {str(service.pk): 1}


def test_a_later_message_after_a_dead_one_whose_record_was_saved_makes_no_second_copy(
    push_endpoint: Endpoint, service: Service, regional_system: RegionalSystem
) -> None:
    """The key is the record's, not the message's: the first message's POST was saved but its answer
    lost, the message went dead (or was discarded), and the next message about the service finds
    the same record."""
    first = message_for(push_endpoint, service)
    regional_system.fail_next(RESET, applied=True)
    with pytest.raises(RemoteError):
        send(push_endpoint, first)
    OutboxMessage.objects.filter(pk=first.pk).update(status=OutboxMessage.Status.DISCARDED)
    later = message_for(push_endpoint, service)
    assert later.idempotency_key != first.idempotency_key
    assert send(push_endpoint, later) == "R-0001"
    assert regional_system.source_ids() == {str(service.pk): 1}


def test_the_key_of_another_record_or_endpoint_differs(
    push_endpoint: Endpoint, service: Service, make_endpoint: Callable[..., Endpoint]
) -> None:
    message = message_for(push_endpoint, service)
    other_service = message_for(push_endpoint, ServiceFactory())
    other_endpoint = make_endpoint(adapter=Adapter.HSDS, direction=Direction.PUSH, url="http://127.0.0.1:9/api")
    keys = {
        creation_key(push_endpoint, message, gone=""),
        creation_key(push_endpoint, message, gone="R-0001"),
        creation_key(push_endpoint, other_service, gone=""),
        creation_key(other_endpoint, message, gone=""),
    }
    assert len(keys) == 4
    assert all(uuid.UUID(key) for key in keys)


def test_a_record_removed_at_the_remote_is_created_again_once(
    push_endpoint: Endpoint,
    service: Service,
    regional_system: RegionalSystem,
) -> None:
    remote = remote_record(push_endpoint, service, send(push_endpoint, message_for(push_endpoint, service)))
    regional_system.services.clear()  # an operator deleted it there
    message = message_for(push_endpoint, service)
    assert send(push_endpoint, message, remote=remote) == "R-0002"
    assert [(r.method, r.path) for r in regional_system.requests[-2:]] == [
        ("PUT", "/api/services/R-0001"),
        ("POST", "/api/services"),
    ]
    # A new generation, a new key: the remote must not answer with the record it no longer holds.
    assert regional_system.requests[-1].headers["Idempotency-Key"] == creation_key(push_endpoint, message, "R-0001")
    assert regional_system.source_ids() == {str(service.pk): 1}


def test_a_record_we_deleted_at_the_remote_is_posted_again_when_it_comes_back(
    push_endpoint: Endpoint,
    service: Service,
    regional_system: RegionalSystem,
) -> None:
    remote = remote_record(push_endpoint, service, "R-0099")
    RemoteRecord.objects.filter(pk=remote.pk).update(deleted_at=remote.pushed_at)
    message = message_for(push_endpoint, service)
    assert send(push_endpoint, message, remote=None) == "R-0001"  # the drain passes no deleted record
    assert [r.method for r in regional_system.requests] == ["POST"]
    assert regional_system.requests[0].headers["Idempotency-Key"] == creation_key(push_endpoint, message, "R-0099")


def test_the_token_is_sent_as_a_bearer(
    make_endpoint: Callable[..., Endpoint],
    service: Service,
    regional_system: RegionalSystem,
) -> None:
    regional_system.token = "t0ken"
    endpoint = make_endpoint(
        adapter=Adapter.HSDS, direction=Direction.PUSH, url=regional_system.base_url, item_kind="", credentials="t0ken"
    )
    assert send(endpoint, message_for(endpoint, service)) == "R-0001"
    assert regional_system.requests[-1].headers["Authorization"] == "Bearer t0ken"


def test_wrong_credentials_are_retried_not_dead_at_once(
    push_endpoint: Endpoint,
    service: Service,
    regional_system: RegionalSystem,
) -> None:
    """A 401 is the endpoint's configuration, not the record: once an administrator fixes it, the
    waiting messages go through."""
    regional_system.token = "t0ken"
    with pytest.raises(RemoteError, match="401") as raised:
        send(push_endpoint, message_for(push_endpoint, service))
    assert raised.type is RemoteError
    assert raised.value.status == 401


def test_user_and_password_are_sent_as_basic_auth(
    make_endpoint: Callable[..., Endpoint], service: Service, httpserver: HTTPServer
) -> None:
    expected = "Basic " + base64.b64encode(b"regione:s3cret").decode()
    httpserver.expect_request("/api/services", method="POST", headers={"Authorization": expected}).respond_with_json(
        {"id": 42}, status=201
    )
    endpoint = make_endpoint(
        adapter=Adapter.HSDS, direction=Direction.PUSH, url=httpserver.url_for("/api"), credentials="regione:s3cret"
    )
    assert send(endpoint, message_for(endpoint, service)) == "42"


def test_the_id_comes_from_the_location_header_when_the_body_has_none(
    make_endpoint: Callable[..., Endpoint], service: Service, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/api/services", method="POST").respond_with_data(
        "", status=201, headers={"Location": "https://regione.example/api/services/svc%2F7/"}
    )
    endpoint = make_endpoint(adapter=Adapter.HSDS, direction=Direction.PUSH, url=httpserver.url_for("/api/services"))
    assert send(endpoint, message_for(endpoint, service)) == "svc/7"


def test_an_answer_without_any_id_is_asked_again(
    make_endpoint: Callable[..., Endpoint], service: Service, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/api/services", method="POST").respond_with_data("saved", status=200)
    endpoint = make_endpoint(adapter=Adapter.HSDS, direction=Direction.PUSH, url=httpserver.url_for("/api"))
    with pytest.raises(RemoteError, match="without the record's id"):
        send(endpoint, message_for(endpoint, service))


def test_an_invalid_document_is_refused_before_it_leaves(
    push_endpoint: Endpoint,
    service: Service,
    regional_system: RegionalSystem,
) -> None:
    document = adapter.render(push_endpoint, message_for(push_endpoint, service))
    assert document is not None
    document["status"] = "open for business"
    with (
        client_for(push_endpoint) as client,
        pytest.raises(PermanentError, match=r"Not a valid HSDS 3\.0 service: status"),
    ):
        adapter.send(push_endpoint, message_for(push_endpoint, service), document, client, remote=None)
    assert regional_system.requests == []


# --- failures --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "error", "words"),
    [
        (ERROR_500, RemoteError, "answered 500"),
        (TOO_MANY, RemoteError, "answered 429"),
        (SLOW, RemoteError, "no answer in time"),
        (RESET, RemoteError, "broke off"),
        (TRUNCATED, RemoteError, "broke off"),
        (REFUSED, PermanentError, "answered 400: Scripted refusal."),
        (INVALID, RemoteError, "without the record's id"),
    ],
)
def test_each_failure_is_mapped_and_nothing_is_saved(
    push_endpoint: Endpoint,
    service: Service,
    regional_system: RegionalSystem,
    kind: str,
    error: type[Exception],
    words: str,
) -> None:
    regional_system.fail_next(kind, delay=1.3)
    with pytest.raises(error, match=words) as raised:
        send(push_endpoint, message_for(push_endpoint, service))
    assert raised.type is error  # a PermanentError is no RemoteError and the other way round
    assert regional_system.services == {}
    assert send(push_endpoint, message_for(push_endpoint, service)) == "R-0001"  # then it recovers


def test_retry_after_is_passed_on(
    push_endpoint: Endpoint,
    service: Service,
    regional_system: RegionalSystem,
) -> None:
    regional_system.fail_next(TOO_MANY, retry_after="7")
    with pytest.raises(RemoteError) as raised:
        send(push_endpoint, message_for(push_endpoint, service))
    assert (raised.value.status, raised.value.retry_after) == (429, 7.0)


@pytest.mark.parametrize("status", [409, 422])
def test_a_refusal_carries_the_remotes_reason_truncated(
    make_endpoint: Callable[..., Endpoint], service: Service, httpserver: HTTPServer, status: int
) -> None:
    reason = "The organization is unknown here. " * 30
    httpserver.expect_request("/api/services").respond_with_json({"detail": reason}, status=status)
    endpoint = make_endpoint(adapter=Adapter.HSDS, direction=Direction.PUSH, url=httpserver.url_for("/api"))
    with pytest.raises(PermanentError) as raised:
        send(endpoint, message_for(endpoint, service))
    text = str(raised.value)
    assert f"answered {status}: The organization is unknown here." in text
    assert text.endswith("…") and len(text) < 300 + 100


def test_a_refusal_names_the_remotes_errors_too(
    make_endpoint: Callable[..., Endpoint], service: Service, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/api/services").respond_with_json(
        {"detail": "Not accepted.", "errors": ["email: not an address"]}, status=422
    )
    endpoint = make_endpoint(adapter=Adapter.HSDS, direction=Direction.PUSH, url=httpserver.url_for("/api"))
    with pytest.raises(PermanentError, match=r'answered 422: Not accepted\. \["email: not an address"\]$'):
        send(endpoint, message_for(endpoint, service))


def test_an_answer_past_the_size_limit_is_refused(
    make_endpoint: Callable[..., Endpoint], service: Service, httpserver: HTTPServer, settings: Any
) -> None:
    settings.PORTAL_SYNC_MAX_BYTES = 1000
    httpserver.expect_request("/api/services").respond_with_json({"id": "1", "echo": "x" * 5000}, status=201)
    endpoint = make_endpoint(adapter=Adapter.HSDS, direction=Direction.PUSH, url=httpserver.url_for("/api"))
    with pytest.raises(RemoteError, match="too large"):
        send(endpoint, message_for(endpoint, service))


def test_a_refused_connection_is_retried_later(make_endpoint: Callable[..., Endpoint], service: Service) -> None:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        port = sock.getsockname()[1]
    endpoint = make_endpoint(adapter=Adapter.HSDS, direction=Direction.PUSH, url=f"http://127.0.0.1:{port}/api")
    with pytest.raises(RemoteError, match="cannot connect"):
        send(endpoint, message_for(endpoint, service))


# --- delete ----------------------------------------------------------------------------------------


def test_delete_removes_the_record_and_a_second_delete_is_done_too(
    push_endpoint: Endpoint,
    service: Service,
    regional_system: RegionalSystem,
) -> None:
    remote = remote_record(push_endpoint, service, send(push_endpoint, message_for(push_endpoint, service)))
    message = message_for(push_endpoint, service)
    with client_for(push_endpoint) as client:
        adapter.delete(push_endpoint, message, client, remote=remote)
        assert regional_system.services == {}
        adapter.delete(push_endpoint, message, client, remote=remote)  # 404: already gone
    assert [(r.method, r.path) for r in regional_system.requests[-2:]] == [("DELETE", "/api/services/R-0001")] * 2


def test_delete_without_a_remote_id_asks_nothing(
    push_endpoint: Endpoint,
    service: Service,
    regional_system: RegionalSystem,
) -> None:
    with client_for(push_endpoint) as client:
        adapter.delete(push_endpoint, message_for(push_endpoint, service), client, remote=RemoteRecord(remote_id=""))
    assert regional_system.requests == []


@pytest.mark.parametrize(("kind", "error"), [(ERROR_500, RemoteError), (RESET, RemoteError), (REFUSED, PermanentError)])
def test_delete_failures_are_mapped(
    push_endpoint: Endpoint,
    service: Service,
    regional_system: RegionalSystem,
    kind: str,
    error: type[Exception],
) -> None:
    remote = remote_record(push_endpoint, service, send(push_endpoint, message_for(push_endpoint, service)))
    regional_system.fail_next(kind)
    with client_for(push_endpoint) as client, pytest.raises(error) as raised:
        adapter.delete(push_endpoint, message_for(push_endpoint, service), client, remote=remote)
    assert raised.type is error
    assert list(regional_system.services) == ["R-0001"]


def test_the_remote_ids_in_urls_are_quoted(
    make_endpoint: Callable[..., Endpoint], service: Service, httpserver: HTTPServer
) -> None:
    seen: list[str] = []

    def answer(request: Request) -> Response:
        seen.append(request.environ["RAW_URI"])
        return Response("{}", content_type="application/json")

    httpserver.expect_request("/api/services/a/b c", method="PUT").respond_with_handler(answer)
    endpoint = make_endpoint(adapter=Adapter.HSDS, direction=Direction.PUSH, url=httpserver.url_for("/api"))
    remote = remote_record(endpoint, service, "a/b c")
    assert send(endpoint, message_for(endpoint, service), remote=remote) == "a/b c"
    assert seen == ["/api/services/a%2Fb%20c"]
