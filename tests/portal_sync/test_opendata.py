"""publish_month: one outbox message per dataset for each CKAN push endpoint, for a month that has
ended, written in one transaction, reused while it waits; and the monthly task."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from aipim.core.datasets import all_datasets
from portal_sync.models import Adapter, Direction, OutboxMessage
from portal_sync.services.opendata import MonthNotEnded, publish_month
from portal_sync.tasks import publish_open_data_task


@pytest.fixture
def ckan_endpoint(make_endpoint):
    return make_endpoint(
        adapter=Adapter.CKAN,
        direction=Direction.PUSH,
        item_kind="",
        url="http://127.0.0.1:9/",
        options={"owner_org": "x"},
    )


def test_each_dataset_of_the_month_goes_to_each_ckan_endpoint(ckan_endpoint, make_endpoint):
    make_endpoint(adapter=Adapter.CKAN, direction=Direction.PUSH, item_kind="", enabled=False)
    make_endpoint()  # a pull feed
    messages = publish_month(datetime.date(2026, 10, 17))
    assert sorted(m.object_id for m in messages) == sorted(f"{d.slug}:2026-10" for d in all_datasets())
    assert {(m.endpoint_id, m.object_type, m.operation) for m in messages} == {
        (ckan_endpoint.pk, "dataset", OutboxMessage.Operation.UPSERT)
    }
    # Again before they were tried: the same messages, no second copy.
    again = publish_month(datetime.date(2026, 10, 1))
    assert {m.pk for m in again} == {m.pk for m in messages}
    assert OutboxMessage.objects.count() == len(all_datasets())


def test_the_default_is_the_month_just_ended_and_a_running_month_is_refused(ckan_endpoint):
    today = timezone.localdate()
    previous = (today.replace(day=1) - datetime.timedelta(days=1)).strftime("%Y-%m")
    assert {m.object_id.rsplit(":", 1)[1] for m in publish_month()} == {previous}
    with pytest.raises(MonthNotEnded):
        publish_month(today)
    assert publish_open_data_task() == len(all_datasets())  # reused messages, counted again


def test_nothing_without_a_ckan_endpoint(make_endpoint):
    make_endpoint()
    assert publish_month(datetime.date(2026, 10, 1)) == []
    assert not OutboxMessage.objects.exists()
