"""Pages of Action 1: courses. Its urlpatterns are collected by schools/urls.py."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
