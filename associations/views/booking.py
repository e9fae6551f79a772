"""Public booking pages (no account): the booking form of an event, and the booking's own page
reached by its signed link (status, cancel, calendar file, accept or decline an offer).

Links in emails only ever show a page: cancelling, accepting and declining take a click (POST),
so a mail scanner that opens links cannot answer for the booker."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from aipim.core.middleware import client_ip
from associations import signing
from associations.forms.booking import HONEYPOT_FIELD, BookingForm, OfferAnswerForm
from associations.ics import booking_calendar
from associations.models import ACTIVE_STATUSES, Booking, BookingMode, BookingStatus, Event, Session
from associations.services import booking as service
from associations.services.booking import BookingError

# Where each rule's error is shown on the form (the others go to the top of the form).
ERROR_FIELDS = {"too_many_seats": "seats", "duplicate": "email", "no_contact": "email"}


def _bookable_sessions(event: Event) -> list[Session]:
    """The dates one can book: the sessions still to come; for a series, all of them, and none
    once it has begun (a series is booked as a whole, before it starts)."""
    sessions = list(
        event.sessions.filter(status=Session.Status.SCHEDULED)
        .select_related("municipality")
        .order_by("starts_at", "id")
    )
    now = timezone.now()
    if event.booking_mode == BookingMode.SERIES:
        return sessions if sessions and sessions[0].starts_at > now else []
    return [session for session in sessions if session.starts_at > now]


def _event_or_404(slug: str) -> Event:
    event = Event.objects.public().select_related("association__organisation").filter(slug=slug).first()
    if event is None:
        raise Http404
    return event


@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, slug: str) -> HttpResponse:
    """The booking form of an event (`?session=<public id>` chooses the date); on success, the
    booking's page, which is the confirmation."""
    event = _event_or_404(slug)
    sessions = _bookable_sessions(event)
    context = {"event": event, "sessions": sessions, "series": event.booking_mode == BookingMode.SERIES}
    if not event.is_bookable or not sessions:
        return render(
            request, "associations/booking/closed.html", context, status=200 if request.method == "GET" else 409
        )
    status = 200
    if request.method == "POST":
        form = BookingForm(request.POST, event=event, sessions=sessions)
        if form.is_valid():
            try:
                service.check_rate(
                    ip=client_ip(request), email=form.cleaned_data["email"], phone=form.cleaned_data["phone"]
                )
                booking = service.book(
                    event=event,
                    session=form.chosen_session,
                    name=form.cleaned_data["name"],
                    email=form.cleaned_data["email"],
                    phone=form.cleaned_data["phone"],
                    seats=form.cleaned_data["seats"],
                    language=form.cleaned_data["language"],
                    audience=form.cleaned_data["audience"],
                    user=request.user,
                )
            except BookingError as error:
                form.add_error(ERROR_FIELDS.get(error.code), error.message)
                status = 429 if error.code == "rate_limited" else 409
            else:
                return redirect(reverse("events:booking", args=[signing.booking_token(booking)]) + "?booked=1")
        else:
            status = 400
            if not form.is_spam:
                # Failed attempts count too, or the limit could be probed with invalid forms.
                try:
                    service.check_rate(ip=client_ip(request))
                except BookingError as error:
                    form.add_error(None, error.message)
                    status = 429
    else:
        chosen = request.GET.get("session", "")
        initial = {"session": chosen} if chosen in {str(s.public_id) for s in sessions} else {}
        form = BookingForm(initial=initial, event=event, sessions=sessions)
    context.update(form=form, honeypot=form[HONEYPOT_FIELD])
    return render(request, "associations/booking/form.html", context, status=status)


def _booking_or_404(token: str) -> Booking:
    try:
        return signing.booking_from_token(token)
    except Booking.DoesNotExist as error:
        raise Http404 from error


def _page(request: HttpRequest, booking: Booking, template: str, status: int = 200, **extra: object) -> HttpResponse:
    if booking.session is None:
        # Every date of the series, those the organiser cancelled marked as such.
        sessions = list(booking.event.sessions.select_related("municipality").order_by("starts_at", "id"))
    else:
        sessions = [booking.session]
    scheduled = [s for s in sessions if s.status == Session.Status.SCHEDULED]
    now = timezone.now()
    context = {
        "booking": booking,
        "event": booking.event,
        "sessions": sessions,
        "token": signing.booking_token(booking),
        "can_cancel": booking.status in ACTIVE_STATUSES and all(s.starts_at > now for s in scheduled[:1]),
        "has_offer": booking.status == BookingStatus.OFFERED
        and booking.offer_expires_at is not None
        and booking.offer_expires_at > now,
        "has_calendar": booking.status == BookingStatus.CONFIRMED,
        **extra,
    }
    return render(request, template, context, status=status)


@require_http_methods(["GET"])
def booking_page(request: HttpRequest, token: str) -> HttpResponse:
    """The booking's page: status, dates, what the booker can do now."""
    booking = _booking_or_404(token)
    return _page(request, booking, "associations/booking/detail.html", just_booked=request.GET.get("booked") == "1")


@require_http_methods(["GET"])
def booking_ics(request: HttpRequest, token: str) -> HttpResponse:
    booking = _booking_or_404(token)
    if booking.status != BookingStatus.CONFIRMED:
        raise Http404
    calendar = booking_calendar(booking, manage_url=signing.manage_url(booking, request))
    response = HttpResponse(calendar, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{booking.reference}.ics"'
    return response


@require_http_methods(["GET", "POST"])
def booking_cancel(request: HttpRequest, token: str) -> HttpResponse:
    booking = _booking_or_404(token)
    if request.method == "POST":
        try:
            service.cancel(booking)
        except BookingError as error:
            booking.refresh_from_db()
            return _page(request, booking, "associations/booking/cancel.html", status=409, error=error.message)
        return redirect("events:booking", token=token)
    return _page(request, booking, "associations/booking/cancel.html")


@require_http_methods(["GET", "POST"])
def booking_accept(request: HttpRequest, token: str) -> HttpResponse:
    booking = _booking_or_404(token)
    offered = max(booking.seats_offered, 1)
    if request.method == "POST":
        form = OfferAnswerForm(request.POST, offered=offered)
        if form.is_valid():
            try:
                service.accept_offer(booking, seats=form.cleaned_data["seats"])
            except BookingError as error:
                form.add_error("seats" if error.code == "too_many_seats" else None, error.message)
            else:
                return redirect("events:booking", token=token)
        booking.refresh_from_db()
        return _page(request, booking, "associations/booking/accept.html", status=409, form=form)
    return _page(request, booking, "associations/booking/accept.html", form=OfferAnswerForm(offered=offered))


@require_http_methods(["GET", "POST"])
def booking_decline(request: HttpRequest, token: str) -> HttpResponse:
    booking = _booking_or_404(token)
    if request.method == "POST":
        try:
            service.decline_offer(booking)
        except BookingError as error:
            booking.refresh_from_db()
            return _page(request, booking, "associations/booking/decline.html", status=409, error=error.message)
        return redirect("events:booking", token=token)
    return _page(request, booking, "associations/booking/decline.html")


urlpatterns: list[URLPattern] = [
    path("<slug:slug>/book/", book, name="book"),
    path("my-booking/<str:token>/", booking_page, name="booking"),
    path("my-booking/<str:token>/calendar.ics", booking_ics, name="booking_ics"),
    path("my-booking/cancel/<str:token>/", booking_cancel, name="booking_cancel"),
    path("my-booking/accept/<str:token>/", booking_accept, name="booking_accept"),
    path("my-booking/decline/<str:token>/", booking_decline, name="booking_decline"),
]
