"""Early warning: recompute the students' risk signals (set-based), act when a student enters high
risk (notify the referent; open the help desk's case or ask the referent to confirm), the schools'
thresholds, and the reads behind the risk pages.

The indicators themselves are pure Python (`schools.risk.indicators`); this module gathers their
figures for many students in one SQL query and writes only what changed."""

from __future__ import annotations

import datetime
import json
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import BooleanField, Case, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from aipim.accounts.models import SCHOOL_ROLES, Role
from aipim.core import audit
from schools.models import (
    AttendanceRecord,
    BehaviourNote,
    ResultRecord,
    RiskLevel,
    RiskSettings,
    RiskSignal,
    SchoolClass,
    SchoolYear,
    Student,
    SupportCase,
)
from schools.risk.indicators import (
    ATTENDANCE_30_DAYS,
    ATTENDANCE_90_DAYS,
    BEHAVIOUR_DAYS,
    LEVEL_RANK,
    SCHOOL_DAY_HOURS,
    Figures,
    Thresholds,
    age_grade_gap,
    assess,
    school_days,
)

logger = logging.getLogger(__name__)

# One recomputation at a time (an import's and the nightly one may overlap): a transaction-level
# advisory lock, so the second waits and then sees the first one's signals as the latest.
RECOMPUTE_LOCK = 0x5C4_0_0153
NOTIFIED = "risksignal.notify"


@dataclass
class RecomputeResult:
    students: int = 0  # students computed
    signals_written: int = 0
    levels_changed: int = 0
    entered_high: list[int] = field(default_factory=list)  # student ids
    left_high: list[int] = field(default_factory=list)
    seconds: float = 0.0


# The figures of every student in one statement: attendance over two windows with FILTER clauses,
# the latest grade per core subject with DISTINCT ON, behaviour notes, the latest signal's level and
# triggered codes. Table names come from the models, values are parameters.
FIGURES_SQL = """
WITH s AS (
    SELECT st.id, st.school_id, st.arrived_in_italy_on, st.risk_level,
           p.birth_date, c.usual_age, y.starts_on
    FROM {student} st
    JOIN {person} p ON p.id = st.person_id
    LEFT JOIN {klass} c ON c.id = st.school_class_id
    LEFT JOIN {year} y ON y.id = c.school_year_id
    WHERE st.left_on IS NULL {where}
),
register AS (
    -- The last day each school's register has an entry for (data imported up to then).
    SELECT st.school_id, MAX(a.date) AS last_day
    FROM {attendance} a
    JOIN {student} st ON st.id = a.student_id
    WHERE st.school_id IN (SELECT DISTINCT school_id FROM s) AND a.date BETWEEN %(since_90)s AND %(today)s
    GROUP BY st.school_id
),
att AS (
    SELECT a.student_id,
           COUNT(*) FILTER (WHERE a.date >= %(since_30)s AND EXTRACT(ISODOW FROM a.date) > 5) AS weekend_30,
           COALESCE(SUM(m.missed) FILTER (WHERE a.date >= %(since_30)s), 0) AS missed_30,
           COUNT(*) FILTER (WHERE EXTRACT(ISODOW FROM a.date) > 5) AS weekend_90,
           COALESCE(SUM(m.missed), 0) AS missed_90
    FROM {attendance} a
    JOIN s ON s.id = a.student_id
    CROSS JOIN LATERAL (
        SELECT CASE WHEN a.status = 'absent' THEN 1
                    ELSE LEAST(GREATEST(a.absent_hours, 0) / %(day_hours)s, 1) END AS missed
    ) m
    WHERE a.date BETWEEN %(since_90)s AND %(today)s
    GROUP BY a.student_id
),
grades AS (
    SELECT latest.student_id, array_agg(latest.subject) AS subjects, array_agg(latest.grade) AS grades
    FROM (
        SELECT DISTINCT ON (r.student_id, r.subject) r.student_id, r.subject, r.grade
        FROM {result} r
        JOIN s ON s.id = r.student_id
        WHERE r.is_core_subject AND r.date <= %(today)s
        ORDER BY r.student_id, r.subject, r.date DESC
    ) latest
    GROUP BY latest.student_id
),
notes AS (
    SELECT b.student_id,
           COUNT(*) FILTER (WHERE b.severity <> 'serious') AS minor,
           COUNT(*) FILTER (WHERE b.severity = 'serious') AS serious
    FROM {behaviour} b
    JOIN s ON s.id = b.student_id
    WHERE b.date BETWEEN %(since_behaviour)s AND %(today)s
    GROUP BY b.student_id
),
last AS (
    SELECT l.student_id, l.level,
           ARRAY(SELECT e->>'code' FROM jsonb_array_elements(l.indicators) e
                 WHERE (e->>'triggered')::boolean) AS codes
    FROM (
        SELECT DISTINCT ON (g.student_id) g.student_id, g.level, g.indicators
        FROM {signal} g
        JOIN s ON s.id = g.student_id
        ORDER BY g.student_id, g.computed_at DESC, g.id DESC
    ) l
)
SELECT s.id, s.school_id, s.arrived_in_italy_on, s.risk_level, s.birth_date, s.usual_age, s.starts_on,
       att.weekend_30, att.missed_30, att.weekend_90, att.missed_90,
       grades.subjects, grades.grades, notes.minor, notes.serious,
       last.level, last.codes, register.last_day
FROM s
LEFT JOIN register ON register.school_id = s.school_id
LEFT JOIN att ON att.student_id = s.id
LEFT JOIN grades ON grades.student_id = s.id
LEFT JOIN notes ON notes.student_id = s.id
LEFT JOIN last ON last.student_id = s.id
"""

