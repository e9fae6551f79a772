"""Calendar files of Action 4: the public feeds (all events, one event, one association) and the
file of a booking, checked by parsing them back with icalendar."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from icalendar import Calendar

from associations import ics
from associations.models import Association, EventStatus, Session


def _parse(body: bytes) -> tuple[Calendar, list]:
    calendar = Calendar.from_ical(body)
    return calendar, [component for component in calendar.walk("VEVENT")]


def _feed(response) -> tuple[Calendar, list]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return _parse(response.content)


def test_session_calendar_writes_one_vevent_per_session_in_utc(workshop_session, settings):
    settings.SITE_URL = "https://aipim.example.org"
    calendar, (vevent,) = _parse(ics.session_calendar([workshop_session], name="Prova"))
    assert str(calendar["version"]) == "2.0"
    assert str(calendar["x-wr-calname"]) == "Prova"
    assert str(vevent["uid"]) == f"{workshop_session.public_id}@aipim"
    assert vevent.decoded("dtstart") == workshop_session.starts_at
    assert vevent.decoded("dtstart").utcoffset() == datetime.timedelta(0)
    assert vevent.decoded("dtend") == workshop_session.ends_at
    assert str(vevent["location"]) == "Centro interculturale, Via Pretoria 10, Potenza"
    assert str(vevent["url"]) == "https://aipim.example.org/events/cucina-siriana/"
    assert str(vevent["status"]) == "CONFIRMED"


def test_session_calendar_titles_are_in_the_active_language(workshop_session):
    with translation.override("ar"):
        _calendar, (vevent,) = _parse(ics.session_calendar([workshop_session], name="x"))
    assert str(vevent["summary"]) == "المطبخ السوري للجميع"
    with translation.override("it"):
        _calendar, (vevent,) = _parse(ics.session_calendar([workshop_session], name="x"))
    assert str(vevent["summary"]) == "Cucina siriana per tutti"


def test_cancelled_sessions_are_marked_cancelled(workshop, make_session):
    make_session(workshop, status=Session.Status.CANCELLED)
    _calendar, (vevent,) = _parse(ics.session_calendar(workshop.sessions.all(), name="x"))
    assert str(vevent["status"]) == "CANCELLED"


def test_all_events_feed_has_the_sessions_of_public_events_only(
    client, ponti, other_association, workshop_session, series, make_event, make_session
):
    make_session(make_event(ponti, status=EventStatus.DRAFT))
    make_session(make_event(other_association))
    Association.objects.filter(pk=other_association.pk).update(is_public=False)
    make_session(make_event(ponti), starts_at=timezone.now() - datetime.timedelta(days=60))  # long past
    partner = make_session(make_event(None))
    _calendar, vevents = _feed(client.get(reverse("events:calendar")))
    expected = {workshop_session, *series.sessions.all(), partner}
    assert {str(v["uid"]) for v in vevents} == {f"{s.public_id}@aipim" for s in expected}


def test_event_feed_lists_its_sessions(client, series):
    _calendar, vevents = _feed(client.get(reverse("events:event_ics", args=[series.slug])))
    assert len(vevents) == 3
    assert {str(v["summary"]) for v in vevents} == {"Arabo di base"}


def test_feeds_follow_the_visitors_language(client, workshop_session):
    client.cookies["django_language"] = "en"
    _calendar, (vevent,) = _feed(client.get(reverse("events:event_ics", args=["cucina-siriana"])))
    assert str(vevent["summary"]) == "Syrian cooking for everyone"


def test_association_feed_has_only_its_events(
    client, ponti, other_association, workshop_session, make_event, make_session
):
    make_session(make_event(other_association))
    _calendar, vevents = _feed(client.get(reverse("events:association_ics", args=[ponti.slug])))
    assert [str(v["uid"]) for v in vevents] == [f"{workshop_session.public_id}@aipim"]


@pytest.mark.parametrize("private", [True, False])
def test_feeds_of_hidden_things_are_not_found(client, other_association, make_event, private):
    event = make_event(other_association, status=EventStatus.PUBLISHED if private else EventStatus.DRAFT)
    if private:
        Association.objects.filter(pk=other_association.pk).update(is_public=False)
    assert client.get(reverse("events:event_ics", args=[event.slug])).status_code == 404


def test_booking_calendar_has_the_session_code_and_manage_link(workshop_session, make_booking):
    booking = make_booking(workshop_session, seats=2, reference="ABC123")
    with translation.override("en"):
        calendar, (vevent,) = _parse(ics.booking_calendar(booking, manage_url="https://x.example/b/tok/"))
    assert str(calendar["method"]) == "PUBLISH"
    assert str(vevent["uid"]) == f"{workshop_session.public_id}@aipim"
    description = str(vevent["description"])
    assert "ABC123" in description and "https://x.example/b/tok/" in description and "Seats: 2" in description


def test_booking_calendar_of_a_series_has_every_session(series, make_booking):
    booking = make_booking(series, seats=1)
    _calendar, vevents = _parse(ics.booking_calendar(booking, manage_url="https://x.example/b/tok/"))
    assert {str(v["uid"]) for v in vevents} == {f"{s.public_id}@aipim" for s in series.sessions.all()}
    assert all(booking.reference in str(v["description"]) for v in vevents)
