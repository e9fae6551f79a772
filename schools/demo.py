"""Demo data of the schools app, loaded by `manage.py seed_demo`: sites, the current school year,
classes, about sixty pupils with their guardians (names and languages of the families who live in
Basilicata), consents, 120 days of attendance with varied patterns (most pupils come every day, a
few are drifting away, a few are clearly at risk), grades and behaviour notes; a help desk per school;
then the early-warning levels are computed, so the risk pages are worth looking at.

Generated from a fixed seed, so every run makes the same people. Idempotent: a pupil is found again
by school and register id ("DEMO-..."), and one already there gets nothing new. Fast: records are
written with bulk_create (up to about 5,000 attendance rows, depending on the season)."""

from __future__ import annotations

import datetime
import hashlib
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from aipim.accounts.models import SCHOOL_ROLES, Membership, Role, User
from aipim.core.models import Consent, Organisation, Person, PersonLink
from schools.models import (
    LINK_GUARDIAN,
    LINK_STUDENT,
    AttendanceRecord,
    BehaviourNote,
    Course,
    Guardian,
    HelpDesk,
    OpeningHours,
    ResultRecord,
    RiskSettings,
    SchoolClass,
    SchoolSite,
    SchoolYear,
    Stage,
    Student,
)
from schools.services import courses, helpdesk, initiatives, interventions
from schools.services.messages import ensure_regional_templates
from schools.services.risk import recompute_students

SEED = 2026
HISTORY_DAYS = 120
LOADED_BY = "admin@demo.aipim.it"

# (school code, site names and their municipality, classes: (name, stage, grade, site index), pupils)
SCHOOL_PLAN: dict[str, dict[str, Any]] = {
    "IC-PZ1": {
        "sites": [("Plesso Via Mazzini", "Potenza"), ("Plesso Macchia Romana", "Potenza")],
        "classes": [
            ("3A", Stage.PRIMARY, 3, 0),
            ("5A", Stage.PRIMARY, 5, 0),
            ("1B", Stage.LOWER_SECONDARY, 1, 1),
            ("2B", Stage.LOWER_SECONDARY, 2, 1),
            ("3B", Stage.LOWER_SECONDARY, 3, 1),
        ],
        "pupils": 30,
        "auto_open": True,
    },
    "IC-MT2": {
        "sites": [("Plesso Lanera", "Matera")],
        "classes": [
            ("4A", Stage.PRIMARY, 4, 0),
            ("1A", Stage.LOWER_SECONDARY, 1, 0),
            ("2A", Stage.LOWER_SECONDARY, 2, 0),
        ],
        "pupils": 15,
        "auto_open": False,  # the referent confirms before a case opens
    },
    "IIS-MLF": {
        "sites": [("Sede centrale", "Melfi")],
        "classes": [
            ("1A", Stage.UPPER_SECONDARY, 1, 0),
            ("2A", Stage.UPPER_SECONDARY, 2, 0),
            ("3A", Stage.UPPER_SECONDARY, 3, 0),
        ],
        "pupils": 15,
        "auto_open": True,
    },
}


@dataclass(frozen=True)
class Origin:
    country: str
    languages: list[str]
    given_f: list[str]
    given_m: list[str]
    families: list[str]
    # A few names as the family writes them: Latin form → written form.
    written: dict[str, str] = field(default_factory=dict)


