import logging
import sys

from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger("aipim.startup")


class CoreConfig(AppConfig):
    name = "aipim.core"
    label = "core"
    verbose_name = _("Core: people, organisations, directory, audit")

    def ready(self) -> None:
        from aipim.core import checks, privacy, retention  # noqa: F401  (system checks; core's erasers and policies)

        # One line at server start-up that says how background jobs run.
        if any(arg in ("runserver", "gunicorn") or arg.endswith("gunicorn") for arg in sys.argv[:2]):
            logger.info(settings.BACKGROUND_MODE)
