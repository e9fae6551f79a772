"""Fill the database with demo data: desks, schools, associations, providers with their services,
one user per role and a few fictional people. Idempotent: a second run changes nothing.

Refuses to create demo users when DEBUG is off (their password is public in the README)."""

from __future__ import annotations

import datetime
from importlib import import_module
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from aipim.accounts.models import Membership, Role, User
from aipim.core.models import Location, Municipality, Organisation, Person, PersonLink, Schedule, Service

DEMO_PASSWORD = "demo-aipim-2026"  # noqa: S105 (documented in the README; demo only)

# The ten PUA desks: four new ones named by the programme, six examples standing for those already open.
PUA_DESKS = [
    ("IRS", "Irsina", False),
    ("PTG", "Pietragalla", False),
    ("PIC", "Picerno", False),
    ("MCV", "Marsicovetere", False),
    ("PZA", "Potenza", True),
    ("MTA", "Matera", True),
    ("MLF", "Melfi", True),
    ("PLC", "Policoro", True),
    ("LAU", "Lauria", True),
    ("PST", "Pisticci", True),
]
SCHOOLS = [
    ("IC-PZ1", "Istituto Comprensivo Potenza 1", "Potenza"),
    ("IC-MT2", "Istituto Comprensivo Matera 2", "Matera"),
    ("IIS-MLF", "Istituto di Istruzione Superiore Melfi", "Melfi"),
]
ASSOCIATIONS = [
    ("ASS-PONTI", "Associazione Ponti tra Culture", "Potenza"),
    ("ASS-TERRA", "Comunità Terra Nuova", "Matera"),
]
PROVIDERS = [
    ("ASP", "ASP Basilicata – Azienda Sanitaria di Potenza", "Potenza"),
    ("ASM", "ASM – Azienda Sanitaria di Matera", "Matera"),
    ("CPI-PZ", "Centro per l'Impiego di Potenza", "Potenza"),
    ("LEGAL-MT", "Sportello legale migranti Matera", "Matera"),
]

# (provider code, category, {lang: (name, description)}, languages, weekday hours)
SERVICES: list[tuple[str, str, dict[str, tuple[str, str]], list[str], list[tuple[str, str, str]]]] = [
    (
        "ASP",
        "health",
        {
            "it": (
                "Ambulatorio STP per stranieri",
                "Visite mediche di base per chi non ha ancora la tessera sanitaria.",
            ),
            "en": ("STP clinic for foreign nationals", "Basic medical care for people without a health card yet."),
            "fr": (
                "Dispensaire STP pour étrangers",
                "Soins médicaux de base pour qui n'a pas encore la carte sanitaire.",
            ),
            "ar": ("عيادة STP للأجانب", "رعاية طبية أساسية لمن لا يملك بعد البطاقة الصحية."),
        },
        ["it", "en", "fr", "ar"],
        [("MO", "09:00", "12:00"), ("WE", "14:00", "17:00")],
    ),
    (
        "ASM",
        "health",
        {
            "it": ("Consultorio familiare", "Salute della donna, gravidanza e bambini."),
            "en": ("Family health centre", "Women's health, pregnancy and children."),
            "fr": ("Centre de santé familiale", "Santé des femmes, grossesse et enfants."),
            "ar": ("مركز صحة الأسرة", "صحة المرأة والحمل والأطفال."),
        },
        ["it", "en", "fr"],
        [("TU", "09:00", "13:00"), ("TH", "09:00", "13:00")],
    ),
    (
        "CPI-PZ",
        "work",
        {
            "it": ("Orientamento al lavoro", "Iscrizione, colloqui e corsi per trovare lavoro."),
            "en": ("Job orientation", "Registration, interviews and courses to find work."),
            "fr": ("Orientation professionnelle", "Inscription, entretiens et formations pour trouver un emploi."),
            "ar": ("التوجيه المهني", "التسجيل والمقابلات والدورات للعثور على عمل."),
        },
        ["it", "en"],
        [("MO", "09:00", "12:30"), ("TU", "09:00", "12:30"), ("TH", "15:00", "17:00")],
    ),
    (
        "LEGAL-MT",
        "legal",
        {
            "it": ("Consulenza su permesso di soggiorno", "Aiuto per rinnovi, ricongiungimento familiare e documenti."),
            "en": ("Residence permit advice", "Help with renewals, family reunification and documents."),
            "fr": (
                "Conseil sur le titre de séjour",
                "Aide pour les renouvellements, le regroupement familial et les documents.",
            ),
            "ar": ("استشارة حول تصريح الإقامة", "مساعدة في التجديد ولمّ شمل الأسرة والوثائق."),
        },
        ["it", "fr", "ar"],
        [("WE", "10:00", "13:00")],
    ),
    (
        "ASS-PONTI",
        "interpreting",
        {
            "it": ("Mediazione linguistico-culturale", "Mediatori in arabo, francese, urdu e tigrino su appuntamento."),
            "en": ("Cultural and language mediation", "Mediators in Arabic, French, Urdu and Tigrinya by appointment."),
            "fr": (
                "Médiation linguistique et culturelle",
                "Médiateurs en arabe, français, ourdou et tigrigna sur rendez-vous.",
            ),
            "ar": ("الوساطة اللغوية والثقافية", "وسطاء بالعربية والفرنسية والأردية والتغرينية بموعد مسبق."),
        },
        ["it", "ar", "fr", "ur", "ti"],
        [("FR", "15:00", "18:00")],
    ),
]

