"""The public pages of Action 4: the catalogue, event pages in the visitor's language, associations
and networks; what anyone may see and nothing more, in few queries."""

from __future__ import annotations

import datetime
import itertools
import re
import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from aipim.core.models import Service
from associations.models import (
    Association,
    Audience,
    BookingMode,
    BookingStatus,
    EventCategory,
    EventStatus,
    Network,
    NetworkMembership,
    NetworkSpecialty,
    Session,
)
from associations.views import public
from associations.views.public import EventListView
from tests.factories import ServiceFactory, municipality


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"  # the assertions read English source strings


@pytest.fixture(autouse=True)
def _no_kept_pages():
    cache.clear()  # pages kept by earlier tests would change the number of queries


def _titles(response) -> list[str]:
    assert response.status_code == 200
    return re.findall(r'<h2 class="h5 card-title"><a href="/events/[^"]+/">([^<]+)</a>', response.content.decode())


# --- catalogue -----------------------------------------------------------------------------------


def test_catalogue_shows_cards_with_what_a_visitor_needs(client, workshop_session, make_booking):
    make_booking(workshop_session, seats=3)
    response = client.get(reverse("events:list"))
    html = response.content.decode()
    assert _titles(response) == ["Syrian cooking for everyone"]
    local = timezone.localtime(workshop_session.starts_at)
    assert f'<time datetime="{local.isoformat()}">' in html
    assert "Potenza" in html and "Ass. Ponti" in html
    assert "Food and cooking" in html
    assert "Led by migrants" in html
    assert "Migrants" in html and "Residents" in html
    assert "العربيّة" in html  # languages in their own name
    assert "7 seats left" in html


def test_catalogue_says_waiting_list_and_free_entry(client, workshop_session, make_booking, make_event, make_session):
    make_booking(workshop_session, seats=10)
    open_day = make_event(workshop_session.event.association, booking_mode=BookingMode.NONE, title_en="Open day")
    make_session(open_day, capacity=0)
    html = client.get(reverse("events:list")).content.decode()
    assert "Full: waiting list" in html
    assert "Free entry" in html
    assert "seats left" not in html


def test_catalogue_filters_come_from_the_get_form(client, ponti, workshop_session, make_event, make_session):
    music = make_event(
        ponti, title_en="Drums", category=EventCategory.MUSIC_DANCE, languages=["fr"], audiences=[Audience.SCHOOLS]
    )
    make_session(music, municipality=municipality("Matera"), starts_at=timezone.now() + datetime.timedelta(days=20))
    url = reverse("events:list")
    assert _titles(client.get(url)) == ["Syrian cooking for everyone", "Drums"]
    assert _titles(client.get(url, {"category": "music_dance"})) == ["Drums"]
    assert _titles(client.get(url, {"language": "fr"})) == ["Drums"]
    assert _titles(client.get(url, {"audience": "schools"})) == ["Drums"]
    assert _titles(client.get(url, {"municipality": "077014"})) == ["Drums"]  # Matera's ISTAT code
    later = (timezone.localdate() + datetime.timedelta(days=15)).isoformat()
    assert _titles(client.get(url, {"date_from": later})) == ["Drums"]
    assert _titles(client.get(url, {"date_to": later})) == ["Syrian cooking for everyone"]
    form = client.get(url).content.decode()
    assert 'method="get"' in form and 'name="date_from"' in form and 'name="audience"' in form


def test_catalogue_refuses_dates_in_the_wrong_order_and_shows_everything(client, workshop_session):
    today = timezone.localdate()
    response = client.get(
        reverse("events:list"), {"date_from": today.isoformat(), "date_to": (today - datetime.timedelta(1)).isoformat()}
    )
    assert "The end date must be on or after the start date." in response.content.decode()
    assert _titles(response) == ["Syrian cooking for everyone"]


def test_catalogue_hides_drafts_private_associations_and_past_events(
    client, ponti, other_association, workshop_session, make_event, make_session
):
    make_session(make_event(ponti, title_en="Draft", status=EventStatus.DRAFT))
    make_session(make_event(ponti, title_en="Gone"), starts_at=timezone.now() - datetime.timedelta(days=1))
    make_session(make_event(other_association, title_en="Private"))
    Association.objects.filter(pk=other_association.pk).update(is_public=False)
    make_session(make_event(None, title_en="Museum night"), starts_at=timezone.now() + datetime.timedelta(days=9))
    assert _titles(client.get(reverse("events:list"))) == ["Syrian cooking for everyone", "Museum night"]


