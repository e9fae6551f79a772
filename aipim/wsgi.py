"""WSGI entry point for gunicorn: `gunicorn aipim.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aipim.settings")
application = get_wsgi_application()
