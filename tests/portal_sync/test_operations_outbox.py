"""The outbox on the operations pages: pending and dead counts per push endpoint, "send now", and
the dead letters with "retry" and "discard" — who may read and act, persona by persona, and a
fixed number of queries however many letters there are."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from aipim.core.models import AuditEvent
from portal_sync.adapters import register
from portal_sync.models import Direction, Endpoint, OutboxMessage, SyncRun
from tests.factories import ServiceFactory
from tests.personas import PERSONAS
from tests.portal_sync.push_remote import ADAPTER, LoopbackPush
from tests.portal_sync.test_pages import page, queries

READERS = {"editor", "official", "administrator"}
ACTORS = {"editor", "administrator"}
Status = OutboxMessage.Status


@pytest.fixture(autouse=True)
def _english(settings) -> None:  # type: ignore[no-untyped-def]
    settings.LANGUAGE_CODE = "en"
    register(ADAPTER, "push", LoopbackPush())


@pytest.fixture
def make_push(make_endpoint: Callable[..., Endpoint]) -> Callable[..., Endpoint]:
    def make(**fields: object) -> Endpoint:
        return make_endpoint(
            adapter=ADAPTER, direction=Direction.PUSH, item_kind="", url="http://127.0.0.1:9/", **fields
        )

    return make


def dead_letter(endpoint: Endpoint, object_id: str = "x", **fields: object) -> OutboxMessage:
    fields.setdefault("attempts", 8)
    fields.setdefault("last_error", "http://127.0.0.1:9/records answered 503")
    return OutboxMessage.objects.create(
        endpoint=endpoint,
        operation="upsert",
        object_type="service",
        object_id=object_id,
        status=Status.DEAD,
        dead_at=timezone.now(),
        **fields,
    )


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_reads_the_dead_letters(request, persona, client_for, make_push) -> None:  # type: ignore[no-untyped-def]
    letter = dead_letter(make_push())
    client: Client = client_for(request.getfixturevalue(persona))
    response = client.get(reverse("portal_sync:outbox_dead"))
    assert response.status_code == (200 if persona in READERS else 403)
    if persona in READERS:
        html = response.content.decode()
        assert "answered 503" in html
        retry = reverse("portal_sync:outbox_retry", args=[letter.pk])
        assert (retry in html) == (persona in ACTORS)  # officials read, without buttons


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_retries_and_discards(request, persona, client_for, make_push) -> None:  # type: ignore[no-untyped-def]
    endpoint = make_push()
    retried, discarded = dead_letter(endpoint, "a"), dead_letter(endpoint, "b")
    client: Client = client_for(request.getfixturevalue(persona))
    retry = client.post(reverse("portal_sync:outbox_retry", args=[retried.pk]))
    discard = client.post(reverse("portal_sync:outbox_discard", args=[discarded.pk]))
    retried.refresh_from_db()
    discarded.refresh_from_db()
    if persona in ACTORS:
        assert (retry.status_code, discard.status_code) == (302, 302)
        assert (retried.status, retried.attempts, discarded.status) == (Status.PENDING, 0, Status.DISCARDED)
    else:
        assert (retry.status_code, discard.status_code) == (403, 403)
        assert (retried.status, discarded.status) == (Status.DEAD, Status.DEAD)
        assert not AuditEvent.objects.filter(action__startswith="outbox_message.").exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_sends_now(request, persona, client_for, make_push, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    endpoint = make_push()
    client: Client = client_for(request.getfixturevalue(persona))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        status = client.post(reverse("portal_sync:send_now", args=[endpoint.pk])).status_code
    assert status == (302 if persona in ACTORS else 403)
    assert len(callbacks) == (1 if persona in ACTORS else 0)
    if persona in ACTORS:  # the task ran (in process): a drain started from the page
        run = SyncRun.objects.get(endpoint=endpoint)
        assert (run.direction, run.trigger, run.started_by) == ("push", "page", request.getfixturevalue(persona))


def test_anonymous_visitors_are_sent_to_log_in(make_push) -> None:  # type: ignore[no-untyped-def]
    letter = dead_letter(make_push())
    response = Client().get(reverse("portal_sync:outbox_dead"))
    assert response.status_code == 302 and "login" in response["Location"]
    response = Client().post(reverse("portal_sync:outbox_retry", args=[letter.pk]))
    assert response.status_code == 302 and "login" in response["Location"]
    letter.refresh_from_db()
    assert letter.status == Status.DEAD


def test_unknown_messages_endpoints_and_filters_are_not_found(client_for, editor, make_push, make_endpoint) -> None:  # type: ignore[no-untyped-def]
    client = client_for(editor)
    pull = make_endpoint()
    assert client.post(reverse("portal_sync:outbox_retry", args=[999999])).status_code == 404
    assert client.post(reverse("portal_sync:outbox_discard", args=[999999])).status_code == 404
    assert client.post(reverse("portal_sync:send_now", args=[999999])).status_code == 404
    url = reverse("portal_sync:outbox_dead")
    for bad in ("abc", "999999", str(pull.pk)):  # not a number, no such endpoint, not a push endpoint
        assert client.get(url, {"endpoint": bad}).status_code == 404, bad


def test_send_now_refuses_a_pull_endpoint(client_for, editor, make_endpoint) -> None:  # type: ignore[no-untyped-def]
    response = client_for(editor).post(reverse("portal_sync:send_now", args=[make_endpoint().pk]), follow=True)
    assert "Only endpoints we send to have messages to send." in response.content.decode()
    assert not SyncRun.objects.exists()


def test_the_posts_need_the_csrf_token(editor, make_push) -> None:  # type: ignore[no-untyped-def]
    endpoint = make_push()
    letter = dead_letter(endpoint)
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    for url in (
        reverse("portal_sync:outbox_retry", args=[letter.pk]),
        reverse("portal_sync:outbox_discard", args=[letter.pk]),
        reverse("portal_sync:send_now", args=[endpoint.pk]),
    ):
        assert client.post(url).status_code == 403, url
    letter.refresh_from_db()
    assert letter.status == Status.DEAD


def test_retry_and_discard_say_what_happened_and_keep_the_filter(client_for, editor, make_push) -> None:  # type: ignore[no-untyped-def]
    endpoint = make_push()
    first, second = dead_letter(endpoint, "a"), dead_letter(endpoint, "b")
    client = client_for(editor)
    back = f"endpoint={endpoint.pk}&page=1"
    response = client.post(reverse("portal_sync:outbox_retry", args=[first.pk]), {"return_query": back})
    assert response["Location"] == f"{reverse('portal_sync:outbox_dead')}?{back}"
    html = client.get(response["Location"]).content.decode()
    assert "The message is back in the queue" in html
    response = client.post(
        reverse("portal_sync:outbox_discard", args=[second.pk]),
        {"return_query": f"endpoint={endpoint.pk}&next=https://evil.example/&page=x"},
    )
    assert response["Location"] == f"{reverse('portal_sync:outbox_dead')}?endpoint={endpoint.pk}"  # digits only
    assert "The message has been discarded" in client.get(response["Location"]).content.decode()
    # Someone dealt with it first: said so, nothing changes.
    response = client.post(reverse("portal_sync:outbox_discard", args=[first.pk]), follow=True)
    assert "someone dealt with it first" in response.content.decode()
    first.refresh_from_db()
    assert first.status == Status.PENDING


def test_the_dead_letters_show_the_record_and_filter_by_endpoint(client_for, official, make_push) -> None:  # type: ignore[no-untyped-def]
    portale, regione = make_push(title="Portale"), make_push(title="Regione")
    service = ServiceFactory(name="Sportello lavoro")
    OutboxMessage.objects.all().delete()
    dead_letter(portale, str(service.pk), attempts=5)
    dead_letter(regione, "gone-record")
    OutboxMessage.objects.create(endpoint=portale, operation="upsert", object_type="service", object_id="pending")
    html = page(client_for(official), reverse("portal_sync:outbox_dead"))
    assert "Sportello lavoro" in html and "gone-record" in html and "pending" not in html
    html = page(client_for(official), reverse("portal_sync:outbox_dead") + f"?endpoint={portale.pk}")
    assert "Sportello lavoro" in html and "gone-record" not in html


def test_the_dead_letters_take_the_same_number_of_queries_for_few_and_many(client_for, editor, make_push) -> None:  # type: ignore[no-untyped-def]
    endpoints = [make_push(), make_push()]
    client = client_for(editor)
    url = reverse("portal_sync:outbox_dead")
    dead_letter(endpoints[0], str(ServiceFactory().pk))
    few = queries(client, url)
    for number in range(40):  # more than a page, services and other records
        object_id = str(ServiceFactory().pk) if number % 2 else f"dataset-{number}"
        dead_letter(endpoints[number % 2], object_id)
    assert queries(client, url) == few
    assert queries(client, f"{url}?endpoint={endpoints[0].pk}&page=2") == few


def test_the_operations_page_counts_waiting_and_dead_messages(
    client_for, editor, official, make_push, make_endpoint
) -> None:  # type: ignore[no-untyped-def]
    endpoint = make_push(name="portale")
    make_endpoint(name="feed")
    for object_id in ("a", "b", "c"):
        OutboxMessage.objects.create(endpoint=endpoint, operation="upsert", object_type="service", object_id=object_id)
    dead_letter(endpoint)
    OutboxMessage.objects.create(
        endpoint=endpoint, operation="upsert", object_type="service", object_id="d", status=Status.SENT
    )
    html = page(client_for(editor), reverse("portal_sync:operations"))
    row = html.split('id="endpoint-portale"')[1].split("</tr>")[0]
    assert "3 to send" in row and "1 dead letter" in row
    assert reverse("portal_sync:send_now", args=[endpoint.pk]) in row
    assert f"{reverse('portal_sync:outbox_dead')}?endpoint={endpoint.pk}" in row
    feed_row = html.split('id="endpoint-feed"')[1].split("</tr>")[0]
    assert "to send" not in feed_row and "send/" not in feed_row
    official_html = page(client_for(official), reverse("portal_sync:operations"))
    assert "3 to send" in official_html and reverse("portal_sync:send_now", args=[endpoint.pk]) not in official_html


def test_the_operations_page_takes_the_same_number_of_queries_with_more_push_endpoints(
    client_for, editor, make_push
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(editor)
    url = reverse("portal_sync:operations")
    dead_letter(make_push())
    few = queries(client, url)
    for _ in range(5):
        endpoint = make_push()
        dead_letter(endpoint)
        OutboxMessage.objects.create(endpoint=endpoint, operation="upsert", object_type="service", object_id="p")
    assert queries(client, url) == few