def test_catalogue_pages_cost_the_same_queries_whatever_their_size(
    client, ponti, make_event, make_session, make_booking, django_assert_num_queries, monkeypatch
):
    for number in range(7):
        event = make_event(ponti, booking_mode=BookingMode.SERIES if number % 2 else BookingMode.SESSION)
        for _day in range(2):
            make_booking(make_session(event), seats=1)
    url = reverse("events:list")
    # count, page, its sessions, their seats, and the filter form's municipalities and languages
    with django_assert_num_queries(6):
        whole = client.get(url, {"category": "culture"})
    monkeypatch.setattr(EventListView, "paginate_by", 2)
    with django_assert_num_queries(6):
        paged = client.get(url)
    assert len(_titles(whole)) == 7
    assert len(_titles(paged)) == 2
    assert "Page 1 of 4" in paged.content.decode()


def test_catalogue_is_paginated_and_keeps_its_filters(client, ponti, make_event, make_session):
    for _number in range(13):
        make_session(make_event(ponti))
    response = client.get(reverse("events:list"), {"category": "culture"})
    assert len(_titles(response)) == 12
    assert "?category=culture&amp;page=2" in response.content.decode()
    assert len(_titles(client.get(reverse("events:list"), {"category": "culture", "page": 2}))) == 1


# --- event page ------------------------------------------------------------------------------------


