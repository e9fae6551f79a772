"""Reads of the schools app that several pages share, already scoped to the user: the student list
(with its filters), one student for its page, classes with their pupil counts, and the search of
people to enrol (the core's spelling-proof name search)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.postgres.search import TrigramSimilarity
from django.db.models import Case, Count, F, Func, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, Greatest
from django.http import Http404

from aipim.core.models import Consent, Person
from aipim.core.names import name_key, name_words
from schools.models import Guardian, SchoolClass, Student, newly_arrived_since, school_ids_for

if TYPE_CHECKING:
    from aipim.accounts.models import User

# The consents a school records for its pupils (given by their guardians).
SCHOOL_PURPOSES = (
    Consent.Purpose.SCHOOL_SUPPORT,
    Consent.Purpose.COMMUNICATIONS,
    Consent.Purpose.SCHOOL_TO_PUA,
)

SORTS = {
    "name": ("person__family_names_latin", "person__given_names_latin", "pk"),
    "class": ("school_class__name", "person__family_names_latin", "person__given_names_latin", "pk"),
    "risk": ("-risk_rank", "person__family_names_latin", "person__given_names_latin", "pk"),
    "arrival": ("-arrived_in_italy_on", "person__family_names_latin", "pk"),
}
DEFAULT_SORT = "name"

STATUS_CURRENT = "current"
STATUS_LEFT = "left"
STATUS_ALL = "all"


def name_matches(queryset: QuerySet[Any], text: str, *, prefix: str = "") -> QuerySet[Any]:
    """Keep the rows whose person's name matches `text` whatever the spelling (as the PUA search:
    every word of the query close to a word of the name key, served by the trigram index on
    Person.name_key). `prefix` is the path to the person ("person__")."""
    for word in dict.fromkeys(name_words(text)):
        queryset = queryset.filter(**{f"{prefix}name_key__trigram_word_similar": word})
    return queryset


def age_grade_gap_expression() -> Any:
    """Student.age_grade_gap in SQL: whole years older than the class's usual age at the start of its
    school year, 0 if not older, if the birth date or the class is unknown."""
    age = Func(
        F("school_class__school_year__starts_on"),
        F("person__birth_date"),
        template="EXTRACT(YEAR FROM age(%(expressions)s))::int",
        output_field=IntegerField(),
    )
    return Coalesce(Greatest(age - F("school_class__usual_age"), Value(0)), Value(0), output_field=IntegerField())


def risk_rank_expression() -> Any:
    return Case(
        When(risk_level="high", then=Value(3)),
        When(risk_level="medium", then=Value(2)),
        When(risk_level="low", then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )


def students_for(user: User, filters: dict[str, Any] | None = None) -> QuerySet[Student]:
    """The user's students, filtered, annotated (`gap`, the age–grade gap) and sorted for the list.

    `filters` keys (all optional): school, school_class (ids or objects), risk_level, newly_arrived
    (True: arrived within two years; False: the others), age_gap (at least this many years),
    referent, status ("current", the default; "left"; "all"), search (a name, spelling-proof),
    sort (a key of SORTS, "-" for descending), today (a date, for the newly-arrived filter)."""
    filters = filters or {}
    students: QuerySet[Any] = Student.objects.for_user(user)
    status = filters.get("status") or STATUS_CURRENT
    if status == STATUS_CURRENT:
        students = students.filter(left_on__isnull=True)
    elif status == STATUS_LEFT:
        students = students.filter(left_on__isnull=False)
    if filters.get("school"):
        students = students.filter(school=filters["school"])
    if filters.get("school_class"):
        students = students.filter(school_class=filters["school_class"])
    if filters.get("risk_level"):
        students = students.filter(risk_level=filters["risk_level"])
    if filters.get("referent"):
        students = students.filter(referent=filters["referent"])
    newly = filters.get("newly_arrived")
    if newly is not None and newly != "":
        since = newly_arrived_since(filters.get("today"))
        arrived = Q(arrived_in_italy_on__gte=since)
        students = students.filter(arrived) if newly in (True, "yes", "1") else students.exclude(arrived)
    students = students.annotate(gap=age_grade_gap_expression())
    if filters.get("age_gap"):
        students = students.filter(gap__gte=int(filters["age_gap"]))
    if filters.get("search"):
        students = name_matches(students, filters["search"], prefix="person__")
    students = students.select_related("person", "school", "school_class", "school_class__school_year", "referent")
    sort = filters.get("sort") or DEFAULT_SORT
    if sort.lstrip("-") == "risk":
        students = students.annotate(risk_rank=risk_rank_expression())
    return students.order_by(*sort_fields(sort))


def sort_fields(sort: str) -> tuple[Any, ...]:
    descending = sort.startswith("-")
    fields = SORTS.get(sort.lstrip("-"), SORTS[DEFAULT_SORT])
    if not descending:
        return fields
    return tuple(F(f.lstrip("-")).asc() if f.startswith("-") else F(f).desc() for f in fields)


def student_queryset(user: User) -> QuerySet[Student]:
    """Students in the user's scope with what their page shows, in a fixed number of queries."""
    return (
        Student.objects.for_user(user)
        .select_related(
            "person",
            "person__municipality",
            "school",
            "school_class",
            "school_class__school_year",
            "school_class__site",
            "referent",
        )
        .prefetch_related(Prefetch("guardians", queryset=Guardian.objects.select_related("person")))
    )


