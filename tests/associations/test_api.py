"""The public booking API: book a session or a series, read and cancel with the signed token, the
same rules as the form (one booking per person, seats, waiting list, rate limit), 4xx with a code
and a reason for every mistake, never a 500; and the public reads of events and sessions with the
seats left."""

from __future__ import annotations

import datetime
import io

import pytest
import yaml
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from aipim.core.models import AuditEvent
from associations import signing
from associations.models import Booking, BookingMessage, BookingStatus, EventStatus, Session
from tests.factories import UserFactory, municipality

pytestmark = pytest.mark.django_db

BOOKINGS = "/api/v1/bookings/"


@pytest.fixture(autouse=True)
def english_and_fresh_limits(settings):
    settings.LANGUAGE_CODE = "en"
    cache.clear()  # the rate limit's counters


@pytest.fixture
def api():
    # No CSRF token and no cookie: what a phone app or another site sends.
    return Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")


def payload(session: Session | None = None, **fields):
    data = {
        "name": "Amina Haddad",
        "email": "amina@example.org",
        "phone": "",
        "seats": 2,
        "language": "ar",
        "privacy_consent": True,
    }
    if session is not None:
        data["session"] = str(session.public_id)
    data.update(fields)
    return data


def post(api, data):
    return api.post(BOOKINGS, data, content_type="application/json")


def test_book_read_and_cancel_with_the_token(api, workshop_session):
    response = post(api, payload(workshop_session, audience="migrants"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "confirmed" and body["seats"] == 2
    booking = Booking.objects.get(reference=body["reference"])
    assert (booking.name, booking.language, booking.audience) == ("Amina Haddad", "ar", "migrants")
    assert body["token"] == signing.booking_token(booking)
    assert body["manage_url"].endswith(f"/events/my-booking/{body['token']}/")
    assert body["session"] == str(workshop_session.public_id) and body["event"] == "cucina-siriana"
    # The same service as the form: the confirmation is written in the booker's language, audited.
    assert BookingMessage.objects.filter(booking=booking, kind="confirmation", language="ar").exists()
    assert AuditEvent.objects.filter(action="booking.create", object_id=str(booking.pk)).exists()

    status = api.get(f"{BOOKINGS}{body['token']}/")
    assert status.status_code == 200
    assert status.json()["status"] == "confirmed" and status.json()["reference"] == body["reference"]
    assert "email" not in status.json() and "name" not in status.json()

    cancelled = api.delete(f"{BOOKINGS}{body['token']}/")
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CANCELLED
    # Cancelling again changes nothing and says so.
    assert api.delete(f"{BOOKINGS}{body['token']}/").json()["status"] == "cancelled"


def test_a_full_session_puts_the_booker_on_the_waiting_list_and_a_cancellation_offers_the_seat(
    api, workshop, make_session
):
    session = make_session(workshop, capacity=2)
    first = post(api, payload(session, email="first@example.org")).json()
    waiting = post(api, payload(session, email="second@example.org", seats=1))
    assert waiting.status_code == 201
    assert waiting.json()["status"] == "waiting"
    api.delete(f"{BOOKINGS}{first['token']}/")
    offered = api.get(f"{BOOKINGS}{waiting.json()['token']}/").json()
    assert offered["status"] == "offered" and offered["seats_offered"] == 1 and offered["offer_expires_at"]


def test_a_series_is_booked_by_the_event_slug(api, series):
    response = post(api, payload(event="arabo-base", seats=1))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["session"] is None and body["status"] == "confirmed"
    assert body["starts_at"] == series.sessions.order_by("starts_at").first().starts_at.isoformat().replace(
        "+00:00", "Z"
    )
    # A session of a series cannot be booked on its own.
    one = series.sessions.first()
    refused = post(api, payload(one, email="other@example.org", seats=1))
    assert refused.status_code == 409 and refused.json()["code"] == "closed"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"privacy_consent": False}, "privacy_consent"),
        ({"seats": 0}, "seats"),
        ({"language": "xx"}, "language"),
        ({"email": "not an email"}, "email"),
        ({"phone": "call me"}, "phone"),
        ({"name": ""}, "name"),
        ({"email": "a" * 250 + "@example.org"}, "email"),
        ({"seats": "two"}, "seats"),
        ({"name": "Amina\x00"}, "name"),
        ({"phone": "333\x00123456"}, "phone"),
    ],
)
def test_invalid_fields_answer_400_with_the_field(api, workshop_session, changes, field):
    response = post(api, payload(workshop_session, **changes))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and body["detail"] and field in body["errors"]
    assert not Booking.objects.exists()


