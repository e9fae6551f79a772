"""Pages for administrators: audit log, retention preview, access and erasure requests."""

from django.urls import path  # noqa: F401

app_name = "manage"
urlpatterns: list = []
