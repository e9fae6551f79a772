from django.urls import path

from associations import views

app_name = "associations"
urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
]
