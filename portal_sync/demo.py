"""Demo data of Action 3, loaded by `manage.py seed_demo`: the national portal's news feed, its
opportunities feed and its HSDS directory as three pull endpoints, with items in every editorial
state (some translated into English, French and Arabic by the editor), runs that finished, one that
failed (the opportunities feed shows red on the operations page) and one with rejected records.

The endpoints point at the documented example domain (example.org, RFC 2606) and are disabled, so
the demo never calls out and never pulls by schedule; an editor who wants a live pull points one at
a real feed. (Our own /news/feed/ would have been a real address, but pulling it would bring our
published items back into the inbox as new ones.)

Items come in through the engine's upsert (sanitised, hashed, versioned as a real pull would) and
move through the editorial services, by the demo editor; the only direct writes date runs and
publications in the past. Idempotent: an endpoint already there gets nothing new."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from aipim.accounts.models import User
from aipim.core.models import Organisation
from portal_sync.adapters.base import Incoming
from portal_sync.models import (
    Adapter,
    ContentItem,
    ContentVersion,
    Direction,
    Endpoint,
    ItemKind,
    ItemState,
    RejectedRecord,
    SyncRun,
)
from portal_sync.services import editorial, engine

EDITOR = "editor@demo.aipim.it"
EXAMPLE = "https://portale.example.org"
IDS = uuid.UUID("5b0c3f5e-8a51-4c1e-9a39-0d6f6b3c2a10")  # namespace of the demo's stable ids


@dataclass
class DemoItem:
    slug: str
    title: str
    summary: str
    body: str
    state: str
    days_ago: int
    translations: dict[str, tuple[str, str]] = field(default_factory=dict)  # lang -> (title, summary)
    changed_summary: str = ""  # the source changed it after publishing: back in review, with a diff
    withdrawn_reason: str = ""


NEWS = [
    DemoItem(
        "bando-fami-lavoro",
        "Nuovo bando FAMI per l'integrazione lavorativa in Basilicata",
        "Fino a 2 milioni di euro per percorsi di orientamento, formazione e tirocinio rivolti a cittadini "
        "di paesi terzi residenti in Basilicata.",
        "<p>La Regione Basilicata apre il bando del Fondo Asilo, Migrazione e Integrazione per progetti di "
        "<strong>integrazione lavorativa</strong>. Possono partecipare enti del terzo settore, centri per "
        "l'impiego e associazioni di migranti.</p><p>Le domande si presentano entro il 31 gennaio.</p>",
        ItemState.PUBLISHED,
        2,
        {
            "en": (
                "New AMIF call for job integration in Basilicata",
                "Up to 2 million euros for guidance, training and traineeships for third-country nationals "
                "living in Basilicata.",
            ),
            "fr": (
                "Nouvel appel FAMI pour l'intégration professionnelle en Basilicate",
                "Jusqu'à 2 millions d'euros pour l'orientation, la formation et les stages des ressortissants "
                "de pays tiers résidant en Basilicate.",
            ),
            "ar": (
                "دعوة جديدة من صندوق اللجوء والهجرة والاندماج للاندماج في العمل في بازيليكاتا",
                "ما يصل إلى مليوني يورو للتوجيه والتدريب والتدريب المهني لمواطني البلدان الثالثة المقيمين في "
                "بازيليكاتا.",
            ),
        },
    ),
    DemoItem(
        "sportello-unico-potenza",
        "Potenza: aperto lo sportello unico per l'accoglienza e l'integrazione",
        "Un solo indirizzo per permesso di soggiorno, iscrizione sanitaria, scuola e lavoro, con mediatori "
        "in arabo, francese e inglese.",
        "<p>Lo sportello è aperto dal lunedì al venerdì in via del Gallitello. Si riceve su appuntamento e "
        "senza appuntamento il mercoledì pomeriggio.</p>",
        ItemState.PUBLISHED,
        5,
        {
            "en": (
                "Potenza: one-stop desk for reception and integration now open",
                "One address for residence permits, health registration, school and work, with mediators "
                "in Arabic, French and English.",
            ),
            "ar": (
                "بوتنزا: افتتاح الشباك الموحد للاستقبال والاندماج",
                "عنوان واحد لتصريح الإقامة والتسجيل الصحي والمدرسة والعمل، مع وسطاء بالعربية والفرنسية والإنجليزية.",
            ),
        },
    ),
    DemoItem(
        "corsi-italiano-cpia",
        "Corsi gratuiti di lingua italiana nei CPIA di Potenza e Matera",
        "Iscrizioni aperte ai corsi di italiano dal livello A1 al B1, anche serali, con certificato finale.",
        "<p>I Centri provinciali per l'istruzione degli adulti offrono corsi gratuiti. Per iscriversi "
        "servono un documento d'identità e il codice fiscale.</p>",
        ItemState.PUBLISHED,
        9,
        {
            "en": (
                "Free Italian courses at the CPIA of Potenza and Matera",
                "Enrolment is open for Italian courses from A1 to B1, evenings too, with a final certificate.",
            ),
            "fr": (
                "Cours d'italien gratuits dans les CPIA de Potenza et Matera",
                "Inscriptions ouvertes aux cours d'italien du niveau A1 au B1, aussi le soir, avec certificat.",
            ),
            "ar": (
                "دورات مجانية للغة الإيطالية في مراكز تعليم الكبار في بوتنزا وماتيرا",
                "التسجيل مفتوح لدورات اللغة الإيطالية من المستوى A1 إلى B1، ومنها دورات مسائية، مع شهادة في النهاية.",
            ),
        },
    ),
    DemoItem(
        "servizio-civile-giovani",
        "Servizio civile universale: posti anche per giovani stranieri",
        "Giovani tra i 18 e i 28 anni regolarmente soggiornanti possono candidarsi ai progetti in Basilicata.",
        "<p>I progetti durano dodici mesi con un assegno mensile. La domanda si presenta online.</p>",
        ItemState.PUBLISHED,
        12,
        {"en": ("Universal civil service: places for young foreign nationals too", "")},
        changed_summary="Giovani tra i 18 e i 28 anni regolarmente soggiornanti possono candidarsi entro il "
        "15 febbraio ai progetti in Basilicata.",
    ),
    DemoItem(
        "rinnovo-permesso-matera",
        "Matera: incontro informativo sul rinnovo del permesso di soggiorno",
        "Avvocati e mediatori rispondono alle domande su rinnovi, conversioni e ricongiungimento familiare.",
        "<p>L'incontro si tiene presso la biblioteca provinciale. Ingresso libero.</p>",
        ItemState.APPROVED,
        1,
        {
            "en": (
                "Matera: information meeting on renewing residence permits",
                "Lawyers and mediators answer questions on renewals, conversions and family reunification.",
            ),
        },
    ),
    DemoItem(
        "decreto-flussi-2027",
        "Decreto flussi 2027: le date per presentare le domande",
        "Pubblicato il calendario dei click day per il lavoro subordinato, stagionale e non stagionale.",
        "<p>Le domande si inviano dal portale del Ministero dell'Interno. I datori di lavoro possono "
        "precompilarle da dicembre.</p>",
        ItemState.IN_REVIEW,
        1,
    ),
    DemoItem(
        "vaccinazioni-asp-lingue",
        "Vaccinazioni: informazioni in più lingue negli ambulatori dell'ASP",
        "Materiali in arabo, francese, inglese, urdu e tigrino sulle vaccinazioni per adulti e bambini.",
        "<p>I materiali sono disponibili negli ambulatori e presso gli sportelli PUA.</p>",
        ItemState.RECEIVED,
        0,
    ),
    DemoItem(
        "giornata-rifugiato-melfi",
        "Giornata mondiale del rifugiato: festa in piazza a Melfi",
        "Musica, cucina e testimonianze nel centro storico.",
        "<p>Programma completo sul sito del Comune.</p>",
        ItemState.WITHDRAWN,
        20,
        withdrawn_reason="Evento annullato dagli organizzatori.",
    ),
]

OPPORTUNITIES = [
    DemoItem(
        "tirocini-agricoltura-vulture",
        "Tirocini retribuiti nel settore agricolo del Vulture-Alto Bradano",
        "Sei mesi di tirocinio con indennità mensile presso aziende agricole e cantine della zona.",
        "<p>Requisiti: permesso di soggiorno valido, iscrizione al centro per l'impiego. Si parte a marzo.</p>",
        ItemState.PUBLISHED,
        3,
        {
            "en": (
                "Paid traineeships in farming in Vulture-Alto Bradano",
                "Six-month traineeships with a monthly allowance at local farms and wineries.",
            ),
            "fr": (
                "Stages rémunérés dans l'agriculture du Vulture-Alto Bradano",
                "Six mois de stage avec une indemnité mensuelle dans les exploitations et caves de la région.",
            ),
            "ar": (
                "تدريب مهني مدفوع الأجر في القطاع الزراعي في فولتوري-ألتو برادانو",
                "ستة أشهر من التدريب مع منحة شهرية في المزارع ومعاصر النبيذ في المنطقة.",
            ),
        },
    ),
    DemoItem(
        "borse-studio-unibas",
        "Borse di studio per studenti stranieri all'Università della Basilicata",
        "Borse, alloggio e mensa per studenti internazionali iscritti ai corsi di laurea a Potenza e Matera.",
        "<p>La graduatoria tiene conto del reddito e del merito.</p>",
        ItemState.PUBLISHED,
        7,
        {
            "en": (
                "Scholarships for international students at the University of Basilicata",
                "Grants, housing and canteen for international students enrolled in Potenza and Matera.",
            ),
            "ar": (
                "منح دراسية للطلاب الأجانب في جامعة بازيليكاتا",
                "منح وسكن ومطعم للطلاب الدوليين المسجلين في بوتنزا وماتيرا.",
            ),
        },
    ),
    DemoItem(
        "bando-associazioni-migranti",
        "Bando per progetti delle associazioni di migranti",
        "Contributi fino a 15.000 euro per attività culturali, sportive e di mutuo aiuto.",
        "<p>Possono partecipare le associazioni iscritte al RUNTS con sede in Basilicata.</p>",
        ItemState.APPROVED,
        2,
    ),
    DemoItem(
        "corso-mediatori-matera",
        "Corso di formazione per mediatori interculturali a Matera",
        "Trecento ore tra aula e tirocinio, con qualifica regionale.",
        "<p>Si richiede la conoscenza della lingua italiana di livello B1.</p>",
        ItemState.RECEIVED,
        0,
    ),
]

SERVICE_ORGANISATION = "ASP Basilicata – Azienda Sanitaria di Potenza"
# (id at the source, reason, detail, excerpt), as the HSDS adapter words them.
REJECTIONS = [
    (
        "pim-svc-0193",
        RejectedRecord.Reason.MISSING_FIELD,
        "The service has no name.",
        '{"id": "pim-svc-0193", "status": "active"}',
    ),
    (
        "pim-svc-0207",
        RejectedRecord.Reason.SCHEMA,
        "'attivo' is not one of ['active', 'inactive', 'defunct', 'temporarily closed']",
        '{"id": "pim-svc-0207", "name": "Sportello casa", "status": "attivo"}',
    ),
]

# The editor's moves that bring a received item to each state (a withdrawn one was published first).
MOVES_TO: dict[str, list[str]] = {
    ItemState.RECEIVED: [],
    ItemState.IN_REVIEW: ["start_review"],
    ItemState.APPROVED: ["start_review", "approve"],
    ItemState.PUBLISHED: ["start_review", "approve", "publish"],
    ItemState.WITHDRAWN: ["start_review", "approve", "publish"],
}


def _stable_id(name: str) -> str:
    return str(uuid.uuid5(IDS, name))


def _endpoint(name: str, **fields: Any) -> tuple[Endpoint, bool]:
    defaults = {"direction": Direction.PULL, "enabled": False, "interval_minutes": 60, **fields}
    return Endpoint.objects.get_or_create(name=name, defaults=defaults)


def _run(endpoint: Endpoint, *, status: str, ago: datetime.timedelta, seconds: int = 4, **counts: Any) -> SyncRun:
    started = timezone.now() - ago
    return SyncRun.objects.create(
        endpoint=endpoint,
        direction=Direction.PULL,
        status=status,
        started_at=started,
        finished_at=started + datetime.timedelta(seconds=seconds),
        **counts,
    )


def _incoming(entry: DemoItem, kind: str, now: datetime.datetime, summary: str = "") -> Incoming:
    """The entry as the source sends it (the same every time for the same `now`)."""
    when = now - datetime.timedelta(days=entry.days_ago, hours=3)
    return Incoming(
        external_id=f"{EXAMPLE}/{kind}/{entry.slug}",
        kind=kind,
        title=entry.title,
        summary=summary or entry.summary,
        body=entry.body,
        url=f"{EXAMPLE}/{kind}/{entry.slug}",
        language="it",
        published_at=when,
        updated_at=when,
    )


def _pull_items(
    endpoint: Endpoint, entries: list[DemoItem], kind: str, run: SyncRun, editor: User | None, now: datetime.datetime
) -> int:
    """The entries as a pull brings them, then the editor's work on each."""
    for entry in entries:
        engine.upsert(endpoint, _incoming(entry, kind, now), run)
    run.seen = run.created = len(entries)
    run.save(update_fields=["seen", "created"])
    _received_during(run)
    for entry in entries:
        item = ContentItem.objects.get(endpoint=endpoint, external_id=f"{EXAMPLE}/{kind}/{entry.slug}")
        _edit(item, entry, editor)
    return len(entries)


