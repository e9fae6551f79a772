"""Staff pages of Action 4 (association managers, editors, administrators), under /associations/."""

from django.urls import URLPattern, URLResolver, path

from associations import views
from associations.views import manage

app_name = "associations"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.HomeView.as_view(), name="home"),
    *manage.urlpatterns,
]
