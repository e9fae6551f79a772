"""Celery tasks of the PUA app (thin: load ids, call a service), one module per sub-domain.
Imported here so that Celery's autodiscovery of `pua.tasks` finds them all."""

from pua.tasks import appointments, referrals, sharing  # noqa: F401
