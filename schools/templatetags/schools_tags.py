"""Template tags of the schools pages: `{% load schools_tags %}`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.conf.locale import LANG_INFO

register = template.Library()

# Languages of pupils' families that Django's own list does not name, in their own script.
EXTRA_LANGUAGES = {
    "ti": "ትግርኛ",
    "am": "አማርኛ",
    "so": "Soomaali",
    "wo": "Wolof",
    "ha": "Hausa",
    "yo": "Yorùbá",
    "ig": "Igbo",
    "ps": "پښتو",
    "pa": "ਪੰਜਾਬੀ",
    "tl": "Tagalog",
    "ff": "Fulfulde",
}


def language_label(code: str) -> str:
    """A language code as its own name (ar → العربيّة), the code if unknown."""
    if not code:
        return ""
    info = LANG_INFO.get(code) or LANG_INFO.get(code.split("-")[0]) or {}
    return info.get("name_local") or EXTRA_LANGUAGES.get(code, code)


@register.filter
def language(code: str | None) -> str:
    return language_label(code or "")


@register.filter
def languages(codes: Iterable[str] | None) -> str:
    return ", ".join(language_label(code) for code in codes or [])


@register.filter
def languages_besides(codes: Iterable[str] | None, code: str | None) -> str:
    """The languages of `codes` other than `code` (e.g. a guardian's other languages than the preferred one)."""
    return ", ".join(language_label(other) for other in codes or [] if other != code)


@register.simple_tag
def risk_timeline(student: Any) -> list[dict[str, Any]]:
    """The student's signals and interventions together, newest first (two queries), for the student
    page's timeline: drawn with the page, so it needs no script and no second request."""
    from schools.services.risk import timeline

    return timeline(student)
