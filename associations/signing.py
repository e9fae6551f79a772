"""Signed links of a booking: the booker has no account, so the link in the confirmation email is
what lets them see, cancel, or answer an offer for their booking. The token carries only the
booking's public id (a random UUID) signed with the site's secret."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import reverse

from associations.models import Booking

SALT = "associations.booking"


def booking_token(booking: Booking) -> str:
    """The same token every time (no timestamp): every message of a booking carries the same link,
    valid as long as the booking exists."""
    return signing.Signer(salt=SALT).sign_object(str(booking.public_id))


def booking_from_token(token: str) -> Booking:
    """The booking a token names; raises Booking.DoesNotExist when the token is forged, malformed
    or names no booking (the views answer 404 for all of them alike)."""
    try:
        public_id = signing.Signer(salt=SALT).unsign_object(token)
    except signing.BadSignature as error:
        raise Booking.DoesNotExist("bad token") from error
    if not isinstance(public_id, str):
        raise Booking.DoesNotExist("bad token")
    try:
        return Booking.objects.select_related("event__association__organisation", "session__municipality").get(
            public_id=public_id
        )
    except (ValueError, ValidationError, Booking.DoesNotExist) as error:  # not a UUID, or no such booking
        raise Booking.DoesNotExist("unknown booking") from error


def absolute(path: str, request: HttpRequest | None = None) -> str:
    if request is not None:
        return request.build_absolute_uri(path)
    return settings.SITE_URL.rstrip("/") + path


def manage_url(booking: Booking, request: HttpRequest | None = None) -> str:
    """The absolute address of the booking's page (status, cancel, calendar file, answer an offer)."""
    return absolute(reverse("events:booking", args=[booking_token(booking)]), request)


def offer_url(booking: Booking, answer: str, request: HttpRequest | None = None) -> str:
    """The absolute address of the page that accepts ("accept") or declines ("decline") an offer.
    The page asks for a click: mail scanners that open links must not answer for the booker."""
    return absolute(reverse(f"events:booking_{answer}", args=[booking_token(booking)]), request)
