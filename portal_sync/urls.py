"""Staff pages of Action 3 (editors, regional officials, administrators), under /portal-sync/."""

from django.urls import URLPattern, URLResolver, path

from portal_sync import views
from portal_sync.views import editorial, operations

app_name = "portal_sync"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.HomeView.as_view(), name="home"),
    *editorial.urlpatterns,
    *operations.urlpatterns,
]
