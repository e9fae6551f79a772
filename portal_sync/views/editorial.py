"""Pages of Action 3 (editorial): filled by its issue's work in progress."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