def _received_during(run: SyncRun) -> None:
    """Received an hour after the source published them (not when the demo was loaded), as the
    inbox would show them had the hourly runs been going on."""
    for item in ContentItem.objects.filter(versions__run=run).only("pk", "source_published_at"):
        received = (
            item.source_published_at + datetime.timedelta(hours=1) if item.source_published_at else run.started_at
        )
        ContentItem.objects.filter(pk=item.pk).update(received_at=received, state_changed_at=received)
        ContentVersion.objects.filter(item=item, run=run).update(received_at=received)


def _edit(item: ContentItem, entry: DemoItem, editor: User | None) -> None:
    if entry.translations:
        texts = {}
        for language, (title, summary) in entry.translations.items():
            texts[f"title_{language}"] = title
            texts[f"summary_{language}"] = summary
        editorial.save_texts(item, by=editor, fields=texts)
    for verb in MOVES_TO[entry.state]:
        getattr(editorial, verb)(item, by=editor)
    if item.published_at:
        # Published on the days the source did, so the news page reads like a real one.
        published_at = timezone.now() - datetime.timedelta(days=entry.days_ago)
        ContentItem.objects.filter(pk=item.pk).update(published_at=published_at, state_changed_at=published_at)
        item.published_at = published_at
    if entry.state == ItemState.WITHDRAWN:
        editorial.withdraw(item, by=editor, reason=entry.withdrawn_reason)


