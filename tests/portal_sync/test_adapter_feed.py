"""The feed adapter (Atom, RSS 2.0) against a real HTTP server on loopback: what each entry becomes,
and bad data refused record by record (or as one document) without ever crashing the run."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from portal_sync.adapters import pull_adapter
from portal_sync.adapters.base import Incoming, PullBatch, Rejection, RemoteError
from portal_sync.adapters.feed import parse_feed
from portal_sync.http import client_for
from portal_sync.models import Adapter, Endpoint, ItemKind

DATA = Path(__file__).parent / "data"
RSS = (DATA / "pim_notizie.rss").read_bytes()
ATOM = (DATA / "region_news.atom").read_bytes()


def pull(endpoint: Endpoint) -> PullBatch:
    with client_for(endpoint) as client:
        return pull_adapter(Adapter.FEED).pull(endpoint, client, cursor=endpoint.cursor)


def incoming(batch: PullBatch) -> dict[str, Incoming]:
    return {record.external_id: record for record in batch.records if isinstance(record, Incoming)}


def rejections(batch: PullBatch) -> list[Rejection]:
    return [record for record in batch.records if isinstance(record, Rejection)]


def rss(items: str, *, encoding: str = "UTF-8") -> str:
    return (
        f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel><title>PIM</title>'
        f"<link>https://www.integrazionemigranti.gov.it/</link><description>Notizie</description>{items}</channel></rss>"
    )


def test_an_rss_feed_of_the_portal_becomes_news_items(httpserver: HTTPServer, make_endpoint) -> None:
    httpserver.expect_request("/rss/notizie.xml").respond_with_data(RSS, content_type="application/rss+xml")
    endpoint = make_endpoint(url=httpserver.url_for("/rss/notizie.xml"))

    batch = pull(endpoint)

    items = incoming(batch)
    assert set(items) == {
        "pim-news-4101",
        "pim-news-4098",
        # No guid: the link is the id.
        "https://www.integrazionemigranti.gov.it/it-it/Dettaglio-news/id/4090/Protezione-speciale-novita",
    }
    assert not rejections(batch)
    assert batch.present_ids == set(items)
    assert batch.cursor is None
    flussi = items["pim-news-4101"]
    assert flussi.kind == ItemKind.NEWS
    assert flussi.title == "Decreto flussi 2026: aperte le domande per il lavoro stagionale"
    assert flussi.url.startswith("https://www.integrazionemigranti.gov.it/it-it/Dettaglio-news/id/4101/")
    assert flussi.language == "it"
    assert flussi.published_at == datetime.datetime(2026, 11, 27, 9, 15, tzinfo=datetime.UTC)
    assert "<strong>lavoro stagionale</strong>" in flussi.summary  # HTML as given: the engine sanitises
    assert "<li>Compilare il modulo C-stag</li>" in flussi.body
    assert flussi.payload == {"author": "Redazione PIM", "categories": ["Lavoro"]}


def test_an_atom_feed_keeps_ids_dates_and_languages(httpserver: HTTPServer, make_endpoint) -> None:
    httpserver.expect_request("/feeds/immigrazione.atom").respond_with_data(ATOM, content_type="application/atom+xml")
    endpoint = make_endpoint(url=httpserver.url_for("/feeds/immigrazione.atom"), item_kind=ItemKind.OPPORTUNITY)

    items = incoming(pull(endpoint))

    pua = items["tag:regione.basilicata.it,2026:news/812"]
    assert pua.kind == ItemKind.OPPORTUNITY
    assert pua.published_at == datetime.datetime(2026, 11, 26, 10, 0, tzinfo=datetime.UTC)
    assert pua.updated_at == datetime.datetime(2026, 11, 28, 8, 30, tzinfo=datetime.UTC)
    assert pua.language == "it"
    assert pua.summary == "<p>Da lunedì gli sportelli sono aperti anche il <em>sabato mattina</em>.</p>"
    assert pua.body == "<p>Gli sportelli PUA di Potenza e Matera ampliano gli orari di apertura.</p>"
    courses = items["tag:regione.basilicata.it,2026:news/809"]
    assert courses.language == "en"
    assert courses.published_at == courses.updated_at  # no <published>: the update date stands in


def test_the_kind_comes_from_the_options_and_from_categories(make_endpoint) -> None:
    items = incoming(parse_feed(RSS, kind=ItemKind.NEWS, opportunity_categories=["bandi"]))
    assert items["pim-news-4098"].kind == ItemKind.OPPORTUNITY
    assert items["pim-news-4101"].kind == ItemKind.NEWS

    from portal_sync.adapters.feed import endpoint_kind

    assert endpoint_kind(make_endpoint(item_kind="", options={"kind": "opportunity"})) == ItemKind.OPPORTUNITY
    assert endpoint_kind(make_endpoint(item_kind=ItemKind.NEWS, options={"kind": "opportunity"})) == ItemKind.NEWS
    assert endpoint_kind(make_endpoint(item_kind="", options={"kind": "nonsense"})) == ItemKind.NEWS


def test_a_feed_of_the_latest_entries_only_withdraws_nothing(httpserver: HTTPServer, make_endpoint) -> None:
    httpserver.expect_request("/feed").respond_with_data(RSS, content_type="application/rss+xml")
    endpoint = make_endpoint(url=httpserver.url_for("/feed"), options={"complete_feed": False})

    batch = pull(endpoint)

    assert len(incoming(batch)) == 3
    assert batch.present_ids is None


def test_bad_entries_are_rejected_one_by_one_and_still_count_as_present() -> None:
    document = rss(
        "<item><guid>ok-1</guid><title>Corso di italiano</title><pubDate>Fri, 27 Nov 2026 10:15:00 +0100</pubDate></item>"
        "<item><guid>no-title</guid><description>Senza titolo</description></item>"
        "<item><title>Né id né link</title></item>"
        "<item><guid>bad-date</guid><title>Data illeggibile</title><pubDate>il 32 di novembre</pubDate></item>"
        "<item><guid>ok-1</guid><title>Ripetuto</title></item>"
        f"<item><guid>{'x' * 400}</guid><title>Id troppo lungo</title></item>"
        "<item><guid>js</guid><title>Link strano</title><link>javascript:alert(1)</link></item>"
    ).encode()

    batch = parse_feed(document)

    assert set(incoming(batch)) == {"ok-1", "js"}
    assert incoming(batch)["js"].url == ""  # never a javascript: link
    reasons = {(rejection.external_id[:10], rejection.reason) for rejection in rejections(batch)}
    assert reasons == {
        ("no-title", "missing_field"),
        ("", "missing_field"),
        ("bad-date", "bad_value"),
        ("ok-1", "bad_value"),  # the same id twice: the second is refused, the first is taken once
        ("x" * 10, "bad_value"),
    }
    assert all(len(rejection.excerpt) <= 2000 for rejection in rejections(batch))
    assert "il 32 di novembre" in next(r.detail for r in rejections(batch) if r.external_id == "bad-date")
    # A record broken today is not withdrawn for it.
    assert {"no-title", "bad-date", "ok-1"} <= (batch.present_ids or set())


def test_html_with_scripts_passes_through_without_crashing(httpserver: HTTPServer, make_endpoint) -> None:
    document = rss(
        "<item><guid>xss</guid><title>Titolo &lt;b&gt;forte&lt;/b&gt;</title>"
        "<description>&lt;p onclick=\"steal()\"&gt;Ciao&lt;script&gt;alert('x')&lt;/script&gt;&lt;/p&gt;"
        '&lt;iframe src="https://evil.example"&gt;&lt;/iframe&gt;</description></item>'
    )
    httpserver.expect_request("/feed").respond_with_data(document, content_type="application/rss+xml; charset=utf-8")

    batch = pull(make_endpoint(url=httpserver.url_for("/feed")))

    item = incoming(batch)["xss"]
    assert "<script>alert('x')</script>" in item.summary  # the engine's sanitiser removes it, not the adapter
    assert item.title


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (b"<html><body><h1>502 Bad Gateway</h1>", "invalid_document"),
        (b'{"not": "a feed"}', "invalid_document"),
        (b"", "invalid_document"),
        (rss("<item><guid>a</guid><title>Città e perché</title></item>").encode("latin-1"), "encoding"),
    ],
    ids=["html", "json", "empty", "latin-1-declared-utf-8"],
)
def test_an_unreadable_document_is_one_rejection_and_withdraws_nothing(
    httpserver: HTTPServer, make_endpoint, document: bytes, reason: str
) -> None:
    httpserver.expect_request("/feed").respond_with_data(document, content_type="application/xml")

    batch = pull(make_endpoint(url=httpserver.url_for("/feed")))

    assert [rejection.reason for rejection in batch.records] == [reason]  # type: ignore[union-attr]
    assert batch.present_ids is None


def test_a_cut_off_document_gives_its_readable_entries_and_withdraws_nothing() -> None:
    whole = RSS.decode()
    cut = whole[: whole.index("<title>Permesso di soggiorno")].encode()

    batch = parse_feed(cut)

    assert {"pim-news-4101", "pim-news-4098"} <= set(incoming(batch))
    # The cut entry (neither id nor link left) is refused, and the document is reported as broken.
    assert [rejection.reason for rejection in rejections(batch)] == ["missing_field", "invalid_document"]
    assert batch.present_ids is None


def test_feedparser_never_fetches_a_url_it_is_given(httpserver: HTTPServer) -> None:
    # A body that is just an address must be read as a (bad) document, never requested.
    batch = parse_feed(httpserver.url_for("/elsewhere").encode())

    assert [rejection.reason for rejection in rejections(batch)] == ["invalid_document"]
    assert httpserver.log == []


def test_a_huge_feed_is_refused_by_fetch(httpserver: HTTPServer, make_endpoint) -> None:
    httpserver.expect_request("/feed").respond_with_data(RSS, content_type="application/rss+xml")
    endpoint = make_endpoint(url=httpserver.url_for("/feed"), options={"max_bytes": 1000})

    with pytest.raises(RemoteError, match="too large"):
        pull(endpoint)


def test_a_server_error_is_a_remote_error_not_a_rejection(httpserver: HTTPServer, make_endpoint, settings) -> None:
    settings.PORTAL_SYNC_HTTP_BACKOFF = 0
    httpserver.expect_request("/feed").respond_with_data("down", status=503)

    with pytest.raises(RemoteError):
        pull(make_endpoint(url=httpserver.url_for("/feed")))


# --- through the engine --------------------------------------------------------------------------


def test_a_feed_pulled_twice_writes_once_and_withdraws_what_left(httpserver: HTTPServer, make_endpoint) -> None:
    from portal_sync.models import ContentItem, ContentVersion, ItemState, SyncRun
    from portal_sync.services.engine import run_endpoint

    document = rss(
        "<item><guid>keep</guid><title>Sportello aperto</title>"
        "<description>&lt;p&gt;Ciao&lt;script&gt;alert(1)&lt;/script&gt;&lt;/p&gt;</description>"
        '<content:encoded xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        '&lt;p onclick="x()"&gt;Testo&lt;/p&gt;&lt;script&gt;alert(2)&lt;/script&gt;</content:encoded></item>'
        "<item><guid>leave</guid><title>Avviso scaduto</title></item>"
    )
    httpserver.expect_ordered_request("/feed").respond_with_data(document, content_type="application/rss+xml")
    httpserver.expect_ordered_request("/feed").respond_with_data(document, content_type="application/rss+xml")
    httpserver.expect_ordered_request("/feed").respond_with_data(
        document.replace("<item><guid>leave</guid><title>Avviso scaduto</title></item>", ""),
        content_type="application/rss+xml",
    )
    endpoint = make_endpoint(url=httpserver.url_for("/feed"))

    first = run_endpoint(endpoint)
    item = ContentItem.objects.get(endpoint=endpoint, external_id="keep")
    assert (first.status, first.created) == (SyncRun.Status.SUCCEEDED, 2)
    assert "script" not in item.summary + item.body and "onclick" not in item.body
    assert "Testo" in item.body

    second = run_endpoint(endpoint)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 2)
    assert ContentVersion.objects.filter(item__endpoint=endpoint).count() == 2

    third = run_endpoint(endpoint)
    assert third.withdrawn == 1
    assert ContentItem.objects.get(endpoint=endpoint, external_id="leave").state == ItemState.WITHDRAWN


def test_a_wrongly_encoded_feed_makes_a_partial_run_that_withdraws_nothing(
    httpserver: HTTPServer, make_endpoint
) -> None:
    from portal_sync.models import ContentItem, ItemState, RejectedRecord, SyncRun
    from portal_sync.services.engine import run_endpoint

    good = rss("<item><guid>a</guid><title>Città</title></item>")
    httpserver.expect_ordered_request("/feed").respond_with_data(good.encode(), content_type="application/xml")
    httpserver.expect_ordered_request("/feed").respond_with_data(good.encode("latin-1"), content_type="application/xml")
    endpoint = make_endpoint(url=httpserver.url_for("/feed"))
    run_endpoint(endpoint)

    run = run_endpoint(endpoint)

    assert (run.status, run.failed, run.withdrawn) == (SyncRun.Status.PARTIAL, 1, 0)
    assert RejectedRecord.objects.get(run=run).reason == RejectedRecord.Reason.ENCODING
    assert ContentItem.objects.get(endpoint=endpoint, external_id="a").state == ItemState.RECEIVED


def test_a_body_cut_off_in_transit_is_a_remote_error(httpserver: HTTPServer, make_endpoint, settings) -> None:
    from werkzeug import Response

    settings.PORTAL_SYNC_HTTP_BACKOFF = 0
    cut = Response(RSS[:500], content_type="application/rss+xml")
    cut.headers["Content-Length"] = str(len(RSS))  # promises more than it sends, then closes
    cut.automatically_set_content_length = False
    httpserver.expect_request("/feed").respond_with_response(cut)

    with pytest.raises(RemoteError, match="broke off"):
        pull(make_endpoint(url=httpserver.url_for("/feed")))


def test_an_unchanged_feed_is_not_downloaded_again(httpserver: HTTPServer, make_endpoint) -> None:
    from werkzeug import Request, Response

    from portal_sync.models import SyncRun
    from portal_sync.services.engine import run_endpoint

    asked: list[tuple[str | None, str | None]] = []

    def conditional(request: Request) -> Response:
        asked.append((request.headers.get("If-None-Match"), request.headers.get("If-Modified-Since")))
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304)
        headers = {"ETag": '"v1"', "Last-Modified": "Fri, 27 Nov 2026 15:30:00 GMT"}
        return Response(RSS, content_type="application/rss+xml", headers=headers)

    httpserver.expect_request("/feed").respond_with_handler(conditional)
    endpoint = make_endpoint(url=httpserver.url_for("/feed"))

    first = run_endpoint(endpoint)
    second = run_endpoint(endpoint)

    assert asked == [(None, None), ('"v1"', "Fri, 27 Nov 2026 15:30:00 GMT")]
    assert (first.created, second.status, second.seen, second.withdrawn) == (3, SyncRun.Status.SUCCEEDED, 0, 0)
    endpoint.refresh_from_db()
    assert endpoint.cursor == '{"etag": "\\"v1\\"", "last_modified": "Fri, 27 Nov 2026 15:30:00 GMT"}'


def test_validators_of_a_broken_document_are_not_kept(httpserver: HTTPServer, make_endpoint) -> None:
    httpserver.expect_request("/feed").respond_with_data(
        b"<rss><channel><item>", content_type="application/rss+xml", headers={"ETag": '"broken"'}
    )
    endpoint = make_endpoint(url=httpserver.url_for("/feed"), cursor='{"etag": "\\"v0\\""}')

    batch = pull(endpoint)

    assert batch.cursor is None  # the old validators stay: the next run fetches the document again
    assert httpserver.log[0][0].headers.get("If-None-Match") == '"v0"'


def test_conditional_requests_can_be_turned_off(httpserver: HTTPServer, make_endpoint) -> None:
    httpserver.expect_request("/feed").respond_with_data(RSS, headers={"ETag": '"v1"'})
    endpoint = make_endpoint(
        url=httpserver.url_for("/feed"), cursor='{"etag": "\\"v1\\""}', options={"conditional_get": False}
    )

    batch = pull(endpoint)

    assert len(incoming(batch)) == 3 and batch.cursor is None
    assert "If-None-Match" not in httpserver.log[0][0].headers


@pytest.mark.parametrize(
    ("content_type", "document"),
    [
        ("text/xml", RSS),  # no charset: RFC 3023 would say US-ASCII, the bytes are UTF-8
        ("application/rss+xml; charset=ISO-8859-1", RSS),  # a server-wide latin-1 default on a UTF-8 file
        ("text/html", RSS),
        ("application/xml", RSS.replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"')),  # declared wrong too
        ("application/xml", b"\xef\xbb\xbf" + RSS),  # with a byte-order mark
    ],
    ids=["text-xml", "server-latin-1", "text-html", "declared-latin-1", "bom"],
)
def test_utf8_bytes_are_read_as_utf8_whatever_is_declared(content_type: str, document: bytes) -> None:
    items = incoming(parse_feed(document, content_type=content_type))

    assert len(items) == 3
    assert items["pim-news-4101"].summary.startswith("<p>Dal 1° dicembre")  # not 'Dal 1Â° dicembre'


def test_latin1_bytes_are_read_when_the_document_or_the_server_says_latin1() -> None:
    declared = rss("<item><guid>a</guid><title>Città e perché</title></item>", encoding="ISO-8859-1").encode("latin-1")
    said_by_server = rss("<item><guid>a</guid><title>Città e perché</title></item>").encode("latin-1")

    assert incoming(parse_feed(declared, content_type="text/xml; charset=utf-8"))["a"].title == "Città e perché"
    assert incoming(parse_feed(said_by_server, content_type="text/xml; charset=iso-8859-1"))["a"].title == (
        "Città e perché"
    )
    # Nothing names latin-1: refused rather than guessed.
    assert [r.reason for r in rejections(parse_feed(said_by_server, content_type="application/xml"))] == ["encoding"]