def test_event_page_shows_sessions_with_seats_and_a_book_button(client, workshop, make_session, make_booking):
    first = make_session(workshop, capacity=10)
    full = make_session(workshop, capacity=2, starts_at=timezone.now() + datetime.timedelta(days=14))
    gone = make_session(workshop, capacity=5, starts_at=timezone.now() - datetime.timedelta(days=3))
    make_booking(first, seats=4)
    make_booking(full, seats=2)
    make_booking(full, seats=1, status=BookingStatus.WAITING)
    response = client.get(reverse("events:event", args=[workshop.slug]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Syrian cooking for everyone</h1>" in html
    assert "6 seats left" in html
    assert "Full: waiting list" in html
    book = reverse("events:book", args=[workshop.slug])
    assert f'href="{book}?session={first.public_id}"' in html
    assert f'href="{book}?session={full.public_id}"' in html
    assert f"?session={gone.public_id}" not in html
    assert "This date is over." in html
    assert "Rasha" in html and "a lab led by migrants" in html
    assert 'href="/events/cucina-siriana/calendar.ics"' in html
    assert "Via Pretoria 10, Potenza" in html


def test_event_page_times_are_in_rome(client, workshop, make_session):
    # 16:30 UTC in December is 17:30 in Rome.
    starts = datetime.datetime(timezone.now().year + 1, 12, 3, 16, 30, tzinfo=datetime.UTC)
    make_session(workshop, starts_at=starts)
    html = client.get(reverse("events:event", args=[workshop.slug])).content.decode()
    assert f'<time datetime="{starts.year}-12-03T17:30:00+01:00">17:30</time>' in html


def test_event_page_marks_cancelled_sessions_without_a_book_button(client, workshop, make_session):
    session = make_session(workshop, status=Session.Status.CANCELLED, cancelled_reason="Rain")
    html = client.get(reverse("events:event", args=[workshop.slug])).content.decode()
    assert "Cancelled" in html and "Rain" in html
    assert f"?session={session.public_id}" not in html


def test_series_has_one_book_button_with_its_seats(client, series, make_booking):
    make_booking(series, seats=4)
    html = client.get(reverse("events:event", args=[series.slug])).content.decode()
    book = reverse("events:book", args=[series.slug])
    assert f'href="{book}"' in html
    assert "?session=" not in html
    assert "2 seats left" in html
    assert html.count("2 seats left") == 1  # said once for the series, not per session


def test_event_without_booking_says_free_entry(client, ponti, make_event, make_session):
    event = make_event(ponti, booking_mode=BookingMode.NONE)
    make_session(event, capacity=0)
    html = client.get(reverse("events:event", args=[event.slug])).content.decode()
    assert "Free entry" in html
    assert "/book/" not in html


def test_cancelled_event_stays_readable_and_says_so(client, ponti, make_event, make_session):
    event = make_event(ponti, status=EventStatus.CANCELLED, cancelled_reason="The hall is closed.")
    make_session(event)
    html = client.get(reverse("events:event", args=[event.slug])).content.decode()
    assert "This event is cancelled." in html and "The hall is closed." in html
    assert "/book/" not in html


def test_draft_events_and_events_of_private_associations_are_not_found(
    client, ponti, other_association, make_event, make_session
):
    draft = make_event(ponti, status=EventStatus.DRAFT)
    private = make_event(other_association)
    Association.objects.filter(pk=other_association.pk).update(is_public=False)
    assert client.get(reverse("events:event", args=[draft.slug])).status_code == 404
    assert client.get(reverse("events:event", args=[private.slug])).status_code == 404
    assert client.get(reverse("events:event", args=["nothing-here"])).status_code == 404
    assert client.get(reverse("events:event_ics", args=[draft.slug])).status_code == 404


def test_partner_event_page_names_the_institution(client, make_event, make_session):
    event = make_event(None, partner_name="Museo Archeologico Nazionale")
    make_session(event)
    html = client.get(reverse("events:event", args=[event.slug])).content.decode()
    assert "Museo Archeologico Nazionale" in html


def test_event_page_in_arabic_is_right_to_left(client, workshop_session):
    client.cookies["django_language"] = "ar"
    html = client.get(reverse("events:event", args=["cucina-siriana"])).content.decode()
    assert '<html lang="ar" dir="rtl">' in html
    assert "<h1>المطبخ السوري للجميع</h1>" in html


def test_event_page_falls_back_to_italian_without_a_translation(client, ponti, make_event, make_session):
    event = make_event(ponti, title_it="Tombolata interculturale", title_en="", description_it="Giochi insieme")
    make_session(event)
    client.cookies["django_language"] = "fr"
    html = client.get(reverse("events:event", args=[event.slug])).content.decode()
    assert '<html lang="fr" dir="ltr">' in html
    assert "<h1>Tombolata interculturale</h1>" in html
    assert "Giochi insieme" in html


def test_event_page_takes_three_queries_for_a_visitor_with_a_session(
    client_for, manager_association, series, make_booking
):
    client = client_for(manager_association)
    make_booking(series, seats=1)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("events:event", args=[series.slug]))
    assert response.status_code == 200
    assert "Log out" in response.content.decode()
    # the event with its organiser, its sessions, their seats (the others: the session and the user)
    assert len([q for q in queries.captured_queries if "associations_" in q["sql"]]) == 3


# --- the kept event page ----------------------------------------------------------------------------


def test_a_visitor_without_a_session_gets_the_kept_page_without_queries(
    client, series, make_booking, django_assert_num_queries, monkeypatch
):
    url = reverse("events:event", args=[series.slug])
    with django_assert_num_queries(4):  # its state, then the event, its sessions, their seats
        first = client.get(url).content.decode()
    client.cookies.clear()
    with django_assert_num_queries(0):
        again = client.get(url).content.decode()
    assert _without_csrf(again) == _without_csrf(first)
    monkeypatch.setattr(public, "PAGE_RECHECK_SECONDS", 0)
    with django_assert_num_queries(1):  # its state only: nothing changed
        checked = client.get(url).content.decode()
    assert _without_csrf(checked) == _without_csrf(first)


def test_a_new_release_never_serves_a_page_kept_by_the_one_before(
    client, workshop_session, django_assert_num_queries, monkeypatch
):
    url = reverse("events:event", args=[workshop_session.event.slug])
    client.get(url)
    client.cookies.clear()
    with django_assert_num_queries(0):
        client.get(url)
    # Templates, translations or static names changed: the stamp differs, the page is drawn again.
    monkeypatch.setattr(public, "release_stamp", lambda: "next-release")
    client.cookies.clear()
    with django_assert_num_queries(4):
        assert client.get(url).status_code == 200


def test_the_release_stamp_reads_the_templates_and_translations(settings, tmp_path) -> None:
    public.release_stamp.cache_clear()
    before = public.release_stamp()
    (tmp_path / "extra.html").write_text("<p>changed</p>")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], tmp_path]}]
    public.release_stamp.cache_clear()
    try:
        assert public.release_stamp() != before
    finally:
        public.release_stamp.cache_clear()


