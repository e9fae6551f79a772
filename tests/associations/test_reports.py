"""The "Action 4 – associations" report: every figure against the list that shows the same thing for
the same filters (each test names the list), held sessions only, series bookings on each session,
the municipality filter, small numbers suppressed and no personal data in the report."""

from __future__ import annotations

import datetime
import re
import subprocess

import pytest
from django.db.models import Q, Sum
from django.utils import timezone, translation

from aipim.reports import rendering
from aipim.reports.registry import get_builder
from associations.models import (
    Booking,
    BookingMode,
    BookingStatus,
    CheckIn,
    EventKind,
    EventStatus,
    Network,
    NetworkMembership,
    NetworkSpecialty,
    Session,
)
from associations.reports import action4_figures, period_bounds
from associations.selectors import EventFilters, public_events
from tests.factories import municipality

TODAY = timezone.localdate()
DATE_FROM = TODAY - datetime.timedelta(days=60)
DATE_TO = TODAY - datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def at(days_ago: int, hour: int = 10) -> datetime.datetime:
    day = TODAY - datetime.timedelta(days=days_ago)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def tick(booking: Booking, session: Session, people: int) -> None:
    CheckIn.objects.create(booking=booking, session=session, seats=people)


@pytest.fixture
def season(ponti, other_association, make_event, make_session, make_booking):
    """In the period: Ponti's migrant-led workshop (one session at Potenza: three confirmed bookings, two
    ticked present, one cancelled, one expired offer) and its series (two sessions held at Potenza, a
    third still to come; two confirmed series bookings and one waiting); Sabir's event at Matera (five
    residents, all present); a partner event at Matera (one booking, no one came); a cancelled session
    with its cancelled booking; a draft event's session. Out of the period: an older session of the
    workshop. A legal network with Ponti as member."""
    potenza, matera = municipality("Potenza"), municipality("Matera")
    workshop = make_event(ponti, is_migrant_led=True, kind=EventKind.WORKSHOP)
    s_a = make_session(workshop, starts_at=at(20), capacity=10, municipality=potenza)
    b1 = make_booking(s_a, seats=2, audience="migrants", name="Amina Haddad")
    b2 = make_booking(s_a, audience="residents")
    make_booking(s_a, audience="")  # no-show
    make_booking(s_a, status=BookingStatus.CANCELLED)
    make_booking(s_a, status=BookingStatus.EXPIRED)
    tick(b1, s_a, 2)
    tick(b2, s_a, 1)
    old = make_session(workshop, starts_at=at(70), municipality=potenza)
    make_booking(old)

    series = make_event(ponti, booking_mode=BookingMode.SERIES, kind=EventKind.WORKSHOP)
    s1 = make_session(series, starts_at=at(30), capacity=6, municipality=potenza)
    s2 = make_session(series, starts_at=at(23), capacity=6, municipality=potenza)
    make_session(series, starts_at=at(-5), capacity=6, municipality=potenza)
    c1 = make_booking(series, seats=2, audience="families")
    c2 = make_booking(series, audience="migrants")
    make_booking(series, status=BookingStatus.WAITING)
    tick(c1, s1, 2)
    tick(c2, s1, 1)
    tick(c1, s2, 1)  # c2 did not come to the second session

    event = make_event(other_association, kind=EventKind.EVENT)
    s_m = make_session(event, starts_at=at(10), capacity=20, municipality=matera)
    for _ in range(5):
        tick(make_booking(s_m, audience="residents"), s_m, 1)

    partner = make_event(None, kind=EventKind.PARTNER)
    s_p = make_session(partner, starts_at=at(5), capacity=40, municipality=matera)
    make_booking(s_p)

    cancelled = make_event(ponti)
    s_c = make_session(
        cancelled, starts_at=at(15), municipality=potenza, status=Session.Status.CANCELLED, cancelled_at=at(16)
    )
    make_booking(s_c, status=BookingStatus.CANCELLED)

    draft = make_event(ponti, status=EventStatus.DRAFT)
    make_booking(make_session(draft, starts_at=at(12), municipality=potenza))

    network = Network.objects.create(
        name="Rete legale", slug="rete-legale", specialty=NetworkSpecialty.LEGAL, description="x", lead=ponti
    )
    NetworkMembership.objects.create(network=network, association=ponti, joined_on=TODAY - datetime.timedelta(days=100))
    NetworkMembership.objects.create(
        network=network,
        association=other_association,
        joined_on=TODAY - datetime.timedelta(days=200),
        left_on=TODAY - datetime.timedelta(days=90),
    )
    return {"potenza": potenza, "matera": matera, "sessions": [s_a, s1, s2, s_m, s_p]}