ORIGINS = [
    Origin(
        "MA",
        ["ar", "fr"],
        ["Salma", "Imane", "Khadija", "Nour", "Aya"],
        ["Youssef", "Amine", "Hamza", "Omar", "Adam"],
        ["El Amrani", "Benjelloun", "Alaoui", "Bennani", "Tazi"],
        {"Youssef": "يوسف", "Salma": "سلمى", "El Amrani": "العمراني", "Alaoui": "العلوي"},
    ),
    Origin(
        "EG",
        ["ar"],
        ["Mariam", "Yasmin", "Habiba"],
        ["Ahmed", "Mohamed", "Karim"],
        ["Hassan", "Mahmoud", "Farouk"],
        {"Mariam": "مريم", "Ahmed": "أحمد", "Hassan": "حسن"},
    ),
    Origin(
        "PK",
        ["ur", "en"],
        ["Ayesha", "Fatima", "Zainab", "Hira"],
        ["Ali", "Bilal", "Hamza", "Usman"],
        ["Khan", "Iqbal", "Malik", "Raza"],
        {"Ayesha": "عائشہ", "Khan": "خان"},
    ),
    Origin(
        "BD",
        ["bn", "en"],
        ["Nusrat", "Sumaiya", "Tasnim"],
        ["Rafi", "Tanvir", "Arif"],
        ["Rahman", "Hossain", "Islam", "Chowdhury"],
        {"Nusrat": "নুসরাত", "Rahman": "রহমান"},
    ),
    Origin(
        "ER",
        ["ti", "en"],
        ["Saba", "Helen", "Senait"],
        ["Yonas", "Filmon", "Robel"],
        ["Tesfay", "Kidane", "Gebreyesus", "Berhane"],
        {"Saba": "ሳባ", "Yonas": "ዮናስ", "Tesfay": "ተስፋይ", "Kidane": "ኪዳነ"},
    ),
    Origin(
        "SN",
        ["fr", "wo"],
        ["Awa", "Fatou", "Aminata"],
        ["Moussa", "Mamadou", "Ibrahima"],
        ["Diallo", "Ndiaye", "Sow", "Fall"],
    ),
    Origin(
        "NG",
        ["en"],
        ["Blessing", "Precious", "Chiamaka"],
        ["Chinedu", "Emeka", "Tobi"],
        ["Okafor", "Adeyemi", "Eze"],
    ),
    Origin(
        "AL",
        ["sq"],
        ["Elira", "Ana", "Sara"],
        ["Arben", "Kleidi", "Ergys"],
        ["Hoxha", "Krasniqi", "Shehu", "Gashi"],
    ),
    Origin(
        "UA",
        ["uk", "ru"],
        ["Sofiia", "Anastasiia", "Daryna"],
        ["Maksym", "Oleksandr", "Artem"],
        ["Shevchenko", "Kovalenko", "Bondarenko"],
        {"Sofiia": "Софія", "Maksym": "Максим", "Shevchenko": "Шевченко"},
    ),
    Origin(
        "SY",
        ["ar"],
        ["Layla", "Rama", "Sham"],
        ["Rami", "Omar", "Yazan"],
        ["Al-Masri", "Haddad", "Khalil"],
        {"Layla": "ليلى", "Al-Masri": "المصري", "Haddad": "حداد"},
    ),
]

# Attendance patterns: share of days absent in the older and in the recent weeks, late/left-early share.
PATTERNS = {
    "steady": (0.01, 0.01, 0.02),
    "occasional": (0.04, 0.05, 0.04),
    "late": (0.02, 0.02, 0.15),
    "drifting": (0.03, 0.30, 0.10),  # was fine, absent a lot in the last month
    "chronic": (0.25, 0.35, 0.10),
}
CORE_SUBJECTS = ["Italiano", "Matematica", "Inglese"]
OTHER_SUBJECTS = ["Storia", "Scienze", "Geografia", "Arte"]
BEHAVIOUR_TEXTS = [
    ("minor", "Non ha svolto i compiti assegnati."),
    ("minor", "Disturba ripetutamente la lezione."),
    ("minor", "Arriva senza il materiale scolastico."),
    ("serious", "Esce dall'aula senza permesso durante la lezione."),
    ("serious", "Litigio con un compagno durante l'intervallo."),
]
SENSITIVE_NOTES = [
    "Famiglia in attesa del rinnovo del permesso di soggiorno del padre.",
    "Vive con la zia; i genitori sono rimasti nel paese d'origine.",
    "Richiedenti protezione internazionale, ospiti di un centro SAI.",
]


