"""The public booking pages: the form (errors tied to their fields, honeypot, rate limits, the
visitor's language), the confirmation, and the booking's page by its signed link (status, calendar
file, cancel, accept fewer seats, decline). Bad links answer 404, never 500."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from associations import signing
from associations.models import Booking, BookingStatus, EventStatus
from associations.services import booking as service

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_and_no_counts(settings) -> None:
    settings.LANGUAGE_CODE = "en"
    cache.clear()  # the rate limit's counters


def form_data(session=None, **fields) -> dict[str, str]:
    data = {
        "name": "Amina Haddad",
        "email": "amina@example.org",
        "phone": "",
        "seats": "2",
        "language": "ar",
        "audience": "migrants",
        "consent": "on",
        "website_url": "",
    }
    if session is not None:
        data["session"] = str(session.public_id)
    data.update(fields)
    return data


def book_url(event) -> str:
    return reverse("events:book", args=[event.slug])


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- The form ---------------------------------------------------------------------------------------


def test_the_form_offers_the_chosen_date_seats_up_to_the_limit_and_the_visitors_language(
    client, workshop, workshop_session
) -> None:
    client.cookies["django_language"] = "fr"
    response = client.get(book_url(workshop), {"session": str(workshop_session.public_id)})

    assert response.status_code == 200
    form = response.context["form"]
    assert form["session"].value() == str(workshop_session.public_id)
    assert [value for value, _label in form.fields["seats"].choices] == [1, 2, 3, 4]
    assert form["language"].value() == "fr"
    page = response.content.decode()
    assert 'name="consent"' in page
    assert 'name="website_url"' in page  # the honeypot, hidden from people
    assert re.search(r'<div class="visually-hidden" aria-hidden="true">\s*<label for="id_website_url"', page)
    assert 'for="id_name"' in page
    assert '<option value="ar" lang="ar">العربية</option>' in page


def test_the_form_in_arabic_is_right_to_left(client, workshop, workshop_session) -> None:
    client.cookies["django_language"] = "ar"
    response = client.get(book_url(workshop))
    assert re.search(r'<html[^>]* dir="rtl"', response.content.decode())
    assert "المطبخ السوري للجميع" in response.content.decode()


def test_bad_or_unknown_addresses_answer_404_or_ignore_the_bad_part(client, workshop, workshop_session) -> None:
    assert client.get(reverse("events:book", args=["no-such-event"])).status_code == 404
    assert client.get(book_url(workshop), {"session": "not-a-uuid"}).status_code == 200
    response = client.post(book_url(workshop), {**form_data(), "session": "not-a-uuid"})
    assert response.status_code == 400
    assert not Booking.objects.exists()
    workshop.status = EventStatus.DRAFT
    workshop.save()
    assert client.get(book_url(workshop)).status_code == 404


def test_booking_redirects_to_the_confirmation_page_and_sends_the_email(
    client, workshop, workshop_session, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(book_url(workshop), form_data(workshop_session))

    booking = Booking.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("events:booking", args=[signing.booking_token(booking)]) + "?booked=1"
    assert (booking.seats, booking.language, booking.audience) == (2, "ar", "migrants")
    assert booking.status == BookingStatus.CONFIRMED
    assert len(mail.outbox) == 1
    page = text(client.get(response["Location"]))
    assert "Thank you: your booking is confirmed." in page
    assert booking.reference in page


def test_errors_are_listed_on_top_and_tied_to_their_fields(client, workshop, workshop_session) -> None:
    response = client.post(book_url(workshop), form_data(workshop_session, email="", phone="", consent=""))

    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="error-summary"' in page
    assert 'href="#id_email"' in page
    assert "Give an email address or a phone number." in page
    email_input = re.search(r"<input[^>]*id=\"id_email\"[^>]*>", page).group(0)
    assert 'aria-invalid="true"' in email_input
    assert "id_email_error" in email_input
    assert 'id="id_email_error"' in page
    consent_input = re.search(r"<input[^>]*id=\"id_consent\"[^>]*>", page).group(0)
    assert "id_consent_error" in consent_input
    # The summary names the consent field without its sentence's full stop before the colon.
    summary = page[page.index('id="error-summary"') : page.index("</ul>", page.index('id="error-summary"'))]
    assert ".:" not in summary
    assert not Booking.objects.exists()


def test_more_seats_than_allowed_are_refused(client, workshop, workshop_session) -> None:
    response = client.post(book_url(workshop), form_data(workshop_session, seats="5"))
    assert response.status_code == 400
    assert "seats" in response.context["form"].errors


def test_robots_filling_the_honeypot_book_nothing(client, workshop, workshop_session) -> None:
    response = client.post(book_url(workshop), form_data(workshop_session, website_url="http://spam.example"))
    assert response.status_code == 400
    assert not Booking.objects.exists()


def test_the_same_email_twice_gets_a_clear_error_on_the_email_field(client, workshop, workshop_session) -> None:
    client.post(book_url(workshop), form_data(workshop_session))
    response = client.post(book_url(workshop), form_data(workshop_session, email="AMINA@example.org"))

    assert response.status_code == 409
    assert "There is already a booking with this email" in response.context["form"].errors["email"][0]
    assert Booking.objects.count() == 1


def test_rate_limit_per_address(client, workshop, workshop_session, settings) -> None:
    settings.ASSOCIATIONS_BOOKING_RATE_PER_IP = 2
    for n in range(2):
        assert (
            client.post(book_url(workshop), form_data(workshop_session, email=f"p{n}@example.org")).status_code == 302
        )
    response = client.post(book_url(workshop), form_data(workshop_session, email="p9@example.org"))
    assert response.status_code == 429
    assert "Too many booking attempts" in text(response)
    assert Booking.objects.count() == 2
    # Another address is not blocked.
    other = client.post(book_url(workshop), form_data(workshop_session, email="p8@example.org"), REMOTE_ADDR="10.9.9.9")
    assert other.status_code == 302


def test_rate_limit_per_email(client, workshop, workshop_session, make_session, settings) -> None:
    settings.ASSOCIATIONS_BOOKING_RATE_PER_EMAIL = 1
    second = make_session(workshop)
    assert client.post(book_url(workshop), form_data(workshop_session), REMOTE_ADDR="10.0.0.1").status_code == 302
    response = client.post(book_url(workshop), form_data(second), REMOTE_ADDR="10.0.0.2")
    assert response.status_code == 429
    assert Booking.objects.count() == 1


def test_a_series_is_booked_without_choosing_a_date(client, series) -> None:
    response = client.get(book_url(series))
    assert "session" not in response.context["form"].fields
    assert text(response).count("Centro interculturale") == 3

    assert client.post(book_url(series), form_data()).status_code == 302
    booking = Booking.objects.get()
    assert booking.session is None
    assert booking.event == series


def test_an_event_without_dates_left_says_so(client, workshop) -> None:
    response = client.get(book_url(workshop))
    assert response.status_code == 200
    assert "not open for booking" in text(response)
    assert client.post(book_url(workshop), form_data()).status_code == 409


# --- The booking's page --------------------------------------------------------------------------


def make(session, email="amina@example.org", seats=1) -> Booking:
    return service.book(
        event=session.event, session=session, name="Amina", email=email, phone="", seats=seats, language="en"
    )


def page(name: str, booking: Booking) -> str:
    return reverse(name, args=[signing.booking_token(booking)])


@pytest.mark.parametrize("name", ["booking", "booking_ics", "booking_cancel", "booking_accept", "booking_decline"])
def test_forged_or_unknown_tokens_answer_404(client, workshop_session, name) -> None:
    booking = make(workshop_session)
    token = signing.booking_token(booking)
    for bad in ("nonsense", token[:-2] + "xx", signing.booking_token(Booking(public_id=booking.public_id.int + 1))):
        assert client.get(reverse(f"events:{name}", args=[bad])).status_code == 404
        assert client.post(reverse(f"events:{name}", args=[bad])).status_code in (404, 405)


def test_the_booking_page_shows_the_status_and_the_calendar_file(client, workshop_session) -> None:
    booking = make(workshop_session, seats=3)
    response = client.get(page("events:booking", booking))
    assert response.status_code == 200
    body = text(response)
    assert booking.reference in body
    assert "Confirmed" in body
    assert page("events:booking_cancel", booking) in body

    ics = client.get(page("events:booking_ics", booking))
    assert ics.status_code == 200
    assert ics["Content-Type"].startswith("text/calendar")
    assert b"BEGIN:VEVENT" in ics.content
    assert booking.reference in ics.content.decode()


def test_cancelling_from_the_link_asks_first_then_frees_the_seat_for_the_waiting(client, workshop_session) -> None:
    workshop_session.capacity = 1
    workshop_session.save()
    booking = make(workshop_session)
    waiting = make(workshop_session, email="omar@example.org")
    assert client.get(page("events:booking_ics", waiting)).status_code == 404  # no calendar while waiting

    assert client.get(page("events:booking_cancel", booking)).status_code == 200
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED  # opening the link changes nothing

    response = client.post(page("events:booking_cancel", booking))
    assert response.status_code == 302
    booking.refresh_from_db()
    waiting.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert waiting.status == BookingStatus.OFFERED
    assert "Cancelled" in text(client.get(page("events:booking", booking)))
    assert page("events:booking_accept", waiting) in text(client.get(page("events:booking", waiting)))


def test_accepting_fewer_seats_from_the_link(client, workshop_session) -> None:
    workshop_session.capacity = 3
    workshop_session.save()
    holder = make(workshop_session, seats=3)
    waiting = make(workshop_session, email="omar@example.org", seats=3)
    service.cancel(holder)

    response = client.get(page("events:booking_accept", waiting))
    assert [value for value, _label in response.context["form"].fields["seats"].choices] == [3, 2, 1]

    assert client.post(page("events:booking_accept", waiting), {"seats": "2"}).status_code == 302
    waiting.refresh_from_db()
    assert (waiting.status, waiting.seats) == (BookingStatus.CONFIRMED, 2)
    # Answering again: the offer is gone.
    again = client.post(page("events:booking_accept", waiting), {"seats": "1"})
    assert again.status_code == 409
    assert "no seat offer to answer" in text(again)


def test_declining_from_the_link(client, workshop_session) -> None:
    workshop_session.capacity = 1
    workshop_session.save()
    holder = make(workshop_session)
    waiting = make(workshop_session, email="omar@example.org")
    service.cancel(holder)

    assert client.get(page("events:booking_decline", waiting)).status_code == 200
    assert client.post(page("events:booking_decline", waiting)).status_code == 302
    waiting.refresh_from_db()
    assert waiting.status == BookingStatus.DECLINED
    assert client.post(page("events:booking_decline", waiting)).status_code == 409


def test_errors_are_shown_in_the_visitors_language(client, workshop, workshop_session) -> None:
    client.cookies["django_language"] = "it"
    response = client.post(book_url(workshop), form_data(workshop_session, name=""))
    assert response.status_code == 400
    assert "Campo obbligatorio." in response.content.decode()


def test_a_series_that_has_begun_is_closed_for_booking(client, series) -> None:
    first = series.sessions.order_by("starts_at").first()
    first.starts_at = timezone.now() - datetime.timedelta(hours=1)
    first.ends_at = timezone.now() + datetime.timedelta(hours=1)
    first.save()
    assert "not open for booking" in text(client.get(book_url(series)))


def test_a_series_booking_page_shows_every_date_and_the_cancelled_ones(client, series) -> None:
    booking = service.book(
        event=series, session=None, name="A", email="a@example.org", phone="", seats=1, language="en"
    )
    last = series.sessions.order_by("starts_at").last()
    service.cancel_session(last, by=None, message="Holiday.")

    body = text(client.get(page("events:booking", booking)))
    assert body.count("Centro interculturale") == 3
    assert body.count('<span class="badge bg-danger">Cancelled</span>') == 1