# New signals in one statement (bulk_create spends most of its time preparing 20,000 JSON values).
INSERT_SIGNALS_SQL = """
INSERT INTO {signal} (student_id, computed_at, level, score, indicators, previous_level)
SELECT v.student_id, %s, v.level, v.score, v.indicators::jsonb, v.previous_level
FROM unnest(%s::bigint[], %s::varchar[], %s::int[], %s::text[], %s::varchar[])
     AS v(student_id, level, score, indicators, previous_level)
RETURNING id, student_id
"""

UPDATE_LEVELS_SQL = """
UPDATE {student} AS st SET risk_level = v.level, risk_updated_at = %s
FROM unnest(%s::bigint[], %s::varchar[]) AS v(id, level)
WHERE st.id = v.id
"""


def _tables() -> dict[str, str]:
    from aipim.core.models import Person

    names = {
        "student": Student,
        "person": Person,
        "klass": SchoolClass,
        "year": SchoolYear,
        "attendance": AttendanceRecord,
        "result": ResultRecord,
        "behaviour": BehaviourNote,
        "signal": RiskSignal,
    }
    return {key: connection.ops.quote_name(model._meta.db_table) for key, model in names.items()}


def thresholds_by_school(school_ids: Iterable[int] | None = None) -> dict[int, Thresholds]:
    """Saved thresholds per school; a school without a row uses the defaults (see `thresholds_for`)."""
    rows = RiskSettings.objects.all()
    if school_ids is not None:
        rows = rows.filter(school_id__in=list(school_ids))
    return {row.school_id: Thresholds.from_settings(row) for row in rows}


def thresholds_for(school_id: int, saved: dict[int, Thresholds]) -> Thresholds:
    if school_id not in saved:
        saved[school_id] = Thresholds.from_settings(RiskSettings(school_id=school_id))
    return saved[school_id]


