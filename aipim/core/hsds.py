"""The service directory as Open Referral HSDS 3.0 JSON: what our API serves and what portal sync
exchanges with the national portal. `service_to_hsds` writes, `service_from_hsds` reads (an
idempotent upsert by external id), and `validate_*` check against the official compiled schemas
(copied into aipim/core/data/hsds/, CC BY-SA 4.0, Open Referral)."""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Iterable, Mapping
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from django.conf.locale import LANG_INFO
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils.text import slugify
from django.utils.translation import get_language
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from aipim.core import audit, cpsv
from aipim.core.fast_schema import Check, compile_check
from aipim.core.models import (
    Contact,
    Location,
    Municipality,
    Organisation,
    Schedule,
    Service,
    ServiceCategory,
)

SCHEMA_DIR = Path(__file__).resolve().parent / "data" / "hsds" / "compiled"

# Ids in HSDS are UUIDs. Rows of ours with integer keys (organisation, schedule, contact) or no row at
# all (address, language, phone) get a name-based UUID, so that the same record always has the same id.
NAMESPACE = uuid.UUID("0b3c5d7e-4a1f-5e2b-9c8d-a1b2c3d4e5f6")
CATEGORY_TAXONOMY = "AIPIM service categories"
COUNTRY = "IT"
REGION = "Basilicata"
_DAY_ORDER = {day: index for index, day in enumerate(Schedule.Weekday.values)}


class HSDSImportError(ValueError):
    """The HSDS document cannot be turned into a service; the message says why."""


def stable_id(*parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, ":".join(str(part) for part in parts)))


def organisation_id(organisation: Organisation) -> str:
    return stable_id("organisation", organisation.code)


def category_term_id(category: str) -> str:
    return stable_id("category", category)


def taxonomy_id(name_or_uri: str) -> str:
    """Our category taxonomy by name, a CPSV-AP_IT scheme by its URI."""
    return stable_id("taxonomy", name_or_uri)


def cpsv_term_id(term: cpsv.Term) -> str:
    return stable_id("cpsv-term", term.uri)


def language_name(code: str, *, local: bool = False) -> str:
    """The English name (for HSDS), or with `local` the language's own name (for people who speak it)."""
    return LANG_INFO.get(code, {}).get("name_local" if local else "name", code)


def _time(value: datetime.time) -> str:
    return value.strftime("%H:%M")


