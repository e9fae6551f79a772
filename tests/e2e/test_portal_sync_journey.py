"""The editors' journey of Action 3 in the browser, with the portal played by a real feed server on
loopback: the editor logs in (password and second factor); a run started from the operations page
brings two new items into the inbox; the editor opens one, starts the review, translates its title
and summary into Arabic, approves and publishes it; a visitor switches /news/ to Arabic (right to
left) and reads it, and our Atom feed in Arabic carries it. Then the portal's feed breaks (500): a
run from the page leaves the endpoint red, "Failing", with its last error. Also axe on the news
pages on a desktop (the phone is checked in tests/portal_sync/test_pages_accessibility.py) and on
the editors' pages with the demo data."""

from __future__ import annotations

import re
from typing import Any

import feedparser
import pytest
from django.urls import reverse
from django.utils import timezone

from portal_sync.models import Adapter, ContentItem, Direction, Endpoint, ItemKind, ItemState, SyncRun
from tests.e2e.conftest import axe_violations, current_totp_code
from tests.factories import PASSWORD

PORTAL_FEED = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="it">
  <title>Portale Integrazione Migranti</title>
  <id>urn:pim:notizie</id>
  <updated>2026-11-20T10:00:00Z</updated>
  <author><name>Portale Integrazione Migranti</name></author>
  <entry>
    <title>Corsi gratuiti di italiano a Potenza</title>
    <id>urn:pim:notizie:101</id>
    <link href="https://portale.example.org/notizie/101"/>
    <updated>2026-11-20T10:00:00Z</updated>
    <summary>Iscrizioni aperte ai corsi dal livello A1 al B1.</summary>
    <content type="html">&lt;p&gt;I corsi sono &lt;strong&gt;gratuiti&lt;/strong&gt;.&lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt;</content>
  </entry>
  <entry>
    <title>Sportello lavoro a Matera</title>
    <id>urn:pim:notizie:102</id>
    <link href="https://portale.example.org/notizie/102"/>
    <updated>2026-11-19T09:00:00Z</updated>
    <summary>Orientamento al lavoro il martedì.</summary>
  </entry>