def recompute_students(
    *,
    student_ids: Iterable[int] | None = None,
    school_id: int | None = None,
    today: datetime.date | None = None,
) -> RecomputeResult:
    """Recompute the risk of current students (those given, those of a school, or all of them).

    Writes a RiskSignal only for a student whose level or triggered indicators changed (or who has
    none yet), keeps Student.risk_level in step, and for each student who *enters* high risk queues
    the follow-up (`act_on_high_risk`) after commit. Running it twice writes nothing the second time."""
    started = time.perf_counter()
    today = today or timezone.localdate()
    result = RecomputeResult()
    where = ""
    params: dict[str, Any] = {}
    if student_ids is not None:
        ids = sorted({int(pk) for pk in student_ids})
        if not ids:
            return result
        where += " AND st.id = ANY(%(ids)s)"
        params["ids"] = ids
    if school_id is not None:
        where += " AND st.school_id = %(school)s"
        params["school"] = school_id
    params.update(
        today=today,
        since_30=today - datetime.timedelta(days=ATTENDANCE_30_DAYS - 1),
        since_90=today - datetime.timedelta(days=ATTENDANCE_90_DAYS - 1),
        since_behaviour=today - datetime.timedelta(days=BEHAVIOUR_DAYS - 1),
        day_hours=SCHOOL_DAY_HOURS,
    )
    tables = _tables()
    committed: list[float] = []
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [RECOMPUTE_LOCK])
            # JIT compiling this statement costs seconds once its row estimates grow (seen: 2.7 s of a 3.8 s run).
            cursor.execute("SET LOCAL jit = off")
            cursor.execute(FIGURES_SQL.format(where=where, **tables), params)
            rows = cursor.fetchall()
        saved = thresholds_by_school({row[1] for row in rows})
        now = timezone.now()
        signals: list[tuple[int, str, int, str, str]] = []  # student, level, score, indicators, previous
        entering: set[int] = set()
        level_updates: dict[int, str] = {}
        for row in rows:
            (pk, school, arrived, current, birth, usual_age, starts_on) = row[:7]
            (weekend_30, missed_30, weekend_90, missed_90, subjects, grades, minor, serious) = row[7:15]
            (last_level, last_codes, register_until) = row[15:18]
            figures = Figures(
                days_30=school_days(params["since_30"], register_until, weekend_30 or 0),
                missed_30=Decimal(missed_30 or 0),
                days_90=school_days(params["since_90"], register_until, weekend_90 or 0),
                missed_90=Decimal(missed_90 or 0),
                core_grades=dict(zip(subjects or (), grades or (), strict=True)),
                minor_notes_90=minor or 0,
                serious_notes_90=serious or 0,
                age_grade_gap=age_grade_gap(birth, starts_on, usual_age),
                arrived_in_italy_on=arrived,
            )
            assessment = assess(figures, thresholds_for(school, saved), today=today)
            level = assessment.level
            if last_level != level or frozenset(last_codes or ()) != assessment.triggered_codes:
                signals.append(
                    (pk, level, assessment.score, json.dumps(assessment.indicators_json()), last_level or "")
                )
                level_updates[pk] = level
                if level == RiskLevel.HIGH and last_level != RiskLevel.HIGH:
                    entering.add(pk)
                elif last_level == RiskLevel.HIGH and level != RiskLevel.HIGH:
                    result.left_high.append(pk)
            elif current != level:
                level_updates[pk] = level  # the denormalised level had drifted
            if current != level:
                result.levels_changed += 1
        entering_signals: list[int] = []
        with connection.cursor() as cursor:
            if signals:
                cursor.execute(
                    INSERT_SIGNALS_SQL.format(signal=tables["signal"]),
                    [now, *(list(column) for column in zip(*signals, strict=True))],
                )
                entering_signals = [signal_id for signal_id, student_id in cursor.fetchall() if student_id in entering]
        if level_updates:
            # The pupil's write history leaves these two fields out: the signals are their history.
            with connection.cursor() as cursor:
                cursor.execute(
                    UPDATE_LEVELS_SQL.format(student=tables["student"]),
                    [now, list(level_updates), list(level_updates.values())],
                )
        # The time is taken once committed, before the follow-ups (which a worker runs when there is one).
        transaction.on_commit(lambda: committed.append(time.perf_counter()))
        if entering_signals:
            transaction.on_commit(partial(_queue_follow_ups, entering_signals))
    result.seconds = (committed[0] if committed else time.perf_counter()) - started
    result.students = len(rows)
    result.signals_written = len(signals)
    result.entered_high = sorted(entering)
    logger.info(
        "risk recomputed: %s students, %s signals, %s entered high in %.2f s",
        result.students,
        result.signals_written,
        len(result.entered_high),
        result.seconds,
    )
    return result