def _number(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def _drop_empty(data: dict[str, Any]) -> dict[str, Any]:
    """HSDS fields are optional: leave out what we do not know rather than send empty strings."""
    return {key: value for key, value in data.items() if value not in ("", None, [])}


# --- model -> HSDS ----------------------------------------------------------------------------


def organisation_to_hsds(organisation: Organisation) -> dict[str, Any]:
    data = _drop_empty(
        {
            "id": organisation_id(organisation),
            "name": organisation.name,
            "email": organisation.email,
            "website": organisation.website,
            "tax_id": organisation.tax_id,
        }
    )
    # `description` is required by HSDS even when we have none.
    data["description"] = organisation.description or ""
    if organisation.phone:
        data["phones"] = [
            {
                "id": stable_id("organisation-phone", organisation.code),
                "organization_id": data["id"],
                "number": organisation.phone,
            }
        ]
    return data


def location_to_hsds(location: Location) -> dict[str, Any]:
    municipality = location.municipality
    address = {
        "id": stable_id("address", location.pk),
        "location_id": str(location.pk),
        "address_1": location.address,
        "city": municipality.name,
        "region": REGION,
        "state_province": municipality.province,
        "postal_code": location.postal_code,
        "country": COUNTRY,
        "address_type": "physical",
    }
    data = _drop_empty(
        {
            "id": str(location.pk),
            "location_type": "physical",
            "organization_id": organisation_id(location.organisation),
            "name": location.name,
            "transportation": location.transportation,
            "latitude": _number(location.latitude),
            "longitude": _number(location.longitude),
            "external_identifier": municipality.istat_code,
            "external_identifier_type": "ISTAT",
        }
    )
    data["addresses"] = [address]
    if location.accessibility:
        data["accessibility"] = [
            {
                "id": stable_id("accessibility", location.pk),
                "location_id": str(location.pk),
                "description": location.accessibility,
            }
        ]
    return data


def schedule_to_hsds(schedule: Schedule, *, service_at_location_id: str | None = None) -> dict[str, Any]:
    return _drop_empty(
        {
            "id": stable_id("schedule", schedule.pk),
            "service_id": str(schedule.service_id),
            "location_id": str(schedule.location_id) if schedule.location_id else None,
            "service_at_location_id": service_at_location_id,
            "freq": "WEEKLY",
            "wkst": "MO",
            "byday": schedule.weekday,
            "opens_at": _time(schedule.opens_at),
            "closes_at": _time(schedule.closes_at),
            "description": str(schedule),
            "notes": schedule.notes,
        }
    )


def contact_to_hsds(contact: Contact) -> dict[str, Any]:
    data = _drop_empty(
        {
            "id": stable_id("contact", contact.pk),
            "service_id": str(contact.service_id),
            "name": contact.name,
            "title": contact.title,
            "email": contact.email,
        }
    )
    if contact.phone:
        data["phones"] = [
            {"id": stable_id("contact-phone", contact.pk), "contact_id": data["id"], "number": contact.phone}
        ]
    return data


def last_modified(service: Service) -> str | None:
    """When the service's document last changed as far as we can tell: its own row or its
    organisation's (nested in the document). Locations, hours and contacts keep no time of change."""
    stamps = [stamp for stamp in (service.updated_at, service.organisation.updated_at) if stamp]
    return max(stamps).isoformat() if stamps else None


def _language() -> str:
    return (get_language() or "it")[:2]


def category_term_to_hsds(category: str) -> dict[str, Any]:
    label = str(ServiceCategory(category).label)
    return {
        "id": category_term_id(category),
        "code": category,
        "name": label,
        "description": label,
        "taxonomy": CATEGORY_TAXONOMY,
        "taxonomy_id": taxonomy_id(CATEGORY_TAXONOMY),
        "language": _language(),
    }


def cpsv_term_to_hsds(term: cpsv.Term) -> dict[str, Any]:
    label = term.label()
    return {
        "id": cpsv_term_id(term),
        "code": term.code,
        "name": label,
        "description": label,
        "taxonomy": cpsv.TAXONOMY,
        "taxonomy_id": taxonomy_id(term.scheme.uri),
        "term_uri": term.uri,
        "language": "it" if _language() == "it" else "en",
    }


def taxonomies_to_hsds() -> list[dict[str, Any]]:
    """Our category taxonomy, then the CPSV-AP_IT vocabularies we map to (HSDS `taxonomy` objects)."""
    ours = {
        "id": taxonomy_id(CATEGORY_TAXONOMY),
        "name": CATEGORY_TAXONOMY,
        "description": CATEGORY_TAXONOMY,
    }
    return [ours] + [
        _drop_empty(
            {
                "id": taxonomy_id(scheme.uri),
                "name": scheme.name(),
                "description": scheme.name(),
                "uri": scheme.uri,
                "version": scheme.version,
            }
        )
        for scheme in cpsv.SCHEMES
    ]


def taxonomy_terms_to_hsds() -> list[dict[str, Any]]:
    return [category_term_to_hsds(category) for category in ServiceCategory.values] + [
        cpsv_term_to_hsds(term) for term in cpsv.all_terms()
    ]


def _attributes(service_id: str, category: str) -> list[dict[str, Any]]:
    """Our category first (what `service_from_hsds` reads back), then its CPSV-AP_IT terms."""
    attributes = [
        {
            "id": stable_id("service-category", service_id),
            "link_id": service_id,
            "link_type": "category",
            "link_entity": "service",
            "taxonomy_term_id": category_term_id(category),
            "value": category,
            "taxonomy_term": category_term_to_hsds(category),
        }
    ]
    for term in cpsv.terms_for(category):
        attributes.append(
            {
                "id": stable_id("service-cpsv", service_id, term.uri),
                "link_id": service_id,
                "link_type": term.scheme.key,
                "link_entity": "service",
                "taxonomy_term_id": cpsv_term_id(term),
                "value": term.code,
                "taxonomy_term": cpsv_term_to_hsds(term),
            }
        )
    return attributes


def _service_fields(service: Service) -> dict[str, Any]:
    """The service's own one-to-one fields, shared by the full document and the list shape."""
    return _drop_empty(
        {
            "id": str(service.pk),
            "organization_id": organisation_id(service.organisation),
            "name": service.name,
            "description": service.description,
            "url": service.url,
            "email": service.email,
            "status": service.status,
            "application_process": service.application_process,
            "fees_description": service.fees_description,
            "eligibility_description": service.eligibility_description,
            "last_modified": last_modified(service),
        }
    )


def service_summary_to_hsds(service: Service) -> dict[str, Any]:
    """The service's one-to-one fields (compiled/service_list.json), with its organization's."""
    data = _service_fields(service)
    organisation = organisation_to_hsds(service.organisation)
    organisation.pop("phones", None)
    data["organization"] = organisation
    return data


def service_at_location_to_hsds(service: Service, location: Location, *, full: bool = True) -> dict[str, Any]:
    """One service at one of its locations (compiled/service_at_location.json, or its _list shape
    with `full=False`). Expects what `directory_queryset` prefetches."""
    service_id = str(service.pk)
    sal_id = stable_id("service-at-location", service_id, location.pk)
    location_data = location_to_hsds(location)
    if not full:
        location_data = {
            key: value for key, value in location_data.items() if key not in ("addresses", "accessibility")
        }
        return {
            "id": sal_id,
            "service_id": service_id,
            "location_id": str(location.pk),
            "location": location_data,
            "service": service_summary_to_hsds(service),
        }
    schedules = sorted(service.schedules.all(), key=lambda s: (_DAY_ORDER[s.weekday], s.opens_at, s.pk))
    return {
        "id": sal_id,
        "service_id": service_id,
        "location_id": str(location.pk),
        "location": location_data,
        "schedules": [
            schedule_to_hsds(schedule, service_at_location_id=sal_id)
            for schedule in schedules
            if schedule.location_id == location.pk
        ],
        "service": service_summary_to_hsds(service),
    }


def service_to_hsds(service: Service) -> dict[str, Any]:
    """The fully nested HSDS service, in the active language (modeltranslation falls back to Italian).

    Expects `organisation`, `locations__municipality`, `schedules` and `contacts` prefetched when
    called for many services (see `directory_queryset`)."""
    service_id = str(service.pk)
    data = _service_fields(service)
    data["organization"] = organisation_to_hsds(service.organisation)
    data["languages"] = [
        {
            "id": stable_id("language", service_id, code),
            "service_id": service_id,
            "name": language_name(code),
            "code": code,
        }
        for code in service.languages
    ]
    data["phones"] = (
        [{"id": stable_id("service-phone", service_id), "service_id": service_id, "number": service.phone}]
        if service.phone
        else []
    )
    data["contacts"] = [contact_to_hsds(contact) for contact in sorted(service.contacts.all(), key=lambda c: c.pk)]
    data["attributes"] = _attributes(service_id, service.category)
    schedules = sorted(service.schedules.all(), key=lambda s: (_DAY_ORDER[s.weekday], s.opens_at, s.pk))
    service_at_locations = []
    for location in service.locations.all():
        sal_id = stable_id("service-at-location", service_id, location.pk)
        service_at_locations.append(
            {
                "id": sal_id,
                "service_id": service_id,
                "location_id": str(location.pk),
                "location": location_to_hsds(location),
                "schedules": [
                    schedule_to_hsds(schedule, service_at_location_id=sal_id)
                    for schedule in schedules
                    if schedule.location_id == location.pk
                ],
            }
        )
    data["service_at_locations"] = service_at_locations
    # Opening hours that belong to no location of the service (e.g. a phone line) stay on the service.
    located = {location.pk for location in service.locations.all()}
    data["schedules"] = [schedule_to_hsds(schedule) for schedule in schedules if schedule.location_id not in located]
    return data


def directory_queryset() -> QuerySet[Service]:
    """Published services with everything `service_to_hsds` reads, in a fixed number of queries."""
    return (
        Service.objects.published()
        .select_related("organisation")
        .prefetch_related(
            Prefetch("locations", queryset=Location.objects.select_related("municipality", "organisation")),
            "schedules",
            "contacts",
        )
    )


# --- validation against the official schemas ----------------------------------------------------


def _schema(name: str) -> Any:
    return json.loads((SCHEMA_DIR / f"{name}.json").read_text(encoding="utf-8"))


@cache
def _validator(name: str) -> jsonschema.protocols.Validator:
    # The table schemas (taxonomy, taxonomy_term) refer to each other by file name ("metadata.json"):
    # a registry resolves those names to the copies next to them.
    registry: Registry = Registry().with_resources(
        (f"{ref}.json", Resource.from_contents(_schema(ref), default_specification=DRAFT202012))
        for ref in ("metadata", "taxonomy")
    )
    # The compiled schemas carry no $schema key; the HSDS 3.0 documentation names Draft 2020-12.
    return jsonschema.Draft202012Validator(
        _schema(name), registry=registry, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


@cache
def quick_check(name: str) -> Check:
    """The quick yes/no check of the official schema `name` (True: no error)."""
    return compile_check(_validator(name))


def validation_errors(data: Mapping[str, Any], schema: str = "service") -> list[str]:
    """Every way in which `data` breaks an official schema: `service`, `organization`,
    `service_at_location`, their `_list` shapes, `taxonomy` or `taxonomy_term`. A quick check
    (aipim.core.fast_schema, about 20× faster) answers for documents that break nothing; jsonschema
    reads the others and says what is wrong."""
    if quick_check(schema)(data):
        return []
    return [
        f"{'/'.join(str(part) for part in error.absolute_path) or '(root)'}: {error.message}"
        for error in _validator(schema).iter_errors(data)
    ]


def validate(data: Mapping[str, Any], schema: str = "service") -> None:
    errors = validation_errors(data, schema)
    if errors:
        raise HSDSImportError("; ".join(errors[:5]))


# --- HSDS -> model -----------------------------------------------------------------------------

_STATUS = {
    "active": Service.Status.ACTIVE,
    "inactive": Service.Status.INACTIVE,
    "temporarily closed": Service.Status.INACTIVE,
    "defunct": Service.Status.DEFUNCT,
}
_WEEKDAYS = set(Schedule.Weekday.values)


def _parse_time(value: str) -> datetime.time:
    """'09:00', '09:00:00', '09:00Z' or '09:00+01:00': the local opening time, offset ignored
    (our hours are wall-clock times in Italy)."""
    clock = value.strip().rstrip("Zz")
    for sign in "+-":
        clock = clock.split(sign, 1)[0]
    try:
        return datetime.time.fromisoformat(clock)
    except ValueError as error:
        raise HSDSImportError(f"Not a time of day: {value!r}") from error


def _municipality_from(location: Mapping[str, Any]) -> Municipality | None:
    if location.get("external_identifier_type") == "ISTAT" and location.get("external_identifier"):
        found = Municipality.objects.filter(istat_code=location["external_identifier"]).first()
        if found:
            return found
    for address in location.get("addresses") or []:
        found = Municipality.objects.filter(name__iexact=(address.get("city") or "").strip()).first()
        if found:
            return found
    return None


def _organisation_from(data: Mapping[str, Any], fallback_municipality: Municipality | None) -> Organisation:
    """Ours by id (a document we exported), else by tax code, else by name; otherwise a new provider."""
    org = data.get("organization") or {}
    name = (org.get("name") or "").strip()
    org_id = org.get("id") or data.get("organization_id") or ""
    if org_id:
        for pk, code in Organisation.objects.values_list("pk", "code"):
            if stable_id("organisation", code) == org_id:
                return Organisation.objects.get(pk=pk)
    if org.get("tax_id"):
        found = Organisation.objects.filter(tax_id=org["tax_id"]).first()
        if found:
            return found
    found = Organisation.objects.filter(name__iexact=name).first() if name else None
    if found:
        return found
    if not name:
        raise HSDSImportError("The service names no organization.")
    if fallback_municipality is None:
        raise HSDSImportError(f"No municipality of Basilicata found for the organization {name!r}.")
    code = f"{slugify(name)[:11]}-{uuid.uuid5(NAMESPACE, org_id or name).hex[:8]}"
    return Organisation.objects.create(
        name=name[:200],
        code=code,
        kind=Organisation.Kind.SERVICE_PROVIDER,
        municipality=fallback_municipality,
        description=org.get("description") or "",
        email=org.get("email") or "",
        website=org.get("website") or "",
        tax_id=(org.get("tax_id") or "")[:20],
    )


def _category_from(data: Mapping[str, Any]) -> str | None:
    for attribute in data.get("attributes") or []:
        term = attribute.get("taxonomy_term") or {}
        code = term.get("code") or attribute.get("value")
        if code in ServiceCategory.values and (term.get("taxonomy") in (None, CATEGORY_TAXONOMY)):
            return code
    return None


def _set_if_changed(obj: Any, values: Mapping[str, Any]) -> list[str]:
    # An empty translation is NULL in the database and "" in a document: both mean "no text".
    changed = [
        name
        for name, value in values.items()
        if getattr(obj, name) != value and not (value == "" and getattr(obj, name) is None)
    ]
    for name in changed:
        setattr(obj, name, values[name])
    return changed


def _locations_from(data: Mapping[str, Any]) -> list[tuple[Mapping[str, Any], list[Mapping[str, Any]]]]:
    """(location, its schedules) for each service_at_location of the document."""
    found = []
    for sal in data.get("service_at_locations") or []:
        location = sal.get("location")
        if location and location.get("id"):
            found.append((location, list(sal.get("schedules") or [])))
    return found


@transaction.atomic
def service_from_hsds(
    data: Mapping[str, Any],
    *,
    by: Any = None,
    external_id: str | None = None,
    language: str = "it",
    organisation: Organisation | None = None,
    default_category: str = ServiceCategory.SOCIAL,
) -> Service:
    """Create or update the service described by an HSDS 3.0 service document.

    Idempotent by `external_id` (the document's id unless given, e.g. prefixed by the sync endpoint):
    a second call with the same document writes nothing. Texts go into the `language` fields. The
    document must pass the official schema first."""
    validate(data)
    external_id = external_id or str(data["id"])
    service = Service.objects.select_for_update().filter(external_id=external_id).first()
    created = service is None
    located = _locations_from(data)
    municipalities = {loc["id"]: _municipality_from(loc) for loc, _ in located}
    owner = organisation or _organisation_from(data, next((m for m in municipalities.values() if m), None))

    if service is None:
        # Keep the document's id as ours when it is free, so that ids survive a round trip.
        service_id = uuid.UUID(str(data["id"]))
        service = Service(id=service_id if not Service.objects.filter(pk=service_id).exists() else uuid.uuid4())
        service.external_id = external_id
        service.category = _category_from(data) or default_category
    phones = [phone.get("number", "") for phone in data.get("phones") or []]
    values: dict[str, Any] = {
        "organisation_id": owner.pk,
        f"name_{language}": data["name"][:200],
        f"description_{language}": data.get("description") or "",
        f"eligibility_description_{language}": data.get("eligibility_description") or "",
        f"application_process_{language}": data.get("application_process") or "",
        f"fees_description_{language}": (data.get("fees_description") or "")[:200],
        "status": _STATUS.get(data["status"], Service.Status.INACTIVE),
        "languages": [
            code for code in dict.fromkeys((lang.get("code") or "")[:8] for lang in data.get("languages") or []) if code
        ],
        "email": data.get("email") or "",
        "phone": (phones[0] if phones else "")[:40],
        "url": data.get("url") or "",
    }
    if not created:
        values["category"] = _category_from(data) or service.category
    changed = _set_if_changed(service, values)
    if created or changed:
        service.save()

    wanted_locations = []
    for location_data, _hours in located:
        wanted_locations.append(_upsert_location(location_data, owner, municipalities[location_data["id"]], language))
    if {loc.pk for loc in service.locations.all()} != {loc.pk for loc in wanted_locations}:
        service.locations.set(wanted_locations)
        changed.append("locations")

    wanted_schedules = set()
    groups: list[tuple[Mapping[str, Any] | None, list[Mapping[str, Any]]]] = [(None, data.get("schedules") or [])]
    for group_location, schedules in groups + list(located):
        for item in schedules:
            if item.get("freq", "WEEKLY") != "WEEKLY":
                continue  # monthly patterns ("2MO") have no weekly equivalent in our model
            location_id = (group_location or {}).get("id") or item.get("location_id")
            for weekday in (item.get("byday") or "").split(","):
                weekday = weekday.strip().upper()[-2:]
                if weekday in _WEEKDAYS and item.get("opens_at") and item.get("closes_at"):
                    opens, closes = _parse_time(item["opens_at"]), _parse_time(item["closes_at"])
                    if closes <= opens:
                        raise HSDSImportError(f"Schedule {item.get('id')}: closes at {closes} before it opens.")
                    location = uuid.UUID(str(location_id)) if location_id else None
                    wanted_schedules.add((weekday, opens, closes, location, (item.get("notes") or "")[:200]))
    known_locations = {loc.pk for loc in wanted_locations}
    wanted_schedules = {(d, o, c, loc if loc in known_locations else None, n) for d, o, c, loc, n in wanted_schedules}
    existing = {(s.weekday, s.opens_at, s.closes_at, s.location_id, s.notes) for s in service.schedules.all()}
    if existing != wanted_schedules:
        service.schedules.all().delete()
        Schedule.objects.bulk_create(
            Schedule(service=service, weekday=d, opens_at=o, closes_at=c, location_id=loc, notes=n)
            for d, o, c, loc, n in sorted(wanted_schedules, key=lambda row: (row[0], row[1], str(row[3])))
        )
        changed.append("schedules")

    wanted_contacts = {
        (
            (item.get("name") or "")[:120],
            (item.get("title") or "")[:120],
            item.get("email") or "",
            ((item.get("phones") or [{}])[0].get("number") or "")[:40],
        )
        for item in data.get("contacts") or []
    }
    existing_contacts = {(c.name, c.title, c.email, c.phone) for c in service.contacts.all()}
    if existing_contacts != wanted_contacts:
        service.contacts.all().delete()
        Contact.objects.bulk_create(
            Contact(service=service, name=n, title=t, email=e, phone=p) for n, t, e, p in sorted(wanted_contacts)
        )
        changed.append("contacts")

    if created or changed:
        audit.record(
            by, "service.import", service, external_id=external_id, created=created, fields=sorted(set(changed))
        )
    return service


def _upsert_location(
    data: Mapping[str, Any], owner: Organisation, municipality: Municipality | None, language: str
) -> Location:
    location_id = uuid.UUID(str(data["id"]))
    address = (data.get("addresses") or [{}])[0]
    location = Location.objects.filter(pk=location_id).first()
    if municipality is None:
        if location is not None:
            municipality = location.municipality
        else:
            raise HSDSImportError(f"Location {location_id}: no municipality of Basilicata matches its address.")
    accessibility = (data.get("accessibility") or [{}])[0].get("description") or ""
    values = {
        "name": (data.get("name") or address.get("address_1") or "")[:200],
        "address": (address.get("address_1") or "")[:200],
        "postal_code": (address.get("postal_code") or "")[:10],
        "municipality": municipality,
        "latitude": _decimal(data.get("latitude")),
        "longitude": _decimal(data.get("longitude")),
        f"accessibility_{language}": accessibility,
        f"transportation_{language}": (data.get("transportation") or "")[:200],
    }
    if location is None:
        return Location.objects.create(id=location_id, organisation=owner, **values)
    if _set_if_changed(location, values):
        location.save()
    return location


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.000001"))


def services_to_hsds(services: Iterable[Service]) -> list[dict[str, Any]]:
    return [service_to_hsds(service) for service in services]
