"""Our Atom 1.0 feed of published news and opportunities, /news/feed/, one feed per language.

The site's pages take their language from the visitor's cookie or browser, but a feed reader has
neither and caches by address: so the language is in the address (`?lang=en|fr|ar`; Italian, the
site's main language, without it). Entries whose title or summary the editors did not translate are
in Italian, and say so with their own xml:lang. A reader that already has the current feed gets a
304 (ETag and Last-Modified from one cheap query)."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import Count, Max, Q
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.urls import reverse
from django.utils import translation
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.views.decorators.http import condition

from portal_sync.models import ContentItem, ItemState
from portal_sync.sanitize import plain_text
from portal_sync.views.public import MAIN_LANGUAGE, PUBLIC_KINDS, feed_url, public_items, with_text_language

FEED_LENGTH = 50
FEED_LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)


class LanguageAtomFeed(Atom1Feed):
    """Atom whose entries carry the language of their own texts (xml:lang on the entry, and on the
    summary when it is in another language than the title), with the summary as plain text."""

    def item_attributes(self, item: dict[str, Any]) -> dict[str, str]:
        return {"xml:lang": item["title_language"]}

    def add_item_elements(self, handler: Any, item: dict[str, Any]) -> None:
        summary, item["description"] = item["description"], None  # written below as text, not HTML
        super().add_item_elements(handler, item)
        if summary:
            attributes = {"type": "text"}
            if item["summary_language"] != item["title_language"]:
                attributes["xml:lang"] = item["summary_language"]
            handler.addQuickElement("summary", summary, attributes)


class NewsFeed(Feed):
    feed_type = LanguageAtomFeed

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.language = kwargs.pop("language")  # Feed writes it as the feed's xml:lang
        with translation.override(self.language):
            return super().__call__(request, *args, **kwargs)

    def title(self) -> str:
        return _("News and opportunities – %(region)s") % {"region": settings.REGION_NAME}

    def subtitle(self) -> str:
        return _(
            "News and opportunities for migrants in Basilicata, from the national Portale Integrazione "
            "Migranti, checked by the Region's editors."
        )

    def link(self) -> str:
        return reverse("news:list")

    def feed_url(self) -> str:
        return feed_url(self.language or MAIN_LANGUAGE)

    def feed_guid(self) -> str:
        # Stable whatever the host name the site is reached by.
        return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'aipim:news-feed:{self.language}')}"

    def author_name(self) -> str:
        return settings.REGION_NAME

    def items(self) -> list[ContentItem]:
        items = public_items().defer("body", "payload")[:FEED_LENGTH]
        return [with_text_language(item) for item in items]

    def item_title(self, item: ContentItem) -> str:
        return item.title  # Atom text: the XML writer escapes it (Feed's default escapes it twice, for RSS)

    def item_description(self, item: ContentItem) -> str:
        return plain_text(item.summary or "")

    def item_link(self, item: ContentItem) -> str:
        return reverse("news:item", args=[item.public_id])

    def item_guid(self, item: ContentItem) -> str:
        return f"urn:uuid:{item.public_id}"

    def item_pubdate(self, item: ContentItem) -> Any:
        return item.published_at

    def item_updateddate(self, item: ContentItem) -> Any:
        return max(item.updated_at, item.published_at) if item.published_at else item.updated_at

    def item_extra_kwargs(self, item: ContentItem) -> dict[str, str]:
        return {"title_language": item.title_language, "summary_language": item.summary_language}  # type: ignore[attr-defined]


def _feed_state() -> tuple[Any, int]:
    """When the feed last changed and how many items it has, in one query over every item that is
    or was in it (publishing, withdrawing or editing a published item moves its updated_at)."""
    state = ContentItem.objects.filter(kind__in=PUBLIC_KINDS, published_at__isnull=False).aggregate(
        last=Max("updated_at"), published=Count("id", filter=Q(state=ItemState.PUBLISHED))
    )
    return state["last"], state["published"]


def news_feed(request: HttpRequest) -> HttpResponse:
    language = request.GET.get("lang", MAIN_LANGUAGE)
    if language not in FEED_LANGUAGES:
        return HttpResponseBadRequest(
            _("No feed in that language: choose one of %(languages)s.") % {"languages": ", ".join(FEED_LANGUAGES)},
            content_type="text/plain; charset=utf-8",
        )
    last_changed, published = _feed_state()
    fingerprint = f"{language}:{last_changed.isoformat() if last_changed else '-'}:{published}"
    etag = '"' + hashlib.sha256(fingerprint.encode()).hexdigest()[:32] + '"'

    @condition(etag_func=lambda _request: etag, last_modified_func=lambda _request: last_changed)
    def render(request: HttpRequest) -> HttpResponse:
        response = NewsFeed()(request, language=language)
        # The feed's own Last-Modified is its newest entry's date; a withdrawal changes the feed too.
        del response["Last-Modified"]
        return response

    return render(request)