def _seed_news(editor: User | None, now: datetime.datetime) -> int:
    endpoint, made = _endpoint(
        "portale-notizie",
        title="Portale Integrazione Migranti – notizie",
        adapter=Adapter.FEED,
        url=f"{EXAMPLE}/notizie/feed.atom",
        item_kind=ItemKind.NEWS,
    )
    if not made:
        return 0
    first = _run(endpoint, status=SyncRun.Status.SUCCEEDED, ago=datetime.timedelta(days=21), seconds=3)
    created = 2 + _pull_items(endpoint, NEWS, ItemKind.NEWS, first, editor, now)  # the endpoint, its runs, items
    # The last run: the source changed one published item (it went back to review, with a diff).
    last = _run(endpoint, status=SyncRun.Status.SUCCEEDED, ago=datetime.timedelta(minutes=40), seconds=2)
    for entry in NEWS:
        outcome = engine.upsert(endpoint, _incoming(entry, ItemKind.NEWS, now, entry.changed_summary), last)
        setattr(last, outcome, getattr(last, outcome) + 1)
    last.seen = len(NEWS)
    last.save()
    ContentVersion.objects.filter(run=last).update(received_at=last.started_at)
    Endpoint.objects.filter(pk=endpoint.pk).update(
        last_run_at=last.finished_at, last_success_at=last.finished_at, consecutive_failures=0
    )
    return created + 1


