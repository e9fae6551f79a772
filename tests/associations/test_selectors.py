"""Reads of Action 4: seats left on sessions (one query) and the public catalogue's filters."""

from __future__ import annotations

import datetime

from django.utils import timezone

from associations import selectors
from associations.models import Audience, BookingStatus, EventCategory, EventStatus, Session
from tests.factories import municipality


def test_availability_counts_confirmed_and_offered_seats_and_the_waiting_list(workshop_session, make_booking):
    make_booking(workshop_session, seats=2)
    make_booking(
        workshop_session,
        seats=3,
        seats_offered=1,
        status=BookingStatus.OFFERED,
        offer_expires_at=timezone.now() + datetime.timedelta(hours=24),
    )
    make_booking(workshop_session, seats=2, status=BookingStatus.WAITING)
    make_booking(workshop_session, seats=4, status=BookingStatus.CANCELLED)
    make_booking(workshop_session, seats=4, status=BookingStatus.EXPIRED)

    seats = selectors.availability([workshop_session])[workshop_session.pk]

    assert (seats.capacity, seats.held, seats.free, seats.waiting) == (10, 3, 7, 2)
    assert not seats.is_full


def test_series_bookings_hold_seats_on_every_session_of_their_series(series, workshop_session, make_booking):
    make_booking(series, seats=2)
    make_booking(
        series,
        seats=4,
        seats_offered=2,
        status=BookingStatus.OFFERED,
        offer_expires_at=timezone.now() + datetime.timedelta(hours=24),
    )
    make_booking(series, seats=1, status=BookingStatus.WAITING)
    make_booking(workshop_session, seats=5)  # another event: does not count on the series

    sessions = list(series.sessions.all())
    seats = selectors.availability(sessions)

    assert [(seats[s.pk].held, seats[s.pk].free, seats[s.pk].waiting) for s in sessions] == [(4, 2, 1)] * 3
    assert selectors.series_availability(sessions, seats) == seats[sessions[0].pk]


def test_a_full_session_shows_no_free_seat_never_a_negative_number(workshop_session, make_booking):
    make_booking(workshop_session, seats=4)
    make_booking(workshop_session, seats=4)
    make_booking(workshop_session, seats=4)  # written directly, past the capacity: shown as full

    seats = selectors.availability([workshop_session])[workshop_session.pk]

    assert (seats.held, seats.free) == (12, 0)
    assert seats.is_full


def test_availability_is_one_query_whatever_the_number_of_sessions(
    series, workshop_session, make_booking, django_assert_num_queries
):
    make_booking(workshop_session, seats=1)
    sessions = [*Session.objects.all()]
    with django_assert_num_queries(1):
        seats = selectors.availability(sessions)
    assert len(seats) == 4
    with django_assert_num_queries(0):
        assert selectors.availability([]) == {}


def test_series_availability_is_the_fewest_free_seats_of_its_scheduled_sessions(series):
    _first, second, third = series.sessions.all()
    Session.objects.filter(pk=third.pk).update(capacity=1, status=Session.Status.CANCELLED)
    Session.objects.filter(pk=second.pk).update(capacity=3)
    sessions = list(series.sessions.all())
    seats = selectors.availability(sessions)
    assert selectors.series_availability(sessions, seats).free == 3


# --- the catalogue ---------------------------------------------------------------------------------


def _slugs(filters: selectors.EventFilters | None = None) -> list[str]:
    return list(selectors.public_events(filters).values_list("slug", flat=True))


def test_catalogue_lists_upcoming_published_events_soonest_first(
    ponti, other_association, workshop_session, series, make_event, make_session
):
    draft = make_event(ponti, status=EventStatus.DRAFT)
    make_session(draft)
    cancelled = make_event(ponti, status=EventStatus.CANCELLED)
    make_session(cancelled)
    past = make_event(ponti)
    make_session(past, starts_at=timezone.now() - datetime.timedelta(days=2))
    hidden = make_event(other_association)
    make_session(hidden)
    other_association.is_public = False
    other_association.save()
    partner = make_event(None, slug="mostra")
    make_session(partner, starts_at=timezone.now() + datetime.timedelta(days=1))
    no_dates = make_event(ponti)
    only_cancelled = make_event(ponti)
    make_session(only_cancelled, status=Session.Status.CANCELLED)

    assert _slugs() == ["mostra", "arabo-base", "cucina-siriana"]
    assert no_dates.slug not in _slugs()


