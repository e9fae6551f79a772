"""PUA pages: training."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
