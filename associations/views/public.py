"""Public pages of Action 4 under /events/: the catalogue of workshops and events, each event's page,
associations' and networks' pages, and iCalendar feeds. Anyone may read them: no personal data,
texts in the visitor's language (Italian when a text has no translation), few queries a page."""

from __future__ import annotations

import datetime
import functools
import hashlib
import logging
import time
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import path
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.generic import DetailView, ListView, TemplateView

from aipim.core.hsds import language_name
from aipim.core.models import Service
from associations import ics, selectors
from associations.forms.public import EventFilterForm
from associations.models import (
    Association,
    Audience,
    BookingMode,
    Event,
    EventStatus,
    Network,
    NetworkMembership,
    Session,
)

logger = logging.getLogger(__name__)

PAGE_SIZE = 12
PAGE_CACHE_SECONDS = 600
# How long a kept event page is served without checking it against the database (see EventDetailView).
PAGE_RECHECK_SECONDS = getattr(settings, "ASSOCIATIONS_EVENT_PAGE_RECHECK_SECONDS", 5)
CSRF_PLACEHOLDER = "csrf-token-of-the-visitor"
# Past sessions stay in the feeds for a while, so calendars that synced them do not lose them at once.
FEED_PAST = datetime.timedelta(days=30)


def _languages(codes: list[str]) -> list[tuple[str, str]]:
    return [(code, language_name(code, local=True)) for code in codes]


def _labelled(event: Event) -> Event:
    """The event with its audiences' and languages' names for the badges."""
    event.audience_labels = [Audience(code).label for code in event.audiences if code in Audience.values]  # type: ignore[attr-defined]
    event.language_names = _languages(event.languages)  # type: ignore[attr-defined]
    return event


class EventListView(ListView):
    template_name = "associations/public/event_list.html"
    context_object_name = "events"
    paginate_by = PAGE_SIZE

    def get_queryset(self) -> QuerySet[Event]:
        self.filter_form = EventFilterForm(self.request.GET or None)
        return selectors.public_events(self.filter_form.filters())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["events"] = [_labelled(e) for e in selectors.catalogue_cards(context["page_obj"].object_list)]
        query = self.request.GET.copy()
        query.pop("page", None)
        # On a phone the filters would fill the first screen: they stay folded until one is in use.
        filters_active = sum(1 for name, value in query.items() if value and name in self.filter_form.fields)
        context.update(filter_form=self.filter_form, page_query=query.urlencode(), filters_active=filters_active)
        return context


@functools.cache
def release_stamp() -> str:
    """A digest of what a page is drawn with besides the data: the templates, the compiled
    translations and the static files' manifest (hashed names). Kept event pages are keyed by it,
    so a deploy that changes any of these never serves a page drawn by the release before."""
    engines: list[dict[str, Any]] = settings.TEMPLATES
    roots = [Path(folder) for engine in engines for folder in engine.get("DIRS", [])]
    roots += [Path(config.path) / "templates" for config in apps.get_app_configs()]
    roots += [Path(folder) for folder in settings.LOCALE_PATHS]
    digest = hashlib.blake2b(digest_size=8)
    for root in roots:
        if root.is_dir():
            for file in sorted(root.rglob("*")):
                if file.suffix in (".html", ".txt", ".mo") and file.is_file():
                    digest.update(file.read_bytes())
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if manifest.is_file():
        digest.update(manifest.read_bytes())
    return digest.hexdigest()


def _stateless(request: HttpRequest) -> bool:
    """A visitor without a session or pending messages: the page they get depends only on its
    address and language, so it can be served again to the next such visitor."""
    return not (
        request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        or request.COOKIES.get(getattr(settings, "MESSAGE_COOKIE_NAME", "messages"))
    )