def _queue_follow_ups(signal_ids: list[int]) -> None:
    """One task per student entering high risk, so that each is retried on its own."""
    from schools.tasks import act_on_high_risk as task

    for signal_id in signal_ids:
        task.delay(signal_id)


# --- Entering high risk ------------------------------------------------------------------------


def initials(person: Any) -> str:
    """ "A. H." from the Latin form of the names: the most an email may say about a pupil."""
    given = (person.given_names_latin or person.given_names or "").split()
    family = (person.family_names_latin or person.family_names or "").split()
    return " ".join(f"{name[0].upper()}." for name in (given[:1] + family[:1]) if name)


def absolute_url(path: str) -> str:
    return django_settings.SITE_URL.rstrip("/") + path


def student_url(student_id: int) -> str:
    """The student's page (S1's), or the at-risk list where that page is not installed."""
    try:
        return reverse("schools:student_detail", args=[student_id])
    except NoReverseMatch:
        return reverse("schools:risk_list")


def _recipient(student: Student) -> Any:
    """Who is told: the student's referent, else the class coordinator; active accounts only."""
    for user in (student.referent, student.school_class.referent if student.school_class else None):
        if user is not None and user.is_active and user.email:
            return user
    return None


def act_on_high_risk(*, signal_id: int) -> str:
    """Follow-up of a student entering high risk, once per signal: open the help desk's case
    (when the school's settings say so) and email the referent. Returns what was done.

    The notification is claimed on the signal (`notified_at`, set by a conditional UPDATE only where
    it is still empty) in one transaction with the audit record and the email: of two runs (a
    retried task, two workers) only one claims it and sends; a failed send rolls the claim back, and
    the retry sends again."""
    signal = (
        RiskSignal.objects.select_related(
            "student__person", "student__school", "student__referent", "student__school_class__referent"
        )
        .filter(pk=signal_id)
        .first()
    )
    if signal is None:
        return "gone"
    student = signal.student
    latest = RiskSignal.objects.filter(student=student).order_by("-computed_at", "-pk").values_list("pk", flat=True)
    if signal.level != RiskLevel.HIGH or latest.first() != signal.pk or student.left_on is not None:
        return "stale"
    if signal.notified_at is not None:
        return "done"
    case = None
    if RiskSettings.for_school(student.school_id).auto_open_intervention:
        from schools.services.helpdesk import open_case_from_risk

        try:
            case = open_case_from_risk(student=student, signal=signal, by=None)
        except ValidationError:
            # No one at the school to give the case to: the alert waits in the "to confirm" list.
            logger.warning("risk case not opened for signal %s: no one at the school to give it to", signal.pk)
    with transaction.atomic():
        # A second run blocks on the row here, then finds notified_at set and claims nothing.
        if not RiskSignal.objects.filter(pk=signal.pk, notified_at__isnull=True).update(notified_at=timezone.now()):
            return "done"
        recipient = _recipient(student)
        audit.record(
            None,
            NOTIFIED,
            signal,
            organisation=student.school,
            case=case.pk if case else None,
            recipient=recipient.pk if recipient else None,
        )
        if recipient is not None:
            # Last: a failed send rolls the record back and the task's retry tries again.
            _email_referent(recipient, student, case)
    return "opened" if case else "to_confirm"


def _email_referent(recipient: Any, student: Student, case: SupportCase | None) -> None:
    with translation.override(recipient.preferred_language or django_settings.LANGUAGE_CODE):
        context = {
            "initials": initials(student.person),
            "school": student.school.name,
            "case": case,
            "student_link": absolute_url(student_url(student.pk)),
            "confirm_link": absolute_url(reverse("schools:risk_to_confirm")),
        }
        subject = _("High risk of dropping out: %(initials)s, %(school)s") % {
            "initials": context["initials"],
            "school": student.school.name,
        }
        body = render_to_string("schools/risk/email_high_risk.txt", context)
    send_mail(subject, body, None, [recipient.email])


# --- To confirm: entering high risk where the case did not open by itself ------------------------


def latest_signal_ids() -> Any:
    return RiskSignal.objects.filter(student=OuterRef("student")).order_by("-computed_at", "-pk").values("pk")[:1]


