"""Reads of the PUA app that several pages share (the case list, its CSV export, the reports),
already scoped to the user, and the spelling-proof name search used at intake."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.search import TrigramSimilarity
from django.db.models import Exists, F, OuterRef, QuerySet, Subquery

from aipim.core.models import Person
from aipim.core.names import name_key, name_words
from pua.models import Assessment, Case, Need

if TYPE_CHECKING:
    from aipim.accounts.models import User

# A candidate is a probable duplicate of a new person when their name keys are this similar
# (trigram similarity, 0..1) and they were born on the same day.
DUPLICATE_SIMILARITY = 0.5


def name_matches(queryset: QuerySet[Any], text: str, *, prefix: str = "") -> QuerySet[Any]:
    """Keep the rows whose person's name matches `text` whatever the spelling: every word of the
    query must be close to a word of the name key (pg_trgm word similarity, served by the
    trigram index on Person.name_key). `prefix` is the path to the person ("person__")."""
    for word in dict.fromkeys(name_words(text)):
        queryset = queryset.filter(**{f"{prefix}name_key__trigram_word_similar": word})
    return queryset


def search_people(user: User, text: str, limit: int = 50) -> list[Person]:
    """People the user may see whose name matches, best match first."""
    key = name_key(text)
    if not key:
        return []
    people = name_matches(Person.objects.for_user(user), text)
    return list(
        people.select_related("municipality")
        .annotate(score=TrigramSimilarity("name_key", key))
        .order_by("-score", "family_names_latin", "pk")[:limit]
    )


def count_matches_elsewhere(user: User, text: str) -> int:
    """How many people in the whole region, outside the user's scope, match the name: shown as a
    count only ("possible match already registered at another desk"), never their data."""
    if not name_key(text):
        return 0
    return name_matches(Person.objects.all(), text).exclude(pk__in=Person.objects.for_user(user).values("pk")).count()


@dataclass
class Duplicates:
    visible: Sequence[Person]
    elsewhere: int

    def __bool__(self) -> bool:
        return bool(self.visible) or self.elsewhere > 0


def probable_duplicates(user: User, *, key: str, birth_date: datetime.date | None) -> Duplicates:
    """People born on the same day whose name key is nearly the same: those the user may see,
    and a bare count of the others."""
    if not key or birth_date is None:
        return Duplicates([], 0)
    candidates = (
        Person.objects.filter(birth_date=birth_date, name_key__trigram_similar=key)
        .annotate(score=TrigramSimilarity("name_key", key))
        .filter(score__gte=DUPLICATE_SIMILARITY)
    )
    visible_ids = Person.objects.for_user(user).values("pk")
    visible = list(candidates.filter(pk__in=visible_ids).select_related("municipality").order_by("-score")[:20])
    return Duplicates(visible, candidates.exclude(pk__in=visible_ids).count())


# --- The case list ----------------------------------------------------------------------------

SORTS = {
    "number": ("number",),
    "opened": ("opened_at", "pk"),
    "status": ("status", "-opened_at", "-pk"),
    "name": ("person__family_names_latin", "person__given_names_latin", "pk"),
}
DEFAULT_SORT = "-opened"
UNASSIGNED = "none"  # the caseworker filter's value for cases nobody is assigned to


def latest_assessment() -> Subquery:
    """The id of the case's latest assessment: its needs are the case's current needs."""
    return Subquery(Assessment.objects.filter(case=OuterRef("pk")).order_by("-assessed_at", "-pk").values("pk")[:1])


def case_list(user: User, filters: dict[str, Any] | None = None) -> QuerySet[Any]:
    """The user's cases, filtered, annotated and sorted for the list, the CSV and the reports.

    `filters` keys (all optional): status, caseworker (a user or id, or "none" for cases nobody
    is assigned to), domain (a need domain of
    the latest assessment, with some need), municipality (the person's), desk, opened_from,
    opened_to (dates), search (a name), sort (a key of SORTS, "-" for descending)."""
    filters = filters or {}
    cases: QuerySet[Any] = Case.objects.for_user(user).annotate(latest_assessment_id=latest_assessment())
    if filters.get("status"):
        cases = cases.filter(status=filters["status"])
    if filters.get("caseworker") == UNASSIGNED:
        cases = cases.filter(caseworker__isnull=True)
    elif filters.get("caseworker"):
        cases = cases.filter(caseworker=filters["caseworker"])
    if filters.get("desk"):
        cases = cases.filter(desk=filters["desk"])
    if filters.get("municipality"):
        cases = cases.filter(person__municipality=filters["municipality"])
    if filters.get("opened_from"):
        cases = cases.filter(opened_at__date__gte=filters["opened_from"])
    if filters.get("opened_to"):
        cases = cases.filter(opened_at__date__lte=filters["opened_to"])
    if filters.get("domain"):
        cases = cases.filter(
            Exists(
                Need.objects.filter(
                    assessment=OuterRef("latest_assessment_id"),
                    domain=filters["domain"],
                    severity__gt=Need.Severity.NONE,
                )
            )
        )
    if filters.get("search"):
        cases = name_matches(cases, filters["search"], prefix="person__")
    needs = Need.objects.filter(assessment=OuterRef("latest_assessment_id"), severity__gt=Need.Severity.NONE).order_by(
        "-severity", "domain"
    )
    cases = cases.select_related("person", "person__municipality", "desk", "caseworker").annotate(
        need_domains=ArraySubquery(needs.values("domain"))
    )
    return cases.order_by(*sort_fields(filters.get("sort") or DEFAULT_SORT))


def sort_fields(sort: str) -> tuple[Any, ...]:
    descending = sort.startswith("-")
    fields = SORTS.get(sort.lstrip("-"), SORTS[DEFAULT_SORT.lstrip("-")])
    if not descending:
        return fields
    # Descending flips the sort key and its tie-breakers alike, so one index can serve the page.
    return tuple(F(f.lstrip("-")).asc() if f.startswith("-") else F(f).desc() for f in fields)
