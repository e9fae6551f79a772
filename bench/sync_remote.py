"""The remote systems of bench/sync.py, in a process of their own (so serving pages does not take
the pull's interpreter lock): an Open Referral HSDS 3.0 API with N services and an Atom feed of M
entries, on loopback, built from fixed seeds. No Django here.

- `GET /api/services?page=&per_page=&full=&modified_after=&minimal=` as the HSDS OpenAPI pages
  it (`contents`, `total_pages`, ...): `modified_after` keeps the services modified since,
  `minimal=true` lists every id with its `last_modified`; `GET /api/services/<id>` one service.
- `GET /feed.atom`: every entry (no ETag or Last-Modified: each run reads the whole feed, the
  harder case for "an unchanged record writes nothing").
- `POST /_bench/change?services=100&entries=50`: that many services (new description, modified
  now) and entries (new title and text, updated now) change, spread over the lists.

Pages are rendered once (whatever the order of their parameters) and kept until the next change.

    .venv/bin/python bench/sync_remote.py --services 10000 --entries 5000   # prints its port
"""

from __future__ import annotations

import argparse
import datetime
import html
import json
import threading
import uuid
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

NAMESPACE = uuid.UUID("6f1c2a53-8d0e-4a55-9f0b-6b2f0c3c1d7e")
SINCE = "2026-01-15T09:00:00+00:00"
TOWNS = ["Potenza", "Matera", "Melfi", "Pisticci", "Policoro", "Lauria", "Rionero in Vulture", "Venosa"]
TOPICS = [
    ("health", "Salute", "Ambulatorio STP/ENI per persone senza tessera sanitaria"),
    ("language", "Lingua italiana", "Corsi gratuiti di italiano L2 dal livello A1 al B1"),
    ("legal", "Assistenza legale", "Orientamento legale su permesso di soggiorno e ricongiungimento"),
    ("work", "Lavoro", "Sportello di orientamento al lavoro e tirocini formativi"),
    ("housing", "Casa", "Accompagnamento nella ricerca di un alloggio in affitto"),
    ("school", "Scuola", "Iscrizione scolastica e mediazione con le famiglie"),
]


def _id(*parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(str(part) for part in parts)))


def service(number: int, *, modified: str = SINCE, revision: int = 0) -> dict[str, Any]:
    """One HSDS 3.0 service, nested the way a full listing sends it (about 3 kB of JSON)."""
    service_id = _id("service", number)
    organisation_id = _id("organisation", number % 400)
    location_id = _id("location", number)
    code, category, blurb = TOPICS[number % len(TOPICS)]
    town = TOWNS[number % len(TOWNS)]
    description = (
        f"<p>{blurb} a {town}.</p><p>Servizio gratuito, su appuntamento; mediatori in arabo, inglese, "
        f"francese e tigrino. Scheda {number}.</p>"
    )
    if revision:
        description += f"<p>Orari aggiornati (revisione {revision}).</p>"
    return {
        "id": service_id,
        "organization_id": organisation_id,
        "name": f"{category} - {town} ({number})",
        "description": description,
        "url": f"https://servizi.example.org/{number}",
        "email": f"sportello{number}@example.org",
        "status": "active",
        "last_modified": modified,
        "organization": {
            "id": organisation_id,
            "name": f"Ente gestore {number % 400}",
            "description": "Ente del terzo settore accreditato dalla Regione.",
        },
        "languages": [
            {"id": _id("language", number, code), "service_id": service_id, "name": name, "code": code}
            for name, code in (("Italian", "it"), ("Arabic", "ar"), ("English", "en"))
        ],
        "phones": [{"id": _id("phone", number), "service_id": service_id, "number": f"+39 0971 {number:06d}"}],
        "contacts": [],
        "attributes": [
            {
                "id": _id("attribute", number),
                "link_id": service_id,
                "link_type": "category",
                "link_entity": "service",
                "taxonomy_term_id": _id("term", code),
                "value": code,
                "taxonomy_term": {
                    "id": _id("term", code),
                    "code": code,
                    "name": category,
                    "description": category,
                    "taxonomy": "AIPIM service categories",
                    "language": "it",
                },
            }
        ],
        "service_at_locations": [
            {
                "id": _id("service_at_location", number),
                "service_id": service_id,
                "location_id": location_id,
                "location": {
                    "id": location_id,
                    "location_type": "physical",
                    "name": f"Sede di {town}",
                    "latitude": 40.64 + (number % 100) / 1000,
                    "longitude": 15.8 + (number % 100) / 1000,
                    "addresses": [
                        {
                            "id": _id("address", number),
                            "location_id": location_id,
                            "address_1": f"Via Roma {number % 200 + 1}",
                            "city": town,
                            "state_province": "Basilicata",
                            "postal_code": "85100",
                            "country": "IT",
                            "address_type": "physical",
                        }
                    ],
                },
            }
        ],
        "schedules": [
            {
                "id": _id("schedule", number, day),
                "service_id": service_id,
                "freq": "WEEKLY",
                "byday": day,
                "opens_at": "09:00",
                "closes_at": "13:00",
            }
            for day in ("MO", "WE", "FR")
        ],
    }


