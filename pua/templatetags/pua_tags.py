"""Template tags of the PUA pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.template import TemplateDoesNotExist

register = template.Library()


@register.simple_tag(takes_context=True)
def include_if_exists(context: template.Context, name: str) -> str:
    """Render the template `name` with the current context, or nothing if it does not exist: the case
    page shows the parts of the case (referrals, documents...) that are installed. Errors inside an
    existing template are not hidden."""
    try:
        partial: Any = context.template.engine.get_template(name)  # type: ignore[union-attr]
    except TemplateDoesNotExist:
        return ""
    with context.push():
        return partial.render(context)
