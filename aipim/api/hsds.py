"""Our own Open Referral HSDS 3.0 API at /api/hsds/, shaped by the official OpenAPI description
(aipim/core/data/hsds/compiled/openapi.json, served at /api/hsds/openapi.json with our server URL).

Public, read-only, published data only: active services of active organisations, their locations,
our category taxonomy and the CPSV-AP_IT terms it maps to (aipim.core.cpsv). The documents come
from aipim.core.hsds, the one writer that portal sync uses too. Every list answers the HSDS `Page`
object in a fixed number of queries; a malformed or unknown query parameter answers 400 with the
reason. DRF views (not viewsets: the documents are not model serializers) so that authentication,
the public-read permission and our error handler behave as in the rest of /api/."""

from __future__ import annotations

import datetime
import json
import math
import uuid
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from aipim.api.permissions import PublicRead
from aipim.core import cpsv, hsds
from aipim.core.models import Organisation, Service, ServiceCategory

HSDS_VERSION = "3.0"
# We follow HSDS 3.0 without a profile: the profile URL is the documentation of the version itself.
PROFILE_URL = "https://openreferral.readthedocs.io/en/3.0/"
PER_PAGE = 50
MAX_PER_PAGE = 200
MAX_SEARCH = 200
PAGING = frozenset({"page", "per_page", "format"})
SERVICE_FILTERS = frozenset({"search", "taxonomy_term_id", "taxonomy_id", "organization_id", "modified_after"})
SERVICE_LOCATIONS = Service.locations.through


# --- query parameters ------------------------------------------------------------------------------


class Params:
    """The query string of one request, checked: unknown names and malformed values raise a 400
    that says which parameter and why."""

    def __init__(self, request: Request, allowed: frozenset[str]) -> None:
        self.query = request.query_params
        unknown = sorted(set(self.query) - allowed)
        if unknown:
            raise ValidationError(
                {"unknown_parameters": unknown, "detail": _("Unknown query parameters: %s") % ", ".join(unknown)}
            )
        fmt = self.query.get("format", "json")
        if fmt != "json":
            raise ValidationError({"format": [_("Only json is served.")]})

    def text(self, name: str) -> str:
        value = self.query.get(name, "").strip()
        if "\x00" in value:  # PostgreSQL refuses NUL in text
            raise ValidationError({name: [_("Contains a NUL character.")]})
        if len(value) > MAX_SEARCH:
            raise ValidationError({name: [_("At most %(max)d characters.") % {"max": MAX_SEARCH}]})
        return value

    def integer(self, name: str, default: int, *, maximum: int | None = None) -> int:
        raw = self.query.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ValidationError({name: [_("Not a whole number: %(value)s") % {"value": raw[:40]}]}) from None
        if value < 1 or (maximum is not None and value > maximum):
            limit = _("between 1 and %(max)d") % {"max": maximum} if maximum else _("1 or more")
            raise ValidationError({name: [_("Must be %(limit)s.") % {"limit": limit}]})
        return value

    def boolean(self, name: str) -> bool:
        raw = self.query.get(name, "").strip().lower()
        if raw in ("", "false", "0"):
            return False
        if raw in ("true", "1"):
            return True
        raise ValidationError({name: [_("Must be true or false.")]})

    def uuid(self, name: str) -> uuid.UUID | None:
        raw = self.query.get(name, "").strip()
        if not raw:
            return None
        try:
            return uuid.UUID(raw)
        except ValueError:
            raise ValidationError({name: [_("Not a UUID: %(value)s") % {"value": raw[:40]}]}) from None

    def moment(self, name: str) -> datetime.datetime | None:
        raw = self.query.get(name, "").strip()
        if not raw:
            return None
        # An unescaped "+" of a UTC offset arrives as a space ("...T10:00:00 01:00").
        candidate = raw[:19] + raw[19:].replace(" ", "+", 1) if len(raw) > 19 else raw
        try:
            value = parse_datetime(candidate)
            if value is None and (day := parse_date(candidate)) is not None:
                value = datetime.datetime.combine(day, datetime.time())
        except ValueError:
            value = None
        if value is None:
            raise ValidationError(
                {
                    name: [
                        _("Not an ISO 8601 date or date-time, e.g. 2024-05-31T12:00:00Z: %(value)s")
                        % {"value": raw[:40]}
                    ]
                }
            )
        value = timezone.make_aware(value) if timezone.is_naive(value) else value
        try:
            value.astimezone(datetime.UTC)  # the database compares in UTC
        except OverflowError:
            raise ValidationError({name: [_("Out of range: %(value)s") % {"value": raw[:40]}]}) from None
        return value


