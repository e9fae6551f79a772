"""Pages of Action 4 (manage): filled by its issue's work in progress."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
