"""Pages of Action 3."""

from django.utils.translation import gettext_lazy as _

from aipim.accounts.models import Role
from aipim.core.views import ActionHomeView


class HomeView(ActionHomeView):
    roles = (Role.EDITOR, Role.REGIONAL_OFFICIAL, Role.ADMINISTRATOR)
    title = _("Action 3 – Link with the national Portale Integrazione Migranti")
    description = _(
        "Two-way link between the national Portale Integrazione Migranti and the regional information system: pull, review, publish, push."
    )
