"""The read API of the shared records: people and their consents (scoped and audited like the pages),
organisations, municipalities and the service directory in HSDS 3.0 shape (public open data); and
what the actions' read APIs build on (an audited read-only viewset, the person inside a record).

Personal data never travels in a URL except as an opaque public id."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from aipim.api.mixins import StrictQueryParamsMixin, uuid_or_404
from aipim.api.pagination import HSDSPagination
from aipim.api.permissions import IsAuthenticatedWithSecondFactor, PublicRead
from aipim.core import audit, hsds
from aipim.core.models import Consent, Municipality, Organisation, Person, Service, ServiceCategory
from aipim.core.views.people import PEOPLE_ROLES

# --- people ------------------------------------------------------------------------------------


class PersonSerializer(serializers.ModelSerializer):
    citizenship = serializers.CharField(
        source="citizenship.code", read_only=True, help_text=_("ISO 3166-1 alpha-2 country code, or empty.")
    )
    languages = serializers.ListField(child=serializers.CharField(), read_only=True)
    municipality = serializers.SlugRelatedField(
        slug_field="istat_code", read_only=True, help_text=_("ISTAT code of the municipality of residence.")
    )

    class Meta:
        model = Person
        # The address, phone and email stay out of the API: no client has needed them.
        fields = [
            "public_id",
            "given_names",
            "family_names",
            "given_names_latin",
            "family_names_latin",
            "birth_date",
            "sex",
            "citizenship",
            "languages",
            "municipality",
        ]
        read_only_fields = fields


class ConsentSerializer(serializers.ModelSerializer):
    organisation = serializers.SlugRelatedField(
        slug_field="code", read_only=True, help_text=_("Code of the organisation that collected it.")
    )
    in_force = serializers.BooleanField(read_only=True)

    class Meta:
        model = Consent
        fields = ["id", "purpose", "given_at", "given_by_name", "evidence", "organisation", "withdrawn_at", "in_force"]
        read_only_fields = fields


def people_for(user: Any) -> QuerySet[Person]:
    """The people the user may read through the API: the same roles as the people pages, then the
    model's own scoping. Editors, officials and association managers get nobody."""
    if not user.is_authenticated or not (user.is_superuser or user.has_role(*PEOPLE_ROLES)):
        return Person.objects.none()
    return Person.objects.for_user(user)


