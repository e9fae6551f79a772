"""Pages of the PUA app, one module per screen group; each module lists its own `urlpatterns`,
which pua/urls.py joins."""

from django.utils.translation import gettext_lazy as _

from aipim.accounts.models import PUA_ROLES, Role
from aipim.core.views import ActionHomeView


class HomeView(ActionHomeView):
    roles = PUA_ROLES + (Role.ADMINISTRATOR,)
    title = _("Action 2 – PUA desks: unified case management")
    description = _(
        "One unified case per person at the PUA desks: intake, assessment, care plan, referrals, appointments and staff training."
    )
