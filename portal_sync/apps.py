from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalSyncConfig(AppConfig):
    name = "portal_sync"
    verbose_name = _("Action 3 – Link with the national Portale Integrazione Migranti")

    def ready(self) -> None:
        # Directory changes write outbox messages for the push endpoints (portal_sync/signals.py).
        from portal_sync import signals

        signals.connect()
