"""Pages of the PUA app, one module per screen group; each module lists its own `urlpatterns`,
which pua/urls.py joins."""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, resolve, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from aipim.accounts.models import PUA_ROLES, Role
from aipim.core.views import ActionHomeView

# The desk's screens, in the order of a day's work. A link shows when its view lets the user in
# (its own `roles`), and only once that screen exists.
HOME_LINKS: list[tuple[str, Promise]] = [
    ("pua:intake", _("Intake: search first, then register or open a case")),
    ("pua:case_list", _("Cases")),
    ("pua:overdue_tasks", _("Overdue tasks")),
    ("pua:overdue_referrals", _("Overdue referrals")),
    ("pua:incoming_shares", _("Cases shared or transferred to your desk")),
    ("pua:break_glass", _("Emergency access to another desk's case")),
    ("pua:dashboard", _("Supervisor dashboard")),
    ("pua:break_glass_review", _("Review emergency accesses")),
    ("pua:merge_people", _("Merge two records of the same person")),
]


def home_links(user: Any) -> list[tuple[str, Promise]]:
    links = []
    for name, label in HOME_LINKS:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        roles = getattr(getattr(resolve(url).func, "view_class", None), "roles", ()) or ()
        if user.is_superuser or user.has_role(*roles):
            links.append((url, label))
    return links


class HomeView(ActionHomeView):
    roles = PUA_ROLES + (Role.ADMINISTRATOR,)
    template_name = "pua/home.html"
    title = _("Action 2 – PUA desks: unified case management")
    description = _(
        "One unified case per person at the PUA desks: intake, assessment, care plan, referrals, appointments and staff training."
    )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["links"] = home_links(self.request.user)
        return context
