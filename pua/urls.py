from django.urls import path

from pua import views

app_name = "pua"
urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
]
