"""The editorial workflow of pulled items (portal_sync.services.editorial): the allowed moves with
who and when, the editors' translations, publishing a service into the shared directory, and the
diff between two versions."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from aipim.core.models import AuditEvent, Service
from portal_sync.models import ContentItem, ContentVersion, Endpoint, ItemKind, ItemState
from portal_sync.services import editorial
from portal_sync.services.editorial import MoveNotAllowed

_ids = itertools.count(1)


def make_item(endpoint: Endpoint, **fields: Any) -> ContentItem:
    """An item as the engine leaves it (RECEIVED, version 1 kept as a ContentVersion)."""
    number = next(_ids)
    fields.setdefault("external_id", f"urn:item:{number}")
    fields.setdefault("kind", ItemKind.NEWS)
    fields.setdefault("title_it", f"Notizia {number}")
    fields.setdefault("summary_it", "Un riassunto")
    fields.setdefault("body", "<p>Il testo</p>")
    fields.setdefault("content_hash", f"hash-{number}")
    item = ContentItem.objects.create(endpoint=endpoint, **fields)
    ContentVersion.objects.create(
        item=item,
        version=item.version,
        content_hash=item.content_hash,
        title=item.title_it or "",
        summary=item.summary_it or "",
        body=item.body,
        payload=item.payload,
    )
    return item


def hsds_service(organisation: str, name: str = "Sportello orientamento lavoro") -> dict[str, Any]:
    """A service as a remote HSDS system sends it, run by an organisation we know by name."""
    return {
        "id": str(uuid.uuid4()),
        "name": name,
        "description": "Aiuto a cercare lavoro",
        "status": "active",
        "organization": {"id": str(uuid.uuid4()), "name": organisation, "description": "Ente"},
    }


@pytest.fixture
def item(make_endpoint) -> ContentItem:
    return make_item(make_endpoint())


def actions(item: ContentItem) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="portal_sync.contentitem", object_id=str(item.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_an_item_goes_through_the_whole_workflow_with_who_and_when(item, editor, administrator):
    editorial.start_review(item, by=editor)
    assert item.state == ItemState.IN_REVIEW and item.state_changed_by == editor
    editorial.approve(item, by=editor)
    editorial.publish(item, by=administrator)
    item.refresh_from_db()
    assert item.state == ItemState.PUBLISHED
    assert item.state_changed_by == administrator and item.published_at is not None
    editorial.withdraw(item, by=editor, reason="Bando scaduto")
    item.refresh_from_db()
    assert item.state == ItemState.WITHDRAWN and item.withdrawn_reason == "Bando scaduto"
    editorial.start_review(item, by=editor)  # reconsidered
    item.refresh_from_db()
    assert item.state == ItemState.IN_REVIEW and item.withdrawn_reason == ""
    assert actions(item) == [
        "content_item.start_review",
        "content_item.approve",
        "content_item.publish",
        "content_item.withdraw",
        "content_item.start_review",
    ]


@pytest.mark.parametrize(
    ("state", "verb"),
    [
        (ItemState.RECEIVED, "publish"),
        (ItemState.RECEIVED, "approve"),
        (ItemState.IN_REVIEW, "publish"),
        (ItemState.PUBLISHED, "approve"),
        (ItemState.APPROVED, "start_review"),
        (ItemState.WITHDRAWN, "publish"),
    ],
)
def test_a_move_the_workflow_does_not_allow_is_refused(make_endpoint, editor, state, verb):
    item = make_item(make_endpoint(), state=state)
    with pytest.raises(MoveNotAllowed):
        getattr(editorial, verb)(item, by=editor)
    item.refresh_from_db()
    assert item.state == state and actions(item) == []


def test_a_withdrawn_item_cannot_be_withdrawn_again(make_endpoint, editor):
    item = make_item(make_endpoint(), state=ItemState.WITHDRAWN)
    with pytest.raises(MoveNotAllowed):
        editorial.withdraw(item, by=editor, reason="doppio")


def test_the_state_is_checked_again_on_the_locked_row(item, editor):
    """Two editors on the same page: the second press finds the item already moved."""
    stale = ContentItem.objects.get(pk=item.pk)
    editorial.start_review(item, by=editor)
    editorial.approve(item, by=editor)
    with pytest.raises(MoveNotAllowed):
        editorial.approve(stale, by=editor)
    assert actions(item).count("content_item.approve") == 1


def test_withdrawing_needs_a_reason(item, editor):
    with pytest.raises(ValidationError):
        editorial.withdraw(item, by=editor, reason="   ")
    item.refresh_from_db()
    assert item.state == ItemState.RECEIVED


def test_allowed_moves_follow_the_state(make_endpoint):
    endpoint = make_endpoint()
    assert editorial.allowed_moves(make_item(endpoint)) == ["start_review", "withdraw"]
    assert editorial.allowed_moves(make_item(endpoint, state=ItemState.APPROVED)) == ["publish", "withdraw"]
    assert editorial.allowed_moves(make_item(endpoint, state=ItemState.WITHDRAWN)) == ["start_review"]


def test_publishing_again_clears_the_changed_at_the_source_flag(make_endpoint, editor):
    item = make_item(make_endpoint(), state=ItemState.APPROVED)
    ContentItem.objects.filter(pk=item.pk).update(changed_after_publishing=True)
    item.refresh_from_db()
    editorial.publish(item, by=editor)
    item.refresh_from_db()
    assert item.changed_after_publishing is False


def test_editors_translate_titles_and_summaries(item, editor):
    editorial.save_texts(
        item,
        by=editor,
        fields={"title_it": "Bando lavoro", "title_ar": "إعلان عمل", "summary_en": "A job call", "summary_fr": ""},
    )
    item.refresh_from_db()
    assert (item.title_it, item.title_ar, item.summary_en) == ("Bando lavoro", "إعلان عمل", "A job call")
    event = AuditEvent.objects.get(action="content_item.save_texts")
    assert event.details["fields"] == ["summary_en", "title_ar", "title_it"]  # ids of fields, not the texts


def test_saving_the_same_texts_writes_nothing(item, editor):
    editorial.save_texts(item, by=editor, fields={"title_it": item.title_it, "summary_it": item.summary_it})
    assert not AuditEvent.objects.filter(action="content_item.save_texts").exists()


def test_the_italian_title_cannot_be_emptied(item, editor):
    with pytest.raises(ValidationError):
        editorial.save_texts(item, by=editor, fields={"title_it": " "})
    item.refresh_from_db()
    assert item.title_it


def test_a_withdrawn_item_is_not_edited(make_endpoint, editor):
    item = make_item(make_endpoint(), state=ItemState.WITHDRAWN)
    with pytest.raises(MoveNotAllowed):
        editorial.save_texts(item, by=editor, fields={"title_en": "News"})


def test_only_titles_and_summaries_are_texts(item, editor):
    with pytest.raises(ValueError, match="state"):
        editorial.save_texts(item, by=editor, fields={"state": "published"})


def test_publishing_a_service_puts_it_in_the_directory_once(make_endpoint, editor, regional_office):
    endpoint = make_endpoint(adapter="hsds", item_kind=ItemKind.SERVICE)
    document = hsds_service(regional_office.name)
    item = make_item(endpoint, kind=ItemKind.SERVICE, payload=document, state=ItemState.APPROVED)
    editorial.publish(item, by=editor)
    item.refresh_from_db()
    service = Service.objects.get(pk=item.service_id)
    assert service.name_it == "Sportello orientamento lavoro" and service.status == Service.Status.ACTIVE

    # The source changes it; after review it is published again: the same service, updated.
    document["name"] = "Sportello lavoro e formazione"
    ContentItem.objects.filter(pk=item.pk).update(payload=document, state=ItemState.APPROVED)
    item.refresh_from_db()
    editorial.publish(item, by=editor)
    assert Service.objects.filter(external_id__startswith="portal_sync:").count() == 1
    service.refresh_from_db()
    assert service.name_it == "Sportello lavoro e formazione"

    editorial.withdraw(item, by=editor, reason="Chiuso")
    service.refresh_from_db()
    assert service.status == Service.Status.INACTIVE


def test_a_service_that_breaks_the_standard_is_not_published(make_endpoint, editor, regional_office):
    document = hsds_service(regional_office.name)
    document["status"] = "sleeping"
    item = make_item(make_endpoint(), kind=ItemKind.SERVICE, payload=document, state=ItemState.APPROVED)
    with translation.override("en"), pytest.raises(ValidationError, match="directory"):
        editorial.publish(item, by=editor)
    item.refresh_from_db()
    assert item.state == ItemState.APPROVED and item.service_id is None
    assert not Service.objects.filter(external_id__startswith="portal_sync:").exists()


def test_the_diff_shows_what_changed_between_two_versions(item):
    old = item.versions.get()
    new = ContentVersion.objects.create(
        item=item,
        version=2,
        content_hash="h2",
        title=old.title,
        summary="Un riassunto nuovo",
        body=old.body,
        payload={"deadline": "2027-01-31"},
    )
    result = editorial.diff(item, old, new)
    assert [change.field for change in result.changes] == ["summary", "payload"]
    assert "-Un riassunto" in result.lines and "+Un riassunto nuovo" in result.lines
    assert any(line.startswith("+") and "2027-01-31" in line for line in result.lines)
    assert editorial.diff(item, old, old).changes == []


def test_the_diff_refuses_versions_of_another_item(make_endpoint, item):
    other = make_item(make_endpoint())
    with pytest.raises(ValueError, match="belong"):
        editorial.diff(item, item.versions.get(), other.versions.get())
