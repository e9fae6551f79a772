from django.urls import path

from pua import views
from pua.views import appointments, cases, dashboard, detail, documents, intake, referrals, sharing, training

app_name = "pua"
urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    *intake.urlpatterns,
    *cases.urlpatterns,
    *detail.urlpatterns,
    *referrals.urlpatterns,
    *appointments.urlpatterns,
    *documents.urlpatterns,
    *sharing.urlpatterns,
    *training.urlpatterns,
    *dashboard.urlpatterns,
]
