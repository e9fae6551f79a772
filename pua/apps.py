from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PUAConfig(AppConfig):
    name = "pua"
    verbose_name = _("Action 2 – PUA desks: unified case management")

    def ready(self) -> None:
        from pua import privacy, retention  # noqa: F401  (register the app's erasers and retention policies)
