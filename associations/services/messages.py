"""Messages to bookers: written in the booker's language when something happens (the outbox row,
in the same transaction as the change), then sent by Celery after commit with retries. A message
the mail server keeps refusing ends FAILED, never lost: managers see it and can send it again.

The stored text is the plain-text email; the HTML part (lang and dir on <html>, right-to-left in
Arabic) and the calendar file of a confirmation are built from the stored message when it is sent."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from aipim.core import audit
from associations import signing
from associations.models import Booking, BookingMessage, BookingStatus, Session

SUBJECTS = {
    BookingMessage.Kind.CONFIRMATION: _("Booking confirmed: %(event)s"),
    BookingMessage.Kind.WAITING: _("You are on the waiting list: %(event)s"),
    BookingMessage.Kind.OFFER: _("A seat is free for you: %(event)s"),
    BookingMessage.Kind.CANCELLED: _("Booking cancelled: %(event)s"),
    BookingMessage.Kind.SESSION_CANCELLED: _("Session cancelled: %(event)s"),
    BookingMessage.Kind.OFFER_EXPIRED: _("Your seat offer has expired: %(event)s"),
}


class DeliveryFailed(OSError):
    """The mail server refused a message (it was kept with the reason, and will be retried)."""


def message_language(booking: Booking) -> str:
    """The booker's language, if the portal speaks it, else Italian."""
    known = {code for code, _name in settings.LANGUAGES}
    return booking.language if booking.language in known else settings.LANGUAGE_CODE


def text_direction(language: str) -> str:
    return "rtl" if translation.get_language_info(language)["bidi"] else "ltr"


def booked_sessions(booking: Booking) -> list[Session]:
    """The sessions a booking is for: its session, or every scheduled session of its series."""
    if booking.session_id is not None:
        return list(Session.objects.filter(pk=booking.session_id).select_related("municipality"))
    return list(
        Session.objects.filter(event_id=booking.event_id, status=Session.Status.SCHEDULED)
        .select_related("municipality")
        .order_by("starts_at", "id")
    )


def _context(booking: Booking, kind: str, extra: str, session: Session | None) -> dict[str, Any]:
    context: dict[str, Any] = {
        "booking": booking,
        "event": booking.event,
        "sessions": booked_sessions(booking),
        "manage_url": signing.manage_url(booking),
        "extra": extra,
        "cancelled_session": session,
        "site_url": settings.SITE_URL.rstrip("/"),
    }
    if kind == BookingMessage.Kind.OFFER:
        context["accept_url"] = signing.offer_url(booking, "accept")
        context["decline_url"] = signing.offer_url(booking, "decline")
    return context


def render(booking: Booking, kind: str, *, extra: str = "", session: Session | None = None) -> tuple[str, str]:
    """(subject, plain text) of a message of `kind`, in the booker's language."""
    language = message_language(booking)
    with translation.override(language):
        if kind == BookingMessage.Kind.OFFER and booking.seats_offered > 1:
            subject = ngettext(
                "%(count)d seat is free for you: %(event)s",
                "%(count)d seats are free for you: %(event)s",
                booking.seats_offered,
            ) % {"count": booking.seats_offered, "event": booking.event.title}
        else:
            subject = str(SUBJECTS[BookingMessage.Kind(kind)]) % {"event": booking.event.title}
        body = render_to_string(f"associations/email/{kind}.txt", _context(booking, kind, extra, session))
    # The templates' optional parts leave runs of empty lines: one is enough between paragraphs.
    return subject[:250], re.sub(r"\n{3,}", "\n\n", body.strip()) + "\n"


def queue(booking: Booking, kind: str, *, extra: str = "", session: Session | None = None) -> BookingMessage:
    """Write the message in the booker's language and send it after commit. A booking with only a
    phone gets the message recorded as FAILED (no address): the organiser sees it and calls."""
    subject, body = render(booking, kind, extra=extra, session=session)
    message = BookingMessage.objects.create(
        booking=booking,
        kind=kind,
        language=message_language(booking),
        recipient=booking.email,
        subject=subject,
        body=body,
    )
    if not booking.email:
        message.status = BookingMessage.Status.FAILED
        message.last_error = str(_("No email address: tell the booker by phone."))
        message.save(update_fields=["status", "last_error"])
        return message
    _send_after_commit(message.pk)
    return message


def _send_after_commit(message_id: int) -> None:
    from associations.tasks import send_booking_message

    transaction.on_commit(lambda: send_booking_message.delay(message_id))


def build_email(message: BookingMessage) -> EmailMultiAlternatives:
    """The email of a stored message: its text, an HTML part in the message's direction, and for a
    confirmation the calendar file of the booked session(s)."""
    booking = message.booking
    direction = text_direction(message.language)
    with translation.override(message.language):
        html = render_to_string(
            "associations/email/message.html",
            {"message": message, "language": message.language, "direction": direction},
        )
        email = EmailMultiAlternatives(
            message.subject,
            message.body,
            None,
            [message.recipient],
            headers={"Content-Language": message.language},
        )
        email.attach_alternative(html, "text/html")
        if message.kind == BookingMessage.Kind.CONFIRMATION and booking.status == BookingStatus.CONFIRMED:
            from associations.ics import booking_calendar

            calendar = booking_calendar(booking, manage_url=signing.manage_url(booking))
            email.attach(f"{booking.reference}.ics", calendar, "text/calendar; charset=utf-8; method=PUBLISH")
    return email


def deliver(message_id: int) -> bool:
    """Send one stored message (once: the row is locked and a sent message is left alone). Returns
    whether it was sent now; raises DeliveryFailed, after recording the attempt, when the mail
    server refuses."""
    error_text = ""
    with transaction.atomic():
        message = (
            BookingMessage.objects.select_for_update(of=("self",))
            .select_related("booking__event", "booking__session")
            .filter(pk=message_id)
            .first()
        )
        # Gone (the booking was erased), already sent, or nowhere to send it: nothing to do.
        if message is None or message.status == BookingMessage.Status.SENT or not message.recipient:
            return False
        message.attempts += 1
        try:
            build_email(message).send()
        except Exception as error:  # the mail backends' errors share no base class
            error_text = f"{type(error).__name__}: {error}"[:300]
            message.last_error = error_text
            message.save(update_fields=["attempts", "last_error"])
        else:
            message.status = BookingMessage.Status.SENT
            message.sent_at = timezone.now()
            message.last_error = ""
            message.save(update_fields=["attempts", "status", "sent_at", "last_error"])
    if error_text:
        raise DeliveryFailed(error_text)
    return True


def mark_failed(message_id: int) -> None:
    """The retries are over: the message stays FAILED (with its last error) for managers to resend."""
    BookingMessage.objects.filter(pk=message_id).exclude(status=BookingMessage.Status.SENT).update(
        status=BookingMessage.Status.FAILED
    )


def resend(message: BookingMessage, *, by: Any) -> BookingMessage:
    """A manager sends a failed (or pending) message again, as it was written."""
    with transaction.atomic():
        message = (
            BookingMessage.objects.select_for_update(of=("self",)).select_related("booking__event").get(pk=message.pk)
        )
        if message.status == BookingMessage.Status.SENT or not message.recipient:
            return message
        message.status = BookingMessage.Status.PENDING
        message.save(update_fields=["status"])
        event = message.booking.event
        audit.record(
            by,
            "booking.message_resend",
            message,
            organisation=event.association.organisation if event.association_id else None,  # type: ignore[union-attr]
            booking_id=message.booking_id,
        )
        _send_after_commit(message.pk)
    return message
