"""The public API of Action 4: the events and sessions anyone can book, with their free seats, and
booking without an account.

- GET /api/v1/events/ (filters as the catalogue /events/), /api/v1/events/{slug}/: published events
  with their sessions to come and the seats left on each (selectors.availability).
- GET /api/v1/sessions/ (?free=true for those with seats left), /api/v1/sessions/{public_id}/.
- POST /api/v1/bookings/: book a session (`session`, its public id) or a whole series (`event`, its
  slug); 201 with the status (confirmed or waiting), the booking code and the signed token.
- GET /api/v1/bookings/{token}/: the booking's status; DELETE: cancel it (its seats go to the
  waiting list).

The same rules as the booking form, because the same service decides: associations.services.booking
(`check_rate`, then `book` / `cancel`). No account and no session cookie: these endpoints authenticate
no one (so no CSRF token is needed for a JSON POST) and are limited per address and per contact by
the service's rate limit (ASSOCIATIONS_BOOKING_RATE_PER_IP, ASSOCIATIONS_BOOKING_RATE_PER_EMAIL); the
other requests per address by ASSOCIATIONS_API_RATE (default 300 a minute).
Every error is a 4xx with a stable `code` and a `detail` in the caller's language (Accept-Language),
never a 500: unknown session or token, bad JSON, a rule of the service (400, 404, 409, 429)."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter
from rest_framework.throttling import SimpleRateThrottle

from aipim.api.mixins import StrictQueryParamsMixin, uuid_or_404
from aipim.core.middleware import client_ip
from aipim.core.models import Municipality
from associations import selectors, signing
from associations.models import Audience, Booking, BookingMode, Event, EventCategory, EventStatus, Session
from associations.selectors import Availability, EventFilters
from associations.services import booking as service
from associations.services.booking import BookingError

# BookingError codes that are the caller's mistake in the request (400); the others are the state of
# the event or of the booking (409), and the rate limit (429).
BAD_REQUEST_CODES = frozenset({"too_many_seats", "no_contact"})
RATE_LIMITED = "rate_limited"
DEFAULT_API_RATE = "300/minute"


# --- serializers ---------------------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("A stable code, e.g. duplicate, past, too_many_seats, rate_limited."))
    detail = serializers.CharField(help_text=_("What went wrong, in the caller's language."))
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text=_("The invalid fields and why (code invalid only)."),
    )


class SessionSerializer(serializers.ModelSerializer):
    """A session with the seats left (from the context's availability)."""

    id = serializers.UUIDField(source="public_id", read_only=True, help_text=_("Public id of the session."))
    event = serializers.SlugRelatedField(slug_field="slug", read_only=True, help_text=_("The event's slug."))
    municipality = serializers.CharField(source="municipality.name", read_only=True)
    municipality_code = serializers.CharField(
        source="municipality.istat_code", read_only=True, help_text=_("ISTAT code of the municipality.")
    )
    free_seats = serializers.SerializerMethodField(help_text=_("Seats that can be booked now."))
    waiting_seats = serializers.SerializerMethodField(help_text=_("Seats asked for on the waiting list."))
    bookable = serializers.SerializerMethodField(
        help_text=_("Whether this session is booked on its own (false for a series, booked as a whole).")
    )

    class Meta:
        model = Session
        fields = [
            "id",
            "event",
            "starts_at",
            "ends_at",
            "venue",
            "address",
            "municipality",
            "municipality_code",
            "capacity",
            "free_seats",
            "waiting_seats",
            "status",
            "bookable",
        ]
        read_only_fields = fields

    def _seats(self, session: Session) -> Availability | None:
        return self.context.get("seats", {}).get(session.pk)

    @extend_schema_field(OpenApiTypes.INT)
    def get_free_seats(self, session: Session) -> int:
        seats = self._seats(session)
        return seats.free if seats else 0

    @extend_schema_field(OpenApiTypes.INT)
    def get_waiting_seats(self, session: Session) -> int:
        seats = self._seats(session)
        return seats.waiting if seats else 0

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_bookable(self, session: Session) -> bool:
        event = session.event
        return bool(
            event.is_bookable
            and event.booking_mode == BookingMode.SESSION
            and session.status == Session.Status.SCHEDULED
            and session.starts_at > timezone.now()
        )


class EventSerializer(serializers.ModelSerializer):
    """An event in the active language (Accept-Language), with its sessions to come."""

    organiser = serializers.CharField(source="organiser_name", read_only=True)
    association = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True, help_text=_("Empty for a partner institution's event.")
    )
    # Plain codes: the request's `audience` already names the choice set in the schema.
    audiences = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text=_("Who it is for: residents, migrants, families, schools."),
    )
    url = serializers.SerializerMethodField(help_text=_("The event's public page."))
    sessions = serializers.SerializerMethodField()

    class Meta:
        model = Event
        fields = [
            "slug",
            "title",
            "summary",
            "description",
            "kind",
            "category",
            "audiences",
            "languages",
            "organiser",
            "association",
            "is_migrant_led",
            "led_by",
            "accessibility_notes",
            "external_url",
            "status",
            "booking_mode",
            "max_seats_per_booking",
            "url",
            "sessions",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, event: Event) -> str:
        return signing.absolute(reverse("events:event", args=[event.slug]), self.context.get("request"))

    @extend_schema_field(SessionSerializer(many=True))
    def get_sessions(self, event: Event) -> list[dict[str, Any]]:
        sessions = getattr(event, "upcoming_sessions", [])
        for session in sessions:
            session.event = event  # one event, already loaded: no query per session
        return SessionSerializer(sessions, many=True, context=self.context).data  # type: ignore[return-value]


