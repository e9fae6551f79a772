from django.urls import path

from aipim.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.ReportListView.as_view(), name="list"),
    path("request/", views.ReportRequestCreateView.as_view(), name="request"),
    path("<int:pk>/", views.ReportDetailView.as_view(), name="detail"),
    path("<int:pk>/retry/", views.ReportRetryView.as_view(), name="retry"),
    path("<int:pk>/download/", views.ReportDownloadView.as_view(), name="download"),
]
