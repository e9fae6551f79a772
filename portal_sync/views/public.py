"""Pages of Action 3 (public): filled by its issue's work in progress."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