class NewBookingSerializer(serializers.Serializer):
    session = serializers.UUIDField(
        required=False, help_text=_("Public id of the session to book (events booked session by session).")
    )
    event = serializers.SlugField(required=False, help_text=_("Slug of a series, to book all its sessions."))
    name = serializers.CharField(max_length=150)
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True, default="")
    phone = serializers.CharField(
        max_length=40, required=False, allow_blank=True, default="", help_text=_("If there is no email.")
    )
    seats = serializers.IntegerField(min_value=1, max_value=20)
    language = serializers.ChoiceField(
        choices=[code for code, _name in settings.LANGUAGES], help_text=_("Language of the messages to the booker.")
    )
    audience = serializers.ChoiceField(choices=Audience.choices, required=False, allow_blank=True, default="")
    privacy_consent = serializers.BooleanField(help_text=_("Must be true: the booker accepted the privacy notice."))

    def validate_name(self, value: str) -> str:
        return value.strip()

    def validate_phone(self, value: str) -> str:
        phone = value.strip()
        if phone and (
            sum(ch.isdigit() for ch in phone) < 6 or any(not (ch.isdigit() or ch in " +-().") for ch in phone)
        ):
            raise serializers.ValidationError(_("A phone number has only digits, spaces and + - ( )."))
        return phone

    def validate_privacy_consent(self, value: bool) -> bool:
        if not value:
            raise serializers.ValidationError(_("The privacy notice must be accepted to book."))
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("session" in attrs) == ("event" in attrs):
            raise serializers.ValidationError(
                {"session": [_("Give either a session (its id) or a series (the event's slug).")]}
            )
        if "session" in attrs:
            session = (
                Session.objects.public()
                .select_related("event__association__organisation")
                .filter(public_id=attrs["session"])
                .first()
            )
            if session is None:
                raise serializers.ValidationError({"session": [_("There is no session with this id.")]})
            attrs["session"], attrs["event"] = session, session.event
        else:
            event = (
                Event.objects.public().select_related("association__organisation").filter(slug=attrs["event"]).first()
            )
            if event is None:
                raise serializers.ValidationError({"event": [_("There is no event with this slug.")]})
            if event.booking_mode != BookingMode.SERIES:
                raise serializers.ValidationError(
                    {"event": [_("This event is booked session by session: give the session's id.")]}
                )
            attrs["event"], attrs["session"] = event, None
        return attrs