def entry(number: int, *, updated: str = SINCE, revision: int = 0) -> str:
    """One Atom entry with an HTML summary and text (about 1.3 kB)."""
    town = TOWNS[number % len(TOWNS)]
    title = f"Avviso {number}: nuovi orari degli sportelli di {town}"
    if revision:
        title += f" (aggiornato, revisione {revision})"
    summary = f"<p>Da lunedì gli sportelli di <em>{town}</em> sono aperti anche il sabato mattina.</p>"
    body = (
        f"<p>Gli sportelli per l'integrazione di {town} ampliano gli orari di apertura: dal lunedì al venerdì "
        "dalle 9 alle 13 e il martedì e giovedì anche dalle 15 alle 18.</p><ul><li>Mediatori in arabo, inglese e "
        f"francese</li><li>Su appuntamento al numero verde</li></ul><p>Scheda {number}"
        f"{f', revisione {revision}' if revision else ''}.</p><script>track()</script>"
    )
    category = "Bandi" if number % 5 == 0 else "Notizie"
    return (
        f"<entry><title>{html.escape(title)}</title>"
        f"<id>tag:regione.basilicata.it,2026:news/{number}</id>"
        f'<link rel="alternate" href="https://www.regione.basilicata.it/immigrazione/news/{number}"/>'
        f"<published>{SINCE}</published><updated>{updated}</updated>"
        f'<category term="{category}"/><author><name>Ufficio Stampa</name></author>'
        f'<summary type="html">{html.escape(summary)}</summary>'
        f'<content type="html">{html.escape(body)}</content></entry>\n'
    )


class Remote:
    def __init__(self, services: int, entries: int) -> None:
        self.lock = threading.Lock()
        self.services = [service(number) for number in range(services)]
        self.entries = [entry(number) for number in range(entries)]
        self.revision = 0
        self.cache: dict[str, bytes] = {}
        self.by_id = {document["id"]: number for number, document in enumerate(self.services)}

    def change(self, services: int, entries: int) -> None:
        now = datetime.datetime.now(datetime.UTC).isoformat()
        with self.lock:
            self.revision += 1
            for number in spread(len(self.services), services):
                self.services[number] = service(number, modified=now, revision=self.revision)
            for number in spread(len(self.entries), entries):
                self.entries[number] = entry(number, updated=now, revision=self.revision)
            self.cache.clear()

    def page(self, args: dict[str, str]) -> bytes:
        services = self.services
        if "modified_after" in args:
            after = datetime.datetime.fromisoformat(args["modified_after"])
            services = [s for s in services if datetime.datetime.fromisoformat(s["last_modified"]) >= after]
        if args.get("minimal") == "true":
            services = [{"id": s["id"], "last_modified": s["last_modified"]} for s in services]
        per_page = int(args.get("per_page", 50))
        page = int(args.get("page", 1))
        total_pages = max(1, -(-len(services) // per_page))
        contents = services[(page - 1) * per_page : page * per_page]
        body = {
            "total_items": len(services),
            "total_pages": total_pages,
            "page_number": page,
            "size": len(contents),
            "first_page": page == 1,
            "last_page": page >= total_pages,
            "empty": not contents,
            "contents": contents,
        }
        return json.dumps(body).encode()

    def feed(self) -> bytes:
        head = (
            '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="it">'
            "<title>Regione Basilicata - Immigrazione</title><id>tag:regione.basilicata.it,2026:immigrazione</id>"
            f"<updated>{SINCE}</updated>\n"
        )
        return (head + "".join(self.entries) + "</feed>\n").encode()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if request.method == "POST" and request.path == "/_bench/change":
            self.change(int(request.args.get("services", 0)), int(request.args.get("entries", 0)))
            return Response("changed")(environ, start_response)
        key = f"{request.path}?{sorted(request.args.items())}"
        with self.lock:
            body = self.cache.get(key)
            if body is None:
                if request.path == "/feed.atom":
                    body = self.feed()
                elif request.path == "/api/services":
                    body = self.page(dict(request.args))
                elif request.path.startswith("/api/services/") and request.path.rsplit("/", 1)[1] in self.by_id:
                    body = json.dumps(self.services[self.by_id[request.path.rsplit("/", 1)[1]]]).encode()
                else:
                    return Response("not found", status=404)(environ, start_response)
                self.cache[key] = body
        kind = "application/atom+xml; charset=utf-8" if request.path == "/feed.atom" else "application/json"
        return Response(body, content_type=kind)(environ, start_response)


class QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def spread(total: int, count: int) -> list[int]:
    """`count` positions spread evenly over `total`."""
    if count <= 0 or total <= 0:
        return []
    step = max(total // count, 1)
    return list(range(0, total, step))[:count]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=10_000)
    parser.add_argument("--entries", type=int, default=5_000)
    args = parser.parse_args()
    server = make_server(
        "127.0.0.1", 0, Remote(args.services, args.entries), threaded=True, request_handler=QuietHandler
    )
    print(server.server_port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
