"""The parts of the portal a user may open, for the header menu and the dashboard.

Which roles open a page is read from the page's own view (`roles` of RoleRequiredMixin), so a
link is shown exactly when the view would let the user in: one source of truth, not two."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, resolve, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavLink:
    url: str
    label: str | Promise


# In menu order. A view without `roles` opens to anyone who holds a role.
NAV_ITEMS: list[tuple[str, Promise]] = [
    ("schools:home", _("Schools")),
    ("pua:home", _("PUA desks")),
    ("portal_sync:home", _("Portal link")),
    ("associations:home", _("Associations and events")),
    ("core:person_list", _("People")),
    ("reports:list", _("Reports")),
    ("manage:audit_log", _("Audit log")),
    ("manage:retention", _("Retention")),
]


def _roles_of(url: str) -> tuple[str, ...]:
    view = getattr(resolve(url).func, "view_class", None)
    return tuple(getattr(view, "roles", ()) or ())


def links_for(user: Any) -> list[NavLink]:
    if not user.is_authenticated:
        return []
    links = []
    for name, label in NAV_ITEMS:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        roles = _roles_of(url)
        if user.is_superuser or user.has_role(*roles):
            links.append(NavLink(url, label))
    return links
