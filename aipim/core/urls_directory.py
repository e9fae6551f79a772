"""The shared service directory (HSDS): public pages and editors' pages."""

from django.urls import path

from aipim.core.views import directory

app_name = "directory"
urlpatterns = [
    path("", directory.ServiceListView.as_view(), name="list"),
    path("new/", directory.ServiceCreateView.as_view(), name="create"),
    path("<uuid:pk>/", directory.ServiceDetailView.as_view(), name="detail"),
    path("<uuid:pk>/edit/", directory.ServiceEditView.as_view(), name="edit"),
]
