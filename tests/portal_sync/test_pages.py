"""The editors' pages of Action 3: the inbox (filters, search, pagination, fixed queries), an item
(texts, versions with the diff, translations with Arabic written right to left, the workflow's
buttons), the operations dashboard (health, runs, run now) and the rejected records."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal_sync.models import ContentItem, ContentVersion, ItemKind, ItemState, RejectedRecord, SyncRun
from portal_sync.services import editorial
from tests.portal_sync.test_editorial import make_item


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    settings.LANGUAGE_CODE = "en"


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, url
    return response.content.decode()


def queries(client, url: str) -> int:
    """Queries of one view of the page, after a first view (which loads the session's user once)."""
    client.get(url)
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


# --- inbox ----------------------------------------------------------------------------------


def test_the_inbox_lists_items_with_their_state_kind_and_source(client_for, editor, make_endpoint):
    portal = make_endpoint(title="Portale Integrazione Migranti")
    make_item(portal, title_it="Bando per mediatori")
    make_item(portal, title_it="Corso di italiano", kind=ItemKind.OPPORTUNITY, state=ItemState.PUBLISHED)
    html = page(client_for(editor), reverse("portal_sync:home"))
    assert "Bando per mediatori" in html and "Corso di italiano" in html
    assert "Portale Integrazione Migranti" in html and "Opportunity" in html and "Published" in html
    assert '<th scope="col">' in html and "2 items found." in html


def test_the_inbox_filters_by_state_kind_source_and_title(client_for, editor, make_endpoint):
    portal, other = make_endpoint(), make_endpoint()
    make_item(portal, title_it="Bando per mediatori")
    make_item(portal, title_it="Corso serale", state=ItemState.IN_REVIEW)
    make_item(other, title_it="Festa dei popoli", kind=ItemKind.EVENT)
    client = client_for(editor)
    url = reverse("portal_sync:home")

    def titles(query: str) -> set[str]:
        html = page(client, f"{url}?{query}")
        return {t for t in ("Bando per mediatori", "Corso serale", "Festa dei popoli") if t in html}

    assert titles("state=in_review") == {"Corso serale"}
    assert titles("kind=event") == {"Festa dei popoli"}
    assert titles(f"source={portal.pk}") == {"Bando per mediatori", "Corso serale"}
    assert titles("q=MEDIATORI") == {"Bando per mediatori"}


def test_the_search_finds_a_translated_title(client_for, editor, make_endpoint):
    make_item(make_endpoint(), title_it="Bando", title_en="Call for cultural mediators")
    assert "Call for cultural mediators" in page(client_for(editor), reverse("portal_sync:home") + "?q=mediators")


def test_the_inbox_counts_items_by_state(client_for, editor, make_endpoint):
    endpoint = make_endpoint()
    for state in (ItemState.RECEIVED, ItemState.RECEIVED, ItemState.PUBLISHED):
        make_item(endpoint, state=state)
    html = page(client_for(editor), reverse("portal_sync:home"))
    assert '?state=received">Received</a>: <strong>2</strong>' in html
    assert '?state=published">Published</a>: <strong>1</strong>' in html


def test_the_inbox_is_paginated_and_keeps_its_filters(client_for, editor, make_endpoint):
    endpoint = make_endpoint()
    for _ in range(27):
        make_item(endpoint, kind=ItemKind.NEWS)
    html = page(client_for(editor), reverse("portal_sync:home") + "?kind=news")
    assert "Page 1 of 2" in html and "?kind=news&amp;page=2" in html


def test_the_inbox_takes_the_same_number_of_queries_for_few_and_many_items(client_for, editor, make_endpoint):
    client = client_for(editor)
    url = reverse("portal_sync:home")
    endpoints = [make_endpoint(), make_endpoint()]
    make_item(endpoints[0])
    few = queries(client, url)
    for number in range(20):
        make_item(endpoints[number % 2], state=ItemState.PUBLISHED if number % 3 else ItemState.RECEIVED)
    assert queries(client, url) == few


# --- item -----------------------------------------------------------------------------------


def test_the_item_page_shows_texts_source_and_the_diff_between_versions(client_for, editor, make_endpoint):
    item = make_item(make_endpoint(), title_it="Bando", url="https://portale.example.org/bando", summary_it="Scade")
    ContentVersion.objects.create(
        item=item, version=2, content_hash="h2", title="Bando", summary="Scade il 31 gennaio", body=item.body
    )
    ContentItem.objects.filter(pk=item.pk).update(version=2, summary_it="Scade il 31 gennaio")
    html = page(client_for(editor), reverse("portal_sync:item", args=[item.pk]))
    assert 'href="https://portale.example.org/bando"' in html
    assert "What changed from version 1 to version 2" in html
    assert "-Scade</span>" in html and "+Scade il 31 gennaio</span>" in html


def test_the_body_is_shown_as_stored_and_other_texts_escaped(client_for, editor, make_endpoint):
    item = make_item(make_endpoint(), title_it="<b>Titolo</b>", body="<p>Testo <strong>pulito</strong></p>")
    html = page(client_for(editor), reverse("portal_sync:item", args=[item.pk]))
    assert "<p>Testo <strong>pulito</strong></p>" in html  # cleaned by the engine on the way in
    assert "&lt;b&gt;Titolo&lt;/b&gt;" in html and "<b>Titolo</b>" not in html


def test_a_service_shows_the_document_the_source_sent_as_text(client_for, editor, make_endpoint):
    item = make_item(make_endpoint(), kind=ItemKind.SERVICE, payload={"name": "<i>Sportello</i>", "status": "active"})
    html = page(client_for(editor), reverse("portal_sync:item", args=[item.pk]))
    assert "&quot;name&quot;: &quot;&lt;i&gt;Sportello&lt;/i&gt;&quot;" in html


def test_arabic_inputs_are_written_right_to_left(client_for, editor, make_endpoint):
    item = make_item(make_endpoint())
    html = page(client_for(editor), reverse("portal_sync:item", args=[item.pk]))
    assert 'name="title_ar"' in html
    arabic = html[html.index('name="title_ar"') - 200 : html.index('name="title_ar"') + 200]
    assert 'dir="rtl"' in arabic and 'lang="ar"' in arabic
    assert '<label for="id_title_ar" class="form-label">Title (Arabic)</label>' in html
    italian = html[html.index('name="title_it"') - 200 : html.index('name="title_it"') + 200]
    assert 'dir="ltr"' in italian


def test_an_editor_translates_an_item_into_arabic(client_for, editor, make_endpoint):
    item = make_item(make_endpoint(), title_it="Bando")
    response = client_for(editor).post(
        reverse("portal_sync:item_texts", args=[item.pk]),
        {"title_it": "Bando", "title_ar": "إعلان", "summary_ar": "ملخص"},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.title_ar, item.summary_ar) == ("إعلان", "ملخص")


def test_the_italian_title_is_required_on_the_form(client_for, editor, make_endpoint):
    item = make_item(make_endpoint(), title_it="Bando")
    response = client_for(editor).post(reverse("portal_sync:item_texts", args=[item.pk]), {"title_it": ""})
    assert response.status_code == 400
    item.refresh_from_db()
    assert item.title_it == "Bando"


def test_the_page_offers_exactly_the_allowed_moves(client_for, editor, make_endpoint):
    item = make_item(make_endpoint(), state=ItemState.APPROVED)
    html = page(client_for(editor), reverse("portal_sync:item", args=[item.pk]))
    assert reverse("portal_sync:item_move", args=[item.pk, "publish"]) in html
    assert reverse("portal_sync:item_move", args=[item.pk, "withdraw"]) in html
    assert reverse("portal_sync:item_move", args=[item.pk, "approve"]) not in html


def test_an_editor_moves_an_item_to_publication(client_for, editor, make_endpoint):
    item = make_item(make_endpoint())
    client = client_for(editor)
    for verb in ("start_review", "approve", "publish"):
        response = client.post(reverse("portal_sync:item_move", args=[item.pk, verb]))
        assert response.status_code == 302
    item.refresh_from_db()
    assert item.state == ItemState.PUBLISHED and item.state_changed_by == editor


def test_the_item_page_says_who_did_what_and_when(client_for, editor, administrator, make_endpoint):
    item = make_item(make_endpoint())
    client_for(editor).post(reverse("portal_sync:item_move", args=[item.pk, "start_review"]))
    client_for(administrator).post(reverse("portal_sync:item_texts", args=[item.pk]), {"title_it": "Nuovo"})
    html = page(client_for(editor), reverse("portal_sync:item", args=[item.pk]))
    history = html[html.index('id="history"') :]
    history = history[: history.index("</ol>")]
    assert history.index("Texts saved") < history.index("Review started")  # newest first
    assert administrator.full_name in history and editor.full_name in history


def test_a_move_not_allowed_now_says_so_and_changes_nothing(client_for, editor, make_endpoint):
    item = make_item(make_endpoint())
    response = client_for(editor).post(reverse("portal_sync:item_move", args=[item.pk, "publish"]), follow=True)
    assert "cannot be moved that way" in response.content.decode()
    item.refresh_from_db()
    assert item.state == ItemState.RECEIVED


def test_withdrawing_from_the_page_asks_for_a_reason(client_for, editor, make_endpoint):
    item = make_item(make_endpoint(), state=ItemState.PUBLISHED)
    client = client_for(editor)
    url = reverse("portal_sync:item_move", args=[item.pk, "withdraw"])
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "Scaduto"}).status_code == 302
    item.refresh_from_db()
    assert item.state == ItemState.WITHDRAWN and item.withdrawn_reason == "Scaduto"