class PersonViewSet(StrictQueryParamsMixin, viewsets.ReadOnlyModelViewSet):
    """People in the caller's scope; every read is written to the audit trail."""

    serializer_class = PersonSerializer
    permission_classes = [IsAuthenticatedWithSecondFactor]
    lookup_field = "public_id"

    def get_queryset(self) -> QuerySet[Person]:
        return people_for(self.request.user).select_related("municipality")

    def get_object(self) -> Person:
        public_id = uuid_or_404(self.kwargs["public_id"], _("No person with this id."))
        person = self.get_queryset().filter(public_id=public_id).first()
        if person is None:
            raise NotFound(_("No person with this id."))  # the same answer as a malformed id
        return person

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        audit.record(
            request.user, "person.list", object_type="core.person", count=len(response.data["results"]), via="api"
        )
        return response

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        person = self.get_object()
        audit.record(request.user, "person.view", person, via="api")
        return Response(self.get_serializer(person).data)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "person_public_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description=_("The person's public id.")
            )
        ]
    )
)
class PersonConsentViewSet(StrictQueryParamsMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The consents of one person in the caller's scope (404 for anyone else's)."""

    serializer_class = ConsentSerializer
    permission_classes = [IsAuthenticatedWithSecondFactor]
    queryset = Consent.objects.none()  # for the schema; the real one is scoped in get_queryset

    def get_person(self) -> Person:
        if not hasattr(self, "_person"):
            public_id = uuid_or_404(self.kwargs["person_public_id"], _("No person with this id."))
            person = people_for(self.request.user).filter(public_id=public_id).first()
            if person is None:
                raise NotFound(_("No person with this id."))
            self._person = person
        return self._person

    def get_queryset(self) -> QuerySet[Consent]:
        if getattr(self, "swagger_fake_view", False):
            return Consent.objects.none()
        return (
            Consent.objects.for_user(self.request.user).filter(person=self.get_person()).select_related("organisation")
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        audit.record(request.user, "consent.list", self.get_person(), count=len(response.data["results"]), via="api")
        return response


# --- what the actions' read APIs share (pua, schools) ----------------------------------------------


ONLY_IN_DETAIL = _("Only in a single record's detail.")


class RecordPersonSerializer(serializers.Serializer):
    """The person of another record (a case, a student): only the public id in a list, so that a
    bulk pull names no one; names and birth date in one record's detail (the viewset says which
    with `detail` in the context). A subclass drops a field it must not show by setting it to None."""

    public_id = serializers.UUIDField(help_text=_("The person's public id."))
    given_names = serializers.CharField(required=False, help_text=ONLY_IN_DETAIL)
    family_names = serializers.CharField(required=False, help_text=ONLY_IN_DETAIL)
    given_names_latin = serializers.CharField(required=False, help_text=ONLY_IN_DETAIL)
    family_names_latin = serializers.CharField(required=False, help_text=ONLY_IN_DETAIL)
    birth_date = serializers.DateField(allow_null=True, required=False, help_text=ONLY_IN_DETAIL)
    sex = serializers.ChoiceField(choices=Person.Sex.choices, required=False)
    citizenship = serializers.CharField(
        source="citizenship.code", required=False, help_text=_("ISO 3166-1 alpha-2 code, or empty.")
    )

    def to_representation(self, person: Person) -> dict[str, Any]:
        data = super().to_representation(person)
        if not self.context.get("detail"):
            return {"public_id": data["public_id"]}
        return data


class AuditedReadOnlyViewSet(StrictQueryParamsMixin, viewsets.ReadOnlyModelViewSet):
    """Records of an action, read as the pages read them: `get_queryset` is scoped to the caller,
    a list writes one "<audit_noun>.list" event with the count of rows returned, a detail one
    "<audit_noun>.view" event in the name of the record's organisation (`organisation_of`)."""

    audit_noun = ""
    filter_backends = [DjangoFilterBackend]
    not_found = _("Not found.")

    def organisation_of(self, obj: Any) -> Organisation | None:
        return None

    def get_object(self) -> Any:
        # Anything outside the caller's scope is simply not there: the same 404 as an unknown id.
        lookup = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        obj = self.get_queryset().filter(**{self.lookup_field: lookup}).first()
        if obj is None:
            raise NotFound(self.not_found)
        return obj

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "detail": self.action == "retrieve"}

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        model = self.get_queryset().model
        audit.record(
            request.user,
            f"{self.audit_noun}.list",
            object_type=model._meta.label_lower,
            count=len(response.data["results"]),
            via="api",
        )
        return response

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        obj = self.get_object()
        audit.record(request.user, f"{self.audit_noun}.view", obj, organisation=self.organisation_of(obj), via="api")
        return Response(self.get_serializer(obj).data)


# --- organisations and municipalities (public) -------------------------------------------------


class MunicipalitySerializer(serializers.ModelSerializer):
    class Meta:
        model = Municipality
        fields = ["istat_code", "name", "province", "province_code", "cadastral_code"]
        read_only_fields = fields


class MunicipalityFilter(django_filters.FilterSet):
    province_code = django_filters.CharFilter(help_text=_("Two-letter province code, e.g. PZ or MT."))

    class Meta:
        model = Municipality
        fields = ["province_code"]


class MunicipalityViewSet(StrictQueryParamsMixin, viewsets.ReadOnlyModelViewSet):
    """Municipalities (ISTAT list), open data."""

    queryset = Municipality.objects.all()
    serializer_class = MunicipalitySerializer
    permission_classes = [PublicRead]
    lookup_field = "istat_code"
    filter_backends = [DjangoFilterBackend]
    filterset_class = MunicipalityFilter


