"""The editors' journey through the pages, with a real feed on loopback (pytest-httpserver): a run
started from the dashboard brings an entry in, the editor translates it into Arabic and publishes
it, and visitors read it on /news/ — its script removed on the way in; a failing endpoint is red."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from portal_sync.models import ContentItem, ItemState, SyncRun

FEED = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Portale Integrazione Migranti</title>
  <id>urn:pim:feed</id>
  <updated>2026-11-20T10:00:00Z</updated>
  <entry>
    <title>Bando per mediatori culturali</title>
    <id>urn:pim:news:1</id>
    <link href="https://portale.example.org/news/1"/>
    <updated>2026-11-20T10:00:00Z</updated>
    <summary>Domande entro gennaio</summary>
    <content type="html">&lt;p&gt;Il bando &lt;strong&gt;scade&lt;/strong&gt;.&lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt;</content>
  </entry>
</feed>"""

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    settings.LANGUAGE_CODE = "en"


def test_from_the_portals_feed_to_the_public_news_page_in_arabic(client_for, editor, make_endpoint, httpserver):
    httpserver.expect_request("/feed.xml").respond_with_data(FEED, content_type="application/atom+xml")
    endpoint = make_endpoint(title="Portale Integrazione Migranti", url=httpserver.url_for("/feed.xml"))
    client = client_for(editor)

    assert client.post(reverse("portal_sync:run_now", args=[endpoint.pk])).status_code == 302
    dashboard = client.get(reverse("portal_sync:operations")).content.decode()
    assert "Succeeded" in dashboard and "<td>1</td><td>1</td>" in dashboard  # seen 1, created 1

    inbox = client.get(reverse("portal_sync:home")).content.decode()
    assert "Bando per mediatori culturali" in inbox
    item = ContentItem.objects.get(endpoint=endpoint)
    client.post(
        reverse("portal_sync:item_texts", args=[item.pk]),
        {"title_it": item.title_it, "title_ar": "إعلان للوسطاء الثقافيين", "summary_ar": "الطلبات حتى يناير"},
    )
    for verb in ("start_review", "approve", "publish"):
        client.post(reverse("portal_sync:item_move", args=[item.pk, verb]))
    item.refresh_from_db()
    assert item.state == ItemState.PUBLISHED

    visitor = Client(HTTP_ACCEPT_LANGUAGE="ar")
    news = visitor.get(reverse("news:list")).content.decode()
    assert "إعلان للوسطاء الثقافيين" in news
    detail = visitor.get(reverse("news:item", args=[item.public_id])).content.decode()
    assert "<strong>scade</strong>" in detail and "alert(1)" not in detail


def test_a_failing_endpoint_shows_in_red_with_its_last_error(client_for, editor, make_endpoint, httpserver):
    httpserver.expect_request("/feed.xml").respond_with_data("down", status=404)
    endpoint = make_endpoint(name="portale", url=httpserver.url_for("/feed.xml"))
    client = client_for(editor)
    client.post(reverse("portal_sync:run_now", args=[endpoint.pk]))
    assert SyncRun.objects.get(endpoint=endpoint).status == SyncRun.Status.FAILED
    html = client.get(reverse("portal_sync:operations")).content.decode()
    row = html[html.index('id="endpoint-portale"') :]
    row = row[: row.index("</tr>")]
    assert "bg-danger" in row and "Failing" in row and "404" in row