def test_an_unknown_move_is_not_found(client_for, editor, make_endpoint):
    item = make_item(make_endpoint())
    assert client_for(editor).post(reverse("portal_sync:item_move", args=[item.pk, "delete"])).status_code == 404


def test_the_item_page_takes_the_same_number_of_queries_for_few_and_many_versions(client_for, editor, make_endpoint):
    item = make_item(make_endpoint())
    client = client_for(editor)
    url = reverse("portal_sync:item", args=[item.pk])
    ContentVersion.objects.create(item=item, version=2, content_hash="h2", title="v2")
    editorial.start_review(item, by=editor)
    few = queries(client, url)
    for number in range(3, 12):
        ContentVersion.objects.create(item=item, version=number, content_hash=f"h{number}", title=f"v{number}")
        editorial.save_texts(item, by=editor, fields={"title_en": f"Title {number}"})
    assert queries(client, url) == few


# --- operations -----------------------------------------------------------------------------


def finished_run(endpoint, **fields) -> SyncRun:
    started = timezone.now() - datetime.timedelta(minutes=5)
    fields.setdefault("status", SyncRun.Status.SUCCEEDED)
    fields.setdefault("direction", "pull")
    return SyncRun.objects.create(
        endpoint=endpoint,
        started_at=started,
        finished_at=started + datetime.timedelta(seconds=12.5),
        **fields,
    )


