"""WCAG 2.1 AA with axe-core on the pages of Action 3, with data on them: the editors' pages in the
staff languages (Italian, English), the public news pages in the four languages and on a phone.
Browser tests: they run with Debian's chromium (AIPIM_REQUIRE_E2E=1 makes its absence a failure)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from portal_sync.models import ContentVersion, ItemKind, ItemState, RejectedRecord, SyncRun
from tests.e2e.conftest import axe_violations, browser_problems, browser_type_launch_args, new_page
from tests.portal_sync.test_editorial import make_item

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# The browser fixtures of tests/e2e, made visible to this folder.
__all__ = ["browser_problems", "browser_type_launch_args", "new_page"]

PHONE = 390


@pytest.fixture
def at_work(make_endpoint) -> dict[str, Any]:
    portal = make_endpoint(name="portale", title="Portale Integrazione Migranti", last_success_at=timezone.now())
    failing = make_endpoint(
        name="regione", title="Sistema regionale", consecutive_failures=2, last_error="Remote answered 503"
    )
    item = make_item(portal, title_it="Bando per mediatori", title_ar="إعلان للوسطاء", summary_ar="ملخص")
    ContentVersion.objects.create(item=item, version=2, content_hash="h2", title="Bando", summary="Nuovo riassunto")
    published = make_item(
        portal,
        title_it="Corso di italiano",
        title_en="Italian course",
        title_fr="Cours d'italien",
        title_ar="دورة اللغة الإيطالية",
        kind=ItemKind.OPPORTUNITY,
        state=ItemState.PUBLISHED,
        published_at=timezone.now(),
        body="<p>Iscrizioni <strong>aperte</strong>.</p>",
    )
    started = timezone.now() - datetime.timedelta(minutes=3)
    run = SyncRun.objects.create(
        endpoint=failing,
        direction="pull",
        status=SyncRun.Status.FAILED,
        started_at=started,
        finished_at=started + datetime.timedelta(seconds=2),
        error="Remote answered 503",
    )
    RejectedRecord.objects.create(run=run, endpoint=failing, reason="invalid_document", excerpt="<rss><broken")
    return {"item": item, "published": published, "run": run}


def staff_paths(data: dict[str, Any]) -> list[str]:
    return [
        reverse("portal_sync:home"),
        reverse("portal_sync:item", args=[data["item"].pk]),
        reverse("portal_sync:operations"),
        reverse("portal_sync:run", args=[data["run"].pk]),
        reverse("portal_sync:rejections"),
    ]


@pytest.mark.parametrize("language", ["it", "en"])
def test_the_editors_pages_pass_axe(new_page, editor, at_work, language):
    page = new_page(language=language, user=editor)
    failures = {}
    for path in staff_paths(at_work):
        assert page.goto(path).status == 200, path
        if problems := axe_violations(page):
            failures[path] = problems
    assert failures == {}


@pytest.mark.parametrize("language", ["it", "en", "fr", "ar"])
def test_the_news_pages_pass_axe_on_a_phone(new_page, at_work, language):
    page = new_page(language=language, width=PHONE)
    failures = {}
    for path in (reverse("news:list"), reverse("news:item", args=[at_work["published"].public_id])):
        assert page.goto(path).status == 200, path
        assert page.locator("html").get_attribute("lang") == language
        if problems := axe_violations(page):
            failures[path] = problems
        sideways = page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")
        assert not sideways, path
    assert failures == {}
