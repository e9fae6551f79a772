"""The printable referral letter: Italian for the receiving service, then the same letter in the
person's language when it is one of the portal's others (en, fr, ar), through the reports' one
HTML -> PDF/UA path (aipim.reports.rendering.html_to_pdf)."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from aipim.core.models import Person
from aipim.reports.rendering import html_to_pdf, text_direction
from pua.models import Referral
from pua.services.referrals import person_status_link

# The letter is addressed to an Italian service: its first part is always in Italian.
LETTER_LANGUAGE = "it"
SECOND_LANGUAGES = ("en", "fr", "ar")


def letter_languages(person: Person) -> list[str]:
    languages = [LETTER_LANGUAGE]
    if person.preferred_language in SECOND_LANGUAGES:
        languages.append(person.preferred_language)
    return languages


def render_letter_document(referral: Referral) -> str:
    """The print document: one part per language, each with its own lang and dir (PDF/UA reads them)."""
    person = referral.case.person
    context = {
        "referral": referral,
        "case": referral.case,
        "person": person,
        "service": referral.service,
        "desk": referral.case.desk,
        "locations": list(referral.service.locations.select_related("municipality")),
        "status_link": person_status_link(person),
        "today": timezone.localdate(),
        "REGION_NAME": settings.REGION_NAME,
    }
    parts = []
    for language in letter_languages(person):
        with translation.override(language):
            parts.append(
                {
                    "language": language,
                    "direction": text_direction(language),
                    "html": render_to_string("pua/referrals/_letter_part.html", context),
                }
            )
    with translation.override(LETTER_LANGUAGE):
        return render_to_string("pua/referrals/letter_document.html", {**context, "parts": parts})


def render_referral_letter(referral: Referral) -> bytes:
    return html_to_pdf(render_letter_document(referral))
