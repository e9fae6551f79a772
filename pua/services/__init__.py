"""Writes of the PUA app, one module per sub-domain; each function owns its transaction and audit."""
