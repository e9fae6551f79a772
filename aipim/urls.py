from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("aipim.core.urls")),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("manage/", include("aipim.core.urls_admin")),
    path("services/", include("aipim.core.urls_directory")),
    path("admin/", admin.site.urls),
    path("api/", include("aipim.api.urls")),
    path("reports/", include("aipim.reports.urls")),
    path("schools/", include("schools.urls")),
    path("pua/", include("pua.urls")),
    path("portal-sync/", include("portal_sync.urls")),
    path("news/", include("portal_sync.urls_public")),
    path("associations/", include("associations.urls")),
    path("events/", include("associations.urls_public")),
]

admin.site.site_header = settings.REGION_NAME + " – AIPIM"
