from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from aipim.api import hsds
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
# Our own HSDS 3.0 API, with the paths of the official OpenAPI (no trailing slashes, as there).
hsds_urls = [
    path("", hsds.RootView.as_view(), name="hsds-root"),
    path("openapi.json", hsds.OpenAPIView.as_view(), name="hsds-openapi"),
    path("services", hsds.ServiceListView.as_view(), name="hsds-services"),
    path("services/<str:pk>", hsds.ServiceDetailView.as_view(), name="hsds-service"),
    path("organizations", hsds.OrganizationListView.as_view(), name="hsds-organizations"),
    path("organizations/<str:pk>", hsds.OrganizationDetailView.as_view(), name="hsds-organization"),
    path("service_at_locations", hsds.ServiceAtLocationListView.as_view(), name="hsds-service-at-locations"),
    path("service_at_locations/<str:pk>", hsds.ServiceAtLocationDetailView.as_view(), name="hsds-service-at-location"),
    path("taxonomies", hsds.TaxonomyListView.as_view(), name="hsds-taxonomies"),
    path("taxonomies/<str:pk>", hsds.TaxonomyDetailView.as_view(), name="hsds-taxonomy"),
    path("taxonomy_terms", hsds.TaxonomyTermListView.as_view(), name="hsds-taxonomy-terms"),
    path("taxonomy_terms/<str:pk>", hsds.TaxonomyTermDetailView.as_view(), name="hsds-taxonomy-term"),
]

urlpatterns = [
    path("hsds/", include(hsds_urls)),
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SwaggerDocsView.as_view(url_name="api-schema"), name="api-docs"),
]
