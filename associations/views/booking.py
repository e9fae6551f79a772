"""Public booking pages (no account): the booking form of an event, and the booking's own page
reached by its signed link (status, cancel, calendar file, accept or decline an offer)."""

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, path


def _todo(request: HttpRequest, **kwargs: str) -> HttpResponse:
    raise Http404


urlpatterns: list[URLPattern] = [
    path("<slug:slug>/book/", _todo, name="book"),
    path("my-booking/<str:token>/", _todo, name="booking"),
    path("my-booking/<str:token>/calendar.ics", _todo, name="booking_ics"),
    path("my-booking/<str:token>/cancel/", _todo, name="booking_cancel"),
    path("my-booking/<str:token>/accept/", _todo, name="booking_accept"),
    path("my-booking/<str:token>/decline/", _todo, name="booking_decline"),
]
