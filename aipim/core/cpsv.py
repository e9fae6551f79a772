"""Our service categories in the Italian public-service vocabulary CPSV-AP_IT (the profile of the
national "Catalogo dei servizi"): its life events (AgID controlled vocabulary D.8, "Eventi della
vita") and its themes ("tema": the EU data-theme authority table that DCAT-AP and CPSV-AP_IT use).

Only terms we can cite are mapped: every URI below is in the published vocabularies (the
italia/daf-ontologie-vocabolari-controllati repository, files life-event.ttl and
public-services-subject-matters.ttl, whose skos:relatedMatch/closeMatch links give the themes).
A category with no fitting term maps to nothing rather than to a guess (docs/hsds-api.md has the
table and the reasons)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import get_language

from aipim.core.models import ServiceCategory

TAXONOMY = "CPSV-AP_IT"
LIFE_EVENTS = (
    "https://w3id.org/italia/controlled-vocabulary/classifications-for-public-services/life-business-event/life-event"
)
DATA_THEMES = "http://publications.europa.eu/resource/authority/data-theme"


@dataclass(frozen=True)
class Scheme:
    uri: str
    key: str  # our short name, also the HSDS attribute link_type
    name_it: str
    name_en: str
    version: str

    def name(self) -> str:
        return self.name_it if (get_language() or "it").startswith("it") else self.name_en


@dataclass(frozen=True)
class Term:
    scheme: Scheme
    code: str  # skos:notation in the vocabulary
    label_it: str
    label_en: str

    @property
    def uri(self) -> str:
        return f"{self.scheme.uri}/{self.code}"

    def label(self) -> str:
        """The vocabulary's own label: Italian for Italian visitors, English for everyone else (the
        vocabularies carry no other languages we serve)."""
        return self.label_it if (get_language() or "it").startswith("it") else self.label_en


LIFE_EVENT = Scheme(LIFE_EVENTS, "life_event", "CPSV-AP_IT – Eventi della vita", "CPSV-AP_IT – Life events", "0.1")
THEME = Scheme(DATA_THEMES, "theme", "CPSV-AP_IT – Tema (data theme)", "CPSV-AP_IT – Theme (data theme)", "")
SCHEMES = (LIFE_EVENT, THEME)

# Labels as published: life-event.csv (AgID, D.8) and the EU data-theme authority table.
EDUCATION_EVENT = Term(
    LIFE_EVENT,
    "1",
    "Iscrizione scuola/università e/o richiesta borsa di studio",
    "Enrolling in school/university and/or applying for a study grant",
)
JOB_EVENT = Term(
    LIFE_EVENT,
    "3",
    "Ricerca di lavoro, avvio nuovo lavoro, disoccupazione",
    "Looking for a job, starting a new job, becoming unemployed",
)
HOUSING_EVENT = Term(
    LIFE_EVENT,
    "8",
    "Compravendita/affitto casa/edifici/terreni, costruzione o ristrutturazione casa/edificio",
    "Buying/renting a house/building/land, building, renovating a house/building",
)
HEAL = Term(THEME, "HEAL", "Salute", "Health")
SOCI = Term(THEME, "SOCI", "Popolazione e società", "Population and society")
EDUC = Term(THEME, "EDUC", "Istruzione, cultura e sport", "Education, culture and sport")
JUST = Term(
    THEME, "JUST", "Giustizia, sistema giuridico e sicurezza pubblica", "Justice, legal system and public safety"
)

# Each mapping is the one the subject-matters vocabulary draws between its matter and these terms:
# health → matter 2 (HEAL); work → matter 3 (SOCI, life event 3); housing → matter 5 (life event 8);
# legal → matter 8 (closeMatch JUST); language and education → matter 1 (EDUC, life event 1);
# social → matter 2 (SOCI); culture → matter 10 (EDUC). Interpreting has no counterpart.
CATEGORY_TERMS: dict[str, tuple[Term, ...]] = {
    ServiceCategory.HEALTH: (HEAL,),
    ServiceCategory.WORK: (JOB_EVENT, SOCI),
    ServiceCategory.HOUSING: (HOUSING_EVENT,),
    ServiceCategory.LEGAL: (JUST,),
    ServiceCategory.LANGUAGE: (EDUCATION_EVENT, EDUC),
    ServiceCategory.EDUCATION: (EDUCATION_EVENT, EDUC),
    ServiceCategory.SOCIAL: (SOCI,),
    ServiceCategory.INTERPRETING: (),
    ServiceCategory.CULTURE: (EDUC,),
}


def terms_for(category: str) -> tuple[Term, ...]:
    return CATEGORY_TERMS.get(category, ())


def all_terms() -> list[Term]:
    """Every term we use, once each, in a fixed order (scheme, then code)."""
    seen: dict[str, Term] = {}
    for terms in CATEGORY_TERMS.values():
        for term in terms:
            seen.setdefault(term.uri, term)
    order = {scheme.uri: index for index, scheme in enumerate(SCHEMES)}
    return sorted(seen.values(), key=lambda t: (order[t.scheme.uri], t.code.zfill(4)))


def categories_for(term: Term) -> list[str]:
    return [category for category, terms in CATEGORY_TERMS.items() if term in terms]