def _school_days(today: datetime.date) -> list[datetime.date]:
    """Weekdays of the last HISTORY_DAYS days, leaving out the summer (July and August)."""
    days = []
    for back in range(HISTORY_DAYS, 0, -1):
        day = today - datetime.timedelta(days=back)
        if day.weekday() < 5 and day.month not in (7, 8):
            days.append(day)
    return days


def _current_year(today: datetime.date) -> SchoolYear:
    year = SchoolYear.current(today)
    if year is not None and year.ends_on >= today:
        return year
    start_year = today.year if today.month >= 7 else today.year - 1
    starts_on = datetime.date(start_year, 9, 14)
    year, _ = SchoolYear.objects.get_or_create(
        name=SchoolYear.name_for(starts_on),
        defaults={"starts_on": starts_on, "ends_on": datetime.date(start_year + 1, 6, 10)},
    )
    return year


def _note_hash(text: str) -> str:
    return hashlib.sha256(" ".join(text.lower().split()).encode()).hexdigest()


@dataclass
class Pupil:
    """One generated pupil, before it is written."""

    register_id: str
    origin: Origin
    given: str
    family: str
    sex: str
    birth_date: datetime.date
    school_class: SchoolClass
    arrived: datetime.date | None
    pattern: str
    struggling: bool  # low grades and behaviour notes
    sensitive_notes: str
    guardians: list[tuple[str, str, str]]  # (given, relationship, sex)


def _plan_pupils(
    rng: random.Random, code: str, classes: list[SchoolClass], count: int, today: datetime.date
) -> list[Pupil]:
    pupils = []
    for index in range(count):
        origin = rng.choice(ORIGINS)
        sex = rng.choice("FM")
        given = rng.choice(origin.given_f if sex == "F" else origin.given_m)
        family = rng.choice(origin.families)
        school_class = classes[index % len(classes)]
        start = school_class.school_year.starts_on
        # Most pupils are of the class's age; some are one or two years older (age–grade gap).
        gap = rng.choices([0, 1, 2, 3], weights=[70, 15, 10, 5])[0]
        age = school_class.usual_age + gap
        birth_date = datetime.date(start.year - age, rng.randint(1, 12), rng.randint(1, 28))
        if birth_date > start.replace(year=start.year - age):
            birth_date = birth_date.replace(year=birth_date.year - 1)
        arrived_years_ago = rng.choices([0.3, 1, 1.8, 3, 5, None], weights=[15, 15, 10, 20, 25, 15])[0]
        arrived = None if arrived_years_ago is None else today - datetime.timedelta(days=int(arrived_years_ago * 365))
        # The first pupils of each school are the ones clearly at risk, so every school has a few.
        if index < 3:
            pattern, struggling = ("chronic", True) if index < 2 else ("drifting", True)
        else:
            pattern = rng.choices(list(PATTERNS), weights=[60, 22, 8, 5, 5])[0]
            struggling = pattern == "chronic" or rng.random() < 0.05
        guardians = [(rng.choice(origin.given_f), "mother", "F")]
        if rng.random() < 0.6:
            guardians.append((rng.choice(origin.given_m), "father", "M"))
        pupils.append(
            Pupil(
                register_id=f"DEMO-{code}-{index + 1:03d}",
                origin=origin,
                given=given,
                family=family,
                sex=sex,
                birth_date=birth_date,
                school_class=school_class,
                arrived=arrived,
                pattern=pattern,
                struggling=struggling,
                sensitive_notes=SENSITIVE_NOTES[index % len(SENSITIVE_NOTES)] if index < 4 else "",
                guardians=guardians,
            )
        )
    return pupils


