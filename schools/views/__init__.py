"""Pages of Action 1."""

from django.utils.translation import gettext_lazy as _

from aipim.accounts.models import SCHOOL_ROLES, Role
from aipim.core.views import ActionHomeView


class HomeView(ActionHomeView):
    roles = SCHOOL_ROLES + (Role.ADMINISTRATOR,)
    title = _("Action 1 – Schools: help desks, dropout prevention, courses")
    description = _(
        "Help desks for students from non-EU countries and their families, dropout-risk tracking, extracurricular courses and school–family messages."
    )
