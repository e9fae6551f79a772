from django.urls import URLPattern, URLResolver, path

from schools import views
from schools.views import courses, helpdesk, imports, initiatives, interventions, messages, risk, students

app_name = "schools"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.HomeView.as_view(), name="home"),
    *students.urlpatterns,
    *imports.urlpatterns,
    *risk.urlpatterns,
    *courses.urlpatterns,
    *initiatives.urlpatterns,
    *helpdesk.urlpatterns,
    *interventions.urlpatterns,
    *messages.urlpatterns,
]