def test_the_dashboard_shows_each_endpoints_health(client_for, official, make_endpoint):
    make_endpoint(name="portale", title="Portale news", last_success_at=timezone.now())
    make_endpoint(
        name="regione",
        title="Sistema regionale",
        consecutive_failures=3,
        last_error="Remote answered 500 Internal Server Error",
    )
    html = page(client_for(official), reverse("portal_sync:operations"))
    healthy = html[html.index('id="endpoint-portale"') :]
    healthy = healthy[: healthy.index("</tr>")]
    failing = html[html.index('id="endpoint-regione"') :]
    failing = failing[: failing.index("</tr>")]
    assert "bg-success" in healthy and "Working" in healthy
    assert "bg-danger" in failing and "Failing" in failing and "500 Internal Server Error" in failing
    assert "<td>3</td>" in failing
    assert "Run now" not in html  # officials read, they do not act


def test_the_dashboard_lists_recent_runs_with_counts_and_duration(client_for, editor, make_endpoint):
    endpoint = make_endpoint(title="Portale news")
    run = finished_run(endpoint, seen=40, created=7, updated=2, unchanged=31, status=SyncRun.Status.PARTIAL)
    RejectedRecord.objects.create(run=run, endpoint=endpoint, reason="missing_field", external_id="urn:x")
    html = page(client_for(editor), reverse("portal_sync:operations"))
    assert "<td>40</td><td>7</td><td>2</td><td>31</td>" in html
    assert "12.5 s" in html and "Succeeded with rejected records" in html
    assert f'{reverse("portal_sync:rejections")}?run={run.pk}">1</a>' in html
    assert "Run now" in html


def test_the_dashboard_takes_the_same_number_of_queries_for_few_and_many_runs(client_for, editor, make_endpoint):
    client = client_for(editor)
    url = reverse("portal_sync:operations")
    endpoint = make_endpoint()
    finished_run(endpoint)
    few = queries(client, url)
    for _ in range(6):
        other = make_endpoint(consecutive_failures=1, last_error="timeout")
        run = finished_run(other, status=SyncRun.Status.FAILED, error="timeout")
        RejectedRecord.objects.create(run=run, endpoint=other, reason="bad_value")
    assert queries(client, url) == few