def test_a_session_under_way_is_still_upcoming(ponti, make_event, make_session):
    event = make_event(ponti, slug="in-corso")
    make_session(event, starts_at=timezone.now() - datetime.timedelta(hours=1))
    assert _slugs() == ["in-corso"]


def test_catalogue_filters_by_dates(ponti, workshop_session, series):
    in_week = timezone.localdate(workshop_session.starts_at)
    # From the workshop's day the series still has its second week (three days later).
    assert _slugs(selectors.EventFilters(date_from=in_week)) == ["cucina-siriana", "arabo-base"]
    assert _slugs(selectors.EventFilters(date_from=in_week, date_to=in_week)) == ["cucina-siriana"]
    assert _slugs(selectors.EventFilters(date_to=in_week - datetime.timedelta(days=1))) == ["arabo-base"]


def test_catalogue_filters_by_municipality(ponti, workshop_session, series, make_event, make_session):
    matera = make_event(ponti, slug="a-matera")
    make_session(matera, municipality=municipality("Matera"))
    assert _slugs(selectors.EventFilters(municipality=municipality("Matera"))) == ["a-matera"]
    assert "a-matera" not in _slugs(selectors.EventFilters(municipality=municipality("Potenza")))


def test_catalogue_filters_by_category_language_and_audience(ponti, workshop_session, make_event, make_session):
    music = make_event(
        ponti, slug="musica", category=EventCategory.MUSIC_DANCE, languages=["fr"], audiences=[Audience.SCHOOLS]
    )
    make_session(music)
    assert _slugs(selectors.EventFilters(category=EventCategory.MUSIC_DANCE)) == ["musica"]
    assert _slugs(selectors.EventFilters(category=EventCategory.FOOD)) == ["cucina-siriana"]
    assert _slugs(selectors.EventFilters(language="fr")) == ["musica"]
    assert _slugs(selectors.EventFilters(language="ar")) == ["cucina-siriana"]
    assert _slugs(selectors.EventFilters(audience=Audience.SCHOOLS)) == ["musica"]
    assert _slugs(selectors.EventFilters(audience=Audience.MIGRANTS)) == ["cucina-siriana"]


def test_catalogue_choices_offer_only_what_is_on(ponti, workshop_session, make_event, make_session):
    draft = make_event(ponti, status=EventStatus.DRAFT, languages=["uk"])
    make_session(draft, municipality=municipality("Matera"))
    assert selectors.catalogue_languages() == ["ar", "it"]
    assert [m.name for m in selectors.catalogue_municipalities()] == ["Potenza"]


# --- the state of an event's page ------------------------------------------------------------------


def test_event_page_state_changes_with_what_the_page_shows(workshop_session, make_booking):
    state = selectors.event_page_state("cucina-siriana")
    assert state is not None
    assert selectors.event_page_state("cucina-siriana") == state  # nothing changed
    make_booking(workshop_session, seats=2)
    booked = selectors.event_page_state("cucina-siriana")
    assert booked != state
    Session.objects.filter(pk=workshop_session.pk).update(venue="Biblioteca")
    moved = selectors.event_page_state("cucina-siriana")
    assert moved != booked
    organisation = workshop_session.event.association.organisation
    organisation.phone = "+39 0971 222222"
    organisation.save()
    assert selectors.event_page_state("cucina-siriana") != moved


def test_event_page_state_changes_when_a_session_starts_and_ends(workshop_session):
    before = selectors.event_page_state(
        "cucina-siriana", now=workshop_session.starts_at - datetime.timedelta(minutes=1)
    )
    during = selectors.event_page_state(
        "cucina-siriana", now=workshop_session.starts_at + datetime.timedelta(minutes=1)
    )
    after = selectors.event_page_state("cucina-siriana", now=workshop_session.ends_at + datetime.timedelta(minutes=1))
    assert len({before, during, after}) == 3


def test_event_page_state_is_none_for_what_the_public_cannot_see(ponti, other_association, make_event):
    draft = make_event(ponti, status=EventStatus.DRAFT)
    private = make_event(other_association)
    other_association.is_public = False
    other_association.save()
    partner = make_event(None)
    assert selectors.event_page_state(draft.slug) is None
    assert selectors.event_page_state(private.slug) is None
    assert selectors.event_page_state("no-such-event") is None
    assert selectors.event_page_state(partner.slug) is not None
