"""Messages to bookers: in the booker's language (right-to-left HTML in Arabic), the confirmation
with its calendar file and signed link, the offer with accept and decline links, and no booking or
message lost when the mail server is down."""

from __future__ import annotations

import socket

import pytest
from django.core import mail

from aipim.core.models import AuditEvent
from associations import signing
from associations.models import Booking, BookingMessage, BookingStatus
from associations.services import booking as service
from associations.services import messages
from associations.tasks import LONGEST_DELAY, MAX_RETRIES, expire_offers_task, retry_delay, send_booking_message

pytestmark = pytest.mark.django_db


@pytest.fixture
def send_now(django_capture_on_commit_callbacks):
    """Run what the code queued for after commit (the Celery tasks run in-process in tests)."""

    def run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return run


def book(session, *, email="amina@example.org", language="en", seats=1, phone=""):
    return service.book(
        event=session.event,
        session=session,
        name="Amina",
        email=email,
        phone=phone,
        seats=seats,
        language=language,
    )


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_confirmation_email_has_the_calendar_file_and_the_signed_link(workshop_session, send_now) -> None:
    booking = send_now(book, workshop_session, seats=2)

    (email,) = mail.outbox
    assert email.to == ["amina@example.org"]
    assert "Syrian cooking for everyone" in email.subject
    link = signing.manage_url(booking)
    assert link in email.body
    assert signing.booking_from_token(link.rstrip("/").split("/")[-1]) == booking
    (attachment,) = email.attachments
    name, content, mimetype = attachment
    assert name == f"{booking.reference}.ics"
    assert mimetype.startswith("text/calendar")
    calendar = content.decode() if isinstance(content, bytes) else content
    assert "BEGIN:VEVENT" in calendar
    assert f"{workshop_session.public_id}@aipim" in calendar
    html, _mime = email.alternatives[0]
    assert 'dir="ltr"' in html
    assert BookingMessage.objects.get(booking=booking).status == BookingMessage.Status.SENT


def test_arabic_bookers_get_right_to_left_messages(workshop_session, send_now) -> None:
    booking = send_now(book, workshop_session, language="ar")

    (email,) = mail.outbox
    html, _mime = email.alternatives[0]
    assert '<html lang="ar" dir="rtl">' in html
    assert email.extra_headers["Content-Language"] == "ar"
    assert "المطبخ السوري للجميع" in email.subject
    assert booking.messages.get().language == "ar"


def test_a_language_the_portal_does_not_speak_falls_back_to_italian(workshop_session) -> None:
    booking = book(workshop_session, language="xx")
    message = booking.messages.get()
    assert message.language == "it"
    assert "Cucina siriana per tutti" in message.subject


def test_the_offer_email_has_accept_and_decline_links(workshop_session, send_now) -> None:
    workshop_session.capacity = 1
    workshop_session.save()
    holder = book(workshop_session, email="a@example.org")
    waiting = book(workshop_session, email="b@example.org")
    mail.outbox.clear()

    send_now(service.cancel, holder)

    offer = next(email for email in mail.outbox if email.to == ["b@example.org"])
    assert signing.offer_url(waiting, "accept") in offer.body
    assert signing.offer_url(waiting, "decline") in offer.body
    assert not offer.attachments


def test_an_offer_of_several_seats_says_so_in_its_subject(workshop_session, send_now) -> None:
    workshop_session.capacity = 2
    workshop_session.save()
    holder = book(workshop_session, email="a@example.org", seats=2)
    book(workshop_session, email="b@example.org", seats=2)
    mail.outbox.clear()

    send_now(service.cancel, holder)

    offer = next(email for email in mail.outbox if email.to == ["b@example.org"])
    assert offer.subject.startswith("2 seats are free for you")


def test_phone_only_bookings_keep_their_message_as_failed_for_the_organiser(workshop_session, send_now) -> None:
    booking = send_now(book, workshop_session, email="", phone="333 1234567")

    assert mail.outbox == []
    message = booking.messages.get()
    assert message.status == BookingMessage.Status.FAILED
    assert message.recipient == ""
    assert message.last_error


def test_when_the_mail_server_refuses_the_booking_is_kept_and_the_message_fails_after_retries(
    workshop_session, send_now, settings, manager_association
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = closed_port()
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 2

    booking = send_now(book, workshop_session)

    booking = Booking.objects.get(pk=booking.pk)
    assert booking.status == BookingStatus.CONFIRMED
    message = booking.messages.get()
    assert message.status == BookingMessage.Status.FAILED
    assert message.attempts == MAX_RETRIES + 1
    assert "Connection" in message.last_error or "refused" in message.last_error.lower()

    # The server is back: a manager sends it again, as it was written.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    send_now(messages.resend, message, by=manager_association)

    message.refresh_from_db()
    assert message.status == BookingMessage.Status.SENT
    assert message.sent_at is not None
    assert len(mail.outbox) == 1
    assert AuditEvent.objects.filter(action="booking.message_resend", user=manager_association).exists()


def test_a_message_is_sent_once(workshop_session, send_now) -> None:
    booking = send_now(book, workshop_session)
    message = booking.messages.get()

    assert messages.deliver(message.pk) is False
    send_now(messages.resend, message, by=None)
    assert len(mail.outbox) == 1


def test_retries_back_off_and_stay_under_the_broker_visibility_timeout() -> None:
    delays = [retry_delay(n) for n in range(MAX_RETRIES)]
    assert delays[0] < delays[1] < delays[2]
    assert max(delays) <= LONGEST_DELAY * 1.1


def test_a_message_erased_before_sending_is_skipped(workshop_session) -> None:
    booking = book(workshop_session)
    message_id = booking.messages.get().pk
    BookingMessage.objects.filter(pk=message_id).delete()
    assert send_booking_message.apply(args=[message_id]).get() == "skipped"


def test_the_beat_task_expires_offers(workshop_session, make_booking) -> None:
    import datetime

    from django.utils import timezone

    offered = make_booking(
        workshop_session,
        status=BookingStatus.OFFERED,
        seats=1,
        seats_offered=1,
        offer_expires_at=timezone.now() - datetime.timedelta(minutes=1),
    )
    assert expire_offers_task.apply().get() == 1
    offered.refresh_from_db()
    assert offered.status == BookingStatus.EXPIRED


@pytest.mark.parametrize("kind", BookingMessage.Kind.values)
@pytest.mark.parametrize("language", ["it", "en", "fr", "ar"])
def test_every_message_renders_in_every_language(workshop_session, series, kind, language) -> None:
    from associations.models import Session

    for target in (workshop_session, series):
        session = target if isinstance(target, Session) else None
        event = target.event if session else target
        booking = service.book(
            event=event, session=session, name="Amina", email=f"{kind}.{language}@example.org", phone="",
            seats=1, language=language,
        )  # fmt: skip
        if kind == BookingMessage.Kind.OFFER:
            booking.seats_offered = 1
            booking.offer_expires_at = workshop_session.starts_at
        cancelled = session or event.sessions.first()
        subject, body = messages.render(booking, kind, extra="Note from the organiser.", session=cancelled)
        assert subject and booking.reference in body
        assert "{%" not in body and "{{" not in body
        if kind == BookingMessage.Kind.SESSION_CANCELLED:
            assert "Note from the organiser." in body
