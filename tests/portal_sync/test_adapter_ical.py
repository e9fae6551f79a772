"""The iCalendar adapter against a real HTTP server on loopback: what each VEVENT becomes, and bad
events or files refused with a reason, never a crash."""

from __future__ import annotations

import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pytest_httpserver import HTTPServer

from portal_sync.adapters import pull_adapter
from portal_sync.adapters.base import Incoming, PullBatch, Rejection, RemoteError
from portal_sync.adapters.ical import parse_calendar
from portal_sync.http import client_for
from portal_sync.models import Adapter, Endpoint, ItemKind

ICS = (Path(__file__).parent / "data" / "eventi_rete.ics").read_bytes()
ROME = ZoneInfo("Europe/Rome")
CV = "laboratorio-cv-2026-12@rete-associazioni.basilicata.it"
DAY = "giornata-diritti-2026@rete-associazioni.basilicata.it"
LEGAL = "sportello-legale@rete-associazioni.basilicata.it"
CANCELLED = "cineforum-2026-12@rete-associazioni.basilicata.it"


def pull(endpoint: Endpoint) -> PullBatch:
    with client_for(endpoint) as client:
        return pull_adapter(Adapter.ICAL).pull(endpoint, client, cursor="")


def incoming(batch: PullBatch) -> dict[str, Incoming]:
    return {record.external_id: record for record in batch.records if isinstance(record, Incoming)}


def rejections(batch: PullBatch) -> list[Rejection]:
    return [record for record in batch.records if isinstance(record, Rejection)]


def calendar(*events: str) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//IT"]
    for event in events:
        lines += ["BEGIN:VEVENT", *event.strip().splitlines(), "END:VEVENT"]
    return ("\r\n".join([*lines, "END:VCALENDAR"]) + "\r\n").encode()


def test_each_event_of_the_calendar_becomes_an_event_item(httpserver: HTTPServer, make_endpoint) -> None:
    httpserver.expect_request("/eventi.ics").respond_with_data(ICS, content_type="text/calendar; charset=utf-8")
    endpoint = make_endpoint(adapter=Adapter.ICAL, url=httpserver.url_for("/eventi.ics"), item_kind="")

    batch = pull(endpoint)

    items = incoming(batch)
    assert set(items) == {CV, DAY, LEGAL}
    assert not rejections(batch)
    cv = items[CV]
    assert cv.kind == ItemKind.EVENT
    assert cv.title == "Laboratorio: scrivere il curriculum in italiano"
    assert cv.body == (
        "Un pomeriggio con le mediatrici della rete per preparare il CV\n"
        "e la lettera di presentazione. Portare un documento d'identità."
    )
    assert cv.starts_at == datetime.datetime(2026, 12, 5, 15, tzinfo=ROME)
    assert cv.ends_at == datetime.datetime(2026, 12, 5, 18, tzinfo=ROME)
    assert cv.starts_at.utcoffset() == datetime.timedelta(hours=1)
    assert cv.location == "Casa delle Culture, Via del Popolo 12, Potenza"
    assert cv.url == "https://rete-associazioni.basilicata.it/eventi/laboratorio-cv"
    assert cv.language == "it"
    assert cv.updated_at == datetime.datetime(2026, 11, 25, 10, 15, tzinfo=datetime.UTC)
    assert cv.payload == {
        "categories": ["Formazione", "Lavoro"],
        "organizer": "mailto:eventi@rete-associazioni.basilicata.it",
    }
    # An all-day event starts at midnight in Rome.
    assert items[DAY].starts_at == datetime.datetime(2026, 12, 18, 0, 0, tzinfo=ROME)
    assert items[DAY].ends_at == datetime.datetime(2026, 12, 19, 0, 0, tzinfo=ROME)
    # DURATION gives the end; the recurrence rule is kept, not expanded.
    assert items[LEGAL].ends_at == datetime.datetime(2026, 12, 2, 12, 0, tzinfo=ROME)
    assert items[LEGAL].payload["rrule"] == "FREQ=WEEKLY;COUNT=8;BYDAY=WE"
    # Every UID is present except the cancelled event, which the engine therefore withdraws.
    assert batch.present_ids == {CV, DAY, LEGAL}
    assert CANCELLED not in items
    assert batch.cursor is None


def test_dtstamp_does_not_change_what_an_event_is() -> None:
    first = parse_calendar(ICS)
    regenerated = parse_calendar(ICS.replace(b"DTSTAMP:20261130T060000Z", b"DTSTAMP:20261201T000000Z"))

    assert first.records == regenerated.records


