"""WCAG 2.1 AA with axe-core on the outbox's pages: the operations page with a push endpoint (its
waiting and dead messages, "send now") and the dead letters with their buttons, in Italian and
English, and on a phone without sideways scrolling. Browser tests, like test_pages_accessibility."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from portal_sync.models import Direction, OutboxMessage
from tests.e2e.conftest import axe_violations, browser_problems, browser_type_launch_args, new_page
from tests.factories import ServiceFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

__all__ = ["browser_problems", "browser_type_launch_args", "new_page"]

PHONE = 390


@pytest.fixture
def dead_letters(make_endpoint) -> None:  # type: ignore[no-untyped-def]
    portal = make_endpoint(
        name="portale", title="Portale Integrazione Migranti", direction=Direction.PUSH, adapter="hsds", item_kind=""
    )
    service = ServiceFactory(name="Sportello per l'orientamento al lavoro dei cittadini stranieri")
    OutboxMessage.objects.all().delete()
    OutboxMessage.objects.create(endpoint=portal, operation="upsert", object_type="service", object_id="waiting")
    for object_id in (str(service.pk), "a-record-that-is-gone-with-a-long-identifier-0123456789"):
        OutboxMessage.objects.create(
            endpoint=portal,
            operation="upsert",
            object_type="service",
            object_id=object_id,
            status=OutboxMessage.Status.DEAD,
            attempts=8,
            dead_at=timezone.now(),
            last_error="https://portale.example.org/api/services answered 503 Service Unavailable " * 3,
        )


def test_the_outbox_pages_pass_axe(new_page, editor, dead_letters):  # type: ignore[no-untyped-def]
    # One test for the three views: each browser test empties and refills the database.
    failures = {}
    for language, width in (("it", 1280), ("en", 1280), ("it", PHONE)):
        page = new_page(language=language, user=editor, width=width)
        for path in (reverse("portal_sync:operations"), reverse("portal_sync:outbox_dead")):
            assert page.goto(path).status == 200, path
            if problems := axe_violations(page):
                failures[(language, width, path)] = problems
            if width == PHONE:
                sideways = page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")
                assert not sideways, path
    assert failures == {}
