"""Managers' pages: events and workshops (list with filters, create, edit, the event's page with its
sessions and seats, publish, cancel) and their sessions (add, edit). Managers reach their
associations' events; editors and administrators every event, partner events included."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, Max, Min, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views import View

from aipim.core.views import RoleRequiredMixin
from associations.forms.manage_events import CancelForm, EventFilterForm, EventForm, SessionForm
from associations.models import BookingMode, Event, EventStatus, Session
from associations.selectors import availability
from associations.services.manage import (
    EventNotReady,
    cancel_event,
    create_event,
    publish_event,
    save_session,
    update_event,
)
from associations.views.manage_scope import (
    MANAGE_ROLES,
    events_with_readable_bookings,
    managed_event,
    managed_session,
)

PAGE_SIZE = 25


def filtered_events(user: Any, form: EventFilterForm) -> Any:
    events = Event.objects.for_user(user)
    now = timezone.now()
    when = "upcoming"
    if form.is_valid():
        if form.cleaned_data["status"]:
            events = events.filter(status=form.cleaned_data["status"])
        when = form.cleaned_data["when"] or "upcoming"
    upcoming = Session.objects.filter(event=OuterRef("pk"), ends_at__gte=now)
    if when == "upcoming":
        # Upcoming: a session still to come, or no session yet (a draft being prepared).
        events = events.filter(Exists(upcoming) | ~Exists(Session.objects.filter(event=OuterRef("pk"))))
    elif when == "past":
        events = events.filter(sessions__isnull=False).exclude(Exists(upcoming)).distinct()
    return events.select_related("association__organisation").annotate(
        first_start=Min("sessions__starts_at"), last_start=Max("sessions__starts_at")
    )


class EventListView(RoleRequiredMixin, View):
    roles = MANAGE_ROLES
    template_name = "associations/manage/event_list.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        form = EventFilterForm(request.GET)
        events = filtered_events(request.user, form).order_by("first_start", "pk")
        page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
        query = {key: str(value) for key, value in request.GET.items() if key != "page" and value}
        return render(request, self.template_name, {"form": form, "page": page, "page_query": urlencode(query)})


class EventFormView(RoleRequiredMixin, View):
    roles = MANAGE_ROLES
    template_name = "associations/manage/event_form.html"

    def show(self, form: EventForm, event: Event | None = None, status: int = 200) -> HttpResponse:
        return render(self.request, self.template_name, {"form": form, "event": event}, status=status)


class EventCreateView(EventFormView):
    def get(self, request: HttpRequest) -> HttpResponse:
        return self.show(EventForm(user=request.user))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = EventForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                event = create_event(fields=form.event_fields(), by=request.user)
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(request, _("Event saved as a draft. Add its sessions, then publish it."))
                return redirect("associations:event_detail", pk=event.pk)
        return self.show(form, status=400)


class EventEditView(EventFormView):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        event = managed_event(request.user, pk)
        return self.show(EventForm(instance=event, user=request.user), event)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        event = managed_event(request.user, pk)
        form = EventForm(request.POST, instance=Event.objects.get(pk=event.pk), user=request.user)
        if form.is_valid():
            try:
                update_event(event=event, fields=form.event_fields(), by=request.user)
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(request, _("Event saved."))
                return redirect("associations:event_detail", pk=event.pk)
        return self.show(form, event, status=400)


class EventDetailView(RoleRequiredMixin, View):
    """The event as its managers see it: sessions with seats booked and left, and the actions."""

    roles = MANAGE_ROLES
    template_name = "associations/manage/event_detail.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        event = managed_event(request.user, pk)
        sessions = list(event.sessions.select_related("municipality").order_by("starts_at", "pk"))
        seats = availability(sessions)
        for session in sessions:
            session.seats = seats[session.pk]  # type: ignore[attr-defined]
        reads_bookings = events_with_readable_bookings(request.user).filter(pk=event.pk).exists()
        return render(
            request,
            self.template_name,
            {
                "event": event,
                "sessions": sessions,
                "reads_bookings": reads_bookings,
                "is_series": event.booking_mode == BookingMode.SERIES,
                "now": timezone.now(),
                "cancel_form": CancelForm(),
            },
        )


class EventPublishView(RoleRequiredMixin, View):
    roles = MANAGE_ROLES

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        event = managed_event(request.user, pk)
        try:
            publish_event(event=event, by=request.user)
        except EventNotReady as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Event published: it is in the public catalogue."))
        return redirect("associations:event_detail", pk=event.pk)


class EventCancelView(RoleRequiredMixin, View):
    roles = MANAGE_ROLES
    template_name = "associations/manage/event_cancel.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        event = managed_event(request.user, pk)
        return render(request, self.template_name, {"event": event, "form": CancelForm()})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        event = managed_event(request.user, pk)
        form = CancelForm(request.POST)
        if event.status == EventStatus.CANCELLED:
            messages.info(request, _("The event was already cancelled."))
            return redirect("associations:event_detail", pk=event.pk)
        if not form.is_valid():
            return render(request, self.template_name, {"event": event, "form": form}, status=400)
        told = cancel_event(event=event, reason=form.cleaned_data["message"], by=request.user)
        messages.success(request, _("Event cancelled. People told: %(count)s.") % {"count": told})
        return redirect("associations:event_detail", pk=event.pk)


class SessionFormView(RoleRequiredMixin, View):
    roles = MANAGE_ROLES
    template_name = "associations/manage/session_form.html"

    def show(self, event: Event, form: SessionForm, session: Session | None = None, status: int = 200) -> HttpResponse:
        return render(
            self.request, self.template_name, {"event": event, "form": form, "session": session}, status=status
        )

    def save(self, request: HttpRequest, event: Event, session: Session | None) -> HttpResponse:
        form = SessionForm(request.POST, event=event, session=session)
        if form.is_valid():
            try:
                save_session(event=event, session=session, fields=form.session_fields(), by=request.user)
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    for field, problems in error.message_dict.items():
                        form.add_error(field if field in form.fields else None, problems)
                else:
                    form.add_error(None, error.messages)
            else:
                messages.success(request, _("Session saved."))
                return redirect("associations:event_detail", pk=event.pk)
        return self.show(event, form, session, status=400)


class SessionCreateView(SessionFormView):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        event = managed_event(request.user, pk)
        last = event.sessions.order_by("-starts_at").first()
        initial = (
            {
                "venue": last.venue,
                "address": last.address,
                "municipality": last.municipality_id,
                "capacity": last.capacity,
            }
            if last
            else {}
        )
        if not last and event.association_id:
            initial["municipality"] = event.association.organisation.municipality_id  # type: ignore[union-attr]
        return self.show(event, SessionForm(event=event, initial=initial))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.save(request, managed_event(request.user, pk), None)


class SessionEditView(SessionFormView):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        session = managed_session(request.user, pk)
        return self.show(session.event, SessionForm(event=session.event, session=session), session)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        session = managed_session(request.user, pk)
        return self.save(request, session.event, session)


urlpatterns: list[URLPattern] = [
    path("events/", EventListView.as_view(), name="event_list"),
    path("events/add/", EventCreateView.as_view(), name="event_add"),
    path("events/<int:pk>/", EventDetailView.as_view(), name="event_detail"),
    path("events/<int:pk>/edit/", EventEditView.as_view(), name="event_edit"),
    path("events/<int:pk>/publish/", EventPublishView.as_view(), name="event_publish"),
    path("events/<int:pk>/cancel/", EventCancelView.as_view(), name="event_cancel"),
    path("events/<int:pk>/sessions/add/", SessionCreateView.as_view(), name="session_add"),
    path("sessions/<int:pk>/edit/", SessionEditView.as_view(), name="session_edit"),
]