# One demo user per role: (email, name, role, organisation code)
DEMO_USERS = [
    ("caseworker@demo.aipim.it", "Giulia Caseworker (Irsina)", Role.CASEWORKER, "IRS"),
    ("caseworker.picerno@demo.aipim.it", "Marco Caseworker (Picerno)", Role.CASEWORKER, "PIC"),
    ("supervisor@demo.aipim.it", "Anna Supervisor (Irsina)", Role.PUA_SUPERVISOR, "IRS"),
    ("school.operator@demo.aipim.it", "Sara Operator (IC Potenza 1)", Role.SCHOOL_OPERATOR, "IC-PZ1"),
    ("school.staff@demo.aipim.it", "Luca Teacher (IC Potenza 1)", Role.SCHOOL_STAFF, "IC-PZ1"),
    ("school.operator.matera@demo.aipim.it", "Rosa Operator (IC Matera 2)", Role.SCHOOL_OPERATOR, "IC-MT2"),
    ("school.operator.melfi@demo.aipim.it", "Nicola Operator (IIS Melfi)", Role.SCHOOL_OPERATOR, "IIS-MLF"),
    ("association@demo.aipim.it", "Fatima Manager (Ponti tra Culture)", Role.ASSOCIATION_MANAGER, "ASS-PONTI"),
    ("editor@demo.aipim.it", "Elena Editor (Regione)", Role.EDITOR, "REGIONE"),
    ("official@demo.aipim.it", "Paolo Official (Regione)", Role.REGIONAL_OFFICIAL, "REGIONE"),
    ("admin@demo.aipim.it", "Admin (Regione)", Role.ADMINISTRATOR, "REGIONE"),
]

# Fictional people: (given, family, given latin, family latin, birth, sex, citizenship, languages, desk/school)
DEMO_PEOPLE = [
    ("محمد", "العلي", "Mohamed", "Al Ali", datetime.date(1990, 4, 12), "M", "MA", ["ar", "fr"], "IRS"),
    ("Amina", "Diallo", "", "", datetime.date(1995, 9, 3), "F", "SN", ["fr", "wo"], "IRS"),
    ("Tesfay", "Gebremedhin", "", "", datetime.date(1988, 1, 20), "M", "ER", ["ti", "en"], "PIC"),
    ("Rahim", "Uddin", "", "", datetime.date(2001, 6, 30), "M", "BD", ["bn", "en"], "PZA"),
    ("Yusuf", "Khan", "", "", datetime.date(2012, 2, 14), "M", "PK", ["ur", "en"], "IC-PZ1"),
]


