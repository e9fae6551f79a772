"""GDPR access and erasure: the registry of exporters and erasers, and the core's own part."""

from __future__ import annotations

import datetime
import json

import pytest
from django.db import connection

from aipim.core import privacy
from aipim.core.models import AuditEvent, Consent, Household, Person, PersonLink
from aipim.core.services import give_consent, update_person
from tests.factories import ConsentFactory, PersonFactory

NAME = "Zainabou"
FAMILY = "Kourouma-Traoré"
PHONE = "+39 333 7654321"
EMAIL = "zainabou.k@example.net"
GUARDIAN = "Mamadou Kourouma"
ADDRESS = "Via dei Sassi 12, Matera"


@pytest.fixture
def household(db) -> Household:
    return Household.objects.create(label="Kourouma", address="Via dei Sassi 12")


@pytest.fixture
def person(desk_irsina, household, caseworker_irsina) -> Person:
    person = PersonFactory(
        given_names=NAME,
        family_names=FAMILY,
        birth_date=datetime.date(2011, 7, 23),
        phone=PHONE,
        email=EMAIL,
        address=ADDRESS,
        household=household,
        household_role=Person.HouseholdRole.CHILD,
        languages=["fr", "bm"],
        organisation=desk_irsina,
    )
    give_consent(
        person=person,
        purpose=Consent.Purpose.CASE_MANAGEMENT,
        organisation=desk_irsina,
        evidence="signed form, protocol 12/2026",
        by=caseworker_irsina,
        given_by_name=GUARDIAN,
    )
    # A change, so that the history holds more than one snapshot with the name.
    update_person(person=person, by=caseworker_irsina, preferred_language="fr")
    return person


@pytest.fixture
def extra_part():
    """Register an app's part for one test, then restore the registry as it was."""
    saved = dict(privacy._handlers)
    yield privacy.register_person_data
    privacy._handlers.clear()
    privacy._handlers.update(saved)


def columns_containing(text: str) -> list[str]:
    """Every text-like column of every table that holds `text` anywhere: the raw check after erasure."""
    found = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'jsonb', 'json', 'ARRAY')"
        )
        for table, column in cursor.fetchall():
            cursor.execute(f'SELECT 1 FROM "{table}" WHERE "{column}"::text ILIKE %s LIMIT 1', [f"%{text}%"])
            if cursor.fetchone():
                found.append(f"{table}.{column}")
    return found


# --- Export ------------------------------------------------------------------------------------


def test_export_holds_the_person_household_consents_and_links(person, administrator):
    data = privacy.export_person(person, by=administrator)

    core = data["sections"]["core"]
    assert data["person"] == str(person.public_id)
    assert core["person"]["given_names"] == NAME
    assert core["person"]["address"] == ADDRESS
    assert core["person"]["birth_date"] == "2011-07-23"
    assert core["person"]["citizenship"] == "MA"
    assert core["household"]["label"] == "Kourouma"
    assert [c["given_by_name"] for c in core["consents"]] == [GUARDIAN]
    assert [(link["organisation"], link["until"]) for link in core["links"]] == [("PUA Irsina", None)]
    assert [(a["action"], a["organisation"]) for a in core["accesses"]] == [("person.change", None)]
    json.dumps(data)  # plain JSON, no custom encoder needed


def test_export_is_audited_with_the_parts_not_the_data(person, administrator):
    privacy.export_person(person, by=administrator)

    event = AuditEvent.objects.get(action="person.export")
    assert (event.user, event.object_type, event.object_id) == (administrator, "core.person", str(person.pk))
    assert event.details == {"sections": sorted(handler.name for handler in privacy.registered_handlers())}


def test_export_runs_every_registered_part(person, administrator, extra_part):
    extra_part("pua", export=lambda p: {"cases": [{"number": "IRS-1"}]}, erase=lambda p, *, by: {})

    data = privacy.export_person(person, by=administrator)

    sections = list(data["sections"])  # the core first, then every app that registered a part
    assert sections[0] == "core" and "pua" in sections
    assert data["sections"]["pua"] == {"cases": [{"number": "IRS-1"}]}


# --- Erasure -----------------------------------------------------------------------------------


def test_erasure_anonymises_the_person_and_keeps_statistics(person, administrator):
    privacy.erase_person(person, by=administrator, reason="request")

    person.refresh_from_db()
    assert person.display_name == privacy.ANONYMISED
    assert (person.phone, person.email, person.address) == ("", "", None)
    assert person.birth_date == datetime.date(2011, 1, 1)
    assert person.languages == ["fr", "bm"]
    assert (person.sex, person.citizenship.code) == (Person.Sex.FEMALE, "MA")
    assert person.anonymised_at is not None
    assert person.household is None


