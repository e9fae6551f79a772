"""Demo data: the ten desks, one user per role, idempotent, refused with DEBUG off."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from aipim.accounts.models import Membership, Role, User
from aipim.core.models import Organisation, Service

TABLES = [
    "core_organisation",
    "core_service",
    "core_location",
    "core_schedule",
    "accounts_user",
    "accounts_membership",
    "core_person",
    "core_personlink",
]


def counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        result = {}
        for table in TABLES:
            cursor.execute(f"SELECT count(*) FROM {table}")
            result[table] = cursor.fetchone()[0]
        return result


@pytest.fixture
def seeded(db, settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())


def test_ten_pua_desks_with_the_four_new_ones_named(seeded):
    desks = Organisation.objects.filter(kind=Organisation.Kind.PUA_DESK)
    assert desks.count() == 10
    real = set(desks.filter(is_example=False).values_list("municipality__name", flat=True))
    assert real == {"Pietragalla", "Picerno", "Irsina", "Marsicovetere"}
    assert all("esempio" in d.name for d in desks.filter(is_example=True))


def test_one_demo_user_per_role(seeded):
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == set(Role.values)
    assert User.objects.get(email="admin@demo.aipim.it").check_password("demo-aipim-2026")


def test_directory_is_filled_in_four_languages(seeded):
    service = Service.objects.get(external_id="demo:ASP")
    assert service.name_ar and service.name_fr and service.name_en and service.name_it
    assert service.schedules.count() == 2


def test_second_run_changes_nothing(seeded, settings):
    before = counts()
    call_command("seed_demo", stdout=io.StringIO())
    assert counts() == before


def test_refuses_demo_users_with_debug_off(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")
    assert not User.objects.exists()