class BookingSerializer(serializers.ModelSerializer):
    """A booking as its booker sees it (no contacts: the token is all it takes to read this)."""

    event = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    event_title = serializers.CharField(source="event.title", read_only=True)
    session = serializers.UUIDField(
        source="session.public_id", read_only=True, allow_null=True, help_text=_("Empty for a whole series.")
    )
    starts_at = serializers.SerializerMethodField(help_text=_("When the (first) booked session starts."))
    token = serializers.SerializerMethodField(help_text=_("The signed token: GET or DELETE /bookings/{token}/."))
    manage_url = serializers.SerializerMethodField(
        help_text=_("The booking's page, to see, cancel or answer an offer.")
    )

    class Meta:
        model = Booking
        fields = [
            "reference",
            "status",
            "seats",
            "seats_offered",
            "offer_expires_at",
            "event",
            "event_title",
            "session",
            "starts_at",
            "language",
            "created_at",
            "confirmed_at",
            "cancelled_at",
            "token",
            "manage_url",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_starts_at(self, booking: Booking) -> datetime.datetime | None:
        if booking.session is not None:
            return booking.session.starts_at
        first = booking.event.sessions.filter(status=Session.Status.SCHEDULED).order_by("starts_at").first()
        return first.starts_at if first else None

    def get_token(self, booking: Booking) -> str:
        return signing.booking_token(booking)

    @extend_schema_field(OpenApiTypes.URI)
    def get_manage_url(self, booking: Booking) -> str:
        return signing.manage_url(booking, self.context.get("request"))


class EventQuerySerializer(serializers.Serializer):
    """The catalogue's filters (query parameters)."""

    date_from = serializers.DateField(required=False, help_text=_("Sessions on or after this day."))
    date_to = serializers.DateField(required=False, help_text=_("Sessions on or before this day."))
    municipality = serializers.SlugRelatedField(
        slug_field="istat_code",
        queryset=Municipality.objects.all(),
        required=False,
        help_text=_("ISTAT code of the municipality of the sessions."),
    )
    category = serializers.ChoiceField(choices=EventCategory.choices, required=False)
    language = serializers.RegexField(
        r"^[a-z]{2,3}$", required=False, help_text=_("ISO 639 code of a language spoken, e.g. ar.")
    )
    audience = serializers.ChoiceField(choices=Audience.choices, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("date_from") and attrs.get("date_to") and attrs["date_to"] < attrs["date_from"]:
            raise serializers.ValidationError({"date_to": [_("The end date must be on or after the start date.")]})
        return attrs


class SessionQuerySerializer(EventQuerySerializer):
    event = serializers.SlugField(required=False, help_text=_("Only the sessions of this event (its slug)."))
    free = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text=_("true: only sessions with seats left.")
    )
    category = None  # type: ignore[assignment]
    language = None  # type: ignore[assignment]
    audience = None  # type: ignore[assignment]


# --- views ---------------------------------------------------------------------------------------


def _error(code: str, detail: Any, http_status: int, **extra: Any) -> Response:
    return Response({"code": code, "detail": str(detail), **extra}, status=http_status)


class PublicReadThrottle(SimpleRateThrottle):
    """Reads (and cancellations) of the public API per address: ASSOCIATIONS_API_RATE, e.g.
    "300/minute". A booking (POST) is limited by the booking service's own rate limit instead, the
    same for the form and the API."""

    scope = "associations-public"

    def get_rate(self) -> str:
        return str(getattr(settings, "ASSOCIATIONS_API_RATE", DEFAULT_API_RATE))

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if request.method == "POST":
            return None
        # The same address as the booking limit and the audit trail see.
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request) or "unknown"}


