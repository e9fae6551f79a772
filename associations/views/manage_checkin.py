"""Check-in at the door, from a phone: find a booker by name or booking code, tick them present
(or undo), and see how many came, how many are booked and, once the session is over, the no-shows
(confirmed bookings with no check-in). Same scope as the bookings list; the read is audited."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Q, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views import View

from aipim.core import audit
from aipim.core.views import RoleRequiredMixin
from associations.forms.manage_events import CheckInSearchForm
from associations.models import Booking, BookingStatus, CheckIn, Session
from associations.views.manage_bookings import bookings_of_session, organisation_of
from associations.views.manage_scope import MANAGE_ROLES, session_with_bookings


def checkin_figures(session: Session, confirmed: list[Booking]) -> dict[str, Any]:
    present = CheckIn.objects.filter(session=session, booking__in=[b.pk for b in confirmed]).aggregate(
        people=Sum("seats")
    )["people"]
    checked = sum(1 for b in confirmed if getattr(b, "checked_in", False))
    is_past = session.ends_at < timezone.now()
    return {
        "bookings": len(confirmed),
        "seats": sum(b.seats for b in confirmed),
        "checked": checked,
        "people_present": present or 0,
        "is_past": is_past,
        # A no-show is a confirmed booking of a session that is over, with nobody checked in.
        "no_shows": len(confirmed) - checked if is_past else None,
        "to_arrive": len(confirmed) - checked,
    }


class CheckInView(RoleRequiredMixin, View):
    roles = MANAGE_ROLES
    template_name = "associations/manage/checkin.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        session = session_with_bookings(request.user, pk)
        form = CheckInSearchForm(request.GET)
        confirmed = list(
            bookings_of_session(request.user, session).filter(status=BookingStatus.CONFIRMED).order_by("name", "id")
        )
        query = form.cleaned_data["q"].strip() if form.is_valid() else ""
        shown = confirmed
        if query:
            needle = query.casefold()
            shown = [b for b in confirmed if needle in b.name.casefold() or needle in b.reference.casefold()]
        audit.record(
            request.user,
            "booking.list",
            session,
            organisation=organisation_of(session.event),
            count=len(shown),
            page="checkin",
            searched=bool(query),
        )
        return render(
            request,
            self.template_name,
            {
                "event": session.event,
                "session": session,
                "form": form,
                "query": query,
                "bookings": shown,
                "figures": checkin_figures(session, confirmed),
            },
        )

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        from associations.services import booking as booking_service

        session = session_with_bookings(request.user, pk)
        try:
            booking = (
                Booking.objects.for_user(request.user)  # type: ignore[arg-type]
                .filter(Q(session=session) | Q(session__isnull=True, event_id=session.event_id))
                .get(pk=int(request.POST.get("booking", "")))
            )
        except (Booking.DoesNotExist, ValueError) as error:
            raise Http404 from error
        try:
            if request.POST.get("action") == "undo":
                booking_service.undo_check_in(booking, session, by=request.user)
                messages.success(request, _("%(name)s: check-in undone.") % {"name": booking.name})
            else:
                seats = request.POST.get("seats", "")
                booking_service.check_in(
                    booking, session, by=request.user, seats=int(seats) if seats.isdigit() and int(seats) > 0 else None
                )
                messages.success(request, _("%(name)s: present.") % {"name": booking.name})
        except booking_service.BookingError as error:
            messages.error(request, error.message)
        url = reverse("associations:checkin", args=[session.pk])
        query = request.POST.get("q", "").strip()
        return redirect(f"{url}?{urlencode({'q': query})}" if query else url)


urlpatterns: list[URLPattern] = [
    path("sessions/<int:pk>/check-in/", CheckInView.as_view(), name="checkin"),
]