def _person(origin: Origin, given: str, family: str, **fields: Any) -> Person:
    """A Person with the name as the family writes it and in Latin letters (Person.save sets the search key)."""
    written_given = origin.written.get(given, given)
    written_family = origin.written.get(family, family)
    latin = written_given != given or written_family != family
    return Person.objects.create(
        given_names=written_given,
        family_names=written_family,
        given_names_latin=given if latin else "",
        family_names_latin=family if latin else "",
        citizenship=origin.country,
        languages=origin.languages,
        preferred_language=origin.languages[0],
        **fields,
    )


def _records(rng: random.Random, student: Student, pupil: Pupil, days: list[datetime.date]) -> tuple[list[Any], ...]:
    older, recent, late_share = PATTERNS[pupil.pattern]
    attendance = []
    recent_from = days[-1] - datetime.timedelta(days=30) if days else None
    for day in days:
        absent_share = recent if recent_from and day > recent_from else older
        roll = rng.random()
        if roll < absent_share:
            attendance.append(
                AttendanceRecord(
                    student=student,
                    date=day,
                    status=AttendanceRecord.Status.ABSENT,
                    absent_hours=Decimal(5),
                    justified=rng.random() < 0.4,
                )
            )
        elif roll < absent_share + late_share:
            status = rng.choice([AttendanceRecord.Status.LATE, AttendanceRecord.Status.LEFT_EARLY])
            hours = Decimal(1) if status == AttendanceRecord.Status.LATE else Decimal(2)
            attendance.append(AttendanceRecord(student=student, date=day, status=status, absent_hours=hours))
        else:
            attendance.append(AttendanceRecord(student=student, date=day, status=AttendanceRecord.Status.PRESENT))
    results = []
    test_days = days[::10]
    for subject in CORE_SUBJECTS + OTHER_SUBJECTS:
        for day in rng.sample(test_days, k=min(3, len(test_days))):
            low, high = (3.5, 5.5) if pupil.struggling and subject in CORE_SUBJECTS else (6.0, 9.5)
            grade = Decimal(str(round(rng.uniform(low, high) * 2) / 2)).quantize(Decimal("0.01"))
            results.append(
                ResultRecord(
                    student=student,
                    date=day,
                    subject=subject,
                    grade=grade,
                    is_core_subject=subject in CORE_SUBJECTS,
                    term="1° quadrimestre",
                )
            )
    notes = []
    count = rng.randint(4, 6) if pupil.struggling and pupil.pattern == "chronic" else rng.choice([0, 0, 0, 1])
    for day in sorted(rng.sample(days[-60:], k=min(count, len(days[-60:])))):
        severity, text = rng.choice(BEHAVIOUR_TEXTS)
        notes.append(BehaviourNote(student=student, date=day, severity=severity, text=text, text_hash=_note_hash(text)))
    return attendance, results, notes


def _staff(school: Organisation) -> list[User]:
    return list(
        User.objects.filter(
            pk__in=Membership.objects.filter(organisation=school, role__in=SCHOOL_ROLES).values("user_id")
        ).order_by("email")
    )


