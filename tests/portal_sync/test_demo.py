"""The demo data of Action 3 (portal_sync/demo.py, loaded by seed_demo): items in every editorial
state with translations, a finished run, a failed one that makes its endpoint red, a run with
rejected records; disabled endpoints that never call out; a second load creates nothing."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from portal_sync import demo
from portal_sync.models import ContentItem, ContentVersion, Endpoint, ItemState, RejectedRecord, SyncRun

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Endpoint, ContentItem, ContentVersion, SyncRun, RejectedRecord)
    }


def test_the_demo_has_items_in_every_state_and_the_runs_the_dashboard_shows(editor):
    created = demo.seed({})
    assert created == sum(counts().values()) - ContentVersion.objects.count()
    assert {state for state in ContentItem.objects.values_list("state", flat=True)} == set(ItemState.values)
    assert not Endpoint.objects.filter(enabled=True).exists()  # the demo never calls out
    assert all(url.startswith("https://portale.example.org/") for url in Endpoint.objects.values_list("url", flat=True))

    arabic = ContentItem.objects.filter(state=ItemState.PUBLISHED).exclude(title_ar=None).exclude(title_ar="")
    assert arabic.count() >= 3
    changed = ContentItem.objects.get(changed_after_publishing=True)
    assert changed.state == ItemState.IN_REVIEW and changed.versions.count() == 2

    statuses = set(SyncRun.objects.values_list("status", flat=True))
    assert {SyncRun.Status.SUCCEEDED, SyncRun.Status.FAILED, SyncRun.Status.PARTIAL} <= statuses
    failing = Endpoint.objects.get(consecutive_failures__gt=0)
    assert failing.last_error and SyncRun.objects.get(status=SyncRun.Status.FAILED).error == failing.last_error
    partial = SyncRun.objects.get(status=SyncRun.Status.PARTIAL)
    assert partial.failed == partial.rejections.count() == 2
    assert not SyncRun.objects.filter(status=SyncRun.Status.RUNNING).exists()


def test_a_second_load_creates_nothing(editor):
    demo.seed({})
    before = counts()
    assert demo.seed({}) == 0
    assert counts() == before


def test_the_demo_shows_on_the_pages(editor, client_for, settings):
    settings.LANGUAGE_CODE = "en"
    demo.seed({})
    operations = client_for(editor).get(reverse("portal_sync:operations"), HTTP_ACCEPT_LANGUAGE="en")
    html = operations.content.decode()
    assert "Failing" in html and "https://portale.example.org/opportunita/feed.xml answered 503" in html
    news = Client(HTTP_ACCEPT_LANGUAGE="ar").get(reverse("news:list")).content.decode()
    assert "تدريب مهني مدفوع الأجر" in news
    assert "Giornata mondiale del rifugiato" not in news  # withdrawn
