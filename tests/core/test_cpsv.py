"""CPSV-AP_IT terms of our service categories: every category has an entry, every URI is in one of
the two cited vocabularies, the HSDS documents carry them valid, and an import ignores them."""

from __future__ import annotations

from django.utils import translation

from aipim.core import cpsv, hsds
from aipim.core.models import AuditEvent, Service, ServiceCategory
from tests.core.test_hsds import _external_document
from tests.factories import ServiceFactory


def test_every_category_has_a_mapping_with_cited_terms_only():
    assert set(cpsv.CATEGORY_TERMS) == set(ServiceCategory.values)
    for term in cpsv.all_terms():
        assert term.uri.startswith((cpsv.LIFE_EVENTS + "/", cpsv.DATA_THEMES + "/"))
    # The notations that the cited vocabularies publish (life events 1-19; data-theme codes).
    life_events = {t.code for t in cpsv.all_terms() if t.scheme == cpsv.LIFE_EVENT}
    themes = {t.code for t in cpsv.all_terms() if t.scheme == cpsv.THEME}
    assert life_events <= {str(n) for n in range(1, 20)}
    assert themes <= {
        "AGRI",
        "ECON",
        "EDUC",
        "ENER",
        "ENVI",
        "GOVE",
        "HEAL",
        "INTR",
        "JUST",
        "REGI",
        "SOCI",
        "TECH",
        "TRAN",
    }
    assert cpsv.terms_for(ServiceCategory.INTERPRETING) == ()


def test_terms_and_taxonomies_validate_and_follow_the_language(db):
    for term in hsds.taxonomy_terms_to_hsds():
        assert hsds.validation_errors(term, "taxonomy_term") == [], term
    for taxonomy in hsds.taxonomies_to_hsds():
        assert hsds.validation_errors(taxonomy, "taxonomy") == [], taxonomy
    with translation.override("it"):
        assert hsds.cpsv_term_to_hsds(cpsv.JOB_EVENT)["name"].startswith("Ricerca di lavoro")
    with translation.override("fr"):
        assert hsds.cpsv_term_to_hsds(cpsv.JOB_EVENT)["name"].startswith("Looking for a job")


def test_every_category_serves_a_valid_service_with_its_terms(db):
    for category in ServiceCategory.values:
        data = hsds.service_to_hsds(hsds.directory_queryset().get(pk=ServiceFactory(category=category).pk))
        assert hsds.validation_errors(data) == [], category
        uris = [a["taxonomy_term"].get("term_uri") for a in data["attributes"][1:]]
        assert uris == [term.uri for term in cpsv.terms_for(category)]
        assert data["attributes"][0]["value"] == category


def test_an_import_reads_our_category_wherever_the_cpsv_terms_are(db):
    document = _external_document()
    cpsv_attributes = [a for a in hsds._attributes(document["id"], "education") if a["link_type"] != "category"]
    category = [a for a in hsds._attributes(document["id"], "education") if a["link_type"] == "category"]
    document["attributes"] = cpsv_attributes + category
    service = hsds.service_from_hsds(document)
    assert service.category == "education"
    events = AuditEvent.objects.filter(action="service.import").count()
    hsds.service_from_hsds(
        hsds.service_to_hsds(hsds.directory_queryset().get(pk=service.pk)), external_id=document["id"]
    )
    assert AuditEvent.objects.filter(action="service.import").count() == events  # nothing changed


def test_cpsv_terms_alone_do_not_pass_for_a_category(db):
    document = _external_document()
    document["attributes"] = [a for a in hsds._attributes(document["id"], "work") if a["link_type"] != "category"]
    service = hsds.service_from_hsds(document, default_category=ServiceCategory.SOCIAL)
    assert Service.objects.get(pk=service.pk).category == ServiceCategory.SOCIAL