def test_the_endpoint_kind_is_kept(make_endpoint, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/eventi.ics").respond_with_data(ICS, content_type="text/calendar")
    endpoint = make_endpoint(
        adapter=Adapter.ICAL, url=httpserver.url_for("/eventi.ics"), item_kind=ItemKind.OPPORTUNITY
    )

    assert {item.kind for item in incoming(pull(endpoint)).values()} == {ItemKind.OPPORTUNITY}


def test_a_floating_time_is_read_in_rome_and_an_override_is_its_own_item() -> None:
    batch = parse_calendar(
        calendar(
            "UID:corso\nDTSTART:20260715T100000\nSUMMARY:Corso estivo",
            "UID:corso\nRECURRENCE-ID:20260722T100000\nDTSTART:20260722T110000\nSUMMARY:Corso estivo (spostato)",
        )
    )

    items = incoming(batch)
    assert items["corso"].starts_at == datetime.datetime(2026, 7, 15, 10, tzinfo=ROME)
    assert items["corso"].starts_at.utcoffset() == datetime.timedelta(hours=2)
    moved = items["corso#2026-07-22T10:00:00+02:00"]
    assert moved.starts_at == datetime.datetime(2026, 7, 22, 11, tzinfo=ROME)


def test_bad_events_are_rejected_one_by_one() -> None:
    batch = parse_calendar(
        calendar(
            "UID:ok\nDTSTART:20261201T100000Z\nSUMMARY:Va bene",
            "DTSTART:20261201T100000Z\nSUMMARY:Senza UID",
            "UID:no-start\nSUMMARY:Senza inizio",
            "UID:bad-start\nDTSTART:20261399T999999\nSUMMARY:Inizio illeggibile",
            "UID:no-title\nDTSTART:20261201T100000Z",
            "UID:ok\nDTSTART:20261202T100000Z\nSUMMARY:Stesso UID",
            "UID:xss\nDTSTART:20261201T100000Z\nSUMMARY:Ciao\nDESCRIPTION:<script>alert(1)</script><b>ok</b>\n"
            "URL:javascript:alert(1)",
            "UID:backwards\nDTSTART:20261201T100000Z\nDTEND:20261130T100000Z\nSUMMARY:Fine prima dell'inizio",
        )
    )

    items = incoming(batch)
    assert set(items) == {"ok", "xss", "backwards"}
    assert items["ok"].title == "Va bene"  # the first of two with one UID
    assert items["xss"].body == "<script>alert(1)</script><b>ok</b>"  # passed through: the engine sanitises
    assert items["xss"].url == ""
    assert items["backwards"].ends_at is None
    refused = {(rejection.external_id, rejection.reason) for rejection in rejections(batch)}
    assert refused == {
        ("", "missing_field"),
        ("no-start", "missing_field"),
        ("bad-start", "bad_value"),
        ("no-title", "missing_field"),
        ("ok", "bad_value"),
    }
    assert all(rejection.excerpt and len(rejection.excerpt) <= 2000 for rejection in rejections(batch))
    # Broken today is not gone: those are not withdrawn.
    assert {"no-start", "bad-start", "no-title"} <= (batch.present_ids or set())


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (b"<html><body>Not found</body></html>", "invalid_document"),
        (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a\r\n", "invalid_document"),
        (b"BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20261201\r\nSUMMARY:x\r\nEND:VEVENT\r\n", "invalid_document"),
        (b"", "invalid_document"),
        (calendar("UID:a\nDTSTART:20261201\nSUMMARY:Festa della città").decode().encode("latin-1"), "encoding"),
    ],
    ids=["html", "truncated", "no-vcalendar", "empty", "latin-1"],
)
def test_an_unreadable_calendar_is_one_rejection_and_withdraws_nothing(
    httpserver: HTTPServer, make_endpoint, document: bytes, reason: str
) -> None:
    httpserver.expect_request("/eventi.ics").respond_with_data(document, content_type="text/calendar; charset=utf-8")

    batch = pull(make_endpoint(adapter=Adapter.ICAL, url=httpserver.url_for("/eventi.ics")))

    assert [rejection.reason for rejection in rejections(batch)] == [reason]
    assert not incoming(batch)
    assert batch.present_ids is None


def test_a_huge_calendar_is_refused_by_fetch(httpserver: HTTPServer, make_endpoint) -> None:
    httpserver.expect_request("/eventi.ics").respond_with_data(ICS, content_type="text/calendar")
    endpoint = make_endpoint(adapter=Adapter.ICAL, url=httpserver.url_for("/eventi.ics"), options={"max_bytes": 500})

    with pytest.raises(RemoteError, match="too large"):
        pull(endpoint)


# --- through the engine --------------------------------------------------------------------------


def test_a_calendar_regenerated_with_new_stamps_writes_nothing(httpserver: HTTPServer, make_endpoint) -> None:
    from portal_sync.models import ContentItem
    from portal_sync.services.engine import run_endpoint

    httpserver.expect_ordered_request("/eventi.ics").respond_with_data(ICS, content_type="text/calendar")
    httpserver.expect_ordered_request("/eventi.ics").respond_with_data(
        ICS.replace(b"DTSTAMP:20261130T060000Z", b"DTSTAMP:20261201T070000Z"), content_type="text/calendar"
    )
    endpoint = make_endpoint(adapter=Adapter.ICAL, url=httpserver.url_for("/eventi.ics"), item_kind=ItemKind.EVENT)

    first = run_endpoint(endpoint)
    second = run_endpoint(endpoint)

    assert (first.created, second.created, second.updated, second.unchanged) == (3, 0, 0, 3)
    day = ContentItem.objects.get(endpoint=endpoint, external_id=DAY)
    assert (day.kind, day.location) == (ItemKind.EVENT, "Piazza Vittorio Veneto, Matera")
    assert day.starts_at == datetime.datetime(2026, 12, 18, tzinfo=ROME)


def test_a_server_that_names_latin1_is_believed(httpserver: HTTPServer, make_endpoint) -> None:
    document = calendar("UID:a\nDTSTART:20261201\nSUMMARY:Festa della città").decode().encode("latin-1")
    httpserver.expect_request("/eventi.ics").respond_with_data(
        document, content_type="text/calendar; charset=ISO-8859-1"
    )

    batch = pull(make_endpoint(adapter=Adapter.ICAL, url=httpserver.url_for("/eventi.ics")))

    assert incoming(batch)["a"].title == "Festa della città"
    assert batch.present_ids == {"a"}
