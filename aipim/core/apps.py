import logging
import os
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

        # One line at server start-up that says how background jobs run (in runserver's serving
        # process only, not in its file-watching parent).
        serving = "runserver" in sys.argv[:2] and (os.environ.get("RUN_MAIN") == "true" or "--noreload" in sys.argv)
        if serving or sys.argv[0].endswith("gunicorn"):
            logger.info(settings.BACKGROUND_MODE)
