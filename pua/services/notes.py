"""Case notes: written encrypted (the field does it), read under two rules, every read audited.

- A restricted note is read only by the case's caseworker and the supervisors of the case's desk.
- A health or legal-status note is read only with data-protection training in force.
Others see that the note exists (kind, author, date), never its text. A page that shows notes writes
one audit record for the whole page, listing the notes whose text it showed (shown_notes_details)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from aipim.accounts.models import Role
from aipim.core import audit
from pua.models import Case, Note
from pua.services.training import has_valid_data_protection

SENSITIVE_KINDS = (Note.Kind.HEALTH, Note.Kind.LEGAL)


def may_read_restricted(case: Case, user: Any) -> bool:
    return case.caseworker_id == user.pk or case.desk_id in user.organisation_ids(Role.PUA_SUPERVISOR)


def may_read(note: Note, case: Case, user: Any, *, trained: bool) -> bool:
    if note.restricted and not may_read_restricted(case, user):
        return False
    return trained or note.kind not in SENSITIVE_KINDS


@dataclass(frozen=True)
class NoteForReader:
    note: Note
    readable: bool

    @property
    def body(self) -> str:
        # The text leaves this object only for a reader who may see it.
        return self.note.body if self.readable else ""


def read_notes(*, case: Case, user: Any, trained: bool | None = None) -> list[NoteForReader]:
    """The case's notes as `user` may see them. The caller that shows them audits the read, with
    shown_notes_details(notes) in its record."""
    if trained is None:
        trained = has_valid_data_protection(user)
    return [
        NoteForReader(note=note, readable=may_read(note, case, user, trained=trained))
        for note in case.notes.select_related("author")
    ]


def shown_notes_details(notes: list[NoteForReader]) -> dict[str, Any]:
    """For the audit record of a page: the ids of the notes whose text it showed, and whether
    restricted or health/legal-status ones were among them (ids and flags, never text)."""
    shown = [item.note for item in notes if item.readable]
    return {
        "notes": [note.pk for note in shown],
        "restricted_notes": any(note.restricted for note in shown),
        "health_or_legal_notes": any(note.kind in SENSITIVE_KINDS for note in shown),
    }


@transaction.atomic
def add_note(*, case: Case, body: str, by: Any, kind: str = Note.Kind.GENERAL, restricted: bool = False) -> Note:
    """Write a note; a health or legal-status note only by someone trained to read it."""
    if not body.strip():
        raise ValidationError(_("Write the note."))
    if kind in SENSITIVE_KINDS and not has_valid_data_protection(by):
        raise ValidationError(_("Health and legal-status notes need data-protection training in force."))
    note = Note.objects.create(case=case, kind=kind, body=body, restricted=restricted, author=by)
    audit.record(by, "note.create", note, organisation=case.desk, kind=kind, restricted=restricted)
    return note