def _seed_opportunities(editor: User | None, now: datetime.datetime) -> int:
    endpoint, made = _endpoint(
        "portale-opportunita",
        title="Portale Integrazione Migranti – opportunità",
        adapter=Adapter.FEED,
        url=f"{EXAMPLE}/opportunita/feed.xml",
        item_kind=ItemKind.OPPORTUNITY,
    )
    if not made:
        return 0
    first = _run(endpoint, status=SyncRun.Status.SUCCEEDED, ago=datetime.timedelta(days=8), seconds=2)
    created = 2 + _pull_items(endpoint, OPPORTUNITIES, ItemKind.OPPORTUNITY, first, editor, now)
    # The last run failed: the endpoint shows red on the operations page with this error.
    error = f"{endpoint.url} answered 503"
    failed = _run(endpoint, status=SyncRun.Status.FAILED, ago=datetime.timedelta(minutes=25), seconds=31, error=error)
    Endpoint.objects.filter(pk=endpoint.pk).update(
        last_run_at=failed.finished_at,
        last_success_at=first.finished_at,
        last_error=error,
        consecutive_failures=1,
    )
    return created + 1


def _seed_services() -> int:
    endpoint, made = _endpoint(
        "portale-servizi",
        title="Portale Integrazione Migranti – servizi (HSDS)",
        adapter=Adapter.HSDS,
        url=f"{EXAMPLE}/hsds",
        interval_minutes=24 * 60,
    )
    if not made:
        return 0
    run = _run(endpoint, status=SyncRun.Status.PARTIAL, ago=datetime.timedelta(hours=6), seconds=9)
    service: dict[str, Any] = {
        "id": _stable_id("service:mediazione-asp"),
        "name": "Mediazione culturale negli ambulatori",
        "description": "Mediatori in arabo, francese e inglese negli ambulatori dell'ASP di Potenza, su prenotazione.",
        "status": "active",
        "organization": {
            "id": _stable_id("organisation:asp"),
            "name": SERVICE_ORGANISATION,
            "description": "Azienda sanitaria",
        },
    }
    incoming = Incoming(
        external_id=service["id"],
        kind=ItemKind.SERVICE,
        title=service["name"],
        summary=service["description"],
        url=f"{EXAMPLE}/servizi/mediazione-asp",
        language="it",
        payload=service,
    )
    run.created = int(engine.upsert(endpoint, incoming, run) == engine.CREATED)
    _received_during(run)
    for external_id, reason, detail, excerpt in REJECTIONS:
        RejectedRecord.objects.create(
            run=run, endpoint=endpoint, external_id=external_id, reason=reason, detail=detail, excerpt=excerpt
        )
    run.seen, run.failed = 1 + len(REJECTIONS), len(REJECTIONS)
    run.save()
    Endpoint.objects.filter(pk=endpoint.pk).update(last_run_at=run.finished_at, last_success_at=run.finished_at)
    return 2 + run.created + len(REJECTIONS)  # the endpoint, its run, the service, the rejections


@transaction.atomic
def seed(organisations: dict[str, Organisation]) -> int:
    """Create the demo endpoints with their items and runs; returns how many records were created."""
    editor = User.objects.filter(email=EDITOR).first()
    now = timezone.now()
    return _seed_news(editor, now) + _seed_opportunities(editor, now) + _seed_services()