@transaction.atomic
def seed(organisations: dict[str, Organisation]) -> int:
    """Add the schools' demo records; returns how many pupils it created (0 on a second run)."""
    rng = random.Random(SEED)  # noqa: S311 (made-up demo data, not secrets)
    today = timezone.localdate()
    year = _current_year(today)
    days = _school_days(today)
    loaded_by = User.objects.filter(email=LOADED_BY).first()
    created_ids: list[int] = []
    for code, plan in SCHOOL_PLAN.items():
        school = organisations.get(code)
        if school is None:
            continue
        staff = _staff(school)
        sites = [
            SchoolSite.objects.get_or_create(
                school=school, name=name, defaults={"municipality": school.municipality, "address": ""}
            )[0]
            for name, _town in plan["sites"]
        ]
        classes = []
        for position, (name, stage, grade, site_index) in enumerate(plan["classes"]):
            school_class, _ = SchoolClass.objects.get_or_create(
                school=school,
                school_year=year,
                name=name,
                defaults={
                    "stage": stage,
                    "grade": grade,
                    "site": sites[site_index],
                    "referent": staff[position % len(staff)] if staff else None,
                },
            )
            classes.append(school_class)
        RiskSettings.objects.get_or_create(school=school, defaults={"auto_open_intervention": plan["auto_open"]})
        desk, made = HelpDesk.objects.get_or_create(
            school=school,
            name=f"Sportello interculturale – {school.municipality.name}",
            defaults={"site": sites[0], "languages": ["ar", "fr", "en", "ur", "ti"], "location": "Piano terra"},
        )
        if made:
            OpeningHours.objects.bulk_create(
                [
                    OpeningHours(help_desk=desk, weekday=0, opens=datetime.time(14, 30), closes=datetime.time(17)),
                    OpeningHours(help_desk=desk, weekday=3, opens=datetime.time(9), closes=datetime.time(12)),
                ]
            )

        pupils = _plan_pupils(rng, code, classes, plan["pupils"], today)
        existing = set(
            Student.objects.filter(school=school, register_id__in=[p.register_id for p in pupils]).values_list(
                "register_id", flat=True
            )
        )
        attendance: list[AttendanceRecord] = []
        results: list[ResultRecord] = []
        notes: list[BehaviourNote] = []
        links: list[PersonLink] = []
        consents: list[Consent] = []
        guardians: list[Guardian] = []
        for position, pupil in enumerate(pupils):
            if pupil.register_id in existing:
                continue
            person = _person(pupil.origin, pupil.given, pupil.family, birth_date=pupil.birth_date, sex=pupil.sex)
            student = Student.objects.create(
                person=person,
                school=school,
                school_class=pupil.school_class,
                register_id=pupil.register_id,
                arrived_in_italy_on=pupil.arrived,
                first_language=pupil.origin.languages[0],
                referent=pupil.school_class.referent,
                enrolled_on=min(year.starts_on, today),
                sensitive_notes=pupil.sensitive_notes or None,
            )
            created_ids.append(student.pk)
            links.append(PersonLink(person=person, organisation=school, reason=LINK_STUDENT, created_by=loaded_by))
            names = []
            for number, (given, relationship, sex) in enumerate(pupil.guardians):
                parent = _person(
                    pupil.origin,
                    given,
                    pupil.family,
                    sex=sex,
                    birth_date=datetime.date(pupil.birth_date.year - rng.randint(24, 40), rng.randint(1, 12), 15),
                    phone=f"+39 3{rng.randint(20, 49)} {rng.randint(1000000, 9999999)}",
                    email=f"famiglia.{pupil.register_id.lower()}.{number}@example.org",
                )
                names.append(str(parent))
                links.append(PersonLink(person=parent, organisation=school, reason=LINK_GUARDIAN, created_by=loaded_by))
                guardians.append(
                    Guardian(student=student, person=parent, relationship=relationship, is_primary_contact=number == 0)
                )
            if loaded_by is not None:
                purposes = [Consent.Purpose.SCHOOL_SUPPORT, Consent.Purpose.COMMUNICATIONS]
                if position % 4 == 0:
                    purposes.append(Consent.Purpose.SCHOOL_TO_PUA)
                if position % 9 == 5:
                    purposes.remove(Consent.Purpose.COMMUNICATIONS)  # not every family agrees to messages
                consents.extend(
                    Consent(
                        person=person,
                        purpose=purpose,
                        given_by_name=names[0],
                        evidence=f"modulo firmato, prot. {rng.randint(100, 999)}/{today.year}",
                        organisation=school,
                        recorded_by=loaded_by,
                        given_at=timezone.now() - datetime.timedelta(days=HISTORY_DAYS),
                    )
                    for purpose in purposes
                )
            pupil_attendance, pupil_results, pupil_notes = _records(rng, student, pupil, days)
            attendance += pupil_attendance
            results += pupil_results
            notes += pupil_notes
        PersonLink.objects.bulk_create(links)
        Guardian.objects.bulk_create(guardians)
        Consent.objects.bulk_create(consents)
        AttendanceRecord.objects.bulk_create(attendance, batch_size=2000, ignore_conflicts=True)
        ResultRecord.objects.bulk_create(results, ignore_conflicts=True)
        BehaviourNote.objects.bulk_create(notes, ignore_conflicts=True)

    created_ids += _enrol_core_demo_pupil(organisations, year, today, loaded_by)
    if created_ids:
        recompute_students(student_ids=created_ids, today=today)
    ensure_regional_templates()
    for code in SCHOOL_PLAN:
        if code in organisations:
            _seed_courses_and_initiatives(organisations[code], year, today, random.Random(f"{SEED}-{code}"))  # noqa: S311
            _seed_desk_work(organisations[code], today)
    return len(created_ids)


