from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "aipim.reports"
    label = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        # Each app registers its report builders in <app>/reports.py.
        autodiscover_modules("reports")