def page(
    params: Params, rows: QuerySet[Any] | Sequence[Any], render: Callable[[Any], dict[str, Any]]
) -> dict[str, Any]:
    """The HSDS `Page` object: one COUNT and one SELECT (plus the queryset's prefetches) for a queryset."""
    number = params.integer("page", 1)
    per_page = params.integer("per_page", PER_PAGE, maximum=MAX_PER_PAGE)
    total = rows.count() if isinstance(rows, QuerySet) else len(rows)
    total_pages = max(1, math.ceil(total / per_page))
    start = (number - 1) * per_page
    contents = [render(row) for row in rows[start : start + per_page]] if start < total else []
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": number,
        "size": len(contents),
        "first_page": number == 1,
        "last_page": number >= total_pages,
        "empty": total == 0,
        "contents": contents,
    }


def _uuid_or_404(value: str, message: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(message) from None


# --- filters shared by services and service_at_locations ---------------------------------------------


def _organisation_pk(organization_id: uuid.UUID) -> int | None:
    """Our organisation behind an HSDS organization id (a name-based UUID of its code)."""
    wanted = str(organization_id)
    for pk, code in Organisation.objects.filter(is_active=True).values_list("pk", "code"):
        if hsds.stable_id("organisation", code) == wanted:
            return pk
    return None


def _categories_of_term(term_id: uuid.UUID) -> list[str]:
    wanted = str(term_id)
    for category in ServiceCategory.values:
        if hsds.category_term_id(category) == wanted:
            return [category]
    for term in cpsv.all_terms():
        if hsds.cpsv_term_id(term) == wanted:
            return cpsv.categories_for(term)
    return []


def _categories_of_taxonomy(taxonomy_id: uuid.UUID) -> list[str]:
    wanted = str(taxonomy_id)
    if hsds.taxonomy_id(hsds.CATEGORY_TAXONOMY) == wanted:
        return list(ServiceCategory.values)
    for scheme in cpsv.SCHEMES:
        if hsds.taxonomy_id(scheme.uri) == wanted:
            return [c for c, terms in cpsv.CATEGORY_TERMS.items() if any(t.scheme == scheme for t in terms)]
    return []


def filter_services(queryset: QuerySet[Service], params: Params) -> QuerySet[Service]:
    if search := params.text("search"):
        # Every language's name and description: a French visitor may type the Italian name.
        matches = Q(organisation__name__icontains=search)
        for code in settings.MODELTRANSLATION_LANGUAGES:
            matches |= Q(**{f"name_{code}__icontains": search}) | Q(**{f"description_{code}__icontains": search})
        queryset = queryset.filter(matches)
    if (term_id := params.uuid("taxonomy_term_id")) is not None:
        queryset = queryset.filter(category__in=_categories_of_term(term_id))
    if (taxonomy_id := params.uuid("taxonomy_id")) is not None:
        queryset = queryset.filter(category__in=_categories_of_taxonomy(taxonomy_id))
    if (organization_id := params.uuid("organization_id")) is not None:
        organisation_pk = _organisation_pk(organization_id)
        queryset = queryset.filter(organisation_id=organisation_pk) if organisation_pk else queryset.none()
    if (modified_after := params.moment("modified_after")) is not None:
        # As `last_modified`: the service's row or its organisation's (nested in its document).
        queryset = queryset.filter(Q(updated_at__gte=modified_after) | Q(organisation__updated_at__gte=modified_after))
    return queryset


# --- views -------------------------------------------------------------------------------------------


class HSDSView(APIView):
    """JSON only (`format` is an HSDS parameter here, not DRF's renderer switch), public read."""

    permission_classes = [PublicRead]
    renderer_classes = [JSONRenderer]
    allowed: frozenset[str] = frozenset({"format"})

    def perform_content_negotiation(self, request: Request, force: bool = False) -> tuple[Any, str]:
        renderer = JSONRenderer()
        return renderer, renderer.media_type

    def params(self, request: Request) -> Params:
        return Params(request, self.allowed)


def publisher() -> dict[str, Any]:
    """The Region as the publisher of this API: its regional office when the directory has one."""
    office = Organisation.objects.filter(kind=Organisation.Kind.REGIONAL_OFFICE, is_active=True).order_by("pk").first()
    if office is None:
        return {"name": settings.REGION_NAME, "url": settings.SITE_URL}
    found = {
        "name": office.name,
        "url": office.website or settings.SITE_URL,
        "email": office.email,
        "organization_id": hsds.organisation_id(office),
    }
    return {key: value for key, value in found.items() if value}


@extend_schema(exclude=True)
class RootView(HSDSView):
    def get(self, request: Request) -> Response:
        self.params(request)
        return Response(
            {
                "version": HSDS_VERSION,
                "profile": PROFILE_URL,
                "openapi_url": request.build_absolute_uri(reverse("hsds-openapi")),
                "publisher": publisher(),
            }
        )


@cache
def _official_openapi() -> str:
    return (hsds.SCHEMA_DIR / "openapi.json").read_text(encoding="utf-8")


@extend_schema(exclude=True)
class OpenAPIView(HSDSView):
    """The official HSDS 3.0 OpenAPI with our server, title and contact in place of its placeholders."""

    def get(self, request: Request) -> Response:
        self.params(request)
        document = json.loads(_official_openapi())
        who = publisher()
        document["info"] = {
            "title": _("AIPIM Basilicata service directory (HSDS 3.0)"),
            "version": HSDS_VERSION,
            "summary": _("The published service directory of the Region, as Open Referral HSDS 3.0."),
            "description": _(
                "Public, read-only. Services are also classified with CPSV-AP_IT terms (life events and themes)."
            ),
            "contact": {key: who[key] for key in ("name", "url", "email") if key in who},
        }
        document["servers"] = [{"url": request.build_absolute_uri(reverse("hsds-root")).rstrip("/")}]
        # Document the publisher block our "/" adds (HSDS 3.0 leaves the object open for it).
        root = document["paths"]["/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        root["properties"]["publisher"] = {
            "type": "object",
            "description": "Who publishes this API: name, url, email and its HSDS organization id.",
            "properties": {
                "name": {"type": "string"},
                "url": {"type": "string", "format": "uri"},
                "email": {"type": "string", "format": "email"},
                "organization_id": {"type": "string", "format": "uuid"},
            },
        }
        return Response(document)


@extend_schema(exclude=True)
class ServiceListView(HSDSView):
    allowed = PAGING | SERVICE_FILTERS | {"minimal", "full"}

    def get(self, request: Request) -> Response:
        params = self.params(request)
        minimal, full = params.boolean("minimal"), params.boolean("full")
        if minimal and full:
            raise ValidationError({"minimal": [_("minimal and full cannot both be true.")]})
        if minimal:
            queryset = Service.objects.published().select_related("organisation")
            render: Callable[[Service], dict[str, Any]] = minimal_service
        elif full:
            queryset, render = hsds.directory_queryset(), hsds.service_to_hsds
        else:
            queryset, render = Service.objects.published().select_related("organisation"), hsds.service_summary_to_hsds
        return Response(page(params, filter_services(queryset, params).order_by("pk"), render))


def minimal_service(service: Service) -> dict[str, Any]:
    """`minimal=true`: the id and modification time, with the name and status that every item of
    compiled/service_list.json must carry."""
    return {
        "id": str(service.pk),
        "name": service.name,
        "status": service.status,
        "last_modified": hsds.last_modified(service),
    }


@extend_schema(exclude=True)
class ServiceDetailView(HSDSView):
    allowed = frozenset({"format", "full"})  # `full` is what HSDS clients send; a detail is always full

    def get(self, request: Request, pk: str) -> Response:
        params = self.params(request)
        params.boolean("full")
        message = _("No published service with this id.")
        service = hsds.directory_queryset().filter(pk=_uuid_or_404(pk, message)).first()
        if service is None:
            raise NotFound(message)
        return Response(hsds.service_to_hsds(service))


def _published_services(*, full: bool) -> Prefetch:
    queryset = hsds.directory_queryset() if full else Service.objects.published()
    return Prefetch("services", queryset=queryset.order_by("pk"), to_attr="published_services")


def organisation_document(organisation: Organisation, *, full_service: bool) -> dict[str, Any]:
    data = hsds.organisation_to_hsds(organisation)
    render = hsds.service_to_hsds if full_service else hsds.service_summary_to_hsds
    data["services"] = [render(service) for service in organisation.published_services]  # type: ignore[attr-defined]
    return data


def organisation_summary(organisation: Organisation) -> dict[str, Any]:
    data = hsds.organisation_to_hsds(organisation)
    data.pop("phones", None)
    return data


@extend_schema(exclude=True)
class OrganizationListView(HSDSView):
    allowed = PAGING | {"search", "full", "full_service"}

    def get(self, request: Request) -> Response:
        params = self.params(request)
        full, full_service = params.boolean("full"), params.boolean("full_service")
        queryset = Organisation.objects.filter(is_active=True).order_by("pk")
        if search := params.text("search"):
            queryset = queryset.filter(name__icontains=search)
        if full or full_service:
            queryset = queryset.prefetch_related(_published_services(full=full_service))
            return Response(page(params, queryset, lambda o: organisation_document(o, full_service=full_service)))
        return Response(page(params, queryset, organisation_summary))


@extend_schema(exclude=True)
class OrganizationDetailView(HSDSView):
    allowed = frozenset({"format", "full_service"})

    def get(self, request: Request, pk: str) -> Response:
        params = self.params(request)
        full_service = params.boolean("full_service")
        message = _("No organization with this id.")
        organisation_pk = _organisation_pk(_uuid_or_404(pk, message))
        organisation = (
            Organisation.objects.filter(pk=organisation_pk, is_active=True)
            .prefetch_related(_published_services(full=full_service))
            .first()
            if organisation_pk is not None
            else None
        )
        if organisation is None:
            raise NotFound(message)
        return Response(organisation_document(organisation, full_service=full_service))


def _service_locations(services: QuerySet[Service]) -> QuerySet[Any]:
    return (
        SERVICE_LOCATIONS.objects.filter(service__in=services)
        .select_related("service__organisation", "location__municipality", "location__organisation")
        .prefetch_related("service__schedules")
        .order_by("service_id", "location_id")
    )


@extend_schema(exclude=True)
class ServiceAtLocationListView(HSDSView):
    allowed = PAGING | SERVICE_FILTERS | {"full", "postcode", "proximity"}

    def get(self, request: Request) -> Response:
        params = self.params(request)
        full = params.boolean("full")
        if params.text("proximity"):
            raise ValidationError({"proximity": [_("Searching by distance is not supported; use postcode.")]})
        rows = _service_locations(filter_services(Service.objects.published(), params))
        if postcode := params.text("postcode"):
            rows = rows.filter(location__postal_code=postcode)
        return Response(
            page(params, rows, lambda row: hsds.service_at_location_to_hsds(row.service, row.location, full=full))
        )


@extend_schema(exclude=True)
class ServiceAtLocationDetailView(HSDSView):
    def get(self, request: Request, pk: str) -> Response:
        self.params(request)
        message = _("No published service at location with this id.")
        wanted = str(_uuid_or_404(pk, message))
        pairs = _service_locations(Service.objects.published()).values_list("pk", "service_id", "location_id")
        match = next(
            (row_pk for row_pk, s, loc in pairs if hsds.stable_id("service-at-location", s, loc) == wanted), None
        )
        row = _service_locations(Service.objects.published()).filter(pk=match).first() if match else None
        if row is None:
            raise NotFound(message)
        return Response(hsds.service_at_location_to_hsds(row.service, row.location))


def _static_list(items: list[dict[str, Any]], search: str) -> list[dict[str, Any]]:
    if not search:
        return items
    needle = search.casefold()
    return [item for item in items if needle in f"{item['name']} {item.get('code', '')}".casefold()]


def _static_detail(items: list[dict[str, Any]], pk: str, message: str) -> dict[str, Any]:
    wanted = str(_uuid_or_404(pk, message))
    found = next((item for item in items if item["id"] == wanted), None)
    if found is None:
        raise NotFound(message)
    return found


@extend_schema(exclude=True)
class TaxonomyListView(HSDSView):
    allowed = PAGING | {"search"}

    def get(self, request: Request) -> Response:
        params = self.params(request)
        items = _static_list(hsds.taxonomies_to_hsds(), params.text("search"))
        return Response(page(params, items, lambda item: item))


@extend_schema(exclude=True)
class TaxonomyDetailView(HSDSView):
    def get(self, request: Request, pk: str) -> Response:
        self.params(request)
        return Response(_static_detail(hsds.taxonomies_to_hsds(), pk, _("No taxonomy with this id.")))


@extend_schema(exclude=True)
class TaxonomyTermListView(HSDSView):
    allowed = PAGING | {"search", "taxonomy_id", "top_only", "parent_id"}

    def get(self, request: Request) -> Response:
        params = self.params(request)
        items = _static_list(hsds.taxonomy_terms_to_hsds(), params.text("search"))
        if (taxonomy_id := params.uuid("taxonomy_id")) is not None:
            items = [item for item in items if item["taxonomy_id"] == str(taxonomy_id)]
        params.boolean("top_only")  # our vocabularies are flat: every term is a top term
        if params.uuid("parent_id") is not None:
            items = []  # ... and no term has a parent
        return Response(page(params, items, lambda item: item))


@extend_schema(exclude=True)
class TaxonomyTermDetailView(HSDSView):
    def get(self, request: Request, pk: str) -> Response:
        self.params(request)
        return Response(_static_detail(hsds.taxonomy_terms_to_hsds(), pk, _("No taxonomy term with this id.")))
