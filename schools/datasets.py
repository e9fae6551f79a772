"""Open datasets of the schools (Action 1): counts per municipality of the school and month, never a
pupil's data (see aipim.core.datasets and docs/open-data.md)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import Count, Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from aipim.core.datasets import Dataset, Row, last_day, month_bounds, register
from schools.models import Course, DeskSlot, Student, SupportCase, WalkIn
from schools.reports import enrolments_running_in


def students_followed(month: datetime.date) -> Iterable[Row]:
    """Pupils followed by a school help desk in the month, each once: a walk-in of theirs logged, an
    appointment with a mediator held (slot done) or a help-desk support case of theirs open at some
    moment of the month; per municipality of the school (one query)."""
    start, end = month_bounds(month)
    pupil = OuterRef("pk")
    walk_ins = WalkIn.objects.filter(student=pupil, at__gte=start, at__lt=end)
    slots = DeskSlot.objects.filter(
        booked_student=pupil, status=DeskSlot.Status.DONE, starts_at__gte=start, starts_at__lt=end
    )
    cases = SupportCase.objects.filter(students=pupil, help_desk__isnull=False, opened_at__lt=end).filter(
        Q(closed_at__isnull=True) | Q(closed_at__gte=start)
    )
    rows = (
        Student.objects.filter(Exists(walk_ins) | Exists(slots) | Exists(cases))
        .values_list("school__municipality__istat_code", "school__municipality__name")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [Row(code, name, "students_followed", n) for code, name, n in rows]


def course_enrolments(month: datetime.date) -> Iterable[Row]:
    """Enrolments in courses running in the month (not withdrawn before it began), per municipality of
    the school and kind of course (one query). A pupil in two kinds of course counts in each."""
    rows = (
        enrolments_running_in(month, last_day(month))
        .values_list("course__school__municipality__istat_code", "course__school__municipality__name", "course__kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [Row(code, name, kind, n) for code, name, kind, n in rows]


register(
    Dataset(
        slug="schools-helpdesk-students",
        title=_("Schools: pupils followed by the help desks, per municipality and month"),
        description=_(
            "Pupils followed each month by the schools' intercultural help desks (a visit, an appointment "
            "with a cultural mediator or an open support case), each counted once, per municipality of the "
            "school."
        ),
        theme="EDUC",
        action=1,
        rows=students_followed,
        measures=(("students_followed", _("Pupils followed by a help desk")),),
        keywords=("scuola", "sportello interculturale", "migranti"),
    )
)

register(
    Dataset(
        slug="schools-course-enrolments",
        title=_("Schools: course enrolments by kind of course, per municipality and month"),
        description=_(
            "Enrolments in the schools' courses (Italian as a second language, mother tongue, foreign "
            "languages, intercultural labs) running each month, per municipality of the school and kind of "
            "course."
        ),
        theme="EDUC",
        action=1,
        rows=course_enrolments,
        measures=tuple((kind.value, kind.label) for kind in Course.Kind),
        keywords=("scuola", "corsi", "italiano L2"),
    )
)
