"""Our Atom feed /news/feed/: the published news and opportunities, one feed per language
(?lang=), entries with stable urn:uuid ids, their own xml:lang, the summary as plain text, at most
50, a 304 for a reader that has the current feed, and the news pages pointing at it."""

from __future__ import annotations

import datetime
import xml.etree.ElementTree as ET

import feedparser
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal_sync.feeds import FEED_LENGTH
from portal_sync.models import ContentItem, ItemKind, ItemState
from portal_sync.services import editorial
from tests.portal_sync.test_editorial import make_item

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def published(endpoint, minutes_ago: int = 0, **fields) -> ContentItem:
    fields.setdefault("state", ItemState.PUBLISHED)
    fields.setdefault("published_at", timezone.now() - datetime.timedelta(minutes=minutes_ago))
    return make_item(endpoint, **fields)


def get_feed(language: str | None = None, **headers):
    url = reverse("news:feed") + (f"?lang={language}" if language else "")
    return Client().get(url, **headers)


def entries(response) -> list[ET.Element]:
    return ET.fromstring(response.content).findall(f"{ATOM}entry")


def test_the_feed_is_valid_atom_with_the_published_items_newest_first(make_endpoint):
    endpoint = make_endpoint()
    old = published(endpoint, 10, title_it="Notizia vecchia")
    new = published(endpoint, 1, title_it="Bando nuovo", kind=ItemKind.OPPORTUNITY)
    make_item(endpoint, title_it="Da rivedere", state=ItemState.APPROVED)
    make_item(endpoint, title_it="Ritirata", state=ItemState.WITHDRAWN, published_at=timezone.now())
    published(endpoint, title_it="Un servizio", kind=ItemKind.SERVICE)

    response = get_feed()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert [e.title for e in parsed.entries] == ["Bando nuovo", "Notizia vecchia"]
    assert [e.id for e in parsed.entries] == [f"urn:uuid:{new.public_id}", f"urn:uuid:{old.public_id}"]
    assert parsed.entries[0].link == f"http://testserver/news/{new.public_id}/"

    # RFC 4287's required elements: feed id, title, updated, author (or one per entry); entry id,
    # title, updated, and an alternate link (we have no content element).
    root = ET.fromstring(response.content)
    for name in ("id", "title", "updated", "author"):
        assert root.find(f"{ATOM}{name}") is not None, name
    assert root.find(f"{ATOM}author/{ATOM}name").text
    assert root.find(f"{ATOM}link[@rel='self']").get("href") == "http://testserver/news/feed/"
    for entry in entries(response):
        for name in ("id", "title", "updated", "published"):
            assert entry.find(f"{ATOM}{name}").text, name
        assert entry.find(f"{ATOM}link[@rel='alternate']") is not None


def test_one_feed_per_language_with_the_language_of_each_text(make_endpoint):
    endpoint = make_endpoint()
    published(endpoint, 3, title_it="Bando lavoro", title_ar="إعلان عمل", summary_it="Riassunto", summary_ar="ملخص")
    published(endpoint, 2, title_it="Solo titolo", title_ar="العنوان فقط", summary_it="Solo italiano")
    published(endpoint, 1, title_it="Solo in italiano", summary_it="Niente traduzione")

    response = get_feed("ar")
    root = ET.fromstring(response.content)
    assert root.get(XML_LANG) == "ar"
    assert root.find(f"{ATOM}link[@rel='self']").get("href") == "http://testserver/news/feed/?lang=ar"
    by_title = {e.find(f"{ATOM}title").text: e for e in entries(response)}
    assert set(by_title) == {"إعلان عمل", "العنوان فقط", "Solo in italiano"}
    assert by_title["إعلان عمل"].get(XML_LANG) == "ar"
    assert by_title["إعلان عمل"].find(f"{ATOM}summary").get(XML_LANG) is None  # the entry's own language
    assert by_title["إعلان عمل"].find(f"{ATOM}summary").text == "ملخص"
    # A translated title over an Italian summary: each says its own language.
    assert by_title["العنوان فقط"].get(XML_LANG) == "ar"
    assert by_title["العنوان فقط"].find(f"{ATOM}summary").get(XML_LANG) == "it"
    assert by_title["Solo in italiano"].get(XML_LANG) == "it"
    parsed = feedparser.parse(response.content)
    assert {e.title: e.title_detail.language for e in parsed.entries}["Solo in italiano"] == "it"

    italian = ET.fromstring(get_feed().content)
    assert italian.get(XML_LANG) == "it"
    assert italian.find(f"{ATOM}id").text != root.find(f"{ATOM}id").text
    assert "إعلان عمل" not in get_feed().content.decode()