def _without_csrf(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_an_address_with_a_query_string_is_drawn_not_kept(client, workshop_session, django_assert_num_queries):
    url = reverse("events:event", args=["cucina-siriana"]) + "?utm_source=flyer"
    for _visit in range(2):
        with django_assert_num_queries(3):
            assert client.get(url).status_code == 200


def test_the_page_and_bookings_work_when_the_cache_is_down(client, workshop_session, make_booking, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "get_many", down)
    monkeypatch.setattr(cache, "set", down)
    make_booking(workshop_session, seats=2)  # its signal cannot reach the cache: the booking stays
    response = client.get(reverse("events:event", args=["cucina-siriana"]))
    assert response.status_code == 200
    assert "8 seats left" in response.content.decode()


def test_a_booking_shows_at_once_on_the_kept_page(client, workshop_session, make_booking):
    url = reverse("events:event", args=["cucina-siriana"])
    assert "10 seats left" in client.get(url).content.decode()
    make_booking(workshop_session, seats=3)
    assert "7 seats left" in client.get(url).content.decode()


def test_a_change_that_sends_no_signal_shows_after_the_recheck(client, workshop_session, monkeypatch):
    url = reverse("events:event", args=["cucina-siriana"])
    assert "10 seats left" in client.get(url).content.decode()
    Session.objects.filter(pk=workshop_session.pk).update(capacity=12)
    monkeypatch.setattr(public, "PAGE_RECHECK_SECONDS", 0)
    assert "12 seats left" in client.get(url).content.decode()


def test_the_kept_page_is_drawn_again_when_a_session_starts(client, workshop, make_session):
    session = make_session(workshop, starts_at=timezone.now() + datetime.timedelta(seconds=1.5))
    url = reverse("events:event", args=[workshop.slug])
    assert f"?session={session.public_id}" in client.get(url).content.decode()
    time.sleep(max((session.starts_at - timezone.now()).total_seconds(), 0) + 0.1)
    assert f"?session={session.public_id}" not in client.get(url).content.decode()  # booking closed


def test_a_hidden_event_is_not_served_from_the_kept_page(client, workshop_session):
    url = reverse("events:event", args=["cucina-siriana"])
    assert client.get(url).status_code == 200
    event = workshop_session.event
    event.status = EventStatus.DRAFT
    event.save()
    assert client.get(url).status_code == 404


def test_the_kept_page_is_kept_per_language(client, workshop_session):
    url = reverse("events:event", args=["cucina-siriana"])
    assert "<h1>Syrian cooking for everyone</h1>" in client.get(url).content.decode()
    client.cookies["django_language"] = "ar"
    assert "<h1>المطبخ السوري للجميع</h1>" in client.get(url).content.decode()


def test_each_visitor_gets_their_own_csrf_token_on_the_kept_page(workshop_session):
    url = reverse("events:event", args=["cucina-siriana"])
    for _visitor in range(2):
        visitor = Client(enforce_csrf_checks=True)
        html = visitor.get(url).content.decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        assert token is not None
        switched = visitor.post(
            reverse("set_language"), {"csrfmiddlewaretoken": token.group(1), "language": "fr", "next": url}
        )
        assert switched.status_code == 302


def test_logged_in_users_never_get_the_kept_page_nor_leave_theirs(
    client, client_for, manager_association, workshop_session
):
    url = reverse("events:event", args=["cucina-siriana"])
    assert "Log out" not in client.get(url).content.decode()
    assert "Log out" in client_for(manager_association).get(url).content.decode()
    client.cookies.clear()
    assert "Log out" not in client.get(url).content.decode()


# --- associations and networks --------------------------------------------------------------------


def test_association_page_shows_its_profile_events_and_networks(client, ponti, workshop_session, other_association):
    organisation = ponti.organisation
    organisation.email, organisation.phone = "info@ponti.example.org", "+39 0971 111111"
    organisation.save()
    network = Network.objects.create(
        name="Rete legale", slug="rete-legale", specialty=NetworkSpecialty.LEGAL, description="Consulenza", lead=ponti
    )
    NetworkMembership.objects.create(network=network, association=ponti)
    html = client.get(reverse("events:association", args=[ponti.slug])).content.decode()
    assert "Social promotion association (APS)" in html
    assert "123456" in html  # RUNTS
    assert "Potenza" in html and "info@ponti.example.org" in html and "+39 0971 111111" in html
    assert "Syrian cooking for everyone" in html
    assert 'href="/events/networks/rete-legale/"' in html
    assert 'href="/events/associations/ponti-tra-culture/calendar.ics"' in html
    listing = client.get(reverse("events:associations")).content.decode()
    assert "Ass. Ponti" in listing and "Ass. Sabir" in listing


def test_private_associations_are_not_listed_nor_found(client, ponti, other_association):
    Association.objects.filter(pk=other_association.pk).update(is_public=False)
    assert "Ass. Sabir" not in client.get(reverse("events:associations")).content.decode()
    assert client.get(reverse("events:association", args=[other_association.slug])).status_code == 404
    assert client.get(reverse("events:association_ics", args=[other_association.slug])).status_code == 404


def test_network_page_shows_the_service_members_contacts_and_directory_link(client, ponti, other_association):
    service = ServiceFactory(organisation=ponti.organisation, name_it="Sportello legale", category="legal")
    network = Network.objects.create(
        name_it="Rete per i diritti",
        name_en="Rights network",
        slug="diritti",
        specialty=NetworkSpecialty.LEGAL,
        description_en="Free legal guidance on permits.",
        how_to_access_en="Call on Mondays.",
        lead=ponti,
        email="rete@example.org",
        service=service,
    )
    NetworkMembership.objects.create(network=network, association=ponti, role="Coordinamento")
    NetworkMembership.objects.create(network=network, association=other_association)
    gone = Association.objects.create(
        organisation=other_association.organisation.__class__.objects.create(
            name="Ass. Uscita", code="USC", kind="association", municipality=municipality("Potenza")
        ),
        slug="uscita",
        legal_form="odv",
    )
    NetworkMembership.objects.create(
        network=network, association=gone, joined_on=datetime.date(2024, 1, 1), left_on=datetime.date(2025, 1, 1)
    )
    html = client.get(reverse("events:network", args=["diritti"])).content.decode()
    assert "<h1>Rights network</h1>" in html
    assert "Free legal guidance on permits." in html and "Call on Mondays." in html
    assert "rete@example.org" in html
    assert "Ass. Ponti" in html and "Ass. Sabir" in html and "Coordinamento" in html
    assert "Ass. Uscita" not in html
    assert f'href="{reverse("directory:detail", args=[service.pk])}"' in html
    Service.objects.filter(pk=service.pk).update(status=Service.Status.INACTIVE)
    assert (
        reverse("directory:detail", args=[service.pk])
        not in client.get(reverse("events:network", args=["diritti"])).content.decode()
    )
    assert "Rights network" in client.get(reverse("events:networks")).content.decode()


def test_inactive_networks_are_not_found(client, ponti):
    Network.objects.create(
        name="Rete chiusa",
        slug="chiusa",
        specialty=NetworkSpecialty.OTHER,
        description="-",
        lead=ponti,
        is_active=False,
    )
    assert client.get(reverse("events:network", args=["chiusa"])).status_code == 404
    assert "Rete chiusa" not in client.get(reverse("events:networks")).content.decode()


# --- navigation ------------------------------------------------------------------------------------


def test_navigation_and_home_link_to_the_catalogue(client, db):
    html = client.get(reverse("core:home")).content.decode()
    assert html.count('href="/events/"') >= 2  # the menu's "Events" and the home page's card
    assert "<span>Events</span>" in html


def test_headings_are_in_order_on_the_event_page(client, workshop_session):
    html = client.get(reverse("events:event", args=["cucina-siriana"])).content.decode()
    main = html[html.index('<main id="main"') :]
    levels = [int(level) for level in re.findall(r"<h([1-6])", main)]
    assert levels[0] == 1
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels))
    assert "<script>" not in main and "onclick" not in main


def test_the_filters_stay_folded_until_one_is_in_use(client, workshop_session, settings):
    settings.LANGUAGE_CODE = "en"
    folded = client.get(reverse("events:list")).content.decode()
    assert '<details class="events-filter-panel mb-4">' in folded
    used = client.get(reverse("events:list"), {"category": "food", "page": "1"}).content.decode()
    assert '<details class="events-filter-panel mb-4" open>' in used
    assert "(1 in use)" in used
