"""The most sensitive text is encrypted at rest: the database column never holds the clear text."""

from __future__ import annotations

from cryptography.fernet import Fernet
from django.db import connection

from aipim.core.fields import EncryptedTextField
from aipim.core.models import Person
from tests.factories import PersonFactory

SECRET = "Via dei Mille 12, interno 3 – presso famiglia Rossi"


def raw_address(person: Person) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT address FROM core_person WHERE id = %s", [person.pk])
        return cursor.fetchone()[0]


def test_column_holds_ciphertext_not_clear_text(db):
    person = PersonFactory(address=SECRET)
    stored = raw_address(person)
    assert SECRET not in stored
    assert "Mille" not in stored
    assert Person.objects.get(pk=person.pk).address == SECRET


def test_keys_rotate_old_data_stays_readable(db, settings):
    person = PersonFactory(address=SECRET)
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old_key]
    field = EncryptedTextField()
    assert field.f.decrypt(raw_address(person).encode()).decode() == SECRET
    # New values are written with the new key only.
    token = field.get_prep_value("new value")
    assert Fernet(settings.FIELD_ENCRYPTION_KEYS[0].encode()).decrypt(token.encode()) == b"new value"


def test_history_tables_do_not_copy_the_clear_address(db):
    person = PersonFactory(address=SECRET)
    person.phone = "+39 0971 000000"
    person.save()
    with connection.cursor() as cursor:
        cursor.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'core_personevent'")
        columns = {row[0] for row in cursor.fetchall()}
    assert "address" not in columns
