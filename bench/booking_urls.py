"""The portal's URLs plus `bare/`: the least a Django page costs in this server (every middleware,
no database, no template), the floor bench/booking.py measures the public event page against."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path

from aipim.urls import urlpatterns as portal_urlpatterns


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns: list[URLPattern | URLResolver] = [path("bare/", bare, name="bench-bare"), *portal_urlpatterns]
