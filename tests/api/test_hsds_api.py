"""Our own HSDS 3.0 API (/api/hsds/): every answer validates against the official Open Referral
schemas, lists are HSDS pages in a fixed number of queries, bad parameters answer 400 with a reason,
only published data is served, and our own HSDS pull adapter reads it all back exactly once."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator

import pytest
from django.utils import timezone, translation

from aipim.core import cpsv, hsds
from aipim.core.models import Contact, Location, Organisation, Schedule, Service, ServiceCategory
from portal_sync.models import Adapter, ContentItem, Direction, Endpoint, ItemKind, SyncRun
from portal_sync.services.engine import run_endpoint
from tests.factories import OrganisationFactory, PersonFactory, ServiceFactory, municipality

BASE = "/api/hsds"


@pytest.fixture(autouse=True)
def _keep_the_language() -> Iterator[None]:
    """Our requests ask for English; Django's LocaleMiddleware leaves the language of the last
    request active in the thread, which would make later tests of other modules run in English."""
    language = translation.get_language()
    yield
    translation.activate(language)


@pytest.fixture
def directory(db) -> dict[str, object]:
    region = OrganisationFactory(
        name="Regione Basilicata – Ufficio Immigrazione",
        code="REGIONE",
        kind=Organisation.Kind.REGIONAL_OFFICE,
        email="immigrazione@example.org",
        website="https://regione.example.org",
    )
    desk = OrganisationFactory(
        name="PUA Irsina", code="IRS", kind=Organisation.Kind.PUA_DESK, municipality=municipality("Irsina")
    )
    provider = OrganisationFactory(name="ASP Potenza", code="ASP", kind=Organisation.Kind.SERVICE_PROVIDER)
    gone = OrganisationFactory(name="Chiusa", code="GONE", kind=Organisation.Kind.ASSOCIATION, is_active=False)
    clinic = ServiceFactory(organisation=provider, name_it="Ambulatorio", category="health", languages=["it", "ar"])
    site = Location.objects.create(
        organisation=provider,
        name="Sede",
        address="Via Roma 1",
        postal_code="85100",
        municipality=municipality("Potenza"),
    )
    clinic.locations.add(site)
    Schedule.objects.create(service=clinic, location=site, weekday="MO", opens_at="09:00", closes_at="12:00")
    Contact.objects.create(service=clinic, name="Accoglienza", title="Front desk", phone="+39 0971 1")
    jobs = ServiceFactory(organisation=desk, name_it="Orientamento al lavoro", category="work")
    desk_site = Location.objects.create(
        organisation=desk,
        name="Sportello",
        address="Piazza 2",
        postal_code="75022",
        municipality=municipality("Irsina"),
    )
    jobs.locations.add(desk_site, site)
    interpreting = ServiceFactory(organisation=desk, name_it="Mediazione", category="interpreting")
    closed = ServiceFactory(
        organisation=desk, name_it="Servizio chiuso", category="legal", status=Service.Status.INACTIVE
    )
    hidden = ServiceFactory(organisation=gone, name_it="Di un ente chiuso", category="social")
    person = PersonFactory(given_names="Zebulon", family_names="Quarantotto")
    return {
        "region": region,
        "desk": desk,
        "provider": provider,
        "clinic": clinic,
        "jobs": jobs,
        "interpreting": interpreting,
        "closed": closed,
        "hidden": hidden,
        "person": person,
        "site": site,
    }


def get(client, path: str, **params):
    return client.get(f"{BASE}{path}", params, HTTP_ACCEPT_LANGUAGE="en")


def assert_page(page: dict, schema: str) -> None:
    assert set(page) == {
        "total_items",
        "total_pages",
        "page_number",
        "size",
        "first_page",
        "last_page",
        "empty",
        "contents",
    }
    assert page["size"] == len(page["contents"])
    for item in page["contents"]:
        assert hsds.validation_errors(item, schema) == [], item


# --- "/" and the OpenAPI document ---------------------------------------------------------------


def test_root_names_version_profile_openapi_and_the_region_as_publisher(client, directory):
    data = get(client, "/").json()
    assert data["version"] == "3.0"
    assert data["profile"].startswith("https://")
    assert data["openapi_url"] == "http://testserver/api/hsds/openapi.json"
    region = directory["region"]
    assert data["publisher"] == {
        "name": region.name,
        "url": "https://regione.example.org",
        "email": "immigrazione@example.org",
        "organization_id": hsds.organisation_id(region),
    }
    # The publisher's id is an organization this API serves.
    assert get(client, f"/organizations/{data['publisher']['organization_id']}").status_code == 200


def test_the_openapi_document_is_the_official_one_with_our_server(client, directory):
    document = client.get(get(client, "/").json()["openapi_url"]).json()
    official = json.loads((hsds.SCHEMA_DIR / "openapi.json").read_text())
    assert document["paths"].keys() == official["paths"].keys()
    assert document["servers"] == [{"url": "http://testserver/api/hsds"}]
    assert "REQUIRED" not in json.dumps(document["info"])
    assert (
        "publisher"
        in document["paths"]["/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["properties"]
    )
    assert document["components"] == official["components"]


# --- services ---------------------------------------------------------------------------------------


def test_services_list_serves_only_published_services_in_both_shapes(client, directory):
    published = {str(directory[k].pk) for k in ("clinic", "jobs", "interpreting")}
    page = get(client, "/services").json()
    assert_page(page, "service_list")
    assert {item["id"] for item in page["contents"]} == published
    assert page["total_items"] == 3 and page["first_page"] and page["last_page"] and not page["empty"]
    full = get(client, "/services", full="true").json()
    assert_page(full, "service")
    assert {item["id"] for item in full["contents"]} == published
    assert all("service_at_locations" in item for item in full["contents"])


def test_a_service_by_id_is_fully_nested_and_unpublished_ones_are_not_found(client, directory):
    data = get(client, f"/services/{directory['clinic'].pk}").json()
    assert hsds.validation_errors(data, "service") == []
    assert data["service_at_locations"][0]["schedules"][0]["byday"] == "MO"
    for key in ("closed", "hidden"):
        response = get(client, f"/services/{directory[key].pk}")
        assert response.status_code == 404 and response.json()["detail"]
    assert get(client, "/services/not-a-uuid").status_code == 404


def test_services_carry_their_cpsv_ap_it_terms_as_attributes(client, directory):
    data = get(client, f"/services/{directory['jobs'].pk}").json()
    by_type = {attribute["link_type"]: attribute for attribute in data["attributes"]}
    assert by_type["category"]["taxonomy_term"]["code"] == "work"
    event = by_type["life_event"]["taxonomy_term"]
    assert event["taxonomy"] == "CPSV-AP_IT"
    assert event["term_uri"] == f"{cpsv.LIFE_EVENTS}/3"
    assert event["name"] == "Looking for a job, starting a new job, becoming unemployed"
    assert by_type["theme"]["taxonomy_term"]["term_uri"] == f"{cpsv.DATA_THEMES}/SOCI"
    # A category with no counterpart in CPSV-AP_IT gets only our own term.
    interpreting = get(client, f"/services/{directory['interpreting'].pk}").json()
    assert [a["link_type"] for a in interpreting["attributes"]] == ["category"]


def test_minimal_lists_ids_with_their_modification_time(client, directory):
    page = get(client, "/services", minimal="true", per_page=200).json()
    assert_page(page, "service_list")
    for item in page["contents"]:
        assert set(item) == {"id", "name", "status", "last_modified"}


def test_modified_after_returns_what_changed_since(client, directory):
    long_ago = timezone.now() - datetime.timedelta(days=30)
    Service.objects.filter(pk=directory["clinic"].pk).update(updated_at=long_ago)
    Organisation.objects.filter(pk=directory["provider"].pk).update(updated_at=long_ago)
    since = (timezone.now() - datetime.timedelta(days=1)).isoformat()
    ids = {item["id"] for item in get(client, "/services", modified_after=since).json()["contents"]}
    assert ids == {str(directory["jobs"].pk), str(directory["interpreting"].pk)}
    # A date alone, and an offset whose "+" arrived as a space, are read too.
    assert get(client, "/services", modified_after=since[:10]).json()["total_items"] == 2
    assert get(client, "/services", modified_after=since.replace("+", " ")).json()["total_items"] == 2
    # A change to the organisation changes the documents of its services (it is nested in them).
    Organisation.objects.filter(pk=directory["provider"].pk).update(updated_at=timezone.now())
    ids = {item["id"] for item in get(client, "/services", modified_after=since).json()["contents"]}
    assert str(directory["clinic"].pk) in ids
    [minimal] = [
        i for i in get(client, "/services", minimal="true").json()["contents"] if i["id"] == str(directory["clinic"].pk)
    ]
    assert minimal["last_modified"] > since


def test_service_filters(client, directory):
    def ids(**params):
        return {item["id"] for item in get(client, "/services", **params).json()["contents"]}

    clinic, jobs = str(directory["clinic"].pk), str(directory["jobs"].pk)
    assert ids(search="ambulat") == {clinic}
    assert ids(search="PUA Irsina") == {jobs, str(directory["interpreting"].pk)}
    assert ids(organization_id=hsds.organisation_id(directory["provider"])) == {clinic}
    assert ids(taxonomy_term_id=hsds.category_term_id("health")) == {clinic}
    assert ids(taxonomy_term_id=hsds.cpsv_term_id(cpsv.JOB_EVENT)) == {jobs}
    assert ids(taxonomy_id=hsds.taxonomy_id(cpsv.LIFE_EVENTS)) == {jobs}
    assert ids(taxonomy_id=hsds.taxonomy_id(hsds.CATEGORY_TAXONOMY)) == {
        clinic,
        jobs,
        str(directory["interpreting"].pk),
    }
    assert ids(taxonomy_term_id="00000000-0000-0000-0000-000000000000") == set()


def test_pages_move_and_a_page_past_the_end_is_empty(client, directory):
    first = get(client, "/services", per_page=2).json()
    second = get(client, "/services", per_page=2, page=2).json()
    assert first["total_pages"] == 2 and first["first_page"] and not first["last_page"]
    assert second["last_page"] and second["size"] == 1
    assert {i["id"] for i in first["contents"]}.isdisjoint({i["id"] for i in second["contents"]})
    past = get(client, "/services", per_page=2, page=9).json()
    assert past["contents"] == [] and past["page_number"] == 9


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/services", {"per_page": "x"}, "per_page"),
        ("/services", {"per_page": "0"}, "per_page"),
        ("/services", {"per_page": "201"}, "per_page"),
        ("/services", {"page": "-1"}, "page"),
        ("/services", {"modified_after": "yesterday"}, "modified_after"),
        ("/services", {"modified_after": "2024-13-45"}, "modified_after"),
        ("/services", {"minimal": "maybe"}, "minimal"),
        ("/services", {"minimal": "true", "full": "true"}, "minimal"),
        ("/services", {"organization_id": "ASP"}, "organization_id"),
        ("/services", {"taxonomy_term_id": "health"}, "taxonomy_term_id"),
        ("/services", {"search": "x" * 201}, "search"),
        ("/services", {"search": "a\x00b"}, "search"),
        ("/services", {"modified_after": "0001-01-01T00:00:00+05:00"}, "modified_after"),
        ("/services", {"per_page": "9" * 5000}, "per_page"),
        ("/services", {"format": "ndjson"}, "format"),
        ("/services", {"category": "health"}, "unknown_parameters"),
        ("/organizations", {"full": "yes please"}, "full"),
        ("/service_at_locations", {"proximity": "1000"}, "proximity"),
        ("/taxonomy_terms", {"taxonomy_id": "1"}, "taxonomy_id"),
        ("/", {"page": "1"}, "unknown_parameters"),
    ],
)
def test_bad_parameters_answer_400_with_the_reason(client, directory, path, params, field):
    response = get(client, path, **params)
    assert response.status_code == 400
    assert response.json()[field]


@pytest.mark.parametrize(
    "path",
    [
        "/organizations/x",
        "/organizations/00000000-0000-0000-0000-000000000000",
        "/service_at_locations/00000000-0000-0000-0000-000000000000",
        "/taxonomies/x",
        "/taxonomy_terms/00000000-0000-0000-0000-000000000000",
    ],
)
def test_unknown_ids_answer_404_with_a_reason(client, directory, path):
    response = get(client, path)
    assert response.status_code == 404 and response.json()["detail"]


# --- organizations, service_at_locations, taxonomies -------------------------------------------------


def test_organizations_list_and_detail(client, directory):
    page = get(client, "/organizations").json()
    assert_page(page, "organization_list")
    names = {item["name"] for item in page["contents"]}
    assert {"PUA Irsina", "ASP Potenza", directory["region"].name} <= names and "Chiusa" not in names
    assert_page(get(client, "/organizations", full="true").json(), "organization")
    assert_page(get(client, "/organizations", full_service="true").json(), "organization")
    desk = get(client, f"/organizations/{hsds.organisation_id(directory['desk'])}").json()
    assert hsds.validation_errors(desk, "organization") == []
    assert {s["id"] for s in desk["services"]} == {str(directory["jobs"].pk), str(directory["interpreting"].pk)}
    full = get(client, f"/organizations/{hsds.organisation_id(directory['desk'])}", full_service="true").json()
    assert hsds.validation_errors(full, "organization") == []
    assert all("attributes" in s for s in full["services"])
    assert (
        get(client, f"/organizations/{hsds.organisation_id(Organisation.objects.get(code='GONE'))}").status_code == 404
    )


def test_service_at_locations_list_and_detail(client, directory):
    page = get(client, "/service_at_locations").json()
    assert_page(page, "service_at_location_list")
    pairs = {(item["service_id"], item["location_id"]) for item in page["contents"]}
    site = str(directory["site"].pk)
    assert (str(directory["clinic"].pk), site) in pairs and (str(directory["jobs"].pk), site) in pairs
    assert len(pairs) == 3
    assert_page(get(client, "/service_at_locations", full="true").json(), "service_at_location")
    assert get(client, "/service_at_locations", postcode="75022").json()["total_items"] == 1
    one = page["contents"][0]
    detail = get(client, f"/service_at_locations/{one['id']}").json()
    assert hsds.validation_errors(detail, "service_at_location") == []
    assert detail["id"] == one["id"] and detail["service"]["id"] == one["service_id"]


def test_taxonomies_and_terms_include_our_categories_and_cpsv_ap_it(client, directory):
    taxonomies = get(client, "/taxonomies").json()
    assert_page(taxonomies, "taxonomy")
    uris = {item.get("uri") for item in taxonomies["contents"]}
    assert {cpsv.LIFE_EVENTS, cpsv.DATA_THEMES} <= uris
    terms = get(client, "/taxonomy_terms", per_page=200).json()
    assert_page(terms, "taxonomy_term")
    codes = {item["code"] for item in terms["contents"]}
    assert set(ServiceCategory.values) <= codes and {"3", "SOCI", "EDUC"} <= codes
    life = get(client, "/taxonomy_terms", taxonomy_id=hsds.taxonomy_id(cpsv.LIFE_EVENTS)).json()
    assert {item["term_uri"] for item in life["contents"]} == {
        t.uri for t in cpsv.all_terms() if t.scheme == cpsv.LIFE_EVENT
    }
    term = life["contents"][0]
    assert get(client, f"/taxonomy_terms/{term['id']}").json() == term
    taxonomy = get(client, f"/taxonomies/{term['taxonomy_id']}").json()
    assert hsds.validation_errors(taxonomy, "taxonomy") == [] and taxonomy["uri"] == cpsv.LIFE_EVENTS


# --- privacy and speed --------------------------------------------------------------------------------


def test_no_person_data_and_nothing_unpublished_in_any_answer(client, directory):
    answers = [
        get(client, path, **params).content.decode()
        for path, params in [
            ("/", {}),
            ("/services", {"full": "true"}),
            ("/services", {"minimal": "true"}),
            ("/organizations", {"full_service": "true"}),
            ("/service_at_locations", {"full": "true"}),
            ("/taxonomy_terms", {}),
        ]
    ]
    text = "\n".join(answers)
    assert "Zebulon" not in text and "Quarantotto" not in text and str(directory["person"].public_id) not in text
    assert str(directory["closed"].pk) not in text and str(directory["hidden"].pk) not in text


@pytest.mark.parametrize(
    ("path", "params", "queries"),
    [
        ("/services", {}, 2),
        ("/services", {"full": "true"}, 5),
        ("/services", {"minimal": "true"}, 2),
        ("/services", {"full": "true", "organization_id": "00000000-0000-0000-0000-000000000000"}, 6),
        ("/organizations", {}, 2),
        ("/organizations", {"full_service": "true"}, 6),
        ("/service_at_locations", {"full": "true"}, 3),
        ("/taxonomy_terms", {}, 0),
        ("/", {}, 1),
    ],
)
def test_lists_run_a_fixed_number_of_queries(client, directory, django_assert_max_num_queries, path, params, queries):
    get(client, path, **params)  # warm up: sessions, content types
    for number in range(3):  # more data must not mean more queries
        ServiceFactory(organisation=directory["provider"], name_it=f"Extra {number}", category="housing").locations.add(
            directory["site"]
        )
    with django_assert_max_num_queries(queries):
        response = get(client, path, **params)
    assert response.status_code == 200


# --- round trip through our own pull adapter ------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_our_hsds_pull_adapter_reads_every_service_once_and_a_second_pull_writes_nothing(live_server, directory):
    for number in range(4):
        ServiceFactory(organisation=directory["provider"], name_it=f"Servizio {number}", category="social")
    published = {str(pk) for pk in Service.objects.published().values_list("pk", flat=True)}
    endpoint = Endpoint.objects.create(
        name="own-hsds",
        title="Our own HSDS API",
        adapter=Adapter.HSDS,
        direction=Direction.PULL,
        url=f"{live_server.url}/api/hsds/",
        item_kind=ItemKind.SERVICE,
        timeout_seconds=10,
        options={"per_page": 3},  # several pages
    )
    first = run_endpoint(endpoint)
    assert first.status == SyncRun.Status.SUCCEEDED, first
    assert (first.created, first.failed, first.withdrawn) == (len(published), 0, 0)
    assert set(ContentItem.objects.filter(endpoint=endpoint).values_list("external_id", flat=True)) == published
    endpoint.refresh_from_db()
    second = run_endpoint(endpoint)
    assert second.status == SyncRun.Status.SUCCEEDED
    assert (second.created, second.updated, second.withdrawn, second.failed) == (0, 0, 0, 0)
    assert ContentItem.objects.filter(endpoint=endpoint).count() == len(published)
