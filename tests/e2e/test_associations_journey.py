"""The booking journey of Action 4 on a phone: a visitor opens the events catalogue, switches it to
Arabic with the language switcher, finds the Syrian cooking workshop with the filters, books two
seats without an account, and gets the confirmation email in Arabic (right to left, with the
calendar file and the link to the booking). The workshop is then full and Yonas joins the waiting
list for two seats. The visitor opens the link from the email, cancels, and Yonas is offered the two
seats by email, with a link to accept and one to decline."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import icalendar
from django.core import mail
from django.urls import resolve, reverse
from django.utils import translation

from associations.models import Booking, BookingMessage, BookingStatus, EventCategory
from associations.services import booking as booking_service
from tests.associations import conftest as associations_fixtures

# The associations' fixtures (tests/associations/conftest.py), made visible to this folder.
ponti = associations_fixtures.ponti
make_event = associations_fixtures.make_event
make_session = associations_fixtures.make_session
make_booking = associations_fixtures.make_booking
workshop = associations_fixtures.workshop

PHONE = 390
SHOTS = Path(os.environ.get("AIPIM_SHOTS_DIR", "/tmp/shots"))
TITLE_AR = "المطبخ السوري للجميع"
VISITOR = "سميرة حداد"  # Samira Haddad


def html_part(email: Any) -> str:
    return next(content for content, mimetype in email.alternatives if mimetype == "text/html")


def show_email(page: Any, html: str, name: str) -> None:
    """Draw an email's HTML part as a phone's mail app would, photographed for people to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_content(html)
    page.screenshot(path=str(SHOTS / f"{name}-{PHONE}.png"), full_page=True)


def link_path(text: str, name: str) -> str:
    """The path of the link named `name` (a URL name of the events namespace) found in `text`."""
    before, after = reverse(f"events:{name}", args=["TOKEN"]).split("TOKEN")
    found = re.search(re.escape(before) + r"[^/\s\"'<>]+" + re.escape(after) + r"(?=[\s\"'<>]|$)", text)
    assert found is not None, f"no {name} link in: {text}"
    return urlparse(found.group(0)).path