def test_erasure_keeps_consents_without_names_and_ends_links(person, administrator):
    privacy.erase_person(person, by=administrator)

    consent = Consent.objects.get(person=person)
    assert consent.given_by_name == ""
    assert consent.evidence == "signed form, protocol 12/2026"
    assert not PersonLink.objects.filter(person=person, ended_at__isnull=True).exists()
    assert PersonLink.objects.filter(person=person).count() == 1


def test_erased_person_leaves_no_name_or_contact_anywhere_in_the_database(person, administrator):
    assert columns_containing(FAMILY)  # control: the raw search does find the name before erasure

    privacy.erase_person(person, by=administrator)

    for text in (NAME, FAMILY, PHONE, EMAIL, GUARDIAN, "Kourouma"):
        assert columns_containing(text) == [], text
    with connection.cursor() as cursor:
        cursor.execute("SELECT address FROM core_person WHERE id = %s", [person.pk])
        assert cursor.fetchone() == (None,)
        cursor.execute("SELECT label, address FROM core_household WHERE id = %s", [person.household_id])
        assert cursor.fetchone() == (privacy.ANONYMISED, None)


def test_erasure_keeps_one_history_snapshot_the_anonymised_one(person, administrator):
    assert Person.pgh_event_model.objects.filter(pgh_obj=person).count() >= 2

    privacy.erase_person(person, by=administrator)

    snapshots = Person.pgh_event_model.objects.filter(pgh_obj=person)
    assert [s.family_names for s in snapshots] == [privacy.ANONYMISED]


def test_erasure_is_audited_with_counts_only(person, administrator):
    counts = privacy.erase_person(person, by=administrator, reason="request: prot. 45/2026")

    event = AuditEvent.objects.get(action="person.erase")
    assert event.object_id == str(person.pk)
    assert event.details == {"reason": "request: prot. 45/2026", "counts": counts}
    assert counts["core"]["person_anonymised"] == 1
    assert counts["core"]["links_ended"] == 1
    assert counts["core"]["consents_detached"] == 1
    assert counts["core"]["household_anonymised"] == 1


def test_erasure_twice_is_harmless(person, administrator):
    privacy.erase_person(person, by=administrator)
    first = Person.objects.get(pk=person.pk).anonymised_at

    counts = privacy.erase_person(person, by=administrator)

    assert Person.objects.get(pk=person.pk).anonymised_at == first
    assert counts["core"]["links_ended"] == 0
    assert counts["core"]["consents_detached"] == 0


def test_a_shared_household_stays_but_the_person_leaves_it(person, household, administrator):
    sibling = PersonFactory(household=household, given_names="Awa", family_names="Kourouma")

    counts = privacy.erase_person(person, by=administrator)

    household.refresh_from_db()
    assert household.label == "Kourouma"
    assert list(household.members.all()) == [sibling]
    assert counts["core"]["household_anonymised"] == 0


def test_other_people_are_untouched(person, desk_irsina, administrator):
    other = PersonFactory(given_names="Omar", family_names="Haddad", organisation=desk_irsina)
    ConsentFactory(person=other, given_by_name="Leila Haddad")

    privacy.erase_person(person, by=administrator)

    other.refresh_from_db()
    assert other.display_name == "Omar Haddad"
    assert other.links.filter(ended_at__isnull=True).exists()
    assert Consent.objects.get(person=other).given_by_name == "Leila Haddad"


def test_apps_erase_first_while_the_links_still_exist(person, administrator, extra_part):
    seen = {}

    def erase_cases(p, *, by):
        seen["open_links"] = p.links.filter(ended_at__isnull=True).count()
        seen["name"] = p.family_names
        return {"cases_anonymised": 1}

    extra_part("pua", export=lambda p: {}, erase=erase_cases)

    counts = privacy.erase_person(person, by=administrator)

    assert seen == {"open_links": 1, "name": FAMILY}
    assert counts["pua"] == {"cases_anonymised": 1}


def test_a_failing_eraser_rolls_everything_back(person, administrator, extra_part):
    def broken(p, *, by):
        # Write first, then fail: the transaction must undo the write.
        privacy.erase_core(p, by=by)
        raise RuntimeError("app eraser failed")

    extra_part("broken", export=lambda p: {}, erase=broken)

    with pytest.raises(RuntimeError):
        privacy.erase_person(person, by=administrator)

    person.refresh_from_db()
    assert person.family_names == FAMILY
    assert person.links.filter(ended_at__isnull=True).exists()
    assert not AuditEvent.objects.filter(action="person.erase").exists()
