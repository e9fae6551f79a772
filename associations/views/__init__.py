"""Pages of Action 4. The home page is the managers' dashboard: their associations, the sessions
coming up with seats booked and left, and the messages to bookers that could not be sent."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from aipim.core.views import ActionHomeView
from associations.models import Association, BookingMessage, Session
from associations.selectors import availability
from associations.views.manage_scope import MANAGE_ROLES, events_with_readable_bookings, is_regional_editor

UPCOMING_LIMIT = 15
ASSOCIATION_LIMIT = 30


class HomeView(ActionHomeView):
    roles = MANAGE_ROLES
    template_name = "associations/home.html"
    title = _("Action 4 – Migrant associations, workshops and events")
    description = _("Migrant associations and their networks, workshops and events with public online booking.")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        associations = list(
            Association.objects.for_user(user)  # type: ignore[arg-type]
            .select_related("organisation__municipality")
            .order_by("organisation__name")[: ASSOCIATION_LIMIT + 1]
        )
        sessions = list(
            Session.objects.for_user(user)  # type: ignore[arg-type]
            .upcoming()
            .filter(status=Session.Status.SCHEDULED)
            .select_related("event__association__organisation", "municipality")
            .order_by("starts_at", "pk")[:UPCOMING_LIMIT]
        )
        seats = availability(sessions)
        readable = set(
            events_with_readable_bookings(user)
            .filter(pk__in={s.event_id for s in sessions})
            .values_list("pk", flat=True)
        )
        for session in sessions:
            session.seats = seats[session.pk]  # type: ignore[attr-defined]
            session.reads_bookings = session.event_id in readable  # type: ignore[attr-defined]
        context.update(
            associations=associations[:ASSOCIATION_LIMIT],
            more_associations=len(associations) > ASSOCIATION_LIMIT,
            sessions=sessions,
            failed_count=BookingMessage.objects.for_user(user)  # type: ignore[arg-type]
            .filter(status=BookingMessage.Status.FAILED)
            .count(),
            is_regional_editor=is_regional_editor(user),
        )
        return context
