"""The shared service directory (HSDS): public pages and editors' pages."""

from django.urls import path  # noqa: F401

app_name = "directory"
urlpatterns: list = []