class EventDetailView(TemplateView):
    """One event in the visitor's language: three queries (event with organiser, sessions, seats).

    It is the most visited page of the portal, and its layout costs more than its data, so for
    visitors without a session (the page then holds nothing personal) the rendered page is kept in
    the cache and served again while it is still true:
    - any save of an event, session, booking, association or organisation (`selectors`'s signal
      receivers) makes every kept page check itself against the database before it is served again;
    - a page is also checked every RECHECK seconds, for writes that send no signal (queryset
      updates, another process with its own local-memory cache), and when one of its sessions
      starts or ends;
    - the check is one query (`selectors.event_page_state`, a digest of everything the page shows):
      same digest, the kept page is served; else the page is drawn again.
    The layout's CSRF token is the visitor's own, put in at each answer."""

    template_name = "associations/public/event_detail.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Only the page's own address: another query string would make another kept page.
        if request.GET or not _stateless(request):
            return super().get(request, *args, **kwargs)
        key = f"events:page:{release_stamp()}:{translation.get_language()}:{kwargs['slug']}"
        try:
            found = cache.get_many([key, selectors.PUBLIC_PAGES_VERSION])
        except Exception:  # the cache is down: the page is drawn as for anyone else
            logger.warning("events: the kept event pages cannot be read", exc_info=True)
            return super().get(request, *args, **kwargs)
        page: dict[str, Any] | None = found.get(key)
        version = found.get(selectors.PUBLIC_PAGES_VERSION)
        now = time.time()
        if (
            page is None
            or page["version"] != version
            or now - page["checked"] >= PAGE_RECHECK_SECONDS
            or (page["next_change"] is not None and now >= page["next_change"])
        ):
            page = self._checked_page(request, key, page, version, now, **kwargs)
        return HttpResponse(page["html"].replace(CSRF_PLACEHOLDER, get_token(request)))

    def _checked_page(
        self, request: HttpRequest, key: str, page: dict[str, Any] | None, version: Any, now: float, **kwargs: Any
    ) -> dict[str, Any]:
        """The kept page when the database still says what it says, else the page drawn again; kept."""
        state = selectors.event_page_state(kwargs["slug"])
        if state is None:
            cache.delete(key)
            raise Http404(_("No such event."))
        if page is None or page["state"] != state:
            context = self.get_context_data(csrf_token=CSRF_PLACEHOLDER, **kwargs)
            html = render_to_string(self.template_name, context, request)
            page = {"html": html, "state": state, "next_change": context["next_change"]}
        page.update(version=version, checked=now)
        try:
            cache.set(key, page, PAGE_CACHE_SECONDS)
        except Exception:
            logger.warning("events: the event page cannot be kept", exc_info=True)
        return page

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        try:
            event = selectors.public_event(kwargs["slug"])
        except Event.DoesNotExist:
            raise Http404(_("No such event.")) from None
        sessions = list(event.sessions.select_related("municipality").order_by("starts_at", "id"))
        seats = selectors.availability(sessions)
        now = timezone.now()
        bookable = event.is_bookable
        upcoming = [s for s in sessions if s.ends_at >= now]
        rows = [
            {
                "session": session,
                "seats": seats.get(session.pk),
                "past": session.ends_at < now,
                "cancelled": session.status == Session.Status.CANCELLED,
                "bookable": bookable
                and event.booking_mode == BookingMode.SESSION
                and session.status == Session.Status.SCHEDULED
                and session.starts_at > now,
            }
            for session in sessions
        ]
        series_open = (
            bookable
            and event.booking_mode == BookingMode.SERIES
            and any(s.status == Session.Status.SCHEDULED and s.starts_at > now for s in sessions)
        )
        boundaries = [t for s in sessions for t in (s.starts_at, s.ends_at) if t > now]
        context.update(
            next_change=min(boundaries).timestamp() if boundaries else None,
            event=_labelled(event),
            sessions=rows,
            has_upcoming=bool(upcoming),
            series_open=series_open,
            series_seats=selectors.series_availability(upcoming, seats) if series_open else None,
            languages=_languages(event.languages),
            updated_on=event.updated_at,
        )
        return context


class AssociationListView(ListView):
    template_name = "associations/public/association_list.html"
    context_object_name = "associations"
    paginate_by = 24

    def get_queryset(self) -> QuerySet[Association]:
        return Association.objects.public().select_related("organisation__municipality").order_by("organisation__name")