def _seed_desk_work(school: Organisation, today: datetime.date) -> None:
    """A few weeks of the help desk (walk-ins, mediator slots, two booked) and interventions for the
    pupils at high risk, one done and improved, through the services as the school's operator."""
    operator = User.objects.filter(
        memberships__organisation=school, memberships__role=Role.SCHOOL_OPERATOR, is_active=True
    ).first()
    desk = HelpDesk.objects.filter(school=school, active=True).order_by("pk").first()
    if operator is None or desk is None or desk.walk_ins.exists():
        return
    pupils = list(Student.objects.filter(school=school, left_on__isnull=True).order_by("pk")[:6])
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    visits = [
        (21, "enrolment", None, "Famiglia Haile", "ti"),
        (16, "language", 0, "", "ar"),
        (12, "documents", None, "Sig.ra Begum", "bn"),
        (9, "learning", 1, "", "ur"),
        (5, "family", 2, "", "ar"),
        (2, "health", None, "Sig. Okafor", "en"),
    ]
    for days_ago, topic, pupil, visitor, language in visits:
        helpdesk.log_walk_in(
            desk=desk,
            at=now - datetime.timedelta(days=days_ago, hours=3),
            topic=topic,
            by=operator,
            student=pupils[pupil] if pupil is not None and pupil < len(pupils) else None,
            visitor_name=visitor,
            language=language,
        )
    monday = today + datetime.timedelta(days=7 - today.weekday())
    slots = [
        helpdesk.create_slot(
            desk=desk,
            starts_at=timezone.make_aware(datetime.datetime.combine(monday, datetime.time(14 + hour, 30))),
            ends_at=timezone.make_aware(datetime.datetime.combine(monday, datetime.time(15 + hour, 15))),
            mediator_name=mediator,
            language=language,
            by=operator,
        )
        for hour, (mediator, language) in enumerate(
            [("Samira El Amrani", "ar"), ("Yonas Tekle", "ti"), ("Rukhsana Malik", "ur")]
        )
    ]
    if pupils:
        helpdesk.book_slot(slot=slots[0], by=operator, student=pupils[0])
    helpdesk.book_slot(slot=slots[1], by=operator, family_name="Famiglia Haile")
    at_risk = list(Student.objects.filter(school=school, risk_level="high", left_on__isnull=True).order_by("pk")[:3])
    plans = [("tutoring", "in_progress"), ("family_meeting", "planned"), ("italian_l2", "done")]
    for student, (kind, status) in zip(at_risk, plans, strict=False):
        intervention = interventions.create_intervention(
            student=student,
            kind=kind,
            starts_on=today - datetime.timedelta(days=20),
            by=operator,
            owner=operator,
            status="in_progress" if status != "planned" else "planned",
        )
        if status == "done":
            interventions.update_intervention(
                intervention=intervention,
                by=operator,
                status="done",
                ends_on=today - datetime.timedelta(days=1),
                outcome="improved",
                outcome_note="Partecipa di più in classe.",
            )


