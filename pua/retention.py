"""Retention policies of the PUA app (aipim.core.retention registry)."""
