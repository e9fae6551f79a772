"""Writes on the shared records: people, their links to organisations, consents.

Apps call these instead of writing core tables themselves; each owns its transaction and audit."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aipim.core import audit
from aipim.core.models import Consent, Organisation, Person, PersonLink


class ConsentMissing(Exception):
    """Raised when an action needs a consent that the person has not given (or withdrew)."""

    def __init__(self, person: Person, purpose: str) -> None:
        self.person = person
        self.purpose = purpose
        label = Consent.Purpose(purpose).label
        super().__init__(_("This needs the person's consent to: %(purpose)s. Record it first.") % {"purpose": label})


def has_consent(person: Person, purpose: str) -> bool:
    return person.consents.in_force().filter(purpose=purpose).exists()


def require_consent(person: Person, purpose: str) -> None:
    if not has_consent(person, purpose):
        raise ConsentMissing(person, purpose)


@transaction.atomic
def create_person(*, organisation: Organisation, reason: str, by: Any, **fields: Any) -> Person:
    """Register a person and link them to the organisation that holds their record."""
    person = Person.objects.create(**fields)
    link_person(person=person, organisation=organisation, reason=reason, by=by)
    audit.record(by, "person.create", person, organisation=organisation)
    return person


@transaction.atomic
def update_person(*, person: Person, by: Any, **fields: Any) -> Person:
    for name, value in fields.items():
        setattr(person, name, value)
    person.save()
    audit.record(by, "person.change", person, fields=sorted(fields))
    return person


def link_person(*, person: Person, organisation: Organisation, reason: str, by: Any) -> PersonLink:
    """Give an organisation access to a person's record (idempotent for an open link)."""
    link, created = PersonLink.objects.get_or_create(
        person=person, organisation=organisation, reason=reason, ended_at=None, defaults={"created_by": by}
    )
    if created:
        audit.record(by, "person.link", person, organisation=organisation, reason=reason)
    return link


def unlink_person(*, person: Person, organisation: Organisation, reason: str, by: Any) -> int:
    """End an organisation's access to a person's record; the link is kept for the history."""
    ended = PersonLink.objects.filter(
        person=person, organisation=organisation, reason=reason, ended_at__isnull=True
    ).update(ended_at=timezone.now())
    if ended:
        audit.record(by, "person.unlink", person, organisation=organisation, reason=reason)
    return ended


@transaction.atomic
def give_consent(
    *,
    person: Person,
    purpose: str,
    organisation: Organisation,
    evidence: str,
    by: Any,
    given_by_name: str = "",
) -> Consent:
    consent = Consent.objects.create(
        person=person,
        purpose=purpose,
        organisation=organisation,
        evidence=evidence,
        given_by_name=given_by_name,
        recorded_by=by,
    )
    audit.record(by, "consent.give", consent, organisation=organisation, purpose=purpose)
    return consent


@transaction.atomic
def withdraw_consent(*, consent: Consent, by: Any) -> Consent:
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    if consent.withdrawn_at is None:
        consent.withdrawn_at = timezone.now()
        consent.withdrawn_recorded_by = by
        consent.save(update_fields=["withdrawn_at", "withdrawn_recorded_by"])
        audit.record(by, "consent.withdraw", consent, purpose=consent.purpose)
    return consent
