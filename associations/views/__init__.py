"""Pages of Action 4."""

from django.utils.translation import gettext_lazy as _

from aipim.accounts.models import Role
from aipim.core.views import ActionHomeView


class HomeView(ActionHomeView):
    roles = (Role.ASSOCIATION_MANAGER, Role.ADMINISTRATOR)
    title = _("Action 4 – Migrant associations, workshops and events")
    description = _("Migrant associations and their networks, workshops and events with public online booking.")