def figures(municipality=None):
    return action4_figures(DATE_FROM, DATE_TO, municipality)


def catalogue(municipality=None):
    """The public catalogue (/events/) for the same dates and municipality, as it listed them then."""
    start, _end = period_bounds(DATE_FROM, DATE_TO)
    return list(public_events(EventFilters(date_from=DATE_FROM, date_to=DATE_TO, municipality=municipality), now=start))


def bookings_list(user, **filters):
    """The bookings the managers' lists show (scoped to the user) of sessions that start in the period,
    series bookings with the sessions of their series, drafts never published left out."""
    start, end = period_bounds(DATE_FROM, DATE_TO)
    in_period = Q(session__starts_at__gte=start, session__starts_at__lt=end) | Q(
        session__isnull=True, event__sessions__starts_at__gte=start, event__sessions__starts_at__lt=end
    )
    return (
        Booking.objects.for_user(user).filter(in_period).exclude(event__status=EventStatus.DRAFT).filter(**filters)
    ).distinct()


def test_events_and_sessions_held_equal_the_public_catalogue(db, season):
    result = figures()
    listed = catalogue()
    assert result.events == len(listed) == 4
    assert result.sessions == sum(len(event.upcoming_sessions) for event in listed) == 5
    assert result.partner_events == len([event for event in listed if event.association_id is None]) == 1
    migrant_labs = [event for event in listed if event.is_migrant_led and event.kind == EventKind.WORKSHOP]
    assert result.migrant_led_workshops == len(migrant_labs) == 1
    assert result.migrant_led_workshop_sessions == 1
    assert result.by_kind == {EventKind.WORKSHOP: (2, 3, 1), EventKind.EVENT: (1, 1, 0), EventKind.PARTNER: (1, 1, 0)}
    # Associations that held sessions: the organisers in the catalogue.
    assert result.associations == len({event.association_id for event in listed if event.association_id}) == 2
    assert result.migrant_led_associations == 1
    assert result.networks == 1


def test_bookings_by_status_equal_the_managers_bookings_list(db, season, administrator):
    result = figures()
    assert result.bookings == bookings_list(administrator).count() == 15
    for status in BookingStatus.values:
        assert result.by_status.get(status, 0) == bookings_list(administrator, status=status).count(), status
    assert result.by_status == {"confirmed": 11, "cancelled": 2, "expired": 1, "waiting": 1}


def test_seats_and_attendance_equal_the_check_in_lists(db, season):
    result = figures()
    held = season["sessions"]
    assert result.capacity == sum(session.capacity for session in held) == 82
    # A check-in list of a session shows its confirmed bookings and its series' confirmed bookings.
    expected = [
        Booking.objects.filter(status=BookingStatus.CONFIRMED)
        .filter(Q(session=session) | Q(session__isnull=True, event=session.event))
        .order_by()
        for session in held
    ]
    assert result.expected == sum(rows.count() for rows in expected) == 13
    assert result.seats_confirmed == sum(rows.aggregate(n=Sum("seats"))["n"] or 0 for rows in expected) == 16
    ticked = [set(CheckIn.objects.filter(session=session).values_list("booking_id", flat=True)) for session in held]
    assert result.checked_in == sum(len(ids) for ids in ticked) == 10
    assert result.present == CheckIn.objects.filter(session__in=held).aggregate(n=Sum("seats"))["n"] == 12
    assert result.no_shows == sum(rows.exclude(pk__in=ids).count() for rows, ids in zip(expected, ticked, strict=True))
    assert result.no_shows == 3


def test_participants_by_audience(db, season):
    result = figures()
    assert result.booked_by_audience == {"migrants": 2, "residents": 6, "families": 1, "": 2}
    assert result.present_by_audience == {"migrants": 3, "residents": 6, "families": 3}
    assert sum(result.present_by_audience.values()) == result.present


