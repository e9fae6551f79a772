"""AIPIM portal: Regione Basilicata, Azioni Innovative per l'Integrazione dei Migranti."""

from .celery import app as celery_app

__all__ = ["celery_app"]