def test_unknown_targets_and_bad_requests_answer_4xx_with_a_reason(api, workshop_session, workshop, make_event, ponti):
    for session_id in ("9f0c1f8e-8a52-4f57-9a42-3a4b53e3d1aa", "abc", 12):
        unknown = post(api, {**payload(), "session": session_id})
        assert unknown.status_code == 400 and "session" in unknown.json()["errors"], session_id
    neither = post(api, payload())
    assert neither.status_code == 400 and "session" in neither.json()["errors"]
    # An event booked session by session needs the session.
    by_slug = post(api, payload(event=workshop.slug))
    assert by_slug.status_code == 400 and "event" in by_slug.json()["errors"]
    draft = make_event(ponti, status=EventStatus.DRAFT)
    assert post(api, payload(event=draft.slug)).status_code == 400

    bad_json = api.post(BOOKINGS, "{not json", content_type="application/json")
    assert bad_json.status_code == 400 and bad_json.json()["code"] == "parse_error"
    not_object = api.post(BOOKINGS, "[1, 2]", content_type="application/json")
    assert not_object.status_code == 400

    for token in ("nonsense", signing.booking_token(Booking(public_id="9f0c1f8e-8a52-4f57-9a42-3a4b53e3d1aa"))):
        for method in (api.get, api.delete):
            response = method(f"{BOOKINGS}{token}/")
            assert response.status_code == 404
            assert response.json()["code"] == "not_found" and response.json()["detail"]
    assert api.put(f"{BOOKINGS}x/", {}, content_type="application/json").status_code == 405


def test_the_rules_of_the_service_answer_with_their_code(api, workshop, workshop_session, make_session):
    assert post(api, payload(workshop_session)).status_code == 201
    duplicate = post(api, payload(workshop_session, email="AMINA@example.org"))
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "duplicate"
    assert "already a booking" in duplicate.json()["detail"]

    too_many = post(api, payload(workshop_session, email="b@example.org", seats=5))
    assert too_many.status_code == 400 and too_many.json()["code"] == "too_many_seats"
    no_contact = post(api, payload(workshop_session, email="", phone=""))
    assert no_contact.status_code == 400 and no_contact.json()["code"] == "no_contact"

    started = make_session(workshop, starts_at=timezone.now() - datetime.timedelta(minutes=30))
    past = post(api, payload(started, email="c@example.org"))
    assert past.status_code == 409 and past.json()["code"] == "past"

    cancelled = make_session(workshop, status=Session.Status.CANCELLED)
    assert post(api, payload(cancelled, email="d@example.org")).json()["code"] == "session_cancelled"

    # A booking of a session that has started cannot be cancelled any more.
    booking = Booking.objects.get(email="amina@example.org")
    Session.objects.filter(pk=workshop_session.pk).update(starts_at=timezone.now() - datetime.timedelta(minutes=5))
    late = api.delete(f"{BOOKINGS}{signing.booking_token(booking)}/")
    assert late.status_code == 409 and late.json()["code"] == "past"


def test_rate_limit_per_address_and_per_contact(api, settings, workshop, make_session):
    settings.ASSOCIATIONS_BOOKING_RATE_PER_IP = 3
    settings.ASSOCIATIONS_BOOKING_RATE_PER_EMAIL = 2
    sessions = [make_session(workshop) for _ in range(3)]
    assert post(api, payload(sessions[0], seats=1)).status_code == 201
    assert post(api, payload(sessions[1], seats=1)).status_code == 201
    per_contact = post(api, payload(sessions[2], seats=1))
    assert per_contact.status_code == 429 and per_contact.json()["code"] == "rate_limited"
    # The address has used its three attempts: anyone else from it waits too, invalid requests included.
    per_ip = post(api, payload(sessions[2], email="someone@example.org", seats=1))
    assert per_ip.status_code == 429
    assert post(api, payload(privacy_consent=False)).status_code == 429
    assert Booking.objects.count() == 2


def test_reads_are_throttled_per_address_but_bookings_are_not_counted_there(api, settings, workshop_session):
    settings.ASSOCIATIONS_API_RATE = "2/minute"
    assert post(api, payload(workshop_session, email="a@example.org", seats=1)).status_code == 201
    assert post(api, payload(workshop_session, email="b@example.org", seats=1)).status_code == 201
    assert api.get("/api/v1/events/").status_code == 200
    assert api.get("/api/v1/sessions/").status_code == 200
    throttled = api.get("/api/v1/events/")
    assert throttled.status_code == 429
    assert throttled.json()["code"] == "throttled" and throttled.headers["Retry-After"]
    assert post(api, payload(workshop_session, email="c@example.org", seats=1)).status_code == 201


def test_no_csrf_token_or_session_needed_even_for_a_logged_in_browser(workshop_session):
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory())
    response = client.post(BOOKINGS, payload(workshop_session), content_type="application/json")
    assert response.status_code == 201, response.content
    # The API books as anyone: no account is tied to the booking.
    assert Booking.objects.get().user is None


# --- public reads ----------------------------------------------------------------------------------


