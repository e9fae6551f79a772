"""Demo data of Action 4, loaded by `manage.py seed_demo`: the public profiles of the demo
associations, a legal-guidance network with its service in the directory, and workshops and events
in several municipalities (texts in Italian, English, French and Arabic): a series, a partner
institution's event, a free-entry event, one session full with a waiting list, and one workshop
already held, with its check-ins and a no-show, so that the Action 4 report has something to count.

Bookings are made through the booking service (seat counts, waiting list and messages as in real
use); the only direct writes move the held workshop into the past (the service refuses to book a
past session). Idempotent: profiles are found by organisation, the network and events by slug, and
an event already there gets nothing new."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from aipim.accounts.models import User
from aipim.core.directory import create_service
from aipim.core.models import Municipality, Organisation
from associations.models import (
    Association,
    Audience,
    BookingMode,
    Event,
    EventCategory,
    EventKind,
    EventStatus,
    LegalForm,
    Network,
    NetworkMembership,
    NetworkSpecialty,
    Session,
)
from associations.services.booking import book, check_in

LOADED_BY = "admin@demo.aipim.it"
MANAGER = "association@demo.aipim.it"
NETWORK_SLUG = "rete-orientamento-legale"

Texts = dict[str, tuple[str, str]]  # language -> (summary, description)

PROFILES: dict[str, dict[str, Any]] = {
    "ASS-PONTI": {
        "slug": "ponti-tra-culture",
        "legal_form": LegalForm.APS,
        "runts_number": "DEMO-PZ-0412",
        "founded_year": 2014,
        "languages": ["it", "ar", "fr", "en"],
        "is_migrant_led": True,
        "address": "Via Pretoria 48, Potenza",
        "description": {
            "it": "Associazione di promozione sociale fondata da donne siriane, marocchine e italiane: "
            "laboratori di cucina, lingua e artigianato aperti a tutti.",
            "en": "A social promotion association founded by Syrian, Moroccan and Italian women: cooking, "
            "language and craft workshops open to everyone.",
            "fr": "Association de promotion sociale fondée par des femmes syriennes, marocaines et italiennes : "
            "ateliers de cuisine, de langue et d'artisanat ouverts à tous.",
            "ar": "جمعية للنهوض الاجتماعي أسستها نساء سوريات ومغربيات وإيطاليات: ورش للطبخ واللغة والحرف "
            "اليدوية مفتوحة للجميع.",
        },
    },
    "ASS-TERRA": {
        "slug": "terra-nuova",
        "legal_form": LegalForm.ODV,
        "runts_number": "",
        "founded_year": 2009,
        "languages": ["it", "en", "ti", "fr"],
        "is_migrant_led": True,
        "address": "Via Lucana 120, Matera",
        "description": {
            "it": "Organizzazione di volontariato di famiglie eritree, senegalesi e materane: orientamento al "
            "lavoro, racconti e feste di quartiere.",
            "en": "A voluntary organisation of Eritrean, Senegalese and Materan families: job orientation, "
            "storytelling and neighbourhood festivals.",
            "fr": "Organisation de bénévoles de familles érythréennes, sénégalaises et de Matera : orientation "
            "vers l'emploi, contes et fêtes de quartier.",
            "ar": "منظمة تطوعية لعائلات إريترية وسنغالية ومن ماتيرا: توجيه نحو العمل وحكايات واحتفالات الحي.",
        },
    },
}

NETWORK: dict[str, Any] = {
    "name": {
        "it": "Rete per l'orientamento legale",
        "en": "Legal guidance network",
        "fr": "Réseau d'orientation juridique",
        "ar": "شبكة التوجيه القانوني",
    },
    "description": {
        "it": "Volontari e mediatori delle associazioni aiutano a capire permessi di soggiorno, "
        "ricongiungimento familiare e cittadinanza, e accompagnano dagli avvocati convenzionati.",
        "en": "Volunteers and mediators of the associations help with residence permits, family reunification "
        "and citizenship, and go with you to partner lawyers.",
        "fr": "Bénévoles et médiateurs des associations aident pour les titres de séjour, le regroupement "
        "familial et la nationalité, et accompagnent chez des avocats partenaires.",
        "ar": "يساعد متطوعو الجمعيات ووسطاؤها في فهم تصاريح الإقامة ولمّ الشمل والجنسية، ويرافقونك إلى محامين متعاقدين.",
    },
    "how_to_access": {
        "it": "Senza appuntamento il martedì pomeriggio a Potenza e il giovedì mattina a Matera.",
        "en": "No appointment needed: Tuesday afternoons in Potenza, Thursday mornings in Matera.",
        "fr": "Sans rendez-vous : le mardi après-midi à Potenza, le jeudi matin à Matera.",
        "ar": "بدون موعد: بعد ظهر الثلاثاء في بوتنسا وصباح الخميس في ماتيرا.",
    },
    "members": [("ASS-PONTI", "Coordinamento, sportello di Potenza"), ("ASS-TERRA", "Sportello di Matera")],
}

# Fictional bookers: (name, email, phone, language, audience)
BOOKERS = [
    ("Amina Haddad", "amina.haddad@example.org", "", "ar", Audience.MIGRANTS),
    ("Giulia Santarsiero", "giulia.santarsiero@example.org", "", "it", Audience.RESIDENTS),
    ("Moussa Diallo", "moussa.diallo@example.org", "+39 333 100 2001", "fr", Audience.MIGRANTS),
    ("Rocco Lauria", "rocco.lauria@example.org", "", "it", Audience.FAMILIES),
    ("Selam Tesfay", "", "+39 333 100 2002", "en", Audience.MIGRANTS),
    ("Francesca Summa", "francesca.summa@example.org", "", "it", Audience.RESIDENTS),
    ("Youssef El Amrani", "youssef.elamrani@example.org", "", "ar", Audience.FAMILIES),
    ("Aminata Camara", "aminata.camara@example.org", "", "fr", Audience.MIGRANTS),
    ("Marco Pace", "marco.pace@example.org", "", "en", Audience.RESIDENTS),
    ("Layla Mansour", "layla.mansour@example.org", "", "ar", Audience.MIGRANTS),
]


def _texts(title: dict[str, str], summary: dict[str, str], description: dict[str, str]) -> dict[str, str]:
    fields = {"title": title["it"], "summary": summary["it"], "description": description["it"]}
    for language in ("it", "en", "fr", "ar"):
        fields[f"title_{language}"] = title[language]
        fields[f"summary_{language}"] = summary[language]
        fields[f"description_{language}"] = description[language]
    return fields


# Events: slug -> fields, sessions (days from today, hour, hours long, town, venue, address, capacity),
# bookings (booker index, seats) in order, and whether it is already held (moved into the past).
EVENTS: list[dict[str, Any]] = [
    {
        "slug": "demo-cucina-siriana",
        "organiser": "ASS-PONTI",
        "kind": EventKind.WORKSHOP,
        "category": EventCategory.FOOD,
        "audiences": [Audience.RESIDENTS, Audience.MIGRANTS],
        "languages": ["it", "ar"],
        "is_migrant_led": True,
        "led_by": "Rasha, cuoca di Aleppo",
        "texts": _texts(
            {
                "it": "Cucina siriana per tutti",
                "en": "Syrian cooking for everyone",
                "fr": "Cuisine syrienne pour tous",
                "ar": "المطبخ السوري للجميع",
            },
            {
                "it": "Prepariamo insieme fattoush e kibbeh.",
                "en": "Let's make fattoush and kibbeh together.",
                "fr": "Préparons ensemble fattoush et kibbeh.",
                "ar": "لنحضّر معًا الفتوش والكبة.",
            },
            {
                "it": "Un pomeriggio ai fornelli con Rasha: ricette di famiglia, spezie e storie di Aleppo.",
                "en": "An afternoon in the kitchen with Rasha: family recipes, spices and stories from Aleppo.",
                "fr": "Un après-midi en cuisine avec Rasha : recettes de famille, épices et histoires d'Alep.",
                "ar": "بعد ظهر في المطبخ مع رشا: وصفات عائلية وبهارات وحكايات من حلب.",
            },
        ),
        "accessibility_notes_it": "Cucina al piano terra, senza gradini.",
        "accessibility_notes_en": "Ground-floor kitchen, step-free.",
        "sessions": [(5, 17, 3, "Potenza", "Centro interculturale", "Via Pretoria 48", 12)],
        "bookings": [(0, 2), (1, 1), (2, 2), (5, 1)],
    },
    {
        "slug": "demo-arabo-base",
        "organiser": "ASS-PONTI",
        "kind": EventKind.WORKSHOP,
        "category": EventCategory.LANGUAGE,
        "audiences": [Audience.RESIDENTS, Audience.FAMILIES],
        "languages": ["it", "ar"],
        "is_migrant_led": True,
        "led_by": "Nour",
        "booking_mode": BookingMode.SERIES,
        "texts": _texts(
            {"it": "Arabo di base", "en": "Basic Arabic", "fr": "Arabe de base", "ar": "العربية للمبتدئين"},
            {
                "it": "Tre incontri per leggere e salutare in arabo.",
                "en": "Three meetings to read and greet in Arabic.",
                "fr": "Trois rencontres pour lire et saluer en arabe.",
                "ar": "ثلاثة لقاءات للقراءة والتحية بالعربية.",
            },
            {
                "it": "Un corso breve per vicini, insegnanti e famiglie: l'alfabeto, i saluti, i numeri.",
                "en": "A short course for neighbours, teachers and families: the alphabet, greetings, numbers.",
                "fr": "Un cours court pour voisins, enseignants et familles : l'alphabet, les salutations, "
                "les nombres.",
                "ar": "دورة قصيرة للجيران والمعلمين والعائلات: الحروف والتحيات والأرقام.",
            },
        ),
        "sessions": [
            (4, 18, 2, "Potenza", "Biblioteca provinciale", "Piazza delle Regioni 1", 10),
            (11, 18, 2, "Potenza", "Biblioteca provinciale", "Piazza delle Regioni 1", 10),
            (18, 18, 2, "Potenza", "Biblioteca provinciale", "Piazza delle Regioni 1", 10),
        ],
        "bookings": [(1, 1), (3, 2), (8, 1)],
    },
    {
        "slug": "demo-henne",
        "organiser": "ASS-PONTI",
        "kind": EventKind.WORKSHOP,
        "category": EventCategory.ARTS,
        "audiences": [Audience.RESIDENTS, Audience.MIGRANTS, Audience.FAMILIES],
        "languages": ["it", "ar", "fr"],
        "is_migrant_led": True,
        "led_by": "Khadija",
        "max_seats_per_booking": 4,
        "texts": _texts(
            {
                "it": "Laboratorio di henné",
                "en": "Henna workshop",
                "fr": "Atelier de henné",
                "ar": "ورشة الحناء",
            },
            {
                "it": "Disegni di henné e il loro significato.",
                "en": "Henna patterns and what they mean.",
                "fr": "Motifs de henné et leur signification.",
                "ar": "نقوش الحناء ومعانيها.",
            },
            {
                "it": "Khadija racconta le feste del Marocco e insegna i primi motivi. Posti limitati.",
                "en": "Khadija tells of Moroccan festivals and teaches the first patterns. Few seats.",
                "fr": "Khadija raconte les fêtes du Maroc et enseigne les premiers motifs. Places limitées.",
                "ar": "تحكي خديجة عن أعياد المغرب وتعلّم النقوش الأولى. المقاعد محدودة.",
            },
        ),
        # Six seats: the first two bookings fill them, the next two wait.
        "sessions": [(9, 16, 2, "Melfi", "Sala del Castello", "Via Castello 1", 6)],
        "bookings": [(6, 4), (9, 2), (7, 2), (4, 1)],
    },
    {
        "slug": "demo-racconti-eritrea",
        "organiser": "ASS-TERRA",
        "kind": EventKind.EVENT,
        "category": EventCategory.CULTURE,
        "audiences": [Audience.FAMILIES, Audience.SCHOOLS],
        "languages": ["it", "ti", "en"],
        "is_migrant_led": True,
        "led_by": "Luwam e Helen",
        "texts": _texts(
            {
                "it": "Racconti d'Eritrea per bambini",
                "en": "Stories from Eritrea for children",
                "fr": "Contes d'Érythrée pour enfants",
                "ar": "حكايات من إريتريا للأطفال",
            },
            {
                "it": "Fiabe in tigrino e italiano, con merenda.",
                "en": "Fairy tales in Tigrinya and Italian, with a snack.",
                "fr": "Contes en tigrigna et en italien, avec goûter.",
                "ar": "حكايات بالتغرينية والإيطالية مع وجبة خفيفة.",
            },
            {
                "it": "Un pomeriggio per famiglie e classi della primaria: fiabe, canti e disegni.",
                "en": "An afternoon for families and primary classes: tales, songs and drawing.",
                "fr": "Un après-midi pour les familles et les classes de primaire : contes, chants et dessins.",
                "ar": "بعد ظهر للعائلات وصفوف الابتدائي: حكايات وأغانٍ ورسم.",
            },
        ),
        "sessions": [(12, 16, 2, "Matera", "Casa di Quartiere Spine Bianche", "Via Cappelluti 2", 30)],
        "bookings": [(3, 3), (4, 2), (6, 2)],
    },
    {
        "slug": "demo-cv-lavoro",
        "organiser": "ASS-TERRA",
        "kind": EventKind.WORKSHOP,
        "category": EventCategory.WORK,
        "audiences": [Audience.MIGRANTS],
        "languages": ["it", "en", "fr"],
        "is_migrant_led": False,
        "led_by": "Volontari di Terra Nuova",
        "texts": _texts(
            {
                "it": "Il curriculum e il colloquio di lavoro",
                "en": "Your CV and the job interview",
                "fr": "Le CV et l'entretien d'embauche",
                "ar": "السيرة الذاتية ومقابلة العمل",
            },
            {
                "it": "Scrivere il CV e prepararsi al colloquio.",
                "en": "Write your CV and get ready for the interview.",
                "fr": "Rédiger son CV et se préparer à l'entretien.",
                "ar": "كتابة السيرة الذاتية والاستعداد للمقابلة.",
            },
            {
                "it": "Porta il tuo CV o i tuoi titoli: lo scriviamo insieme e simuliamo un colloquio.",
                "en": "Bring your CV or diplomas: we write it together and rehearse an interview.",
                "fr": "Apportez votre CV ou vos diplômes : on le rédige ensemble et on simule un entretien.",
                "ar": "أحضر سيرتك الذاتية أو شهاداتك: نكتبها معًا ونتدرّب على مقابلة.",
            },
        ),
        "sessions": [
            (6, 10, 3, "Matera", "Sede Terra Nuova", "Via Lucana 120", 15),
            (13, 10, 3, "Pisticci", "Centro giovani", "Corso Margherita 5", 15),
        ],
        "bookings": [(2, 1), (4, 1), (7, 1)],
    },
    {
        "slug": "demo-museo-notte",
        "organiser": None,
        "partner_name": "Museo Archeologico Nazionale Domenico Ridola",
        "kind": EventKind.PARTNER,
        "category": EventCategory.CULTURE,
        "audiences": [Audience.MIGRANTS, Audience.RESIDENTS, Audience.FAMILIES],
        "languages": ["it", "en", "ar"],
        "external_url": "https://example.org/museo-ridola",
        "texts": _texts(
            {
                "it": "Una sera al museo, con mediatori",
                "en": "An evening at the museum, with mediators",
                "fr": "Une soirée au musée, avec des médiateurs",
                "ar": "أمسية في المتحف مع وسطاء ثقافيين",
            },
            {
                "it": "Visita gratuita con mediatori in arabo e inglese.",
                "en": "Free visit with mediators speaking Arabic and English.",
                "fr": "Visite gratuite avec des médiateurs en arabe et en anglais.",
                "ar": "زيارة مجانية مع وسطاء يتحدثون العربية والإنجليزية.",
            },
            {
                "it": "Il museo apre la sera per le nuove comunità di Matera: reperti, storie e un tè insieme.",
                "en": "The museum opens in the evening for Matera's new communities: finds, stories and tea.",
                "fr": "Le musée ouvre le soir pour les nouvelles communautés de Matera : objets, récits et thé.",
                "ar": "يفتح المتحف مساءً لمجتمعات ماتيرا الجديدة: قطع أثرية وحكايات وشاي معًا.",
            },
        ),
        "sessions": [(15, 19, 2, "Matera", "Museo Ridola", "Via Ridola 24", 40)],
        "bookings": [(0, 2), (9, 1)],
    },
    {
        "slug": "demo-festa-quartiere",
        "organiser": "ASS-TERRA",
        "kind": EventKind.EVENT,
        "category": EventCategory.MUSIC_DANCE,
        "audiences": [Audience.RESIDENTS, Audience.MIGRANTS, Audience.FAMILIES],
        "languages": ["it", "fr", "en"],
        "is_migrant_led": True,
        "led_by": "Gruppo Sabar di Policoro",
        "booking_mode": BookingMode.NONE,
        "texts": _texts(
            {
                "it": "Festa di quartiere: tamburi sabar",
                "en": "Neighbourhood party: sabar drums",
                "fr": "Fête de quartier : tambours sabar",
                "ar": "حفلة الحي: طبول السابار",
            },
            {
                "it": "Musica e danze del Senegal, ingresso libero.",
                "en": "Music and dance from Senegal, free entry.",
                "fr": "Musique et danses du Sénégal, entrée libre.",
                "ar": "موسيقى ورقصات من السنغال، الدخول مجاني.",
            },
            {
                "it": "In piazza con il gruppo Sabar: si balla tutti insieme. Senza prenotazione.",
                "en": "In the square with the Sabar group: everyone dances. No booking needed.",
                "fr": "Sur la place avec le groupe Sabar : tout le monde danse. Sans réservation.",
                "ar": "في الساحة مع فرقة السابار: يرقص الجميع معًا. دون حجز.",
            },
        ),
        "sessions": [(20, 18, 3, "Policoro", "Piazza Eraclea", "Piazza Eraclea", 200)],
        "bookings": [],
    },
    {
        "slug": "demo-calligrafia",
        "organiser": "ASS-PONTI",
        "kind": EventKind.WORKSHOP,
        "category": EventCategory.ARTS,
        "audiences": [Audience.RESIDENTS, Audience.SCHOOLS],
        "languages": ["it", "ar"],
        "is_migrant_led": True,
        "led_by": "Omar",
        "held_days_ago": 10,
        "texts": _texts(
            {
                "it": "Calligrafia araba",
                "en": "Arabic calligraphy",
                "fr": "Calligraphie arabe",
                "ar": "الخط العربي",
            },
            {
                "it": "Il proprio nome scritto con il calamo.",
                "en": "Your own name written with a reed pen.",
                "fr": "Son propre nom écrit au calame.",
                "ar": "اكتب اسمك بالقلم القصبي.",
            },
            {
                "it": "Omar mostra gli stili della calligrafia araba; ognuno scrive il proprio nome.",
                "en": "Omar shows the styles of Arabic calligraphy; everyone writes their own name.",
                "fr": "Omar montre les styles de la calligraphie arabe ; chacun écrit son nom.",
                "ar": "يعرض عمر أنماط الخط العربي، ويكتب كل مشارك اسمه.",
            },
        ),
        "sessions": [(2, 17, 2, "Potenza", "Centro interculturale", "Via Pretoria 48", 15)],
        # (booker, seats, people who came: None for a no-show)
        "bookings": [(1, 2), (5, 1), (8, 1), (9, 1)],
        "check_ins": [2, 1, None, 1],
    },
]


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _profiles(organisations: dict[str, Organisation]) -> tuple[dict[str, Association], int]:
    created = 0
    profiles: dict[str, Association] = {}
    for code, plan in PROFILES.items():
        organisation = organisations.get(code)
        if organisation is None:
            continue
        texts = plan["description"]
        if not organisation.description:
            for language, text in texts.items():
                setattr(organisation, f"description_{language}", text)
            organisation.save()
        fields = {key: value for key, value in plan.items() if key != "description"}
        profiles[code], made = Association.objects.get_or_create(organisation=organisation, defaults=fields)
        created += made
    return profiles, created


def _network(profiles: dict[str, Association], admin: User | None) -> int:
    lead = profiles.get(NETWORK["members"][0][0])
    if lead is None or Network.objects.filter(slug=NETWORK_SLUG).exists():
        return 0
    translated = {
        f"{field}_{language}": text
        for field in ("name", "description", "how_to_access")
        for language, text in NETWORK[field].items()
    }
    service = create_service(
        organisation=lead.organisation,
        fields={
            "name": NETWORK["name"]["it"],
            "description": NETWORK["description"]["it"],
            "application_process": NETWORK["how_to_access"]["it"],
            **{f"name_{lang}": text for lang, text in NETWORK["name"].items()},
            **{f"description_{lang}": text for lang, text in NETWORK["description"].items()},
            **{f"application_process_{lang}": text for lang, text in NETWORK["how_to_access"].items()},
            "category": "legal",
            "languages": ["it", "ar", "fr", "en", "ti"],
            "email": "legale@ponti.example.org",
        },
        locations=[
            {
                "name": "Sportello legale Ponti tra Culture",
                "address": "Via Pretoria 48",
                "postal_code": "85100",
                "municipality": Municipality.objects.get(name="Potenza"),
            }
        ],
        schedules=[
            {"weekday": "TU", "opens_at": datetime.time(15), "closes_at": datetime.time(18)},
            {"weekday": "TH", "opens_at": datetime.time(9), "closes_at": datetime.time(12)},
        ],
        by=admin,
    )
    network = Network.objects.create(
        slug=NETWORK_SLUG,
        specialty=NetworkSpecialty.LEGAL,
        lead=lead,
        service=service,
        email="legale@ponti.example.org",
        name=NETWORK["name"]["it"],
        description=NETWORK["description"]["it"],
        how_to_access=NETWORK["how_to_access"]["it"],
        **translated,
    )
    for code, role in NETWORK["members"]:
        if code in profiles:
            NetworkMembership.objects.create(network=network, association=profiles[code], role=role)
    return 1


def _event(plan: dict[str, Any], profiles: dict[str, Association], today: datetime.date, manager: User | None) -> int:
    organiser = plan["organiser"]
    if organiser is not None and organiser not in profiles:
        return 0
    if Event.objects.filter(slug=plan["slug"]).exists():
        return 0
    fields = {
        key: value
        for key, value in plan.items()
        if key not in ("organiser", "texts", "sessions", "bookings", "check_ins", "held_days_ago")
    }
    event = Event.objects.create(
        association=profiles[organiser] if organiser else None,
        status=EventStatus.PUBLISHED,
        created_by=manager,
        **fields,
        **plan["texts"],
    )
    sessions = [
        Session.objects.create(
            event=event,
            starts_at=_at(today + datetime.timedelta(days=days), hour),
            ends_at=_at(today + datetime.timedelta(days=days), hour + hours),
            venue=venue,
            address=address,
            municipality=Municipality.objects.get(name=town),
            capacity=capacity,
        )
        for days, hour, hours, town, venue, address, capacity in plan["sessions"]
    ]
    bookings = []
    for booker, seats in plan["bookings"]:
        name, email, phone, language, audience = BOOKERS[booker]
        bookings.append(
            book(
                event=event,
                session=None if event.booking_mode == BookingMode.SERIES else sessions[0],
                name=name,
                email=email,
                phone=phone,
                seats=seats,
                language=language,
                audience=audience,
            )
        )
    held_days_ago = plan.get("held_days_ago")
    if held_days_ago:
        # Booked while it was ahead; now it took place (the service books only sessions to come).
        shift = datetime.timedelta(days=held_days_ago + plan["sessions"][0][0])
        for session in sessions:
            Session.objects.filter(pk=session.pk).update(
                starts_at=session.starts_at - shift, ends_at=session.ends_at - shift
            )
            session.refresh_from_db()
        for booking, came in zip(bookings, plan["check_ins"], strict=True):
            if came is not None:
                check_in(booking, sessions[0], by=manager, seats=came)
    return 1 + len(sessions) + len(bookings)


@transaction.atomic
def seed(organisations: dict[str, Organisation]) -> int:
    """Add Action 4's demo records; returns how many it created (0 on a second run)."""
    admin = User.objects.filter(email=LOADED_BY).first()
    manager = User.objects.filter(email=MANAGER).first()
    profiles, created = _profiles(organisations)
    created += _network(profiles, admin)
    today = timezone.localdate()
    for plan in EVENTS:
        created += _event(plan, profiles, today, manager)
    return created
