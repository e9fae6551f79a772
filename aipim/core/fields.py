"""Encrypted model fields that every app reuses for its most sensitive text.

Built on django-fernet-encrypted-fields, but keyed by FIELD_ENCRYPTION_KEYS (Fernet keys from
the environment) rather than by SECRET_KEY, so that rotating the session secret never makes
health notes unreadable. The first key encrypts; every key decrypts, which is how keys rotate.
Encrypted columns cannot be searched or ordered: keep searchable data elsewhere.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.utils.functional import cached_property
from encrypted_fields import fields as encrypted


class _SettingsKeysMixin:
    @cached_property
    def keys(self) -> list[bytes]:
        return [key.encode() for key in settings.FIELD_ENCRYPTION_KEYS]

    @cached_property
    def f(self) -> Fernet | MultiFernet:
        return MultiFernet([Fernet(key) for key in self.keys])


class EncryptedTextField(_SettingsKeysMixin, encrypted.EncryptedTextField):
    """Free text stored encrypted (notes, addresses, legal-status details)."""


class EncryptedCharField(_SettingsKeysMixin, encrypted.EncryptedCharField):
    """Short text stored encrypted; max_length applies to the clear text."""


class EncryptedDateField(_SettingsKeysMixin, encrypted.EncryptedDateField):
    """A date stored encrypted."""
