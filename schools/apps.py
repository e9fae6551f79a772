from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchoolsConfig(AppConfig):
    name = "schools"
    verbose_name = _("Action 1 – Schools: help desks, dropout prevention, courses")

    def ready(self) -> None:
        from schools import privacy, retention  # noqa: F401  (register the app's erasers and retention policies)
