"""Pages of Action 4 (public): filled by its issue's work in progress."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
