"""GDPR access and erasure requests: every app declares how to export and how to erase a Person's data.

An app that keeps personal data about a Person registers one exporter and one eraser, at import of a
module that its AppConfig.ready() loads (for example `pua/privacy.py`)::

    from aipim.core.privacy import register_person_data

    def export_cases(person):           # -> JSON-serialisable dict (dates as ISO strings)
        return {"cases": [...]}

    def erase_cases(person, *, by):     # -> counts, e.g. {"notes_deleted": 3, "cases_anonymised": 1}
        ...

    register_person_data("pua", export=export_cases, erase=erase_cases)

`export_person` runs every exporter in registration order (the core first); `erase_person` runs every
eraser in one transaction, in reverse registration order, so the apps clear their records while the
person's links still exist and the core anonymises the Person last. An eraser must be idempotent:
erasure runs again when a request is repeated and when retention reaches an already-erased person.
Erasers return counts only; the audit record holds those counts, never the data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from aipim.core import audit
from aipim.core.models import AuditEvent, Consent, Household, Person

ANONYMISED = "Anonymised"
EXPORT_FORMAT = "aipim.person-export/1"

Exporter = Callable[[Person], dict[str, Any]]
Eraser = Callable[..., dict[str, int]]


@dataclass(frozen=True)
class PersonDataHandler:
    name: str
    export: Exporter
    erase: Eraser


_handlers: dict[str, PersonDataHandler] = {}


def register_person_data(name: str, *, export: Exporter, erase: Eraser) -> None:
    """Declare how the part `name` exports and erases a Person's data.

    Registering the same name again replaces the handler (modules may be imported twice in tests)."""
    _handlers[name] = PersonDataHandler(name=name, export=export, erase=erase)


def registered_handlers() -> list[PersonDataHandler]:
    return list(_handlers.values())


def export_person(person: Person, *, by: Any) -> dict[str, Any]:
    """Everything the portal holds about `person`, one section per registered part (GDPR art. 15 and 20)."""
    sections = {handler.name: handler.export(person) for handler in registered_handlers()}
    audit.record(by, "person.export", person, sections=sorted(sections))
    return {
        "format": EXPORT_FORMAT,
        "exported_at": timezone.now().isoformat(),
        "person": str(person.public_id),
        "sections": sections,
    }


@transaction.atomic
def erase_person(person: Person, *, by: Any, reason: str = "") -> dict[str, dict[str, int]]:
    """Erase or anonymise everything about `person` (GDPR art. 17), all or nothing.

    Returns the counts per part; the audit record holds the same counts and the reason code."""
    # Lock the row: a retention run and an administrator's request must not interleave.
    person = Person.objects.select_for_update().get(pk=person.pk)
    counts: dict[str, dict[str, int]] = {}
    for handler in reversed(registered_handlers()):
        counts[handler.name] = handler.erase(person, by=by)
    audit.record(by, "person.erase", person, reason=reason, counts=counts)
    return counts


# --- The core's own part: the Person, household, consents, links -------------------------------


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def export_core(person: Person) -> dict[str, Any]:
    person = Person.objects.select_related("municipality", "household__municipality").get(pk=person.pk)
    household = person.household
    return {
        "person": {
            "public_id": str(person.public_id),
            "given_names": person.given_names,
            "family_names": person.family_names,
            "given_names_latin": person.given_names_latin,
            "family_names_latin": person.family_names_latin,
            "birth_date": _iso(person.birth_date),
            "sex": person.sex,
            "citizenship": str(person.citizenship),  # the ISO code
            "languages": list(person.languages),
            "preferred_language": person.preferred_language,
            "phone": person.phone,
            "email": person.email,
            "address": person.address or "",
            "municipality": person.municipality.name if person.municipality else None,
            "household_role": person.household_role,
            "created_at": _iso(person.created_at),
            "updated_at": _iso(person.updated_at),
            "anonymised_at": _iso(person.anonymised_at),
        },
        "household": None
        if household is None
        else {
            "label": household.label,
            "address": household.address or "",
            "municipality": household.municipality.name if household.municipality else None,
        },
        "consents": [
            {
                "purpose": consent.purpose,
                "given_at": _iso(consent.given_at),
                "given_by_name": consent.given_by_name,
                "evidence": consent.evidence,
                "collected_by": consent.organisation.name,
                "withdrawn_at": _iso(consent.withdrawn_at),
            }
            for consent in person.consents.select_related("organisation").order_by("given_at", "pk")
        ],
        "links": [
            {
                "organisation": link.organisation.name,
                "reason": link.reason,
                "since": _iso(link.created_at),
                "until": _iso(link.ended_at),
            }
            for link in person.links.select_related("organisation").order_by("created_at", "pk")
        ],
        # Who read or changed the record (art. 15(1)(c): recipients): organisations, not staff names.
        "accesses": [
            {
                "at": _iso(event.at),
                "action": event.action,
                "organisation": event.organisation.name if event.organisation else None,
            }
            for event in AuditEvent.objects.filter(object_type="core.person", object_id=str(person.pk))
            .select_related("organisation")
            .order_by("at", "pk")
        ],
    }


def erase_core(person: Person, *, by: Any) -> dict[str, int]:
    """Anonymise the Person, keeping what statistics need (sex, citizenship, languages, birth year,
    municipality); keep consents as evidence without names; end every link; purge the name history."""
    now = timezone.now()
    counts: dict[str, int] = {}

    household = person.household
    counts["links_ended"] = person.links.filter(ended_at__isnull=True).update(ended_at=now)

    consents = Consent.objects.filter(person=person)
    counts["consents_detached"] = consents.exclude(given_by_name="").update(given_by_name="")
    # The history triggers kept earlier versions of the consents, with the guardian's name.
    consent_history = (
        apps.get_model("core", "ConsentEvent").objects.filter(pgh_obj__in=consents).exclude(given_by_name="")
    )
    counts["consent_history_cleared"] = consent_history.update(given_by_name="")

    # Drop the history snapshots first, so that the only one left is the anonymised version saved below.
    counts["history_purged"], _ = apps.get_model("core", "PersonEvent").objects.filter(pgh_obj=person).delete()

    person.given_names = ""
    person.family_names = ANONYMISED
    person.given_names_latin = ""
    person.family_names_latin = ANONYMISED
    person.phone = ""
    person.email = ""
    person.address = None  # type: ignore[assignment]
    if person.birth_date is not None:
        person.birth_date = person.birth_date.replace(month=1, day=1)
    person.household = None
    person.household_role = ""
    if person.anonymised_at is None:
        person.anonymised_at = now
    person.save()
    counts["person_anonymised"] = 1

    # A household that nobody else belongs to keeps the family name as its label: clear it too.
    counts["household_anonymised"] = 0
    if household is not None and not household.members.exists():
        counts["household_anonymised"] = Household.objects.filter(pk=household.pk).update(
            label=ANONYMISED, address=None
        )
    return counts


register_person_data("core", export=export_core, erase=erase_core)
