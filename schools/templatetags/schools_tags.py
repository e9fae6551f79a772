"""Template tags of the schools pages: `{% load schools_tags %}`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.conf.locale import LANG_INFO
from django.forms import BoundField
from django.template import TemplateDoesNotExist
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

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


@register.simple_tag(takes_context=True)
def include_if_exists(context: template.Context, name: str) -> str:
    """Render the template `name` with the current context, or nothing if it does not exist: the
    student page shows the parts (risk, interventions, courses, messages...) that are installed.
    Errors inside an existing template are not hidden."""
    try:
        partial: Any = context.template.engine.get_template(name)  # type: ignore[union-attr]
    except TemplateDoesNotExist:
        return ""
    with context.push():
        return partial.render(context)


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


@register.filter
def select_options(field: BoundField) -> SafeString:
    """The <option>s of a select field, with the current value selected, drawn in one pass (faster
    than the widget's one template per option, as on the PUA case list)."""
    value = field.value()
    current = "" if value is None else str(value)
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((choice, " selected" if str(choice) == current else "", label) for choice, label in field.field.choices),  # type: ignore[attr-defined]
    )


@register.simple_tag
def risk_timeline(student: Any) -> list[dict[str, Any]]:
    """The student's signals and interventions together, newest first (two queries), for the student
    page's timeline: drawn with the page, so it needs no script and no second request."""
    from schools.services.risk import timeline

    return timeline(student)
