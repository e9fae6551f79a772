"""Who may open the managers' pages of Action 4 and which records they reach: one fetch-or-404
helper per model, each starting from the model's `for_user` scope, so a record outside the user's
associations answers 404 whatever the URL says."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import Http404

from aipim.accounts.models import Role
from associations.models import (
    REGIONAL_EDITOR_ROLES,
    Association,
    BookingMessage,
    BookingMode,
    Event,
    Network,
    Session,
    association_ids_for,
)

# Managers manage their associations; editors and administrators manage partner events and every
# association's profile. Regional officials see aggregates only: none of these pages.
MANAGE_ROLES = (Role.ASSOCIATION_MANAGER, Role.EDITOR, Role.ADMINISTRATOR)


def is_regional_editor(user: Any) -> bool:
    return bool(user.is_superuser or user.has_role(*REGIONAL_EDITOR_ROLES))


def reads_all_bookings(user: Any) -> bool:
    return bool(user.is_superuser or user.has_role(Role.ADMINISTRATOR))


def events_with_readable_bookings(user: Any) -> Any:
    """Events whose bookers the user may read: the same rule as `Booking.objects.for_user`
    (an editor reads partner events' bookings, never an association's)."""
    events = Event.objects.for_user(user)
    if reads_all_bookings(user):
        return events
    scope = Q(association__organisation__in=association_ids_for(user))
    if user.has_role(Role.EDITOR):
        scope |= Q(association__isnull=True)
    return events.filter(scope)


def managed_association(user: Any, slug: str) -> Association:
    try:
        return Association.objects.for_user(user).select_related("organisation__municipality").get(slug=slug)
    except Association.DoesNotExist as error:
        raise Http404 from error


def managed_network(user: Any, pk: int) -> Network:
    try:
        return Network.objects.for_user(user).select_related("lead__organisation", "service").get(pk=pk)
    except Network.DoesNotExist as error:
        raise Http404 from error


def managed_event(user: Any, pk: int) -> Event:
    try:
        return Event.objects.for_user(user).select_related("association__organisation").get(pk=pk)
    except Event.DoesNotExist as error:
        raise Http404 from error


def managed_session(user: Any, pk: int) -> Session:
    try:
        return (
            Session.objects.for_user(user).select_related("event__association__organisation", "municipality").get(pk=pk)
        )
    except Session.DoesNotExist as error:
        raise Http404 from error


def session_with_bookings(user: Any, pk: int) -> Session:
    """A session whose bookers the user may read (else 404: an editor asking for an association's
    session learns nothing about it)."""
    try:
        return (
            Session.objects.filter(event__in=events_with_readable_bookings(user))
            .select_related("event__association__organisation", "municipality")
            .get(pk=pk)
        )
    except Session.DoesNotExist as error:
        raise Http404 from error


def series_with_bookings(user: Any, pk: int) -> Event:
    try:
        return (
            events_with_readable_bookings(user)
            .filter(booking_mode=BookingMode.SERIES)
            .select_related("association__organisation")
            .get(pk=pk)
        )
    except Event.DoesNotExist as error:
        raise Http404 from error


def readable_message(user: Any, pk: int) -> BookingMessage:
    try:
        return BookingMessage.objects.for_user(user).select_related("booking__event", "booking__session").get(pk=pk)
    except BookingMessage.DoesNotExist as error:
        raise Http404 from error
