"""Pages of Action 1."""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, resolve, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from aipim.accounts.models import SCHOOL_ROLES, Role
from aipim.core.views import ActionHomeView

# The schools' screens, in the order of a day's work. A link shows when its view lets the user in
# (its own `roles`), and only once that screen exists.
HOME_LINKS: list[tuple[str, Promise]] = [
    ("schools:student_list", _("Pupils")),
    ("schools:student_enrol", _("Enrol a pupil: search first")),
    ("schools:class_list", _("Classes")),
    ("schools:risk_list", _("Early warning: pupils at risk")),
    ("schools:import_list", _("Imports from the electronic register")),
    ("schools:helpdesk_list", _("Help desks")),
    ("schools:supportcase_list", _("Help-desk case files")),
    ("schools:intervention_list", _("Interventions")),
    ("schools:message_list", _("Messages to families")),
    ("schools:course_list", _("Courses")),
    ("schools:initiative_list", _("Cultural initiatives")),
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
    roles = SCHOOL_ROLES + (Role.ADMINISTRATOR,)
    template_name = "schools/home.html"
    title = _("Action 1 – Schools: help desks, dropout prevention, courses")
    description = _(
        "Help desks for students from non-EU countries and their families, dropout-risk tracking, extracurricular courses and school–family messages."
    )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["links"] = home_links(self.request.user)
        return context