def test_events_list_with_sessions_and_free_seats(api, workshop, workshop_session, series, make_booking, make_event):
    make_booking(workshop_session, seats=4)
    make_booking(workshop_session, seats=1, status=BookingStatus.WAITING)
    draft = make_event(workshop.association, status=EventStatus.DRAFT)
    response = api.get("/api/v1/events/")
    assert response.status_code == 200
    events = {row["slug"]: row for row in response.json()["results"]}
    assert set(events) == {"cucina-siriana", "arabo-base"}
    assert draft.slug not in events
    session = events["cucina-siriana"]["sessions"][0]
    assert session["id"] == str(workshop_session.public_id)
    assert (session["capacity"], session["free_seats"], session["waiting_seats"], session["bookable"]) == (
        10,
        6,
        1,
        True,
    )
    assert events["cucina-siriana"]["organiser"] == "Ass. Ponti"
    assert events["cucina-siriana"]["url"].endswith("/events/cucina-siriana/")
    assert len(events["arabo-base"]["sessions"]) == 3
    assert not events["arabo-base"]["sessions"][0]["bookable"]  # booked as a whole

    # In the caller's language.
    arabic = api.get("/api/v1/events/cucina-siriana/", HTTP_ACCEPT_LANGUAGE="ar")
    assert arabic.json()["title"] == "المطبخ السوري للجميع"


def test_events_filters_and_unknown_parameters(
    api, workshop, workshop_session, other_association, make_event, make_session
):
    event = make_event(other_association)
    make_session(event, municipality=municipality("Matera"))
    matera = municipality("Matera").istat_code
    response = api.get("/api/v1/events/", {"municipality": matera})
    assert [row["slug"] for row in response.json()["results"]] == [event.slug]
    assert api.get("/api/v1/events/", {"category": "food"}).json()["count"] == 1
    bad = api.get("/api/v1/events/", {"municipality": "nowhere"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"
    unknown = api.get("/api/v1/events/", {"colour": "red"})
    assert unknown.status_code == 400 and "colour" in str(unknown.json())
    assert api.get("/api/v1/events/no-such-event/").status_code == 404


def test_the_events_list_costs_the_same_queries_for_more_events(
    api, ponti, make_event, make_session, make_booking, django_assert_max_num_queries
):
    def add_events(n: int) -> None:
        for _ in range(n):
            event = make_event(ponti)
            make_booking(make_session(event))

    add_events(1)
    with django_assert_max_num_queries(10) as captured:
        api.get("/api/v1/events/")
    few = len(captured.captured_queries)
    add_events(4)
    with django_assert_max_num_queries(few):
        assert api.get("/api/v1/events/").json()["count"] == 5


def test_sessions_with_free_seats(api, workshop, make_session, make_booking):
    open_session = make_session(workshop, capacity=3)
    full = make_session(workshop, capacity=2)
    make_booking(full, seats=2)
    ended = make_session(workshop, starts_at=timezone.now() - datetime.timedelta(days=2))
    listed = api.get("/api/v1/sessions/").json()["results"]
    assert {row["id"] for row in listed} == {str(open_session.public_id), str(full.public_id)}
    free = api.get("/api/v1/sessions/", {"free": "true"}).json()["results"]
    assert [row["id"] for row in free] == [str(open_session.public_id)]
    assert free[0]["free_seats"] == 3
    none_left = api.get("/api/v1/sessions/", {"free": "false"}).json()["results"]
    assert [row["id"] for row in none_left] == [str(full.public_id)]
    one = api.get(f"/api/v1/sessions/{full.public_id}/").json()
    assert (one["free_seats"], one["event"]) == (0, "cucina-siriana")
    assert api.get(f"/api/v1/sessions/{ended.public_id}/").status_code == 404
    assert api.get("/api/v1/sessions/not-a-uuid/").status_code == 404


def test_the_endpoints_are_in_the_schema(tmp_path):
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"), stderr=io.StringIO()
    )
    schema = yaml.safe_load((tmp_path / "schema.yaml").read_text())
    paths = schema["paths"]
    assert set(paths["/api/v1/bookings/"]) == {"post"}
    assert set(paths["/api/v1/bookings/{token}/"]) == {"get", "delete"}
    responses = paths["/api/v1/bookings/"]["post"]["responses"]
    assert {"201", "400", "409", "429"} <= set(responses)
    assert paths["/api/v1/bookings/"]["post"]["security"] == [{}]  # no authentication
    for path in ("/api/v1/events/", "/api/v1/events/{slug}/", "/api/v1/sessions/", "/api/v1/sessions/{public_id}/"):
        assert "200" in paths[path]["get"]["responses"], path
    request = schema["components"]["schemas"]["NewBookingRequest"]
    assert {"name", "seats", "language", "privacy_consent"} <= set(request["required"])


# --- never a 500 -----------------------------------------------------------------------------------

_text = st.text(max_size=300)
_values = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70), _text, st.lists(_text, max_size=2)
)


@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.fixed_dictionaries(
        {},
        optional={
            "session": st.one_of(_values, st.uuids().map(str)),
            "event": st.one_of(_values, st.just("arabo-base"), st.just("cucina-siriana")),
            "name": _values,
            "email": st.one_of(_values, st.emails()),
            "phone": _values,
            "seats": _values,
            "language": st.one_of(_values, st.sampled_from(["it", "ar", "fr", "en"])),
            "audience": _values,
            "privacy_consent": _values,
        },
    )
)
def test_any_json_body_gets_an_answer_never_a_server_error(api, workshop_session, series, body):
    cache.clear()
    response = api.post(BOOKINGS, body, content_type="application/json")
    assert response.status_code in (201, 400, 409, 429), (body, response.content)
    assert "code" in response.json() or response.status_code == 201
