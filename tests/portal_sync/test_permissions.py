"""Who opens the staff pages of Action 3, persona by persona (tests/personas.py): editors, regional
officials and administrators read them; only editors and administrators act (move an item, save
its texts, start a run). Everyone else gets 403, and anonymous visitors go to the login page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from aipim.core.models import AuditEvent
from portal_sync.models import ItemState, RejectedRecord, SyncRun
from tests.personas import PERSONAS
from tests.portal_sync.test_editorial import make_item

READERS = {"editor", "official", "administrator"}
ACTORS = {"editor", "administrator"}


@pytest.fixture
def objects(make_endpoint):
    endpoint = make_endpoint()
    item = make_item(endpoint)
    run = SyncRun.objects.create(endpoint=endpoint, direction="pull", status=SyncRun.Status.FAILED)
    RejectedRecord.objects.create(run=run, endpoint=endpoint, reason="bad_value")
    return endpoint, item, run


def read_urls(item, run) -> list[str]:
    return [
        reverse("portal_sync:home"),
        reverse("portal_sync:item", args=[item.pk]),
        reverse("portal_sync:operations"),
        reverse("portal_sync:run", args=[run.pk]),
        reverse("portal_sync:rejections"),
    ]


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_reads_the_staff_pages(request, persona, client_for, objects):
    _endpoint, item, run = objects
    client: Client = client_for(request.getfixturevalue(persona))
    expected = 200 if persona in READERS else 403
    for url in read_urls(item, run):
        assert client.get(url).status_code == expected, (persona, url)


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_moves_items_and_saves_their_texts(request, persona, client_for, objects):
    _endpoint, item, _run = objects
    client: Client = client_for(request.getfixturevalue(persona))
    move = client.post(reverse("portal_sync:item_move", args=[item.pk, "start_review"]))
    texts = client.post(reverse("portal_sync:item_texts", args=[item.pk]), {"title_it": "Cambiato"})
    item.refresh_from_db()
    if persona in ACTORS:
        assert (move.status_code, texts.status_code) == (302, 302)
        assert item.state == ItemState.IN_REVIEW and item.title_it == "Cambiato"
    else:
        assert (move.status_code, texts.status_code) == (403, 403)
        assert item.state == ItemState.RECEIVED and item.title_it != "Cambiato"
        assert not AuditEvent.objects.filter(action__startswith="content_item.").exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_starts_a_run(request, persona, client_for, make_endpoint):
    # A push endpoint: the page refuses it after the permission check, so no task is sent.
    endpoint = make_endpoint(direction="push", adapter="ckan")
    client: Client = client_for(request.getfixturevalue(persona))
    status = client.post(reverse("portal_sync:run_now", args=[endpoint.pk])).status_code
    assert status == (302 if persona in ACTORS else 403)


def test_an_official_sees_no_buttons(client_for, official, objects):
    _endpoint, item, _run = objects
    html = client_for(official).get(reverse("portal_sync:item", args=[item.pk])).content.decode()
    assert reverse("portal_sync:item_move", args=[item.pk, "start_review"]) not in html
    assert reverse("portal_sync:item_texts", args=[item.pk]) not in html


def test_anonymous_visitors_are_sent_to_log_in(objects):
    _endpoint, item, run = objects
    for url in read_urls(item, run):
        response = Client().get(url)
        assert response.status_code == 302 and "login" in response["Location"], url


def test_a_missing_item_or_run_is_not_found(client_for, editor, db):
    client = client_for(editor)
    assert client.get(reverse("portal_sync:item", args=[999999])).status_code == 404
    assert client.get(reverse("portal_sync:run", args=[999999])).status_code == 404
    assert client.post(reverse("portal_sync:run_now", args=[999999])).status_code == 404