def test_an_unknown_language_is_refused_with_a_reason(make_endpoint, settings):
    settings.LANGUAGE_CODE = "en"
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("news:feed") + "?lang=xx")
    assert response.status_code == 400
    assert "No feed in that language" in response.content.decode()


def test_the_summary_is_plain_text_and_titles_are_not_escaped_twice(make_endpoint):
    published(
        make_endpoint(),
        title_it="Corsi & tirocini <2027>",
        summary_it="<em>Iscrizioni</em> <script>alert(1)</script>aperte",
    )
    response = get_feed()
    entry = entries(response)[0]
    assert entry.find(f"{ATOM}title").text == "Corsi & tirocini <2027>"
    summary = entry.find(f"{ATOM}summary")
    assert summary.get("type") == "text"
    assert summary.text == "Iscrizioni aperte"
    assert b"<script" not in response.content and b"&lt;script" not in response.content


def test_the_ids_stay_the_same_when_the_item_changes(make_endpoint, editor):
    item = published(make_endpoint(), title_it="Bando")
    first = entries(get_feed())[0].find(f"{ATOM}id").text
    editorial.save_texts(item, by=editor, fields={"title_it": "Bando rinnovato"})
    entry = entries(get_feed())[0]
    assert entry.find(f"{ATOM}title").text == "Bando rinnovato"
    assert entry.find(f"{ATOM}id").text == first


def test_at_most_the_fifty_newest(make_endpoint, django_assert_max_num_queries):
    endpoint = make_endpoint()
    for minutes in range(FEED_LENGTH + 5):
        published(endpoint, minutes, title_it=f"Notizia {minutes}")
    with django_assert_max_num_queries(4):
        response = get_feed()
    titles = [e.find(f"{ATOM}title").text for e in entries(response)]
    assert len(titles) == FEED_LENGTH
    assert titles[0] == "Notizia 0" and f"Notizia {FEED_LENGTH}" not in titles


def test_a_reader_with_the_current_feed_gets_304_until_it_changes(make_endpoint, editor):
    endpoint = make_endpoint()
    item = published(endpoint, 5, title_it="Bando")
    first = get_feed()
    etag, modified = first["ETag"], first["Last-Modified"]
    assert get_feed(HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert get_feed(HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    assert get_feed("ar", HTTP_IF_NONE_MATCH=etag).status_code == 200  # another language, another feed

    editorial.withdraw(item, by=editor, reason="Scaduto")
    changed = get_feed(HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert entries(changed) == []
    assert changed["ETag"] != etag


def test_an_empty_feed_is_still_valid_atom(db):
    response = get_feed()
    parsed = feedparser.parse(response.content)
    assert response.status_code == 200 and not parsed.bozo and parsed.entries == []
    assert ET.fromstring(response.content).find(f"{ATOM}updated").text


@pytest.mark.parametrize(("language", "href"), [("it", "/news/feed/"), ("ar", "/news/feed/?lang=ar")])
def test_the_news_pages_point_to_the_feed_in_their_language(make_endpoint, language, href):
    item = published(make_endpoint())
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    link = f'<link rel="alternate" type="application/atom+xml" href="{href}"'
    assert link in client.get(reverse("news:list")).content.decode()
    assert link in client.get(reverse("news:item", args=[item.public_id])).content.decode()
