"""The PUA app's part of access and erasure requests (aipim.core.privacy registry)."""
