from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssociationsConfig(AppConfig):
    name = "associations"
    verbose_name = _("Action 4 – Migrant associations, workshops and events")

    def ready(self) -> None:
        # The app's erasers and retention policies; selectors: the receivers that keep cached event pages true.
        from associations import privacy, retention, selectors  # noqa: F401
