"""Managers' pages on bookers (personal data): the bookings of a session or of a whole series with
the waiting list in order, their exports (CSV, PDF), cancelling a session with a message to everyone
booked, and the messages that could not be sent. Every read of a list is audited; the scope is
`Booking.objects.for_user`, so an editor reads partner events' bookings only, and a manager of one
association never another's (404)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import URLPattern, path, reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from aipim.core import audit
from aipim.core.views import RoleRequiredMixin
from aipim.reports.rendering import html_to_pdf, text_direction
from associations.forms.manage_events import CancelForm
from associations.models import Booking, BookingMessage, BookingMode, BookingStatus, CheckIn, Event, Session
from associations.selectors import Availability, availability
from associations.views.manage_scope import (
    MANAGE_ROLES,
    readable_message,
    series_with_bookings,
    session_with_bookings,
)


def organisation_of(event: Event) -> Any:
    return event.association.organisation if event.association_id else None  # type: ignore[union-attr]


def bookings_of_session(user: Any, session: Session) -> QuerySet[Booking]:
    """The session's own bookings and its series' bookings (they come to every session), in the
    order they were made, each with whether it was checked in at this session."""
    return (
        Booking.objects.for_user(user)
        .filter(Q(session=session) | Q(session__isnull=True, event_id=session.event_id))
        .annotate(checked_in=Exists(CheckIn.objects.filter(booking=OuterRef("pk"), session=session)))
        .order_by("created_at", "id")
    )


def bookings_of_series(user: Any, event: Event) -> QuerySet[Booking]:
    return Booking.objects.for_user(user).filter(event=event, session__isnull=True).order_by("created_at", "id")


@dataclass
class BookingList:
    """A list of bookings split as a manager reads it: who holds seats, who waits (in order), the rest."""

    holding: list[Booking]
    waiting: list[Booking]
    others: list[Booking]

    @classmethod
    def of(cls, bookings: QuerySet[Booking]) -> BookingList:
        rows = list(bookings)
        return cls(
            holding=[b for b in rows if b.status in (BookingStatus.CONFIRMED, BookingStatus.OFFERED)],
            waiting=[b for b in rows if b.status == BookingStatus.WAITING],
            others=[
                b
                for b in rows
                if b.status not in (BookingStatus.CONFIRMED, BookingStatus.OFFERED, BookingStatus.WAITING)
            ],
        )

    @property
    def count(self) -> int:
        return len(self.holding) + len(self.waiting) + len(self.others)

    @property
    def seats_confirmed(self) -> int:
        return sum(b.seats for b in self.holding if b.status == BookingStatus.CONFIRMED)

    @property
    def seats_offered(self) -> int:
        return sum(b.seats_offered for b in self.holding if b.status == BookingStatus.OFFERED)

    @property
    def seats_waiting(self) -> int:
        return sum(b.seats for b in self.waiting)


def series_availability_of(sessions: list[Session]) -> Availability | None:
    """Seats of a series: its fullest session decides."""
    seats = availability(sessions)
    if not seats:
        return None
    return min(seats.values(), key=lambda a: a.free)


def failed_messages(user: Any, bookings: QuerySet[Booking] | None = None) -> QuerySet[BookingMessage]:
    scope = BookingMessage.objects.for_user(user).filter(status=BookingMessage.Status.FAILED)
    if bookings is not None:
        scope = scope.filter(booking__in=bookings.values("pk"))
    return scope.select_related("booking__event", "booking__session").order_by("created_at", "id")


class SessionBookingsView(RoleRequiredMixin, View):
    roles = MANAGE_ROLES
    template_name = "associations/manage/bookings.html"

    def context(self, request: HttpRequest, session: Session, **extra: Any) -> dict[str, Any]:
        event = session.event
        bookings = bookings_of_session(request.user, session)
        listing = BookingList.of(bookings)
        audit.record(request.user, "booking.list", session, organisation=organisation_of(event), count=listing.count)
        context = {
            "event": event,
            "session": session,
            "listing": listing,
            "seats": availability([session])[session.pk],
            "failed": list(failed_messages(request.user, bookings)),
            "is_series": event.booking_mode == BookingMode.SERIES,
            "csv_url": reverse("associations:session_bookings_csv", args=[session.pk]),
            "pdf_url": reverse("associations:session_bookings_pdf", args=[session.pk]),
            "cancel_form": CancelForm(),
            "can_cancel": session.status == Session.Status.SCHEDULED and session.ends_at >= timezone.now(),
        }
        context.update(extra)
        return context

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        session = session_with_bookings(request.user, pk)
        return render(request, self.template_name, self.context(request, session))


class SeriesBookingsView(RoleRequiredMixin, View):
    roles = MANAGE_ROLES
    template_name = "associations/manage/bookings.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        event = series_with_bookings(request.user, pk)
        bookings = bookings_of_series(request.user, event)
        listing = BookingList.of(bookings)
        audit.record(request.user, "booking.list", event, organisation=organisation_of(event), count=listing.count)
        sessions = list(event.sessions.select_related("municipality").order_by("starts_at", "pk"))
        return render(
            request,
            self.template_name,
            {
                "event": event,
                "sessions": sessions,
                "listing": listing,
                "seats": series_availability_of(sessions),
                "failed": list(failed_messages(request.user, bookings)),
                "is_series": True,
                "csv_url": reverse("associations:series_bookings_csv", args=[event.pk]),
                "pdf_url": reverse("associations:series_bookings_pdf", args=[event.pk]),
            },
        )


# --- Exports --------------------------------------------------------------------------------------


def safe_cell(value: Any) -> str:
    """A cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_response(rows: list[Booking], filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response.write("\ufeff")  # so spreadsheet programs read the names (Arabic too) as UTF-8
    writer = csv.writer(response)
    writer.writerow(
        [
            _("Booking code"),
            _("Name"),
            _("Email"),
            _("Phone"),
            _("Seats"),
            _("Status"),
            _("Place on the waiting list"),
            _("Language"),
            _("Booked on"),
            _("Present"),
        ]
    )
    place = 0
    for booking in rows:
        waiting = booking.status == BookingStatus.WAITING
        place += waiting
        writer.writerow(
            [
                safe_cell(value)
                for value in (
                    booking.reference,
                    booking.name,
                    booking.email,
                    booking.phone,
                    booking.seats,
                    booking.get_status_display(),  # type: ignore[attr-defined]
                    place if waiting else "",
                    booking.language,
                    timezone.localtime(booking.created_at).strftime("%Y-%m-%d %H:%M"),
                    _("yes") if getattr(booking, "checked_in", False) else "",
                )
            ]
        )
    return response


def pdf_response(*, event: Event, session: Session | None, listing: BookingList, filename: str) -> HttpResponse:
    language = translation.get_language() or settings.LANGUAGE_CODE
    document = render_to_string(
        "associations/manage/attendees_document.html",
        {
            "event": event,
            "session": session,
            "sessions": None if session else list(event.sessions.select_related("municipality").order_by("starts_at")),
            "listing": listing,
            "language": language,
            "direction": text_direction(language),
            "generated_at": timezone.localtime(),
            "REGION_NAME": settings.REGION_NAME,
            "PORTAL_NAME": settings.PORTAL_NAME,
        },
    )
    response = HttpResponse(html_to_pdf(document), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def file_stem(event: Event, session: Session | None) -> str:
    if session is None:
        return f"attendees-{event.slug}"
    return f"attendees-{event.slug}-{timezone.localtime(session.starts_at):%Y%m%d-%H%M}"


class SessionExportView(RoleRequiredMixin, View):
    roles = MANAGE_ROLES
    format = "csv"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        session = session_with_bookings(request.user, pk)
        event = session.event
        bookings = bookings_of_session(request.user, session)
        listing = BookingList.of(bookings)
        audit.record(
            request.user,
            "booking.export",
            session,
            organisation=organisation_of(event),
            count=listing.count,
            format=self.format,
        )
        stem = file_stem(event, session)
        if self.format == "pdf":
            return pdf_response(event=event, session=session, listing=listing, filename=f"{stem}.pdf")
        return csv_response(listing.holding + listing.waiting + listing.others, f"{stem}.csv")


class SeriesExportView(RoleRequiredMixin, View):
    roles = MANAGE_ROLES
    format = "csv"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        event = series_with_bookings(request.user, pk)
        listing = BookingList.of(bookings_of_series(request.user, event))
        audit.record(
            request.user,
            "booking.export",
            event,
            organisation=organisation_of(event),
            count=listing.count,
            format=self.format,
        )
        stem = file_stem(event, None)
        if self.format == "pdf":
            return pdf_response(event=event, session=None, listing=listing, filename=f"{stem}.pdf")
        return csv_response(listing.holding + listing.waiting + listing.others, f"{stem}.csv")


# --- Cancelling a session, messages that failed ---------------------------------------------------


class SessionCancelView(RoleRequiredMixin, View):
    roles = MANAGE_ROLES

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        from associations.services import booking as booking_service

        session = session_with_bookings(request.user, pk)
        form = CancelForm(request.POST)
        if session.status == Session.Status.CANCELLED:
            messages.info(request, _("The session was already cancelled."))
            return redirect("associations:session_bookings", pk=session.pk)
        if not form.is_valid():
            view = SessionBookingsView()
            return render(request, view.template_name, view.context(request, session, cancel_form=form), status=400)
        told = booking_service.cancel_session(session, by=request.user, message=form.cleaned_data["message"])
        messages.success(request, _("Session cancelled. People told: %(count)s.") % {"count": told})
        return redirect("associations:session_bookings", pk=session.pk)


class FailedMessagesView(RoleRequiredMixin, View):
    """Messages to bookers that the mail server refused after every retry: send them again."""

    roles = MANAGE_ROLES
    template_name = "associations/manage/failed_messages.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        failed = list(failed_messages(request.user)[:200])
        audit.record(request.user, "booking_message.list", object_type="associations.bookingmessage", count=len(failed))
        return render(request, self.template_name, {"failed": failed})


class MessageResendView(RoleRequiredMixin, View):
    roles = MANAGE_ROLES

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        from associations.services import messages as message_service

        message = readable_message(request.user, pk)
        if message.status != BookingMessage.Status.FAILED:
            messages.info(request, _("This message is no longer waiting to be sent again."))
        else:
            message_service.resend(message, by=request.user)
            messages.success(request, _("The message will be sent again."))
        back = request.POST.get("next", "")
        if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
            return redirect(back)
        return redirect("associations:failed_messages")


urlpatterns: list[URLPattern] = [
    path("sessions/<int:pk>/bookings/", SessionBookingsView.as_view(), name="session_bookings"),
    path("sessions/<int:pk>/bookings.csv", SessionExportView.as_view(format="csv"), name="session_bookings_csv"),
    path("sessions/<int:pk>/bookings.pdf", SessionExportView.as_view(format="pdf"), name="session_bookings_pdf"),
    path("sessions/<int:pk>/cancel/", SessionCancelView.as_view(), name="session_cancel"),
    path("events/<int:pk>/bookings/", SeriesBookingsView.as_view(), name="series_bookings"),
    path("events/<int:pk>/bookings.csv", SeriesExportView.as_view(format="csv"), name="series_bookings_csv"),
    path("events/<int:pk>/bookings.pdf", SeriesExportView.as_view(format="pdf"), name="series_bookings_pdf"),
    path("messages/failed/", FailedMessagesView.as_view(), name="failed_messages"),
    path("messages/<int:pk>/resend/", MessageResendView.as_view(), name="message_resend"),
]
