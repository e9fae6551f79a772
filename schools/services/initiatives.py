"""Cultural initiatives on multiculturalism with families (Action 1): events a school runs, how
many families it invited and how many came, how many students took part. The totals per school
year are the figures that the Action 1 report counts (`initiative_totals`)."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from aipim.accounts.models import Role
from aipim.core import audit
from aipim.core.models import Organisation
from schools.models import CulturalInitiative, SchoolYear

LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")
INITIATIVE_FIELDS = (
    "title",
    "description",
    "date",
    "place",
    "families_invited",
    "families_participated",
    "students_participated",
    "languages",
)
COUNTED = ("families_invited", "families_participated", "students_participated")


def initiatives_for(user: Any) -> QuerySet[CulturalInitiative]:
    """Initiatives of the schools where the user holds a school role."""
    return CulturalInitiative.objects.for_user(user)


def can_manage_initiatives(user: Any, school_id: int) -> bool:
    return school_id in user.organisation_ids(Role.SCHOOL_OPERATOR)


def _require_operator(by: Any, school_id: int) -> None:
    if not can_manage_initiatives(by, school_id):
        raise PermissionDenied(_("Only the school's help-desk operators record its initiatives."))


def parse_languages(text: str | list[str]) -> list[str]:
    """Language codes from "ar, fr; uk" (or a list), lower case, each once, in the order given."""
    items = text if isinstance(text, list) else re.split(r"[\s,;]+", text or "")
    codes: list[str] = []
    for item in items:
        code = item.strip().lower().replace("_", "-")
        if not code:
            continue
        if not LANGUAGE_CODE.match(code):
            raise ValidationError(
                {"languages": _("“%(code)s” is not a language code: use codes such as ar, fr, uk.") % {"code": item}}
            )
        if code not in codes:
            codes.append(code)
    return codes


def check_initiative(*, families_invited: int, families_participated: int, students_participated: int) -> None:
    errors: dict[str, str] = {}
    for name, value in (
        ("families_invited", families_invited),
        ("families_participated", families_participated),
        ("students_participated", students_participated),
    ):
        if value is None or value < 0:
            errors[name] = _("Give a number, 0 or more.")
    if not errors and families_participated > families_invited:
        errors["families_participated"] = _("More families took part than were invited: check both numbers.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_initiative(*, school: Organisation, by: Any, **fields: Any) -> CulturalInitiative:
    _require_operator(by, school.pk)
    values = {name: fields[name] for name in INITIATIVE_FIELDS if name in fields}
    values["languages"] = parse_languages(values.get("languages", []))
    check_initiative(**{name: values.get(name, 0) for name in COUNTED})
    initiative = CulturalInitiative.objects.create(school=school, created_by=by, **values)
    audit.record(by, "culturalinitiative.create", initiative, organisation=school)
    return initiative


@transaction.atomic
def update_initiative(*, initiative: CulturalInitiative, by: Any, **fields: Any) -> CulturalInitiative:
    _require_operator(by, initiative.school_id)
    initiative = CulturalInitiative.objects.select_for_update().get(pk=initiative.pk)
    if "languages" in fields:
        fields["languages"] = parse_languages(fields["languages"])
    check_initiative(**{name: fields.get(name, getattr(initiative, name)) for name in COUNTED})
    changed = sorted(name for name in INITIATIVE_FIELDS if name in fields and getattr(initiative, name) != fields[name])
    for name in changed:
        setattr(initiative, name, fields[name])
    if changed:
        initiative.save(update_fields=changed)
        audit.record(by, "culturalinitiative.change", initiative, organisation=initiative.school, fields=changed)
    return initiative


@transaction.atomic
def delete_initiative(*, initiative: CulturalInitiative, by: Any) -> None:
    _require_operator(by, initiative.school_id)
    audit.record(by, "culturalinitiative.delete", initiative, organisation=initiative.school)
    initiative.delete()


# --- figures ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class InitiativeTotals:
    initiatives: int
    families_invited: int
    families_participated: int
    students_participated: int

    @property
    def family_participation(self) -> int | None:
        """Percent of the invited families that took part (None when none were invited)."""
        if not self.families_invited:
            return None
        return round(self.families_participated * 100 / self.families_invited)


def totals(initiatives: QuerySet[CulturalInitiative]) -> InitiativeTotals:
    """The sums over any set of initiatives, in one query (the list's filters give the report's figures)."""
    sums = initiatives.order_by().aggregate(
        initiatives=Count("pk"),
        **{name: Coalesce(Sum(name), Value(0)) for name in COUNTED},
    )
    return InitiativeTotals(**sums)


def initiative_totals(
    *, school_ids: list[int] | None = None, starts_on: datetime.date, ends_on: datetime.date
) -> InitiativeTotals:
    """The Action 1 figures for a period: initiatives held and the families and students who took part."""
    initiatives = CulturalInitiative.objects.filter(date__gte=starts_on, date__lte=ends_on)
    if school_ids is not None:
        initiatives = initiatives.filter(school_id__in=school_ids)
    return totals(initiatives)


def in_school_year(initiatives: QuerySet[CulturalInitiative], year: SchoolYear) -> QuerySet[CulturalInitiative]:
    return initiatives.filter(date__gte=year.starts_on, date__lte=year.ends_on)


def totals_by_school_year(initiatives: QuerySet[CulturalInitiative]) -> list[dict[str, Any]]:
    """One row per school year that has initiatives among `initiatives`: its name and the sums, in
    one query (each year's initiatives are those dated within it)."""
    within = initiatives.order_by().filter(date__gte=OuterRef("starts_on"), date__lte=OuterRef("ends_on"))

    def summed(expression: Any) -> Any:
        query = within.annotate(group=Value(1)).values("group").annotate(total=expression).values("total")
        return Coalesce(Subquery(query, output_field=IntegerField()), Value(0))

    years = SchoolYear.objects.annotate(
        initiatives=summed(Count("pk")), **{name: summed(Sum(name)) for name in COUNTED}
    ).order_by("-starts_on")
    return [
        {
            "year": year,
            "totals": InitiativeTotals(
                initiatives=year.initiatives,  # type: ignore[attr-defined]
                **{name: getattr(year, name) for name in COUNTED},
            ),
        }
        for year in years
        if year.initiatives  # type: ignore[attr-defined]
    ]
