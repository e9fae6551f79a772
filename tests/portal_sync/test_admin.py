"""The admin site for Action 3: endpoints are configured here with write-only credentials (never
sent back to the browser; an empty input keeps them); runs, rejected records and items are read-only."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from aipim.core.models import AuditEvent
from portal_sync.models import ContentItem, Endpoint, RejectedRecord, SyncRun
from tests.factories import UserFactory
from tests.portal_sync.test_editorial import make_item

pytestmark = pytest.mark.django_db

REGISTERED = sorted(model._meta.label for model in admin.site._registry if model._meta.app_label == "portal_sync")
SECRET = "token-very-secret-123"


@pytest.fixture
def admin_client(client_for):
    superuser = UserFactory(email="root@example.org", is_superuser=True, is_staff=True)
    return client_for(superuser)


def endpoint_form(**changes: str) -> dict[str, str]:
    data = {
        "name": "portale",
        "title": "Portale Integrazione Migranti",
        "adapter": "feed",
        "direction": "pull",
        "url": "https://portale.example.org/feed.xml",
        "credentials": "",
        "options": "{}",
        "item_kind": "news",
        "interval_minutes": "60",
        "enabled": "on",
        "max_attempts": "8",
        "timeout_seconds": "20",
    }
    data.update(changes)
    return data


def test_endpoints_runs_rejections_and_items_are_registered() -> None:
    assert REGISTERED == [
        "portal_sync.ContentItem",
        "portal_sync.Endpoint",
        "portal_sync.RejectedRecord",
        "portal_sync.SyncRun",
    ]


def test_credentials_are_written_but_never_shown_back(admin_client, settings):
    settings.LANGUAGE_CODE = "en"
    response = admin_client.post(reverse("admin:portal_sync_endpoint_add"), endpoint_form(credentials=SECRET))
    assert response.status_code == 302, response.content.decode()[:2000]
    endpoint = Endpoint.objects.get(name="portale")
    assert endpoint.credentials == SECRET

    change_url = reverse("admin:portal_sync_endpoint_change", args=[endpoint.pk])
    page = admin_client.get(change_url).content.decode()
    assert SECRET not in page and 'type="password"' in page and "Credentials are set" in page
    listing = admin_client.get(reverse("admin:portal_sync_endpoint_changelist")).content.decode()
    assert SECRET not in listing and ">set<" in listing
    audit = AuditEvent.objects.get(action="portal_sync.endpoint_add")
    assert SECRET not in str(audit.details)


def test_an_empty_input_keeps_the_credentials_and_a_new_one_replaces_them(admin_client, make_endpoint, settings):
    settings.LANGUAGE_CODE = "en"
    endpoint = make_endpoint(name="portale", credentials=SECRET)
    url = reverse("admin:portal_sync_endpoint_change", args=[endpoint.pk])
    assert admin_client.post(url, endpoint_form(title="Nuovo titolo")).status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.credentials == SECRET and endpoint.title == "Nuovo titolo"

    assert admin_client.post(url, endpoint_form(credentials="user:new-password")).status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.credentials == "user:new-password"

    assert admin_client.post(url, endpoint_form(forget_credentials="on")).status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.credentials is None
    listing = admin_client.get(reverse("admin:portal_sync_endpoint_changelist")).content.decode()
    assert ">not set<" in listing


def test_runs_rejections_and_items_are_read_only(admin_client, make_endpoint):
    endpoint = make_endpoint()
    run = SyncRun.objects.create(endpoint=endpoint, direction="pull", status=SyncRun.Status.PARTIAL)
    rejection = RejectedRecord.objects.create(run=run, endpoint=endpoint, reason="bad_value", external_id="urn:r")
    item = make_item(endpoint)
    for model, obj in ((SyncRun, run), (RejectedRecord, rejection), (ContentItem, item)):
        name = model._meta.model_name
        assert admin_client.get(reverse(f"admin:portal_sync_{name}_changelist")).status_code == 200
        page = admin_client.get(reverse(f"admin:portal_sync_{name}_change", args=[obj.pk]))
        assert page.status_code == 200
        assert 'name="_save"' not in page.content.decode()
        assert admin_client.get(reverse(f"admin:portal_sync_{name}_add")).status_code == 403
        assert admin_client.post(reverse(f"admin:portal_sync_{name}_delete", args=[obj.pk])).status_code == 403


def test_an_item_links_to_the_editors_page(admin_client, make_endpoint):
    item = make_item(make_endpoint())
    listing = admin_client.get(reverse("admin:portal_sync_contentitem_changelist")).content.decode()
    assert reverse("portal_sync:item", args=[item.pk]) in listing
