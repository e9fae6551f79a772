"""Public pages of Action 4, under /events/: the catalogue, event and association pages, calendar
feeds, and booking without an account (with the signed links of a booking)."""

from django.urls import URLPattern, URLResolver

from associations.views import booking, public

app_name = "events"
urlpatterns: list[URLPattern | URLResolver] = [
    *public.urlpatterns,
    *booking.urlpatterns,
]
