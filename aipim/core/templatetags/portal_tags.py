"""Template tags every app's pages use: `{% load portal_tags %}`."""

from __future__ import annotations

from typing import Any

from django import template
from django.forms import BoundField
from django.template import TemplateDoesNotExist
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag(takes_context=True)
def include_if_exists(context: template.Context, name: str) -> str:
    """Render the template `name` with the current context, or nothing if it does not exist: a
    record's page (a PUA case, a pupil) shows the parts that the installed parts of its app provide.
    Errors inside an existing template are not hidden."""
    try:
        partial: Any = context.template.engine.get_template(name)  # type: ignore[union-attr]
    except TemplateDoesNotExist:
        return ""
    with context.push():
        return partial.render(context)


@register.filter
def select_options(field: BoundField) -> SafeString:
    """The <option>s of a select field, with the current value selected, drawn in one pass: Django's
    widget draws each option through its own template, which made up most of the case list's
    time with the 131 municipalities (bench/pua_caselist.py)."""
    value = field.value()
    current = "" if value is None else str(value)
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((choice, " selected" if str(choice) == current else "", label) for choice, label in field.field.choices),  # type: ignore[attr-defined]
    )


@register.filter
def as_heading(label: Any) -> str:
    """A field's label before a colon (an error summary's "Email: ..."): without the full stop or
    colon a sentence-like label ends with."""
    return str(label).rstrip().rstrip(".:;").rstrip()