def get_student_for_user_or_404(user: User, pk: Any) -> Student:
    """One student in the user's scope (another school's pupil answers 404), ready for its page."""
    try:
        return student_queryset(user).get(pk=pk)
    except (Student.DoesNotExist, ValueError, TypeError) as error:
        raise Http404 from error


def consents_by_purpose(student: Student) -> list[dict[str, Any]]:
    """For each school purpose: the consent in force (or None) and the earlier ones, newest first."""
    consents = list(
        Consent.objects.filter(person=student.person, purpose__in=SCHOOL_PURPOSES)
        .select_related("organisation")
        .order_by("-given_at", "-pk")
    )
    rows = []
    for purpose in SCHOOL_PURPOSES:
        mine = [consent for consent in consents if consent.purpose == purpose]
        in_force = next((consent for consent in mine if consent.withdrawn_at is None), None)
        rows.append(
            {
                "purpose": purpose,
                "label": Consent.Purpose(purpose).label,
                "in_force": in_force,
                "history": [consent for consent in mine if consent is not in_force],
            }
        )
    return rows


def classes_for(user: User, *, school_year: Any = None) -> QuerySet[SchoolClass]:
    """The classes of the user's schools, with the count of current pupils and of those at high risk."""
    classes = SchoolClass.objects.for_user(user)
    if school_year is not None:
        classes = classes.filter(school_year=school_year)
    current = Q(students__left_on__isnull=True)
    return (
        classes.select_related("school", "school_year", "site", "referent")
        .annotate(
            pupil_count=Count("students", filter=current),
            high_risk_count=Count("students", filter=current & Q(students__risk_level="high")),
            newly_arrived_count=Count(
                "students", filter=current & Q(students__arrived_in_italy_on__gte=newly_arrived_since())
            ),
        )
        .order_by("school__name", "grade", "name")
    )


def known_people(user: User) -> QuerySet[Person]:
    """People the school knows: those linked to the user's schools (pupils and guardians), and
    pupils who left (their link ended), so that they can be enrolled again. Not the anonymised."""
    return Person.objects.filter(
        Q(pk__in=Person.objects.for_user(user).values("pk"))
        | Q(pk__in=Student.objects.for_user(user).values("person_id")),
        anonymised_at__isnull=True,
    )


def search_people_to_enrol(user: User, text: str, limit: int = 30) -> list[Person]:
    """People the user may see (pupils and guardians of the user's schools) whose name matches."""
    key = name_key(text)
    if not key:
        return []
    people = name_matches(known_people(user), text)
    return list(
        people.select_related("municipality")
        .annotate(score=TrigramSimilarity("name_key", key))
        .order_by("-score", "family_names_latin", "pk")[:limit]
    )


def count_matches_elsewhere(user: User, text: str) -> int:
    """How many people outside the user's scope match the name: a bare count, never their data."""
    if not name_key(text):
        return 0
    return name_matches(Person.objects.all(), text).exclude(pk__in=known_people(user).values("pk")).count()


def current_enrolments(people: list[Person], user: User) -> dict[int, Student]:
    """The current enrolment at one of the user's schools of each of `people` (by person id)."""
    students = Student.objects.filter(
        person__in=people, school__in=school_ids_for(user), left_on__isnull=True
    ).select_related("school_class")
    return {student.person_id: student for student in students}


# A new pupil is probably someone already registered when the name keys are this similar (trigram
# similarity, 0..1) and the birth date is the same (as at PUA intake).
DUPLICATE_SIMILARITY = 0.5


@dataclass
class Duplicates:
    visible: Sequence[Person]
    elsewhere: int

    def __bool__(self) -> bool:
        return bool(self.visible) or self.elsewhere > 0


def probable_duplicates(user: User, *, key: str, birth_date: datetime.date | None) -> Duplicates:
    """People born on the same day with nearly the same name: those the user may see, and a bare
    count of the others (registered by a PUA desk or another school)."""
    if not key or birth_date is None:
        return Duplicates([], 0)
    candidates = (
        Person.objects.filter(birth_date=birth_date, name_key__trigram_similar=key, anonymised_at__isnull=True)
        .annotate(score=TrigramSimilarity("name_key", key))
        .filter(score__gte=DUPLICATE_SIMILARITY)
    )
    visible_ids = Person.objects.for_user(user).values("pk")
    visible = list(candidates.filter(pk__in=visible_ids).select_related("municipality").order_by("-score")[:20])
    return Duplicates(visible, candidates.exclude(pk__in=visible_ids).count())
