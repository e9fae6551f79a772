"""Pages of Action 4 for the people who run it (association managers, editors, administrators):
profiles, networks, events and sessions, bookings and their exports, check-in, failed messages.
Each screen lives in its own module (manage_*.py); this one gathers their URLs."""

from django.urls import URLPattern

from associations.views import manage_bookings, manage_checkin, manage_events, manage_networks, manage_profile

urlpatterns: list[URLPattern] = [
    *manage_profile.urlpatterns,
    *manage_networks.urlpatterns,
    *manage_events.urlpatterns,
    *manage_bookings.urlpatterns,
    *manage_checkin.urlpatterns,
]
