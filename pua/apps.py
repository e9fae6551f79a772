from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PUAConfig(AppConfig):
    name = "pua"
    verbose_name = _("Action 2 – PUA desks: unified case management")
