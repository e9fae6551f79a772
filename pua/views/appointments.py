"""PUA pages: appointments of a case, the desk's and the caseworker's week calendars, and the
caseworker's iCalendar file and feed (the feed opens with a signed link, for calendar apps)."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache

from aipim.accounts.models import PUA_ROLES
from aipim.core import audit
from aipim.core.views import RoleRequiredMixin
from pua.forms.appointments import AppointmentForm
from pua.models import Appointment
from pua.services import appointments as service
from pua.services.sharing import can_write_case
from pua.views.referrals import private_response, writable_case


def calendar_url(name: str, starts_at: datetime.datetime, **params: Any) -> str:
    monday = starts_at.date() - datetime.timedelta(days=starts_at.weekday())
    query = "&".join(f"{key}={value}" for key, value in {**params, "week": service.week_name(monday)}.items())
    return f"{reverse(name)}?{query}"


class AppointmentCreateView(RoleRequiredMixin, View):
    roles = PUA_ROLES
    template_name = "pua/appointments/appointment_form.html"

    def get(self, request: HttpRequest, case_pk: int) -> HttpResponse:
        case = writable_case(request, case_pk)
        form = AppointmentForm(case=case, user=request.user)  # type: ignore[arg-type]
        return render(request, self.template_name, {"case": case, "form": form})

    def post(self, request: HttpRequest, case_pk: int) -> HttpResponse:
        case = writable_case(request, case_pk)
        form = AppointmentForm(request.POST, case=case, user=request.user)  # type: ignore[arg-type]
        if form.is_valid():
            data = form.cleaned_data
            try:
                appointment = service.book_appointment(
                    case=case,
                    caseworker=data["caseworker"],
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    purpose=data["purpose"],
                    place=data["place"],
                    by=request.user,
                )
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(request, _("Appointment booked."))
                return redirect(calendar_url("pua:desk_calendar", appointment.starts_at, desk=case.desk_id))
        return render(request, self.template_name, {"case": case, "form": form}, status=400)


class AppointmentCancelView(RoleRequiredMixin, View):
    roles = PUA_ROLES

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            appointment = Appointment.objects.for_user(request.user).select_related("case").get(pk=pk)  # type: ignore[arg-type]
        except Appointment.DoesNotExist as error:
            raise Http404 from error
        if not can_write_case(request.user, appointment.case):
            raise PermissionDenied
        service.cancel_appointment(appointment=appointment, by=request.user)
        messages.success(request, _("Appointment cancelled."))
        return redirect(calendar_url("pua:desk_calendar", appointment.starts_at, desk=appointment.case.desk_id))


class WeekCalendarView(RoleRequiredMixin, View):
    """A week of appointments, day by day; ?week=2026-W11 picks the week."""

    roles = PUA_ROLES
    template_name = "pua/appointments/calendar.html"

    def appointments(self, start: datetime.datetime, end: datetime.datetime) -> QuerySet[Appointment]:
        return (
            Appointment.objects.for_user(self.request.user)  # type: ignore[arg-type]
            .filter(starts_at__gte=start, starts_at__lt=end)
            .select_related("case__person", "case__desk", "caseworker")
            .order_by("starts_at", "pk")
        )

    def extra_context(self) -> dict[str, Any]:
        return {}

    def get(self, request: HttpRequest) -> HttpResponse:
        monday = service.week_start(request.GET.get("week"))
        start, end = service.week_bounds(monday)
        extra = self.extra_context()
        appointments = list(self.appointments(start, end))
        audit.record(request.user, "appointment.list", object_type="pua.appointment", count=len(appointments))
        context = {
            "days": service.days_of_week(monday, appointments),
            "week": service.week_name(monday),
            "previous_week": service.week_name(monday - datetime.timedelta(days=7)),
            "next_week": service.week_name(monday + datetime.timedelta(days=7)),
            "monday": monday,
            "sunday": monday + datetime.timedelta(days=6),
            **extra,
        }
        return render(request, self.template_name, context)


class DeskCalendarView(WeekCalendarView):
    """The appointments of one of the user's desks (?desk=<id> when they work at several)."""

    def desk(self) -> Any:
        desks = self.request.user.organisations(*PUA_ROLES)  # type: ignore[union-attr]
        chosen = self.request.GET.get("desk", "")
        return next((desk for desk in desks if str(desk.pk) == chosen), desks[0])

    def appointments(self, start: datetime.datetime, end: datetime.datetime) -> QuerySet[Appointment]:
        return super().appointments(start, end).filter(case__desk=self.desk())

    def extra_context(self) -> dict[str, Any]:
        desk = self.desk()
        return {
            "title": _("Calendar of %(desk)s") % {"desk": desk.name},
            "desk": desk,
            "desks": self.request.user.organisations(*PUA_ROLES),  # type: ignore[union-attr]
            "show_caseworker": True,
        }


class MyCalendarView(WeekCalendarView):
    def appointments(self, start: datetime.datetime, end: datetime.datetime) -> QuerySet[Appointment]:
        return super().appointments(start, end).filter(caseworker=self.request.user)  # type: ignore[misc]

    def extra_context(self) -> dict[str, Any]:
        return {
            "title": _("My calendar"),
            "feed_link": service.calendar_feed_link(self.request.user),  # type: ignore[arg-type]
        }


def ical_response(data: bytes, *, filename: str, download: bool) -> HttpResponse:
    response = HttpResponse(data, content_type="text/calendar; charset=utf-8")
    disposition = "attachment" if download else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


class MyCalendarIcsView(RoleRequiredMixin, View):
    roles = PUA_ROLES

    def get(self, request: HttpRequest) -> HttpResponse:
        appointments = list(service.feed_appointments(request.user))  # type: ignore[arg-type]
        audit.record(request.user, "appointment.export", object_type="pua.appointment", count=len(appointments))
        data = service.appointments_to_ical(appointments, name=_("PUA appointments"))
        return ical_response(data, filename="pua-appointments.ics", download=True)


@method_decorator(never_cache, name="dispatch")
class CalendarFeedView(View):
    """What a calendar app fetches, with no session: the signed token names the caseworker."""

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        try:
            user = service.user_from_feed_token(token)
        except (signing.BadSignature, KeyError, TypeError, ValueError) as error:
            expired = isinstance(error, signing.SignatureExpired)
            reason = _("This calendar link has expired.") if expired else _("This calendar link is not valid.")
            return private_response(HttpResponse(reason, status=400, content_type="text/plain; charset=utf-8"))
        appointments = list(service.feed_appointments(user))
        audit.record(user, "appointment.feed", object_type="pua.appointment", count=len(appointments))
        data = service.appointments_to_ical(appointments, name=_("PUA appointments"))
        return private_response(ical_response(data, filename="pua-appointments.ics", download=False))


urlpatterns: list[URLPattern] = [
    path("cases/<int:case_pk>/appointments/add/", AppointmentCreateView.as_view(), name="appointment_add"),
    path("appointments/<int:pk>/cancel/", AppointmentCancelView.as_view(), name="appointment_cancel"),
    path("calendar/desk/", DeskCalendarView.as_view(), name="desk_calendar"),
    path("calendar/mine/", MyCalendarView.as_view(), name="my_calendar"),
    path("calendar/mine.ics", MyCalendarIcsView.as_view(), name="my_calendar_ics"),
    path("calendar/feed/<str:token>.ics", CalendarFeedView.as_view(), name="calendar_feed"),
]