def to_confirm(user: Any) -> QuerySet[RiskSignal]:
    """Students who entered high risk whose alert nobody has reviewed yet (confirmed or dismissed)
    and that have no case from it (the school lets the referent confirm, or the automatic opening
    failed). Referents see their students; operators, their schools' students."""
    operator_schools = user.organisation_ids(Role.SCHOOL_OPERATOR)
    signals = RiskSignal.objects.for_user(user).filter(
        Q(student__referent=user) | Q(student__school__in=operator_schools)
    )
    return (
        signals.filter(
            level=RiskLevel.HIGH,
            review=RiskSignal.Review.PENDING,
            student__left_on__isnull=True,
            pk=Subquery(latest_signal_ids()),
        )
        .exclude(previous_level=RiskLevel.HIGH)
        .exclude(Exists(SupportCase.objects.filter(origin_signal=OuterRef("pk"))))
        .exclude(
            Exists(
                SupportCase.objects.filter(
                    students=OuterRef("student"), origin=SupportCase.Origin.RISK, status=SupportCase.Status.OPEN
                )
            )
        )
        .select_related("student__person", "student__school_class", "student__school", "student__referent")
        .order_by("-computed_at", "-pk")
    )


def _pending_signal(user: Any, signal_id: int) -> RiskSignal:
    signal = to_confirm(user).filter(pk=signal_id).first()
    if signal is None:
        raise ValidationError(_("This alert was already handled, or it is no longer the latest."))
    return signal


def _claim_review(signal: RiskSignal, review: str, by: Any, note: str = "") -> None:
    """Record the review on the signal, once: a conditional UPDATE, so of two people deciding at the
    same moment only the first one's decision is kept (the second is told it was handled)."""
    claimed = RiskSignal.objects.filter(pk=signal.pk, review=RiskSignal.Review.PENDING).update(
        review=review, reviewed_by=by, reviewed_at=timezone.now(), review_note=note or None
    )
    if not claimed:
        raise ValidationError(_("This alert was already handled, or it is no longer the latest."))


@transaction.atomic
def confirm_case(*, signal_id: int, by: Any) -> SupportCase:
    """The referent (or an operator) confirms: the alert is marked confirmed by them and the help
    desk's case opens, recorded as opened by them."""
    from schools.services.helpdesk import open_case_from_risk

    signal = _pending_signal(by, signal_id)
    _claim_review(signal, RiskSignal.Review.CONFIRMED, by)
    case = open_case_from_risk(student=signal.student, signal=signal, by=by)
    audit.record(by, "risksignal.confirm", signal, organisation=signal.student.school, case=case.pk)
    return case


@transaction.atomic
def dismiss_alert(*, signal_id: int, reason: str, by: Any) -> RiskSignal:
    """The referent decides no case is needed, and says why. The decision is kept on the signal
    (dismissed, by whom, when, the reason encrypted), and the alert leaves the list; no case is
    opened, so nothing counts the pupil as supported."""
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Say why no case is needed."))
    signal = _pending_signal(by, signal_id)
    _claim_review(signal, RiskSignal.Review.DISMISSED, by, reason)
    signal.refresh_from_db()
    audit.record(by, "risksignal.dismiss", signal, organisation=signal.student.school)
    return signal


# --- Acted within N days -----------------------------------------------------------------------