class Command(BaseCommand):
    help = "Load demo data (idempotent). Refuses to create demo users when DEBUG is off."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--no-users", action="store_true", help="Only organisations and the directory.")

    def handle(self, *args: Any, no_users: bool = False, **options: Any) -> None:
        if not no_users and not settings.DEBUG:
            raise CommandError("Refusing to create demo users with DEBUG off: their password is public.")
        with transaction.atomic():
            created = self._seed(no_users=no_users)
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({created} records created)."))

    def _seed(self, *, no_users: bool) -> int:
        created = 0
        organisations: dict[str, Organisation] = {}

        def organisation(code: str, name: str, kind: str, town: str, example: bool = False) -> None:
            nonlocal created
            obj, made = Organisation.objects.get_or_create(
                code=code,
                defaults={
                    "name": name,
                    "kind": kind,
                    "municipality": Municipality.objects.get(name=town),
                    "is_example": example,
                    "email": f"{code.lower()}@demo.aipim.it",
                },
            )
            organisations[code] = obj
            created += made

        organisation(
            "REGIONE", "Regione Basilicata – Ufficio Immigrazione", Organisation.Kind.REGIONAL_OFFICE, "Potenza"
        )
        for code, town, example in PUA_DESKS:
            label = f"PUA {town}" + (" (esempio)" if example else "")
            organisation(code, label, Organisation.Kind.PUA_DESK, town, example)
        for code, name, town in SCHOOLS:
            organisation(code, name, Organisation.Kind.SCHOOL, town, True)
        for code, name, town in ASSOCIATIONS:
            organisation(code, name, Organisation.Kind.ASSOCIATION, town, True)
        for code, name, town in PROVIDERS:
            organisation(code, name, Organisation.Kind.SERVICE_PROVIDER, town, True)

        for code, category, texts, languages, hours in SERVICES:
            owner = organisations[code]
            service = Service.objects.filter(organisation=owner, external_id=f"demo:{code}").first()
            if service is None:
                fields: dict[str, Any] = {"organisation": owner, "category": category, "languages": languages}
                for lang, (name, description) in texts.items():
                    fields[f"name_{lang}"] = name
                    fields[f"description_{lang}"] = description
                service = Service.objects.create(external_id=f"demo:{code}", name=texts["it"][0], **fields)
                location = Location.objects.create(
                    organisation=owner,
                    name=owner.name,
                    address="Via del Gallitello 1" if owner.municipality.name == "Potenza" else "Via Lucana 10",
                    postal_code="85100" if owner.municipality.province_code == "PZ" else "75100",
                    municipality=owner.municipality,
                    accessibility_it="Ingresso senza gradini, ascensore.",
                    accessibility_en="Step-free entrance, lift.",
                )
                service.locations.add(location)
                for weekday, opens, closes in hours:
                    Schedule.objects.create(
                        service=service, location=location, weekday=weekday, opens_at=opens, closes_at=closes
                    )
                created += 1

        if not no_users:
            created += self._users(organisations)
            created += self._people(organisations)
            created += self._apps(organisations)
        return created

    def _apps(self, organisations: dict[str, Organisation]) -> int:
        """Each app may add its own demo records in `<app>/demo.py` with `seed(organisations) -> int`."""
        created = 0
        for app in ("schools", "pua", "portal_sync", "associations"):
            try:
                module = import_module(f"{app}.demo")
            except ModuleNotFoundError:
                continue
            created += module.seed(organisations)
        return created

    def _users(self, organisations: dict[str, Organisation]) -> int:
        created = 0
        for email, name, role, code in DEMO_USERS:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(
                    email, DEMO_PASSWORD, full_name=name, is_staff=role == Role.ADMINISTRATOR
                )
                created += 1
            _, made = Membership.objects.get_or_create(user=user, organisation=organisations[code], role=role)
            created += made
        return created

    def _people(self, organisations: dict[str, Organisation]) -> int:
        created = 0
        for given, family, given_latin, family_latin, birth, sex, country, languages, code in DEMO_PEOPLE:
            person, made = Person.objects.get_or_create(
                given_names=given,
                family_names=family,
                birth_date=birth,
                defaults={
                    "given_names_latin": given_latin,
                    "family_names_latin": family_latin,
                    "sex": sex,
                    "citizenship": country,
                    "languages": languages,
                    "preferred_language": languages[0],
                    "municipality": organisations[code].municipality,
                },
            )
            created += made
            reason = "student" if organisations[code].kind == Organisation.Kind.SCHOOL else "case"
            _, made = PersonLink.objects.get_or_create(
                person=person, organisation=organisations[code], reason=reason, ended_at=None
            )
            created += made
        return created
