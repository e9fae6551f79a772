"""Shared fixtures: named personas, one per role and organisation, so that permission tests
read like sentences (`caseworker_irsina` cannot see a person at `desk_picerno`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.utils import translation

from aipim.accounts.models import Role, User
from aipim.celery import app as celery_app
from aipim.core.models import Organisation
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory, municipality


@pytest.fixture(scope="session", autouse=True)
def _close_stray_connections(django_db_setup: None, django_db_blocker) -> Iterator[None]:
    """Before the test database is dropped, end sessions that live-server threads or worker
    processes may still hold (a browser can leave an htmx poll in flight), or the drop fails."""
    yield
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(autouse=True)
def _tasks_run_in_process(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests run Celery tasks eagerly, as without REDIS_URL, even when CI sets REDIS_URL: only the
    tests marked `worker` send tasks through Redis to a real worker."""
    if request.node.get_closest_marker("worker") is None:
        monkeypatch.setitem(celery_app.conf, "task_always_eager", True)


@pytest.fixture(autouse=True)
def _language_reset() -> Iterator[None]:
    """Each test starts in the default language: a test client's request leaves the language it
    negotiated active in the thread, which would otherwise leak into the next test."""
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_passwords(settings: pytest.FixtureRequest) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def private_storage_in_tmp(settings, tmp_path: Path) -> Path:
    """Private files (reports, documents) go to a folder of this test, never to var/private."""
    location = tmp_path / "private"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location), "base_url": None},
        },
    }
    return location


@pytest.fixture
def desk_irsina(db: None) -> Organisation:
    return OrganisationFactory(
        name="PUA Irsina", code="IRS", kind=Organisation.Kind.PUA_DESK, municipality=municipality("Irsina")
    )


@pytest.fixture
def desk_picerno(db: None) -> Organisation:
    return OrganisationFactory(
        name="PUA Picerno", code="PIC", kind=Organisation.Kind.PUA_DESK, municipality=municipality("Picerno")
    )


@pytest.fixture
def school_potenza(db: None) -> Organisation:
    return OrganisationFactory(
        name="IC Potenza", code="ICPZ", kind=Organisation.Kind.SCHOOL, municipality=municipality("Potenza")
    )


@pytest.fixture
def school_matera(db: None) -> Organisation:
    return OrganisationFactory(
        name="IC Matera", code="ICMT", kind=Organisation.Kind.SCHOOL, municipality=municipality("Matera")
    )


@pytest.fixture
def association_potenza(db: None) -> Organisation:
    return OrganisationFactory(
        name="Ass. Ponti", code="APZ", kind=Organisation.Kind.ASSOCIATION, municipality=municipality("Potenza")
    )


@pytest.fixture
def regional_office(db: None) -> Organisation:
    return OrganisationFactory(
        name="Regione Basilicata",
        code="REG",
        kind=Organisation.Kind.REGIONAL_OFFICE,
        municipality=municipality("Potenza"),
    )


@pytest.fixture
def make_member(db: None) -> Callable[..., User]:
    """make_member(Role.CASEWORKER, desk) -> a user holding that role there."""

    def make(role: str, organisation: Organisation, **user_fields: object) -> User:
        user = UserFactory(**user_fields)
        MembershipFactory(user=user, organisation=organisation, role=role)
        user.forget_memberships()
        return user

    return make


@pytest.fixture
def caseworker_irsina(make_member: Callable[..., User], desk_irsina: Organisation) -> User:
    return make_member(Role.CASEWORKER, desk_irsina, email="caseworker.irsina@example.org")


@pytest.fixture
def caseworker_picerno(make_member: Callable[..., User], desk_picerno: Organisation) -> User:
    return make_member(Role.CASEWORKER, desk_picerno, email="caseworker.picerno@example.org")


@pytest.fixture
def supervisor_irsina(make_member: Callable[..., User], desk_irsina: Organisation) -> User:
    return make_member(Role.PUA_SUPERVISOR, desk_irsina, email="supervisor.irsina@example.org")


@pytest.fixture
def operator_school_potenza(make_member: Callable[..., User], school_potenza: Organisation) -> User:
    return make_member(Role.SCHOOL_OPERATOR, school_potenza, email="operator.potenza@example.org")


@pytest.fixture
def staff_school_matera(make_member: Callable[..., User], school_matera: Organisation) -> User:
    return make_member(Role.SCHOOL_STAFF, school_matera, email="staff.matera@example.org")


@pytest.fixture
def manager_association(make_member: Callable[..., User], association_potenza: Organisation) -> User:
    return make_member(Role.ASSOCIATION_MANAGER, association_potenza, email="manager.ponti@example.org")


@pytest.fixture
def editor(make_member: Callable[..., User], regional_office: Organisation) -> User:
    return make_member(Role.EDITOR, regional_office, email="editor@example.org")


@pytest.fixture
def official(make_member: Callable[..., User], regional_office: Organisation) -> User:
    return make_member(Role.REGIONAL_OFFICIAL, regional_office, email="official@example.org")


@pytest.fixture
def administrator(make_member: Callable[..., User], regional_office: Organisation) -> User:
    return make_member(Role.ADMINISTRATOR, regional_office, email="admin@example.org")


def logged_in(user: User) -> Client:
    """A test client logged in as `user`, past the second factor."""
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def client_for() -> Callable[[User], Client]:
    return logged_in