class AssociationDetailView(DetailView):
    template_name = "associations/public/association_detail.html"
    context_object_name = "association"

    def get_queryset(self) -> QuerySet[Association]:
        return Association.objects.public().select_related("organisation__municipality")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        association: Association = self.object
        events = selectors.public_events(selectors.EventFilters(association=association))[:PAGE_SIZE]
        context.update(
            events=[_labelled(e) for e in selectors.catalogue_cards(events)],
            networks=Network.objects.public().filter(
                memberships__association=association, memberships__left_on__isnull=True
            ),
            languages=_languages(association.languages),
            updated_on=association.updated_at,
        )
        return context


class NetworkListView(ListView):
    template_name = "associations/public/network_list.html"
    context_object_name = "networks"

    def get_queryset(self) -> QuerySet[Network]:
        return selectors.public_networks()


class NetworkDetailView(DetailView):
    template_name = "associations/public/network_detail.html"
    context_object_name = "network"

    def get_queryset(self) -> QuerySet[Network]:
        members = NetworkMembership.objects.filter(
            left_on__isnull=True, association__in=Association.objects.public()
        ).select_related("association__organisation__municipality")
        return selectors.public_networks().prefetch_related(
            Prefetch("memberships", queryset=members.order_by("association__organisation__name"), to_attr="current")
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        network: Network = self.object
        service = network.service
        context.update(
            members=network.current,  # type: ignore[attr-defined]
            directory_service=service if service is not None and _published(service) else None,
            updated_on=network.updated_at,
        )
        return context


def _published(service: Service) -> bool:
    return service.status == Service.Status.ACTIVE and service.organisation.is_active


# --- Calendar feeds -------------------------------------------------------------------------------


def _feed_sessions(events: QuerySet[Event]) -> QuerySet[Session]:
    return (
        Session.objects.filter(event__in=events, ends_at__gte=timezone.now() - FEED_PAST)
        .select_related("event__association__organisation", "municipality")
        .order_by("starts_at", "id")
    )


def _calendar_response(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _listed_events() -> QuerySet[Event]:
    # Cancelled events stay in the feeds (their sessions as CANCELLED), so calendars drop them.
    return Event.objects.public().filter(status__in=(EventStatus.PUBLISHED, EventStatus.CANCELLED))


def calendar_feed(request: HttpRequest) -> HttpResponse:
    body = ics.session_calendar(_feed_sessions(_listed_events()), name=_("Workshops and events in Basilicata"))
    return _calendar_response(body, "events.ics")


def event_feed(request: HttpRequest, slug: str) -> HttpResponse:
    event = get_object_or_404(Event.objects.public(), slug=slug)
    sessions = event.sessions.select_related("event__association__organisation", "municipality")
    return _calendar_response(ics.session_calendar(sessions, name=event.title), f"{event.slug}.ics")


def association_feed(request: HttpRequest, slug: str) -> HttpResponse:
    association = get_object_or_404(Association.objects.public().select_related("organisation"), slug=slug)
    sessions = _feed_sessions(_listed_events().filter(association=association))
    return _calendar_response(ics.session_calendar(sessions, name=association.name), f"{association.slug}.ics")


# "associations/", "networks/" and "calendar.ics" come before "<slug>/": an event cannot take those slugs.
urlpatterns = [
    path("", EventListView.as_view(), name="list"),
    path("calendar.ics", calendar_feed, name="calendar"),
    path("associations/", AssociationListView.as_view(), name="associations"),
    path("associations/<slug:slug>/", AssociationDetailView.as_view(), name="association"),
    path("associations/<slug:slug>/calendar.ics", association_feed, name="association_ics"),
    path("networks/", NetworkListView.as_view(), name="networks"),
    path("networks/<slug:slug>/", NetworkDetailView.as_view(), name="network"),
    path("<slug:slug>/", EventDetailView.as_view(), name="event"),
    path("<slug:slug>/calendar.ics", event_feed, name="event_ics"),
]
