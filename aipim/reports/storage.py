"""Report files live in the private storage (aipim.core.storage); these names stay for the
reports migration and older imports."""

from aipim.core.storage import private_storage, private_storage_proxy

__all__ = ["private_storage", "private_storage_proxy"]
