"""Directory changes write "service changed" outbox messages for push endpoints that send
services, in the change's transaction (portal_sync/signals.py), and cost almost nothing when no
push endpoint exists."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from django.db import connection
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.test.utils import CaptureQueriesContext

from aipim.core import directory
from aipim.core.models import Contact, Location, Organisation, Schedule, Service
from portal_sync import signals
from portal_sync.adapters import register
from portal_sync.models import Direction, Endpoint, OutboxMessage
from tests.factories import OrganisationFactory, ServiceFactory, municipality
from tests.portal_sync.push_remote import ADAPTER, LoopbackPush


class DatasetsOnly(LoopbackPush):
    object_types = ("dataset",)


@pytest.fixture(autouse=True)
def _adapters() -> None:
    register(ADAPTER, "push", LoopbackPush())
    register("pushdata", "push", DatasetsOnly())


@pytest.fixture
def make_push(make_endpoint: Callable[..., Endpoint]) -> Callable[..., Endpoint]:
    def make(**fields: object) -> Endpoint:
        fields.setdefault("adapter", ADAPTER)
        return make_endpoint(direction=Direction.PUSH, item_kind="", url="http://127.0.0.1:9/", **fields)

    return make


@pytest.fixture
def provider(db: None) -> Organisation:
    return OrganisationFactory(name="ASP Potenza", code="ASP", kind=Organisation.Kind.SERVICE_PROVIDER)


@pytest.fixture
def clinic(provider: Organisation) -> Service:
    """A service with one location and Monday hours, written before any push endpoint exists."""
    service = ServiceFactory(organisation=provider, name="Ambulatorio")
    site = Location.objects.create(
        organisation=provider, name="Sede", address="Via Roma 1", municipality=municipality("Potenza")
    )
    service.locations.add(site)
    Schedule.objects.create(service=service, weekday="MO", opens_at=datetime.time(9), closes_at=datetime.time(12))
    return service


def messages() -> list[tuple[str, str]]:
    return list(OutboxMessage.objects.order_by("object_id").values_list("endpoint__name", "object_id"))


def edit(service: Service, editor: object, name: str) -> None:
    site = service.locations.get(name="Sede")
    directory.update_service(
        service=service,
        fields={"name_it": name},
        locations=[
            {"location": site, "name": site.name, "address": "Via Roma 2"},
            {"name": f"Sede di {name}", "address": "Via Verdi 3", "municipality": site.municipality},
        ],
        schedules=[{"weekday": "TU", "opens_at": datetime.time(9), "closes_at": datetime.time(13), "location": site}],
        by=editor,
    )


def test_a_directory_edit_writes_exactly_one_message_per_push_endpoint(  # type: ignore[no-untyped-def]
    make_push, clinic: Service, editor
) -> None:
    make_push(name="portale")
    make_push(name="pushoff", enabled=False)
    make_push(name="datasets", adapter="pushdata")  # sends datasets, not services
    edit(clinic, editor, "Ambulatorio STP")
    assert messages() == [("portale", str(clinic.pk))]


def test_creating_and_deleting_a_service_write_messages(make_push, provider: Organisation, editor) -> None:  # type: ignore[no-untyped-def]
    make_push(name="portale")
    service = directory.create_service(
        organisation=provider,
        fields={"name_it": "Corso", "category": "language"},
        locations=[{"name": "Aula", "address": "Via Po 1", "municipality": municipality("Potenza")}],
        schedules=[{"weekday": "MO", "opens_at": datetime.time(9), "closes_at": datetime.time(11)}],
        by=editor,
    )
    assert messages() == [("portale", str(service.pk))]
    service_id = str(service.pk)
    OutboxMessage.objects.update(attempts=1)  # tried once: the next change needs a message of its own
    service.delete()
    assert OutboxMessage.objects.filter(object_id=service_id).count() == 2


@contextmanager
def signals_off() -> Iterator[None]:
    receivers = [
        (post_save, Service, "portal_sync.service_saved"),
        (post_delete, Service, "portal_sync.service_deleted"),
        (post_save, Schedule, "portal_sync.Schedule_saved"),
        (post_delete, Schedule, "portal_sync.Schedule_deleted"),
        (post_save, Contact, "portal_sync.Contact_saved"),
        (post_delete, Contact, "portal_sync.Contact_deleted"),
        (post_save, Organisation, "portal_sync.organisation_saved"),
        (post_save, Location, "portal_sync.location_saved"),
        (pre_delete, Location, "portal_sync.location_deleted"),
        (m2m_changed, Service.locations.through, "portal_sync.service_locations"),
    ]
    for signal, sender, uid in receivers:
        assert signal.disconnect(sender=sender, dispatch_uid=uid), uid
    try:
        yield
    finally:
        signals.connect()


def test_without_a_push_endpoint_an_edit_costs_at_most_two_queries_more(  # type: ignore[no-untyped-def]
    clinic: Service, editor, provider: Organisation
) -> None:
    other = ServiceFactory(organisation=provider)
    site = Location.objects.create(
        organisation=provider, name="Sede", address="Via Roma 1", municipality=municipality("Potenza")
    )
    other.locations.add(site)
    Schedule.objects.create(service=other, weekday="MO", opens_at=datetime.time(9), closes_at=datetime.time(12))
    with signals_off(), CaptureQueriesContext(connection) as without:
        edit(other, editor, "Altro")
    with CaptureQueriesContext(connection) as with_signals:
        edit(clinic, editor, "Ambulatorio STP")
    # One query asks for push endpoints (once for the whole transaction); the other is Django
    # reading the hours it deletes, to send their signals.
    assert len(with_signals) - len(without) <= 2, [q["sql"] for q in with_signals.captured_queries]
    assert not OutboxMessage.objects.exists()


def test_a_push_endpoint_added_later_in_the_transaction_is_seen(make_push, clinic: Service, editor) -> None:  # type: ignore[no-untyped-def]
    edit(clinic, editor, "Prima")  # no push endpoint: that answer is kept for the transaction...
    make_push(name="portale")  # ...until an endpoint is saved
    edit(clinic, editor, "Dopo")
    assert messages() == [("portale", str(clinic.pk))]


def test_an_organisation_change_touches_its_services(make_push, clinic: Service, provider: Organisation) -> None:  # type: ignore[no-untyped-def]
    second = ServiceFactory(organisation=provider)
    ServiceFactory()  # another organisation's
    make_push(name="portale")
    provider.phone = "0971 000000"
    provider.save()
    assert messages() == sorted([("portale", str(clinic.pk)), ("portale", str(second.pk))])


def test_a_location_change_touches_its_services(make_push, clinic: Service, provider: Organisation) -> None:  # type: ignore[no-untyped-def]
    second = ServiceFactory(organisation=provider)
    site = clinic.locations.get()
    site.services.add(second)  # the reverse side of the link
    make_push(name="portale")
    OutboxMessage.objects.all().delete()
    site.address = "Via Nuova 5"
    site.save()
    assert messages() == sorted([("portale", str(clinic.pk)), ("portale", str(second.pk))])
    OutboxMessage.objects.all().delete()
    site.services.clear()
    assert messages() == sorted([("portale", str(clinic.pk)), ("portale", str(second.pk))])
    site.services.add(clinic)
    OutboxMessage.objects.all().delete()
    site.delete()
    assert messages() == [("portale", str(clinic.pk))]


def test_hours_contacts_and_links_touch_their_service(make_push, clinic: Service, provider: Organisation) -> None:  # type: ignore[no-untyped-def]
    make_push(name="portale")
    expected = [("portale", str(clinic.pk))]
    steps: list[Callable[[], object]] = [
        lambda: Contact.objects.create(service=clinic, name="Dott.ssa Rossi"),
        lambda: Contact.objects.get(service=clinic).delete(),
        lambda: clinic.schedules.get().delete(),
        lambda: Schedule.objects.create(
            service=clinic, weekday="FR", opens_at=datetime.time(9), closes_at=datetime.time(10)
        ),
        lambda: clinic.locations.clear(),
        lambda: clinic.locations.add(
            Location.objects.create(organisation=provider, name="B", address="C", municipality=municipality("Matera"))
        ),
    ]
    for step in steps:
        OutboxMessage.objects.all().delete()
        step()
        assert messages() == expected, step


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_change_outside_a_transaction_still_writes_its_message(  # type: ignore[no-untyped-def]
    make_push, caplog: pytest.LogCaptureFixture
) -> None:
    make_push(name="portale")
    assert not connection.in_atomic_block
    with caplog.at_level(logging.WARNING, logger="portal_sync.signals"):
        service = ServiceFactory()  # autocommit: saved before the signal runs
    assert messages() == [("portale", str(service.pk))]
    assert "outside a transaction" in caplog.text