def test_a_run_page_shows_its_error_and_rejected_records(client_for, official, make_endpoint):
    endpoint = make_endpoint()
    run = finished_run(endpoint, status=SyncRun.Status.FAILED, error="Connection refused")
    RejectedRecord.objects.create(
        run=run,
        endpoint=endpoint,
        external_id="urn:bad",
        reason="invalid_document",
        excerpt="<script>alert(1)</script>",
    )
    html = page(client_for(official), reverse("portal_sync:run", args=[run.pk]))
    assert "Connection refused" in html and "urn:bad" in html and "Not a valid document" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html


def test_a_drain_page_shows_what_was_sent_and_links_to_the_dead_letters(client_for, official, make_endpoint):
    endpoint = make_endpoint(adapter="hsds", direction="push", item_kind="")
    run = finished_run(endpoint, direction="push", status=SyncRun.Status.PARTIAL, pushed=7, unchanged=2, failed=1)
    html = page(client_for(official), reverse("portal_sync:run", args=[run.pk]))
    assert '<dt class="col-sm-3">Sent</dt><dd class="col-sm-9">7</dd>' in html
    assert 'Unchanged (the remote already held them)</dt><dd class="col-sm-9">2</dd>' in html
    assert f"{reverse('portal_sync:outbox_dead')}?endpoint={endpoint.pk}" in html
    # A pull's counters and its rejected records mean nothing for a drain.
    assert "Seen</dt>" not in html and "Rejected records" not in html


def test_a_run_with_many_rejections_links_to_the_paginated_list(client_for, editor, make_endpoint, monkeypatch):
    from portal_sync.views.operations import RunDetailView

    monkeypatch.setattr(RunDetailView, "MAX_REJECTIONS", 2)
    endpoint = make_endpoint()
    run = finished_run(endpoint, status=SyncRun.Status.PARTIAL)
    for number in range(3):
        RejectedRecord.objects.create(run=run, endpoint=endpoint, external_id=f"urn:{number}", reason="bad_value")
    html = page(client_for(editor), reverse("portal_sync:run", args=[run.pk]))
    assert html.count("<code>urn:") == 2
    assert f'{reverse("portal_sync:rejections")}?run={run.pk}">See all 3 rejected records' in html


def test_the_rejected_records_list_narrows_to_one_run(client_for, editor, make_endpoint):
    endpoint = make_endpoint()
    first, second = finished_run(endpoint), finished_run(endpoint)
    RejectedRecord.objects.create(run=first, endpoint=endpoint, external_id="urn:first", reason="bad_value")
    RejectedRecord.objects.create(run=second, endpoint=endpoint, external_id="urn:second", reason="encoding")
    client = client_for(editor)
    url = reverse("portal_sync:rejections")
    everything = page(client, url)
    assert "urn:first" in everything and "urn:second" in everything
    narrowed = page(client, f"{url}?run={second.pk}")
    assert "urn:second" in narrowed and "urn:first" not in narrowed
    page(client, f"{url}?run=999999", status=404)
    page(client, f"{url}?run=abc", status=404)


def test_the_rejected_records_list_takes_the_same_number_of_queries(client_for, editor, make_endpoint):
    client = client_for(editor)
    url = reverse("portal_sync:rejections")
    endpoint = make_endpoint()
    RejectedRecord.objects.create(run=finished_run(endpoint), endpoint=endpoint, reason="bad_value")
    few = queries(client, url)
    for _ in range(5):
        other = make_endpoint()
        run = finished_run(other)
        for _ in range(3):
            RejectedRecord.objects.create(run=run, endpoint=other, reason="schema")
    assert queries(client, url) == few


def test_run_now_refuses_an_endpoint_we_push_to(client_for, editor, make_endpoint):
    endpoint = make_endpoint(direction="push", adapter="ckan")
    response = client_for(editor).post(reverse("portal_sync:run_now", args=[endpoint.pk]), follow=True)
    assert "Only endpoints we read from" in response.content.decode()
    assert not SyncRun.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_run_now_starts_a_run_from_the_page(client_for, editor, make_endpoint, httpserver):
    """The task runs eagerly in tests: the run is recorded as started from the page, by the editor."""
    pytest.importorskip("portal_sync.tasks")
    httpserver.expect_request("/feed.xml").respond_with_data("down", status=500)
    endpoint = make_endpoint(url=httpserver.url_for("/feed.xml"))
    response = client_for(editor).post(reverse("portal_sync:run_now", args=[endpoint.pk]))
    assert response.status_code == 302
    run = SyncRun.objects.get(endpoint=endpoint)
    assert run.trigger == SyncRun.Trigger.PAGE and run.started_by == editor