def test_one_municipality(db, season, administrator):
    matera = season["matera"]
    result = figures(matera)
    listed = catalogue(matera)
    assert result.events == len(listed) == 2
    assert result.sessions == 2
    assert result.associations == 1 and result.migrant_led_associations == 0
    assert result.networks == 0  # Sabir left the network before the period
    assert result.bookings == bookings_list(administrator, session__municipality=matera).count() == 6
    assert (result.checked_in, result.present, result.no_shows) == (5, 5, 1)
    assert figures(season["potenza"]).networks == 1


def test_a_session_not_yet_started_is_not_held(db, season, make_session, ponti, make_event):
    event = make_event(ponti)
    make_session(event, starts_at=timezone.now() + datetime.timedelta(hours=2))
    result = action4_figures(DATE_FROM, TODAY)
    assert result.sessions == 5 and result.events == 4


def test_the_report_has_aggregates_only_and_small_numbers_suppressed(db, season, official, manager_association):
    builder = get_builder("associations-results")
    assert builder.may_request(official)
    assert not builder.may_request(manager_association)
    params = {"date_from": DATE_FROM, "date_to": DATE_TO, "municipality": None}
    context = builder.build(params, progress=lambda percent: None)
    html = rendering.render_body(builder, context, params=params)
    assert "Amina" not in html and "@example.org" not in html
    assert dict(context["status_rows"])["Confirmed"] == "11"
    assert dict(context["attendance_rows"])["No-shows"] == "<5"  # three no-shows: too few to show
    assert context["present"] == "12"
    assert "Events held by kind" in html and "Participants by audience" in html
    # The PDF path renders the same body.
    assert "<html" in rendering.render_document(builder, html)


def test_the_form_takes_a_municipality(db, season):
    builder = get_builder("associations-results")
    form = builder.form(
        {
            "associations-results-date_from": DATE_FROM.isoformat(),
            "associations-results-date_to": DATE_TO.isoformat(),
            "associations-results-municipality": season["matera"].pk,
        }
    )
    assert form.is_valid(), form.errors
    stored = builder.serialise_parameters(form.cleaned_data)
    assert builder.parse_parameters(stored)["municipality"] == season["matera"]
    assert ("Municipality", "Matera (MT)") in builder.describe_parameters(builder.parse_parameters(stored))


def pdf_figures(text: str, label: str) -> list[str]:
    """The figures printed on the line that starts with `label` in the PDF's text."""
    for line in text.splitlines():
        if line.strip().startswith(label):
            return re.findall(r"<5|\d[\d.,]*", line[line.index(label) + len(label) :])
    raise AssertionError(f"{label!r} is not in the PDF")


def test_the_pdf_prints_the_same_figures(db, season, tmp_path):
    builder = get_builder("associations-results")
    params = {"date_from": DATE_FROM, "date_to": DATE_TO, "municipality": None}
    body = rendering.render_body(builder, builder.build(params, progress=lambda percent: None), params=params)
    path = tmp_path / "report.pdf"
    path.write_bytes(rendering.render_pdf(builder, body))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout
    assert pdf_figures(text, "Associations that held at least one session") == ["2"]
    assert pdf_figures(text, "All bookings") == ["15"]
    assert pdf_figures(text, "Seats available") == ["82"]
    assert pdf_figures(text, "Seats booked and confirmed") == ["16"]
    assert pdf_figures(text, "People present") == ["12"]
    assert pdf_figures(text, "No-shows") == ["<5"]
    assert pdf_figures(text, "Residents") == ["6", "6"]


def test_an_official_requests_it_in_arabic(db, season, official, django_capture_on_commit_callbacks):
    from aipim.reports.models import ReportRequest
    from aipim.reports.services import request_report

    builder = get_builder("associations-results")
    with translation.override("ar"), django_capture_on_commit_callbacks(execute=True):
        report = request_report(
            builder=builder,
            parameters={"date_from": DATE_FROM, "date_to": DATE_TO, "municipality": season["matera"]},
            by=official,
        )
    report.refresh_from_db()
    assert report.status == ReportRequest.Status.DONE, report.error
    assert report.language == "ar" and report.file
    assert "Amina" not in report.preview_html
