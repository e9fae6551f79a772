from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from aipim.api.views import SwaggerDocsView
from aipim.core import api as core_api
from associations import api as associations_api
from pua import api as pua_api
from schools import api as schools_api

router = DefaultRouter()
router.register("people", core_api.PersonViewSet, basename="person")
router.register(
    r"people/(?P<person_public_id>[^/.]+)/consents", core_api.PersonConsentViewSet, basename="person-consent"
)
router.register("organisations", core_api.OrganisationViewSet, basename="organisation")
router.register("municipalities", core_api.MunicipalityViewSet, basename="municipality")
router.register("services", core_api.ServiceViewSet, basename="service")
pua_api.register(router)
schools_api.register(router)
associations_api.register(router)

# No ReDoc page: its template loads Google Fonts from a CDN and runs an inline script, both refused
# by our Content Security Policy; Swagger UI (sidecar files, no inline code) documents the same schema.
urlpatterns = [
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SwaggerDocsView.as_view(url_name="api-schema"), name="api-docs"),
]
