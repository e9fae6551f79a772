from django.urls import path

from aipim.core import views
from aipim.core.views import pages, people

app_name = "core"
urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("dashboard/", views.DashboardView.as_view(), name="dashboard"),
    path("people/", people.PersonListView.as_view(), name="person_list"),
    path("people/<uuid:public_id>/", people.PersonDetailView.as_view(), name="person_detail"),
    path("people/<uuid:public_id>/consents/", people.ConsentCreateView.as_view(), name="consent_create"),
    path("consents/<int:pk>/withdraw/", people.ConsentWithdrawView.as_view(), name="consent_withdraw"),
    path("privacy/", pages.PrivacyView.as_view(), name="privacy"),
    path("accessibility/", pages.AccessibilityView.as_view(), name="accessibility"),
    path("feedback/", pages.FeedbackView.as_view(), name="feedback"),
    path("healthz", pages.healthz, name="healthz"),
]