</feed>"""

TITLE_AR = "دورات مجانية للغة الإيطالية في بوتنزا"
SUMMARY_AR = "التسجيل مفتوح للدورات من المستوى A1 إلى B1."
PHONE, DESKTOP = 390, 1280


@pytest.fixture
def portal(httpserver, settings) -> Endpoint:
    settings.PORTAL_SYNC_HTTP_ATTEMPTS = 2  # a broken feed fails after one retry, not four
    httpserver.expect_request("/notizie.atom").respond_with_data(PORTAL_FEED, content_type="application/atom+xml")
    return Endpoint.objects.create(
        name="portale-notizie",
        title="Portale Integrazione Migranti",
        adapter=Adapter.FEED,
        direction=Direction.PULL,
        url=httpserver.url_for("/notizie.atom"),
        item_kind=ItemKind.NEWS,
        timeout_seconds=5,
    )


def run_from_the_page(page: Any, endpoint: Endpoint) -> None:
    page.goto(reverse("portal_sync:operations"))
    page.locator(f"#endpoint-{endpoint.name} form button[type=submit]").click()
    page.wait_for_url(re.compile(re.escape(reverse("portal_sync:operations")) + "$"))


def test_editor_translates_an_item_into_arabic_publishes_it_and_sees_a_failing_feed_in_red(
    new_page, live_server, httpserver, portal, editor
):
    # The editor logs in with password and second factor (English, one of the staff languages).
    page = new_page(language="en")
    page.set_default_timeout(15_000)
    page.goto(reverse("account_login"))
    page.locator('input[name="login"]').fill(editor.email)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('main form button[type="submit"]').click()
    page.wait_for_url(re.compile(re.escape(reverse("mfa_authenticate")) + "$"))
    page.locator('input[name="code"]').fill(current_totp_code(editor))
    page.locator('main form button[type="submit"]:not([form])').click()
    page.wait_for_url(live_server.url + reverse("core:dashboard"))
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Portal link").click()
    page.wait_for_url(live_server.url + reverse("portal_sync:home"))

    # A run from the operations page brings the portal's new items into the inbox.
    run_from_the_page(page, portal)
    assert SyncRun.objects.get(endpoint=portal).status == SyncRun.Status.SUCCEEDED
    page.goto(reverse("portal_sync:home"))
    inbox = page.locator("#items")
    assert inbox.locator("tbody tr").count() == 2
    row = inbox.locator("tbody tr", has_text="Corsi gratuiti di italiano a Potenza")
    assert row.locator(".badge").inner_text() == "Received"

    # The editor opens it: the script the portal sent is gone, the markup kept.
    row.get_by_role("link", name="Corsi gratuiti di italiano a Potenza").click()
    item = ContentItem.objects.get(endpoint=portal, external_id="urn:pim:notizie:101")
    page.wait_for_url(live_server.url + reverse("portal_sync:item", args=[item.pk]))
    assert page.locator("main strong", has_text="gratuiti").count() == 1
    assert "alert(1)" not in page.content()

    page.get_by_role("button", name="Start the review").click()
    page.wait_for_url(live_server.url + reverse("portal_sync:item", args=[item.pk]))
    assert page.locator("#item-state .badge").inner_text() == "In review"

    # Arabic title and summary, typed into fields that are themselves right to left.
    title_ar = page.locator('textarea[name="title_ar"], input[name="title_ar"]')
    assert title_ar.get_attribute("dir") == "rtl"
    title_ar.fill(TITLE_AR)
    page.locator('textarea[name="summary_ar"]').fill(SUMMARY_AR)
    page.get_by_role("button", name="Save the texts").click()
    page.wait_for_url(live_server.url + reverse("portal_sync:item", args=[item.pk]))
    item.refresh_from_db()
    assert (item.title_ar, item.summary_ar, item.title_it) == (
        TITLE_AR,
        SUMMARY_AR,
        "Corsi gratuiti di italiano a Potenza",
    )

    page.get_by_role("button", name="Approve").click()
    page.wait_for_url(live_server.url + reverse("portal_sync:item", args=[item.pk]))
    page.get_by_role("button", name="Publish").click()
    page.wait_for_url(live_server.url + reverse("portal_sync:item", args=[item.pk]))
    assert page.locator("#item-state .badge").inner_text() == "Published"
    assert "Texts saved" in page.locator("#history").inner_text()

    # A visitor reads the news in Italian, switches to Arabic with the switcher: right to left.
    visitor = new_page(language="it", width=PHONE)
    visitor.set_default_timeout(15_000)
    visitor.goto(reverse("news:list"))
    assert visitor.locator("main article").count() == 1
    assert visitor.locator("main article h2").inner_text() == "Corsi gratuiti di italiano a Potenza"
    visitor.locator('form.portal-lang-form button[value="ar"]').click()
    visitor.locator('html[lang="ar"]').wait_for(state="attached")
    assert visitor.locator("html").get_attribute("dir") == "rtl"
    card = visitor.locator("main article")
    assert card.locator("h2").inner_text() == TITLE_AR
    assert card.locator("h2").get_attribute("lang") == "ar"
    card.get_by_role("link", name=TITLE_AR).click()
    visitor.wait_for_url(live_server.url + reverse("news:item", args=[item.public_id]))
    assert visitor.locator("main h1").inner_text() == TITLE_AR
    assert visitor.locator("main .lead").inner_text() == SUMMARY_AR
    # The page points feed readers at the Arabic feed, which carries the item.
    feed_href = visitor.locator('link[rel="alternate"][type="application/atom+xml"]').get_attribute("href")
    assert feed_href == reverse("news:feed") + "?lang=ar"
    feed = visitor.request.get(live_server.url + feed_href)
    assert feed.ok and feed.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(feed.body())
    assert not parsed.bozo
    assert [(e.title, e.summary, e.id) for e in parsed.entries] == [
        (TITLE_AR, SUMMARY_AR, f"urn:uuid:{item.public_id}")
    ]
    assert parsed.entries[0].link == live_server.url + reverse("news:item", args=[item.public_id])

    # The portal's feed breaks: a run from the page leaves the endpoint red with its last error.
    httpserver.clear()
    httpserver.expect_request("/notizie.atom").respond_with_data("boom", status=500)
    run_from_the_page(page, portal)
    row = page.locator(f"#endpoint-{portal.name}")
    assert row.locator(".badge.bg-danger").inner_text() == "Failing"
    portal.refresh_from_db()
    assert portal.consecutive_failures == 1 and "500" in portal.last_error
    assert portal.last_error in row.locator(".text-danger").inner_text()
    assert page.locator("#runs tbody tr").first.get_by_text(portal.last_error).count() == 1
    # What was published stays published.
    item.refresh_from_db()
    assert item.state == ItemState.PUBLISHED


@pytest.mark.parametrize("language", ["it", "ar"])
def test_the_news_pages_pass_axe_on_a_desktop(new_page, language, db):
    endpoint = Endpoint.objects.create(
        name="portale",
        title="Portale",
        adapter=Adapter.FEED,
        direction=Direction.PULL,
        url="https://portale.example.org/f",
    )
    item = ContentItem.objects.create(
        endpoint=endpoint,
        external_id="urn:pim:1",
        kind=ItemKind.OPPORTUNITY,
        state=ItemState.PUBLISHED,
        published_at=timezone.now(),
        title_it="Tirocini retribuiti in agricoltura",
        title_ar="تدريب مهني مدفوع الأجر في الزراعة",
        summary_it="Sei mesi con indennità mensile.",
        body="<p>Domande entro <strong>marzo</strong>.</p>",
        content_hash="h1",
    )
    page = new_page(language=language, width=DESKTOP)
    failures = {}
    for path in (reverse("news:list"), reverse("news:item", args=[item.public_id])):
        assert page.goto(path).status == 200, path
        assert page.locator("html").get_attribute("lang") == language
        if problems := axe_violations(page):
            failures[path] = problems
    assert failures == {}


@pytest.mark.parametrize(("language", "width"), [("it", DESKTOP), ("ar", PHONE)])
def test_the_editors_pages_with_the_demo_data_pass_axe_and_fit_a_phone(new_page, editor, language, width):
    """The demo has every state, a failed run and rejected records: every badge, form and table is drawn."""
    from portal_sync import demo

    demo.seed({})
    changed = ContentItem.objects.get(changed_after_publishing=True)
    page = new_page(language=language, width=width, user=editor)
    failures, sideways = {}, []
    for path in (
        reverse("portal_sync:home"),
        reverse("portal_sync:item", args=[changed.pk]),
        reverse("portal_sync:run", args=[SyncRun.objects.get(status=SyncRun.Status.PARTIAL).pk]),
        reverse("portal_sync:rejections"),
    ):
        assert page.goto(path).status == 200, path
        if problems := axe_violations(page):
            failures[path] = problems
        if page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth"):
            sideways.append(path)
    assert failures == {}
    assert sideways == []