class PublicAPIMixin:
    """No authentication (no session, no CSRF), open to anyone; errors as {code, detail}."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [PublicReadThrottle]

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, BookingError):
            if exc.code == RATE_LIMITED:
                http_status = status.HTTP_429_TOO_MANY_REQUESTS
            elif exc.code in BAD_REQUEST_CODES:
                http_status = status.HTTP_400_BAD_REQUEST
            else:
                http_status = status.HTTP_409_CONFLICT
            return _error(exc.code, exc.message, http_status)
        if isinstance(exc, exceptions.ValidationError):
            errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
            detail = errors.get("detail") or _("The request is not valid: see errors.")
            if isinstance(detail, list):
                detail = detail[0]
            return _error("invalid", detail, status.HTTP_400_BAD_REQUEST, errors=errors)
        response = super().handle_exception(exc)  # type: ignore[misc]
        if isinstance(exc, exceptions.APIException):
            # Keep the response's headers (Allow, Retry-After); give it our shape.
            detail = exc.detail if not isinstance(exc.detail, list | dict) else response.data
            response.data = {"code": exc.default_code, "detail": str(detail)}
        return response


ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description=_("Invalid request (bad JSON, a field, seats, contact).")),
    404: OpenApiResponse(ErrorSerializer, description=_("No such booking (the token is wrong or unknown).")),
    409: OpenApiResponse(ErrorSerializer, description=_("The booking rules say no (duplicate, past, closed ...).")),
    429: OpenApiResponse(ErrorSerializer, description=_("Too many booking attempts: try again in an hour.")),
}


TOKEN = OpenApiParameter(
    "token", OpenApiTypes.STR, OpenApiParameter.PATH, description=_("The signed token of the booking.")
)


def _query(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return dict(query.validated_data)


@extend_schema_view(
    list=extend_schema(summary=_("Events open to the public"), parameters=[EventQuerySerializer]),
    retrieve=extend_schema(summary=_("One event with its sessions to come")),
)
class EventViewSet(PublicAPIMixin, StrictQueryParamsMixin, viewsets.ReadOnlyModelViewSet):
    """Published events with a session to come, soonest first, in the caller's language."""

    serializer_class = EventSerializer
    lookup_field = "slug"
    lookup_value_regex = "[-a-zA-Z0-9_]+"

    def allowed_query_params(self) -> set[str]:
        return super().allowed_query_params() | set(EventQuerySerializer().fields)

    def get_queryset(self) -> QuerySet[Event]:
        if self.action == "list":
            return selectors.public_events(EventFilters(**_query(EventQuerySerializer, self.request)))
        return selectors.public_events()

    def _respond(self, events: list[Event]) -> dict[str, Any]:
        seats = selectors.availability(s for event in events for s in event.upcoming_sessions)  # type: ignore[attr-defined]
        return {**self.get_serializer_context(), "seats": seats}

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        events = list(page or [])
        data = EventSerializer(events, many=True, context=self._respond(events)).data
        return self.get_paginated_response(data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        event = self.get_queryset().filter(slug=kwargs["slug"]).first()
        if event is None:
            raise exceptions.NotFound(_("There is no event with this slug."))
        return Response(EventSerializer(event, context=self._respond([event])).data)


@extend_schema_view(
    list=extend_schema(summary=_("Sessions to come, with the seats left"), parameters=[SessionQuerySerializer]),
    retrieve=extend_schema(summary=_("One session with the seats left")),
)
class SessionViewSet(PublicAPIMixin, StrictQueryParamsMixin, viewsets.ReadOnlyModelViewSet):
    """Scheduled sessions still to end of published public events, soonest first."""

    serializer_class = SessionSerializer
    lookup_field = "public_id"

    def allowed_query_params(self) -> set[str]:
        return super().allowed_query_params() | set(SessionQuerySerializer().fields)

    def get_queryset(self) -> QuerySet[Session]:
        return (
            Session.objects.public()
            .filter(status=Session.Status.SCHEDULED, ends_at__gte=timezone.now(), event__status=EventStatus.PUBLISHED)
            .select_related("event", "municipality")
            .order_by("starts_at", "id")
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        query = _query(SessionQuerySerializer, request)
        sessions = selectors.matching_sessions(
            EventFilters(
                date_from=query.get("date_from"), date_to=query.get("date_to"), municipality=query.get("municipality")
            )
        )
        queryset = self.get_queryset().filter(pk__in=sessions.values("pk"))
        if query.get("event"):
            queryset = queryset.filter(event__slug=query["event"])
        if query.get("free") is not None:
            # Seats left are counted by the selector (series bookings included), not in SQL twice.
            seats = selectors.availability(queryset)
            with_seats = [pk for pk, seat in seats.items() if seat.free > 0]
            queryset = queryset.filter(pk__in=with_seats) if query["free"] else queryset.exclude(pk__in=with_seats)
        page = list(self.paginate_queryset(queryset) or [])
        context = {**self.get_serializer_context(), "seats": selectors.availability(page)}
        return self.get_paginated_response(SessionSerializer(page, many=True, context=context).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        public_id = uuid_or_404(kwargs["public_id"], _("There is no session with this id."))
        session = self.get_queryset().filter(public_id=public_id).first()
        if session is None:
            raise exceptions.NotFound(_("There is no session with this id."))
        context = {**self.get_serializer_context(), "seats": selectors.availability([session])}
        return Response(SessionSerializer(session, context=context).data)


class BookingViewSet(PublicAPIMixin, viewsets.ViewSet):
    """Book without an account; read or cancel a booking with its signed token."""

    lookup_field = "token"
    lookup_value_regex = "[^/]+"
    serializer_class = BookingSerializer

    def _booking(self, token: str) -> Booking:
        try:
            return signing.booking_from_token(token)
        except Booking.DoesNotExist as error:
            raise exceptions.NotFound(_("There is no booking with this token.")) from error

    @extend_schema(
        summary=_("Book a session, or a whole series"),
        request=NewBookingSerializer,
        responses={201: BookingSerializer, **ERRORS},
    )
    def create(self, request: Request) -> Response:
        payload = NewBookingSerializer(data=request.data)
        if not payload.is_valid():
            # Failed attempts count too, or the limit could be probed with invalid requests.
            service.check_rate(ip=client_ip(request))
            raise exceptions.ValidationError(payload.errors)
        data = payload.validated_data
        service.check_rate(ip=client_ip(request), email=data["email"], phone=data["phone"])
        booking = service.book(
            event=data["event"],
            session=data["session"],
            name=data["name"],
            email=data["email"],
            phone=data["phone"],
            seats=data["seats"],
            language=data["language"],
            audience=data["audience"],
        )
        return Response(BookingSerializer(booking, context={"request": request}).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("A booking's status"), parameters=[TOKEN], responses={200: BookingSerializer, 404: ERRORS[404]}
    )
    def retrieve(self, request: Request, token: str) -> Response:
        return Response(BookingSerializer(self._booking(token), context={"request": request}).data)

    @extend_schema(
        summary=_("Cancel a booking (its seats go to the waiting list)"),
        parameters=[TOKEN],
        responses={200: BookingSerializer, 404: ERRORS[404], 409: ERRORS[409]},
    )
    def destroy(self, request: Request, token: str) -> Response:
        booking = service.cancel(self._booking(token))
        return Response(BookingSerializer(booking, context={"request": request}).data)


def register(router: BaseRouter) -> None:
    """Add Action 4's endpoints to the API router (called by aipim/api/urls.py)."""
    router.register("events", EventViewSet, basename="events-event")
    router.register("sessions", SessionViewSet, basename="events-session")
    router.register("bookings", BookingViewSet, basename="events-booking")
