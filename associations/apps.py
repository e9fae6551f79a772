from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssociationsConfig(AppConfig):
    name = "associations"
    verbose_name = _("Action 4 – Migrant associations, workshops and events")

    def ready(self) -> None:
        from associations import privacy, retention  # noqa: F401  (register the app's erasers and retention policies)
