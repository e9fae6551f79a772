"""Demo data of the PUA app, loaded by `manage.py seed_demo`: a few fictional cases at every desk,
with consents, assessments, care plans, notes, tasks, referrals to the demo services and appointments
next week. Everything is made through the services, so the history, the referral trail and the audit
trail look like real use; the only direct writes move dates into the past (services stamp "now").

Idempotent: a person is found again by name and birth date, and a person who already has a case at
the desk gets no second one."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from aipim.accounts.models import User
from aipim.core.models import Consent, Organisation, Person, Service
from aipim.core.services import create_person, give_consent
from pua.models import Case, NeedDomain, Referral
from pua.services.appointments import book_appointment
from pua.services.cases import LINK_REASON, assign_caseworker, change_status, open_case
from pua.services.notes import add_note
from pua.services.plan import add_action, add_goal, add_task, record_assessment
from pua.services.referrals import create_referral, send_referral

# Demo users of seed_demo who work at a desk; the other desks' cases are opened by the administrator
# who loaded the demo and wait for a caseworker.
DESK_USERS = {"IRS": "caseworker@demo.aipim.it", "PIC": "caseworker.picerno@demo.aipim.it"}
LOADED_BY = "admin@demo.aipim.it"

# Fictional people: (given, family, given latin, family latin, birth date, sex, citizenship, languages)
Someone = tuple[str, str, str, str, datetime.date, str, str, list[str]]
D = datetime.date
PEOPLE: dict[str, list[Someone]] = {
    "IRS": [
        ("Youssef", "El Amrani", "", "", D(1987, 3, 14), "M", "MA", ["ar", "fr"]),
        ("Fatou", "Ndiaye", "", "", D(1994, 11, 2), "F", "SN", ["fr", "wo"]),
        ("ሰላም", "ተስፋይ", "Selam", "Tesfay", D(1999, 6, 21), "F", "ER", ["ti", "en"]),
        ("Karim", "Benali", "", "", D(1979, 1, 30), "M", "DZ", ["ar", "fr"]),
    ],
    "PIC": [
        ("আয়েশা", "রহমান", "Ayesha", "Rahman", D(1992, 8, 5), "F", "BD", ["bn", "en"]),
        ("Dawit", "Haile", "", "", D(1990, 2, 11), "M", "ER", ["ti"]),
        ("Mariam", "Traoré", "", "", D(1985, 12, 19), "F", "ML", ["fr", "bm"]),
        ("Omar", "Haddad", "", "", D(2001, 4, 7), "M", "TN", ["ar", "fr"]),
    ],
    "PTG": [
        ("Nadia", "Cherif", "", "", D(1988, 9, 9), "F", "TN", ["ar", "fr"]),
        ("Kofi", "Mensah", "", "", D(1983, 5, 25), "M", "GH", ["en"]),
        ("محمود", "حسن", "Mahmoud", "Hassan", D(1975, 10, 1), "M", "EG", ["ar"]),
    ],
    "MCV": [
        ("Aminata", "Camara", "", "", D(1997, 7, 17), "F", "GN", ["fr"]),
        ("Rezaul", "Karim", "", "", D(1986, 3, 3), "M", "BD", ["bn"]),
        ("Luwam", "Berhane", "", "", D(2003, 1, 12), "F", "ER", ["ti"]),
    ],
    "PZA": [
        ("Samir", "Boukhari", "", "", D(1980, 6, 6), "M", "MA", ["ar", "fr"]),
        ("Giovanni", "Okafor", "", "", D(2006, 2, 28), "M", "NG", ["en", "it"]),
        ("সুমন", "আহমেদ", "Sumon", "Ahmed", D(1991, 12, 12), "M", "BD", ["bn"]),
    ],
    "MTA": [
        ("Ibrahima", "Sow", "", "", D(1993, 4, 18), "M", "SN", ["fr", "wo"]),
        ("ሄለን", "ገብረ", "Helen", "Gebre", D(1989, 8, 30), "F", "ER", ["ti"]),
        ("Layla", "Mansour", "", "", D(1984, 11, 11), "F", "SY", ["ar"]),
    ],
    "MLF": [
        ("Moussa", "Keita", "", "", D(1982, 7, 4), "M", "ML", ["fr", "bm"]),
        ("Rokeya", "Begum", "", "", D(1995, 5, 15), "F", "BD", ["bn"]),
        ("Hamza", "Ouali", "", "", D(2000, 10, 10), "M", "DZ", ["ar", "fr"]),
    ],
    "PLC": [
        ("Adama", "Coulibaly", "", "", D(1990, 1, 1), "M", "CI", ["fr"]),
        ("Yonas", "Kidane", "", "", D(1998, 3, 27), "M", "ER", ["ti", "en"]),
        ("Salma", "Aziz", "", "", D(1987, 9, 23), "F", "MA", ["ar"]),
    ],
    "LAU": [
        ("Chérif", "Diop", "", "", D(1981, 2, 14), "M", "SN", ["fr"]),
        ("Nasrin", "Akter", "", "", D(1996, 6, 3), "F", "BD", ["bn", "en"]),
        ("Rania", "Khalil", "", "", D(1992, 12, 1), "F", "LB", ["ar", "fr"]),
    ],
    "PST": [
        ("Abdou", "Faye", "", "", D(1985, 8, 8), "M", "SN", ["fr", "wo"]),
        ("Semhar", "Tekle", "", "", D(2002, 4, 4), "F", "ER", ["ti"]),
        ("Tariq", "Mahmud", "", "", D(1978, 5, 19), "M", "PK", ["ur", "en"]),
    ],
}

# The story of the n-th case at a desk: (days since it was opened, needs by domain and severity).
STORIES: list[tuple[int, dict[str, int]]] = [
    (60, {NeedDomain.WORK: 3, NeedDomain.LANGUAGE: 2, NeedDomain.HOUSING: 1}),
    (30, {NeedDomain.HEALTH: 3, NeedDomain.LEGAL: 2}),
    (5, {}),
    (200, {NeedDomain.WORK: 2, NeedDomain.INCOME: 2}),
]


def _next_monday(now: datetime.datetime) -> datetime.date:
    today = timezone.localdate(now)
    return today + datetime.timedelta(days=7 - today.weekday())


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _person(desk: Organisation, someone: Someone, by: User) -> tuple[Person, int]:
    given, family, given_latin, family_latin, birth, sex, country, languages = someone
    person = Person.objects.filter(given_names=given, family_names=family, birth_date=birth).first()
    if person is not None:
        return person, 0
    person = create_person(
        organisation=desk,
        reason=LINK_REASON,
        by=by,
        given_names=given,
        family_names=family,
        given_names_latin=given_latin,
        family_names_latin=family_latin,
        birth_date=birth,
        sex=sex,
        citizenship=country,
        languages=languages,
        preferred_language=languages[0],
        municipality=desk.municipality,
    )
    for purpose in (Consent.Purpose.CASE_MANAGEMENT, Consent.Purpose.HEALTH_SHARING, Consent.Purpose.JOB_SHARING):
        give_consent(person=person, purpose=purpose, organisation=desk, evidence="modulo firmato (demo)", by=by)
    return person, 4


def _services() -> dict[str, Service]:
    """The first demo service of each category (by name), looked up once per run."""
    services: dict[str, Service] = {}
    for service in Service.objects.filter(external_id__startswith="demo:").order_by("name"):
        services.setdefault(service.category, service)
    return services


def _in_the_past(rows: QuerySet[Any], **dates: datetime.datetime) -> None:
    """Give records their story's dates. The demo's only direct write: services stamp "now", and a
    demo needs a past that real use gets by waiting."""
    rows.update(**dates)


def _refer(case: Case, service: Service | None, reason: str, by: User, *, sent: datetime.datetime | None) -> int:
    if service is None:
        return 0
    referral = create_referral(case=case, service=service, reason=reason, by=by)
    if sent is not None:
        send_referral(referral=referral, by=by)
        acknowledge_by = sent + datetime.timedelta(days=service.acknowledgement_days)
        _in_the_past(
            Referral.objects.filter(pk=referral.pk), created_at=sent, sent_at=sent, acknowledge_by=acknowledge_by
        )
        _in_the_past(referral.updates.all(), at=sent)
    return 1


def _story(
    case: Case, index: int, by: User, caseworker: User | None, now: datetime.datetime, services: dict[str, Service]
) -> int:
    """Fill one case according to its place in STORIES; return how many records it made."""
    days, needs = STORIES[index % len(STORIES)]
    opened = now - datetime.timedelta(days=days)
    _in_the_past(Case.objects.filter(pk=case.pk), opened_at=opened)
    _in_the_past(case.status_changes.all(), changed_at=opened)
    created = 0
    monday = _next_monday(now)
    if needs:
        assessment = record_assessment(case=case, needs=[(d, s, "") for d, s in needs.items()], by=by)
        assessed = opened + datetime.timedelta(days=3)
        _in_the_past(case.assessments.filter(pk=assessment.pk), assessed_at=assessed)
        _in_the_past(case.status_changes.filter(to_status=Case.Status.ASSESSED), changed_at=assessed)
        add_note(case=case, body="Primo colloquio svolto con il mediatore linguistico.", by=by)
        created += 2 + len(needs)
    if index % len(STORIES) == 0:
        goal = add_goal(case=case, domain=NeedDomain.WORK, description="Trovare un tirocinio retribuito", by=by)
        agreed = opened + datetime.timedelta(days=7)
        _in_the_past(case.goals.filter(pk=goal.pk), created_at=agreed)
        _in_the_past(case.status_changes.filter(to_status=Case.Status.PLAN_ACTIVE), changed_at=agreed)
        # The desk's caseworker registers the person at the job centre; without one, the person goes alone.
        add_action(
            goal=goal,
            description="Iscrizione al Centro per l'Impiego",
            owner=caseworker,
            owner_label="" if caseworker else "la persona",
            due_date=monday,
            by=by,
        )
        add_action(goal=goal, description="Corso di italiano A2", owner_label="la persona", due_date=monday, by=by)
        created += 3 + _refer(
            case, services.get("work"), "Orientamento e iscrizione", by, sent=now - datetime.timedelta(days=8)
        )
    elif index % len(STORIES) == 1:
        created += _refer(case, services.get("health"), "Prima visita medica", by, sent=None)
        created += _refer(
            case, services.get("legal"), "Rinnovo del permesso di soggiorno", by, sent=now - datetime.timedelta(days=2)
        )
    elif index % len(STORIES) == 3:
        change_status(case=case, to=Case.Status.CLOSED, by=by, closing_reason=Case.ClosingReason.GOALS_MET)
        return created
    add_task(
        case=case,
        title="Richiamare per conferma documenti",
        assigned_to=caseworker,
        due_date=timezone.localdate(now) - datetime.timedelta(days=2 if index % 2 else -3),
        by=by,
    )
    if caseworker is not None:
        start = _at(monday + datetime.timedelta(days=index % 5), 9 + index % 4, 30)
        book_appointment(
            case=case,
            caseworker=caseworker,
            starts_at=start,
            ends_at=start + datetime.timedelta(minutes=45),
            place="Sportello PUA",
            purpose="Colloquio di verifica",
            by=by,
        )
        created += 1
    return created + 1


@transaction.atomic
def seed(organisations: dict[str, Any]) -> int:
    """Add demo records; return how many were created (0 on a second run)."""
    loaded_by = User.objects.filter(email=LOADED_BY).first()
    if loaded_by is None:
        return 0  # seed_demo runs the apps only with its users
    now = timezone.now()
    created = 0
    services: dict[str, Service] | None = None  # looked up when the first case is made
    for code, people in PEOPLE.items():
        desk = organisations.get(code)
        if desk is None:
            continue
        caseworker = User.objects.filter(email=DESK_USERS.get(code, "")).first()
        by = caseworker or loaded_by
        for index, someone in enumerate(people):
            person, made = _person(desk, someone, by)
            created += made
            if Case.objects.filter(person=person, desk=desk).exists():
                continue
            case = open_case(person=person, desk=desk, by=by)
            if caseworker is not None:
                assign_caseworker(case=case, caseworker=caseworker, by=by)
            if services is None:
                services = _services()
            created += 1 + _story(case, index, by, caseworker, now, services)
    return created