def _seed_courses_and_initiatives(
    school: Organisation, year: SchoolYear, today: datetime.date, rng: random.Random
) -> None:
    """An Italian L2 course and a mother-tongue course with their registers so far, and a festival
    with the families, through the services (audited as real use is). Once per school and year."""
    operator = User.objects.filter(
        memberships__organisation=school, memberships__role=Role.SCHOOL_OPERATOR, is_active=True
    ).first()
    if operator is None or Course.objects.filter(school=school, school_year=year).exists():
        return
    starts = year.starts_on + datetime.timedelta(days=30)
    ends = year.starts_on + datetime.timedelta(days=240)
    consenting = list(
        Student.objects.filter(
            school=school,
            left_on__isnull=True,
            person__consents__purpose=Consent.Purpose.SCHOOL_SUPPORT,
            person__consents__withdrawn_at__isnull=True,
        )
        .distinct()
        .order_by("pk")
    )
    plans: list[dict[str, Any]] = [
        {"kind": "italian_l2", "title": "Italiano L2 – livello A2", "cefr_level": "A2", "language": "", "weekday": 0},
        {
            "kind": "mother_tongue",
            "title": "Lingua araba per ragazzi",
            "cefr_level": "",
            "language": "ar",
            "weekday": 2,
        },
    ]
    for number, plan in enumerate(plans):
        course = courses.create_course(
            school=school,
            by=operator,
            kind=plan["kind"],
            title=plan["title"],
            cefr_level=plan["cefr_level"],
            language=plan["language"],
            teacher_name=["Maria Rossi", "Samira El Amrani"][number],
            starts_on=starts,
            ends_on=ends,
            hours_planned=40,
            capacity=15,
            school_year=year,
        )
        first_day = starts + datetime.timedelta(days=(plan["weekday"] - starts.weekday()) % 7)
        courses.add_sessions(
            course=course,
            day=first_day,
            starts=datetime.time(14, 30),
            ends=datetime.time(16, 30),
            by=operator,
            weeks=28,
        )
        for student in consenting[number * 6 : number * 6 + 12]:
            courses.enrol_student(course=course, student=student, by=operator, on=starts)
        for session in course.sessions.filter(starts_at__lte=timezone.now()).order_by("starts_at"):
            marks = {enrolment.pk: rng.random() < 0.85 for enrolment in courses.register_enrolments(session)}
            courses.record_attendance(session=session, marks=marks, by=operator)
    initiatives.create_initiative(
        school=school,
        by=operator,
        title="Festa dei popoli: cibi, musiche e giochi dal mondo",
        date=min(today, year.starts_on + datetime.timedelta(days=60)),
        place="Palestra della scuola",
        languages="ar, ur, ti, fr, uk",
        families_invited=40,
        families_participated=27,
        students_participated=65,
    )


def _enrol_core_demo_pupil(
    organisations: dict[str, Organisation], year: SchoolYear, today: datetime.date, loaded_by: User | None
) -> list[int]:
    """seed_demo links one fictional person to IC Potenza 1 as a pupil (Yusuf Khan): enrol him too."""
    school = organisations.get("IC-PZ1")
    if school is None:
        return []
    person = Person.objects.filter(
        links__organisation=school, links__reason=LINK_STUDENT, school_enrolments__isnull=True
    ).first()
    if person is None:
        return []
    school_class = SchoolClass.objects.filter(school=school, school_year=year, name="2B").first()
    student = Student.objects.create(
        person=person,
        school=school,
        school_class=school_class,
        register_id="DEMO-IC-PZ1-CORE",
        arrived_in_italy_on=today - datetime.timedelta(days=200),
        first_language=(person.languages or ["ur"])[0],
        referent=school_class.referent if school_class else None,
        enrolled_on=min(year.starts_on, today),
    )
    return [student.pk]
