from django.urls import path

from portal_sync import views

app_name = "portal_sync"
urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
]
