"""Demo data of the PUA app, loaded by `manage.py seed_demo`: a few fictional cases at every desk,
with consents, assessments, care plans, tasks, referrals to the demo services and appointments
next week. Cases are opened through the services, so the history and the audit trail look real.

Idempotent: a person is found again by name and birth date, and a person who already has a case at
the desk gets no second one."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from aipim.accounts.models import User
from aipim.core.models import Consent, Organisation, Person, Service
from aipim.core.services import create_person, give_consent
from pua.models import (
    Appointment,
    Assessment,
    Case,
    CaseStatusChange,
    Goal,
    Need,
    NeedDomain,
    PlanAction,
    Referral,
    ReferralUpdate,
    Task,
)
from pua.services.cases import LINK_REASON, assign_caseworker, change_status, open_case

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


def _service(category: str) -> Service | None:
    return Service.objects.filter(external_id__startswith="demo:", category=category).order_by("name").first()


def _refer(case: Case, category: str, reason: str, by: User, *, sent: datetime.datetime | None) -> int:
    service = _service(category)
    if service is None:
        return 0
    referral = Referral.objects.create(case=case, service=service, reason=reason, created_by=by)
    if sent is not None:
        referral.status = Referral.Status.SENT
        referral.sent_at = sent
        referral.acknowledge_by = sent + datetime.timedelta(days=service.acknowledgement_days)
        referral.save(update_fields=["status", "sent_at", "acknowledge_by"])
        ReferralUpdate.objects.create(referral=referral, status=Referral.Status.SENT, by_user=by, at=sent)
    return 1


def _story(case: Case, index: int, by: User, caseworker: User | None, now: datetime.datetime) -> int:
    """Fill one case according to its place in STORIES; return how many records it made."""
    days, needs = STORIES[index % len(STORIES)]
    opened = now - datetime.timedelta(days=days)
    Case.objects.filter(pk=case.pk).update(opened_at=opened)
    CaseStatusChange.objects.filter(case=case).update(changed_at=opened)
    created = 0
    monday = _next_monday(now)
    if needs:
        assessment = Assessment.objects.create(
            case=case, assessed_by=by, assessed_at=opened + datetime.timedelta(days=3)
        )
        for domain, severity in needs.items():
            Need.objects.create(assessment=assessment, domain=domain, severity=severity, notes="")
        change_status(case=case, to=Case.Status.ASSESSED, by=by, reason="colloquio iniziale")
        created += 1 + len(needs)
    if index % len(STORIES) == 0:
        goal = Goal.objects.create(
            case=case, domain=NeedDomain.WORK, description="Trovare un tirocinio retribuito", created_by=by
        )
        PlanAction.objects.create(
            goal=goal, description="Iscrizione al Centro per l'Impiego", owner=caseworker, due_date=monday
        )
        PlanAction.objects.create(
            goal=goal, description="Corso di italiano A2", owner_label="la persona", due_date=monday
        )
        change_status(case=case, to=Case.Status.PLAN_ACTIVE, by=by, reason="progetto condiviso")
        created += 3 + _refer(case, "work", "Orientamento e iscrizione", by, sent=now - datetime.timedelta(days=8))
    elif index % len(STORIES) == 1:
        created += _refer(case, "health", "Prima visita medica", by, sent=None)
        created += _refer(case, "legal", "Rinnovo del permesso di soggiorno", by, sent=now - datetime.timedelta(days=2))
    elif index % len(STORIES) == 3:
        change_status(case=case, to=Case.Status.CLOSED, by=by, closing_reason=Case.ClosingReason.GOALS_MET)
        return created
    Task.objects.create(
        case=case,
        title="Richiamare per conferma documenti",
        assigned_to=caseworker,
        due_date=timezone.localdate(now) - datetime.timedelta(days=2 if index % 2 else -3),
        created_by=by,
    )
    if caseworker is not None:
        start = _at(monday + datetime.timedelta(days=index % 5), 9 + index % 4, 30)
        Appointment.objects.create(
            case=case,
            caseworker=caseworker,
            starts_at=start,
            ends_at=start + datetime.timedelta(minutes=45),
            place="Sportello PUA",
            purpose="Colloquio di verifica",
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
            created += 1 + _story(case, index, by, caseworker, now)
    return created
