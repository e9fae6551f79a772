"""Merging two records of the same person: every row that points at the duplicate is moved to
the record that is kept, whatever app it belongs to, so that nothing linked is lost.

The walk is generic (Person._meta.related_objects), so a new app's records follow without a
change here. History stays: pghistory's event rows keep the removed record's id as it was, and
the audit trail says which record was merged into which."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aipim.core import audit
from aipim.core.models import Person

# Fields of the removed record that fill the kept one's when the kept one has none.
FILLABLE_FIELDS = (
    "birth_date",
    "citizenship",
    "preferred_language",
    "phone",
    "email",
    "address",
    "municipality",
    "household",
    "household_role",
)


def _is_history(model: type[models.Model]) -> bool:
    # pghistory's event tables: append-only snapshots of what the rows were, left as they are.
    return any(base.__module__.startswith("pghistory") for base in model.__mro__[1:])


def _move_rows(relation: Any, *, keep: Person, remove: Person) -> int:
    """Point the relation's rows at `keep`. A row that would break a uniqueness rule (e.g. an
    open PersonLink to the same organisation) is ended first if it can be (ended_at), else left
    and reported, so that the merge fails rather than lose it."""
    model = relation.related_model
    field = relation.field.name
    rows = model._base_manager.filter(**{field: remove})
    try:
        with transaction.atomic():
            return rows.update(**{field: keep})
    except IntegrityError:
        pass
    moved = 0
    for row in rows:
        try:
            with transaction.atomic():
                model._base_manager.filter(pk=row.pk).update(**{field: keep})
                moved += 1
                continue
        except IntegrityError:
            if not hasattr(row, "ended_at"):
                raise
        # The kept record already has the same open row: end the duplicate's, keep it for history.
        model._base_manager.filter(pk=row.pk).update(**{field: keep, "ended_at": timezone.now()})
        moved += 1
    return moved


def _move_memberships(relation: Any, *, keep: Person, remove: Person) -> int:
    """Rows of a many-to-many table: a pair that `keep` already has is dropped (it says nothing more)."""
    through = relation.through
    moved = 0
    for field in through._meta.fields:
        if not (field.is_relation and field.related_model is Person):
            continue
        for row in through._base_manager.filter(**{field.name: remove}):
            try:
                with transaction.atomic():
                    through._base_manager.filter(pk=row.pk).update(**{field.name: keep})
                    moved += 1
            except IntegrityError:
                if not through._meta.auto_created:
                    raise
                through._base_manager.filter(pk=row.pk).delete()
    return moved


@transaction.atomic
def merge_people(*, keep: Person, remove: Person, by: Any) -> Person:
    """Move everything linked to `remove` onto `keep`, fill `keep`'s empty fields from `remove`,
    then delete `remove`. Returns the kept person."""
    if keep.pk == remove.pk:
        raise ValidationError(_("Choose two different records to merge."))
    keep = Person.objects.select_for_update().get(pk=keep.pk)
    remove = Person.objects.select_for_update().get(pk=remove.pk)
    moved: dict[str, int] = {}
    for relation in Person._meta.related_objects:
        if _is_history(relation.related_model):
            continue
        if relation.many_to_many:
            count = _move_memberships(relation, keep=keep, remove=remove)
        else:
            count = _move_rows(relation, keep=keep, remove=remove)
        if count:
            moved[relation.related_model._meta.label_lower] = count
    for name in FILLABLE_FIELDS:
        if not getattr(keep, name) and getattr(remove, name):
            setattr(keep, name, getattr(remove, name))
    keep.languages = list(dict.fromkeys([*keep.languages, *remove.languages]))
    keep.save()
    audit.record(by, "person.merge", keep, removed_id=remove.pk, removed_public_id=str(remove.public_id), moved=moved)
    remove.delete()
    return keep