def follow_up(user: Any, *, today: datetime.date | None = None, overdue_only: bool = False) -> QuerySet[SupportCase]:
    """Cases opened from a high-risk signal with a deadline to act, overdue ones first."""
    today = today or timezone.localdate()
    overdue = Q(status=SupportCase.Status.OPEN, acted_at__isnull=True, act_by__lt=today)
    cases = SupportCase.objects.for_user(user).filter(origin=SupportCase.Origin.RISK, act_by__isnull=False)
    if overdue_only:
        cases = cases.filter(overdue)
    return (
        cases.annotate(
            is_overdue=Case(When(overdue, then=Value(1)), default=Value(0), output_field=IntegerField()),
            acted_in_time=Case(
                When(acted_at__date__lte=F("act_by"), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
        )
        .select_related("referent", "school")
        .prefetch_related("students__person", "students__school_class")
        .order_by("-is_overdue", "act_by", "pk")
    )


# --- The at-risk list --------------------------------------------------------------------------


def at_risk_students(user: Any, filters: dict[str, Any]) -> QuerySet[Student]:
    """Current students at some risk, highest level first, then by score; filters: level, school,
    school_class, indicator (triggered in the latest signal), newly_arrived. Built on the student
    list's scoped query (schools.selectors.students_for)."""
    from schools.selectors import students_for

    level = filters.get("level")
    students = students_for(
        user,
        {
            "school": filters.get("school"),
            "school_class": filters.get("school_class"),
            "risk_level": level,
            "newly_arrived": True if filters.get("newly_arrived") else None,
        },
    )
    if not level:
        students = students.exclude(risk_level=RiskLevel.NONE)
    latest = RiskSignal.objects.filter(student=OuterRef("pk")).order_by("-computed_at", "-pk")
    students = students.annotate(
        signal_id=Subquery(latest.values("pk")[:1]),
        score=Subquery(latest.values("score")[:1]),
        signal_indicators=Subquery(latest.values("indicators")[:1]),
        level_rank=Case(
            *(When(risk_level=code, then=Value(rank)) for code, rank in LEVEL_RANK.items()),
            default=Value(0),
            output_field=IntegerField(),
        ),
    )
    if filters.get("indicator"):
        students = students.filter(
            Exists(
                RiskSignal.objects.filter(
                    pk=OuterRef("signal_id"), indicators__contains=[{"code": filters["indicator"], "triggered": True}]
                )
            )
        )
    return students.order_by("-level_rank", "-score", "person__family_names_latin", "person__given_names_latin", "pk")


def timeline(student: Student) -> list[dict[str, Any]]:
    """The student's signals and interventions together, newest first (one query for each)."""
    from schools.models import Intervention

    signals = RiskSignal.objects.filter(student=student).select_related("reviewed_by").order_by("-computed_at", "-pk")
    interventions = Intervention.objects.filter(student=student).select_related("owner").order_by("-created_at", "-pk")
    entries: list[dict[str, Any]] = [{"when": s.computed_at, "signal": s} for s in signals]
    entries += [{"when": i.created_at, "intervention": i} for i in interventions]
    entries.sort(key=lambda entry: entry["when"], reverse=True)
    return entries


# --- Settings ----------------------------------------------------------------------------------

SETTINGS_FIELDS = (
    "attendance_30_min",
    "attendance_90_min",
    "failing_grade_below",
    "failing_core_subjects_min",
    "behaviour_notes_90_max",
    "age_grade_gap_min",
    "recent_arrival_years",
    "medium_at",
    "high_at",
    "auto_open_intervention",
    "act_within_days",
)


@transaction.atomic
def update_risk_settings(*, school_id: int, by: Any, **values: Any) -> RiskSettings:
    """An operator of the school changes its thresholds; the school's students are recomputed."""
    if school_id not in by.organisation_ids(Role.SCHOOL_OPERATOR):
        raise PermissionDenied
    unknown = set(values) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValueError(f"not a risk setting: {sorted(unknown)}")
    row = RiskSettings.objects.select_for_update().filter(school_id=school_id).first() or RiskSettings(
        school_id=school_id
    )
    changed = sorted(name for name, value in values.items() if getattr(row, name) != value)
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_by = by
    row.full_clean(exclude=["school"])
    if row.high_at < row.medium_at:
        raise ValidationError(_("The points for high risk cannot be fewer than those for medium risk."))
    row.save()
    audit.record(by, "risksettings.change", row, organisation=row.school, fields=changed)
    if changed:
        transaction.on_commit(partial(_queue_recompute_school, school_id))
    return row


def _queue_recompute_school(school_id: int) -> None:
    from schools.tasks import recompute_school_risk as task

    task.delay(school_id)


def schools_for(user: Any, *, operator: bool = False) -> list[Any]:
    """The schools whose risk pages the user may open (operators only, to change settings)."""
    return user.organisations(Role.SCHOOL_OPERATOR) if operator else user.organisations(*SCHOOL_ROLES)