def test_visitor_books_in_arabic_cancels_and_the_waiting_person_is_offered_the_seats(
    new_page, live_server, ponti, workshop, make_event, make_session, make_booking
):
    session = make_session(workshop, capacity=3)
    make_booking(session, seats=1, name="Giulia Rossi", email="giulia.rossi@example.org")
    # Another workshop of the same week, that the filters leave out.
    football = make_event(ponti, slug="calcio-insieme", title_it="Calcio insieme", title_ar="كرة القدم معًا",
                          category=EventCategory.SPORT)  # fmt: skip
    make_session(football, capacity=20)

    page = new_page(language="it", width=PHONE)
    page.set_default_timeout(15_000)

    # The catalogue, switched to Arabic with the switcher every page carries.
    page.goto(reverse("events:list"))
    assert page.locator("main article").count() == 2
    page.locator('form.portal-lang-form button[value="ar"]').click()
    page.locator('html[lang="ar"]').wait_for(state="attached")
    assert page.locator("html").get_attribute("lang") == "ar"
    assert page.locator("html").get_attribute("dir") == "rtl"

    # Finding the workshop: food and cooking. On a phone the filters are folded behind a button.
    search = page.locator("main form[role=search]")
    assert not search.is_visible()
    page.locator("main details.events-filter-panel > summary").click()
    search.locator('select[name="category"]').select_option(EventCategory.FOOD)
    search.locator('button[type="submit"]').click()
    page.wait_for_url(re.compile(r"category=food"))
    cards = page.locator("main article")
    assert cards.count() == 1
    assert search.is_visible()  # a filter in use keeps them unfolded
    cards.get_by_role("link", name=TITLE_AR).click()
    page.wait_for_url(live_server.url + reverse("events:event", args=[workshop.slug]))
    assert page.locator("main h1").inner_text() == TITLE_AR

    # Booking two seats from the session's button: no account, the form in Arabic.
    page.locator(f'main a[href$="?session={session.public_id}"]').click()
    page.wait_for_url(re.compile(re.escape(reverse("events:book", args=[workshop.slug]))))
    assert page.locator("html").get_attribute("dir") == "rtl"
    form = page.locator("main form[method=post]").filter(has=page.locator('input[name="name"]'))
    form.locator('input[name="name"]').fill(VISITOR)
    form.locator('input[name="email"]').fill("samira.haddad@example.org")
    form.locator('select[name="seats"]').select_option("2")
    assert form.locator('select[name="language"]').input_value() == "ar"  # the page's language by default
    # The checkbox is drawn by its label (Bootstrap Italia), which is what a finger presses.
    form.locator('label[for="id_consent"]').click()
    assert form.locator('input[name="consent"]').is_checked()
    mail.outbox.clear()
    form.locator('button[type="submit"]').click()
    page.wait_for_url(re.compile(r"\?booked=1$"))

    booking = Booking.objects.get(email="samira.haddad@example.org")
    assert (booking.status, booking.seats, booking.session_id, booking.language) == (
        BookingStatus.CONFIRMED,
        2,
        session.pk,
        "ar",
    )
    main = page.locator("main")
    assert booking.reference in main.inner_text()
    assert page.locator("html").get_attribute("dir") == "rtl"

    # The confirmation email, in Arabic, right to left, with the calendar file and the booking's link.
    assert [m.to for m in mail.outbox] == [["samira.haddad@example.org"]]
    email = mail.outbox[0]
    with translation.override("ar"):
        expected_subject = str(booking_service_subject(BookingMessage.Kind.CONFIRMATION)) % {"event": TITLE_AR}
    assert email.subject == expected_subject == f"تم تأكيد الحجز: {TITLE_AR}"  # "Booking confirmed: ..."
    assert email.body.startswith(f"مرحبًا {VISITOR}،")  # "Hello ...,"
    assert TITLE_AR in email.subject and TITLE_AR in email.body
    assert VISITOR in email.body and booking.reference in email.body
    assert email.extra_headers.get("Content-Language") == "ar"
    html = html_part(email)
    assert '<html lang="ar" dir="rtl">' in html
    ics_files = [a for a in email.attachments if a[2].startswith("text/calendar")]
    assert len(ics_files) == 1
    calendar = icalendar.Calendar.from_ical(ics_files[0][1])
    events = calendar.walk("VEVENT")
    assert [str(e["UID"]) for e in events] == [f"{session.public_id}@aipim"]
    assert str(events[0]["SUMMARY"]) == TITLE_AR
    manage_path = link_path(email.body, "booking")
    assert link_path(html, "booking") == manage_path
    assert booking.reference in str(events[0]["DESCRIPTION"])
    assert manage_path in str(events[0]["DESCRIPTION"])
    # What was sent is the message kept for the booking, written in Arabic.
    kept = BookingMessage.objects.get(booking=booking, kind=BookingMessage.Kind.CONFIRMATION)
    assert (kept.language, kept.status, kept.subject) == ("ar", BookingMessage.Status.SENT, email.subject)

    show_email(new_page(language="ar", width=PHONE), html, "email-confirmation-ar")

    # The session is now full: Yonas goes on the waiting list for two seats.
    yonas = booking_service.book(event=workshop, session=session, name="Yonas Tesfaye", email="yonas@example.org",
                                 phone="", seats=2, language="it")  # fmt: skip
    assert yonas.status == BookingStatus.WAITING

    # The visitor opens the link from the email and cancels.
    mail.outbox.clear()
    response = page.goto(manage_path)
    assert response.status == 200
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert booking.reference in page.locator("main").inner_text()
    cancel_path = reverse("events:booking_cancel", args=[resolve(manage_path).kwargs["token"]])
    page.locator(f'main a[href="{cancel_path}"]').click()
    page.wait_for_url(live_server.url + cancel_path)
    page.locator('main form[method="post"] button[type="submit"]').click()
    page.wait_for_url(live_server.url + manage_path)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED

    # Yonas is offered the two seats, by email, in Italian, with an accept and a decline link.
    yonas.refresh_from_db()
    assert (yonas.status, yonas.seats_offered) == (BookingStatus.OFFERED, 2)
    assert yonas.offer_expires_at is not None
    offers = [m for m in mail.outbox if m.to == ["yonas@example.org"]]
    assert len(offers) == 1
    with translation.override("it"):
        two_seats = translation.ngettext(
            "%(count)d seat is free for you: %(event)s", "%(count)d seats are free for you: %(event)s", 2
        )
    assert offers[0].subject == two_seats % {"count": 2, "event": "Cucina siriana per tutti"}
    show_email(new_page(language="it", width=PHONE), html_part(offers[0]), "email-offer-it")
    accept_path = link_path(offers[0].body, "booking_accept")
    decline_path = link_path(offers[0].body, "booking_decline")
    assert accept_path != decline_path
    # The visitor was told that the booking is cancelled, in Arabic.
    told = [m for m in mail.outbox if m.to == ["samira.haddad@example.org"]]
    assert len(told) == 1 and TITLE_AR in told[0].subject

    # Yonas opens the accept link and takes the seats.
    yonas_page = new_page(language="it", width=PHONE)
    assert yonas_page.goto(accept_path).status == 200
    yonas_page.locator('main form[method=post] button[type="submit"]').first.click()
    yonas_page.wait_for_url(live_server.url + reverse("events:booking", args=[resolve(accept_path).kwargs["token"]]))
    yonas.refresh_from_db()
    assert yonas.status == BookingStatus.CONFIRMED and yonas.seats == 2


def booking_service_subject(kind: str) -> Any:
    from associations.services.messages import SUBJECTS

    return SUBJECTS[BookingMessage.Kind(kind)]


def test_booking_emails_fit_on_a_phone(new_page, workshop, make_session):
    """The confirmation (Arabic) and the offer (Italian) read on a phone without scrolling sideways:
    the long signed links wrap."""
    session = make_session(workshop, capacity=1)
    mail.outbox.clear()
    first = booking_service.book(event=workshop, session=session, name=VISITOR, email="samira.haddad@example.org",
                                 phone="", seats=1, language="ar")  # fmt: skip
    booking_service.book(event=workshop, session=session, name="Yonas Tesfaye", email="yonas@example.org", phone="",
                         seats=1, language="it")  # fmt: skip
    booking_service.cancel(first)
    # Sent in order: Samira's confirmation, Yonas's waiting list, Samira's cancellation, Yonas's offer.
    confirmation = next(m for m in mail.outbox if m.to == ["samira.haddad@example.org"])
    offer = [m for m in mail.outbox if m.to == ["yonas@example.org"]][-1]
    assert confirmation.attachments and "accept" in offer.body
    too_wide = []
    for email in (confirmation, offer):
        page = new_page(width=PHONE)
        page.set_content(html_part(email))
        if page.evaluate("document.documentElement.scrollWidth") > PHONE:
            too_wide.append(email.subject)
    assert too_wide == []