class OrganisationSerializer(serializers.ModelSerializer):
    municipality = serializers.SlugRelatedField(slug_field="istat_code", read_only=True)
    description = serializers.CharField(read_only=True, help_text=_("In the language of the request."))

    class Meta:
        model = Organisation
        fields = ["code", "name", "kind", "municipality", "description", "email", "phone", "website", "updated_at"]
        read_only_fields = fields


class OrganisationFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Organisation.Kind.choices)
    municipality = django_filters.ModelChoiceFilter(
        queryset=Municipality.objects.all(), to_field_name="istat_code", help_text=_("ISTAT code.")
    )

    class Meta:
        model = Organisation
        fields = ["kind", "municipality"]


class OrganisationViewSet(StrictQueryParamsMixin, viewsets.ReadOnlyModelViewSet):
    """Organisations of the programme (desks, schools, associations, providers), open data."""

    queryset = Organisation.objects.filter(is_active=True).select_related("municipality")
    serializer_class = OrganisationSerializer
    permission_classes = [PublicRead]
    lookup_field = "code"
    filter_backends = [DjangoFilterBackend]
    filterset_class = OrganisationFilter


# --- the service directory (HSDS 3.0, public) ------------------------------------------------------
# The JSON comes from aipim.core.hsds (one writer for the API and portal sync); these serializers
# describe its shape for the OpenAPI schema, and a test keeps them in step with what is served.


class HSDSPhoneSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    number = serializers.CharField()
    service_id = serializers.UUIDField(required=False)
    organization_id = serializers.UUIDField(required=False)
    contact_id = serializers.UUIDField(required=False)


class HSDSLanguageSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    service_id = serializers.UUIDField()
    name = serializers.CharField()
    code = serializers.CharField(help_text=_("ISO 639 code."))


class HSDSContactSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    service_id = serializers.UUIDField()
    name = serializers.CharField()
    title = serializers.CharField(required=False)
    email = serializers.EmailField(required=False)
    phones = HSDSPhoneSerializer(many=True, required=False)


class HSDSTaxonomyTermSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    code = serializers.ChoiceField(choices=ServiceCategory.choices)
    name = serializers.CharField()
    description = serializers.CharField()
    taxonomy = serializers.CharField()
    language = serializers.CharField()


class HSDSAttributeSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    link_id = serializers.UUIDField()
    link_type = serializers.CharField()
    link_entity = serializers.CharField()
    taxonomy_term_id = serializers.UUIDField()
    value = serializers.CharField()
    taxonomy_term = HSDSTaxonomyTermSerializer()


class HSDSAddressSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    location_id = serializers.UUIDField()
    address_1 = serializers.CharField()
    city = serializers.CharField()
    region = serializers.CharField()
    state_province = serializers.CharField()
    postal_code = serializers.CharField()
    country = serializers.CharField()
    address_type = serializers.CharField()


class HSDSAccessibilitySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    location_id = serializers.UUIDField()
    description = serializers.CharField()


class HSDSLocationSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    location_type = serializers.CharField()
    organization_id = serializers.UUIDField()
    name = serializers.CharField()
    transportation = serializers.CharField(required=False)
    latitude = serializers.FloatField(required=False)
    longitude = serializers.FloatField(required=False)
    external_identifier = serializers.CharField(help_text=_("ISTAT code of the municipality."))
    external_identifier_type = serializers.CharField()
    addresses = HSDSAddressSerializer(many=True)
    accessibility = HSDSAccessibilitySerializer(many=True, required=False)


class HSDSScheduleSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    service_id = serializers.UUIDField()
    location_id = serializers.UUIDField(required=False)
    service_at_location_id = serializers.UUIDField(required=False)
    freq = serializers.CharField()
    wkst = serializers.CharField()
    byday = serializers.CharField(help_text=_("iCalendar weekday: MO, TU, WE, TH, FR, SA or SU."))
    opens_at = serializers.CharField(help_text=_("Local time in Italy, HH:MM."))
    closes_at = serializers.CharField(help_text=_("Local time in Italy, HH:MM."))
    description = serializers.CharField()
    notes = serializers.CharField(required=False)


class HSDSServiceAtLocationSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    service_id = serializers.UUIDField()
    location_id = serializers.UUIDField()
    location = HSDSLocationSerializer()
    schedules = HSDSScheduleSerializer(many=True)


class HSDSOrganizationSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    description = serializers.CharField()
    email = serializers.EmailField(required=False)
    website = serializers.URLField(required=False)
    tax_id = serializers.CharField(required=False)
    phones = HSDSPhoneSerializer(many=True, required=False)


class HSDSServiceSerializer(serializers.Serializer):
    """A service as Open Referral HSDS 3.0 (compiled/service.json), in the language of the request."""

    id = serializers.UUIDField()
    organization_id = serializers.UUIDField()
    name = serializers.CharField()
    description = serializers.CharField(required=False)
    url = serializers.URLField(required=False)
    email = serializers.EmailField(required=False)
    status = serializers.ChoiceField(choices=Service.Status.choices)
    application_process = serializers.CharField(required=False)
    fees_description = serializers.CharField(required=False)
    eligibility_description = serializers.CharField(required=False)
    last_modified = serializers.DateTimeField()
    organization = HSDSOrganizationSerializer()
    languages = HSDSLanguageSerializer(many=True)
    phones = HSDSPhoneSerializer(many=True)
    contacts = HSDSContactSerializer(many=True)
    attributes = HSDSAttributeSerializer(many=True)
    service_at_locations = HSDSServiceAtLocationSerializer(many=True)
    schedules = HSDSScheduleSerializer(many=True)

    def to_representation(self, instance: Service) -> dict[str, Any]:
        return hsds.service_to_hsds(instance)


class RegexFilter(django_filters.CharFilter):
    field_class = forms.RegexField


class ServiceFilter(django_filters.FilterSet):
    category = django_filters.ChoiceFilter(choices=ServiceCategory.choices)
    municipality = django_filters.ModelChoiceFilter(
        queryset=Municipality.objects.all(),
        to_field_name="istat_code",
        method="filter_municipality",
        help_text=_("ISTAT code of the municipality where the service is offered."),
    )
    language = RegexFilter(
        regex=r"^[a-z]{2,3}$",
        method="filter_language",
        help_text=_("ISO 639 code of a language spoken at the service, e.g. ar."),
    )

    class Meta:
        model = Service
        fields = ["category", "municipality", "language"]

    def filter_municipality(self, queryset: QuerySet[Service], name: str, value: Municipality) -> QuerySet[Service]:
        # A service without a location of its own is offered where its organisation is.
        return queryset.filter(
            Q(locations__municipality=value) | Q(locations__isnull=True, organisation__municipality=value)
        ).distinct()

    def filter_language(self, queryset: QuerySet[Service], name: str, value: str) -> QuerySet[Service]:
        return queryset.filter(languages__contains=[value])


class ServiceViewSet(StrictQueryParamsMixin, viewsets.ReadOnlyModelViewSet):
    """The published service directory as Open Referral HSDS 3.0, paginated as the HSDS API."""

    serializer_class = HSDSServiceSerializer
    permission_classes = [PublicRead]
    pagination_class = HSDSPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = ServiceFilter

    def get_queryset(self) -> QuerySet[Service]:
        return hsds.directory_queryset()

    def get_object(self) -> Service:
        pk = uuid_or_404(self.kwargs["pk"], _("No service with this id."))
        service = self.get_queryset().filter(pk=pk).first()
        if service is None:
            raise NotFound(_("No service with this id."))
        return service
