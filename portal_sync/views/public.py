"""Public pages under /news/: the published news and opportunities in the visitor's language
(titles and summaries translated by the editors, falling back to Italian), and one item's page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils.translation import get_language, get_language_info
from django.views.generic import ListView

from portal_sync.models import ContentItem, ItemKind

PUBLIC_KINDS = (ItemKind.NEWS, ItemKind.OPPORTUNITY)
PAGE_SIZE = 12
MAIN_LANGUAGE = settings.MODELTRANSLATION_DEFAULT_LANGUAGE


def text_direction(language: str) -> str:
    """ "rtl" or "ltr" for a language code; "auto" (the browser looks at the text) for one we do not know."""
    try:
        return "rtl" if get_language_info(language)["bidi"] else "ltr"
    except KeyError:
        return "auto"


def with_text_language(item: ContentItem) -> ContentItem:
    """Mark the language (and the direction) the visitor reads the title, the summary and the body
    in: theirs when an editor translated the title or the summary, else Italian (the fallback), so
    that screen readers pronounce it right and Italian in an Arabic page runs left to right."""
    language = (get_language() or MAIN_LANGUAGE).split("-")[0]
    for name in ("title", "summary"):
        text_language = language if getattr(item, f"{name}_{language}", None) else MAIN_LANGUAGE
        setattr(item, f"{name}_language", text_language)
        setattr(item, f"{name}_dir", text_direction(text_language))
    item.body_dir = text_direction(item.language) if item.language else "auto"  # type: ignore[attr-defined]
    return item


def feed_url(language: str) -> str:
    """The address of our Atom feed in `language` (portal_sync.feeds); Italian has the bare address."""
    url = reverse("news:feed")
    return url if language == MAIN_LANGUAGE else f"{url}?lang={language}"


def feed_link() -> dict[str, str]:
    """The feed in the page's language, for the pages' <link rel="alternate">."""
    return {"feed_url": feed_url((get_language() or MAIN_LANGUAGE).split("-")[0])}


def public_items() -> QuerySet[ContentItem]:
    return ContentItem.objects.published().filter(kind__in=PUBLIC_KINDS).order_by("-published_at", "-id")


class NewsListView(ListView):
    template_name = "portal_sync/public/news_list.html"
    context_object_name = "items"
    paginate_by = PAGE_SIZE

    def get_queryset(self) -> QuerySet[ContentItem]:
        # The list shows titles and summaries only: the bodies and the source records stay behind.
        return public_items().defer("body", "payload")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["items"] = [with_text_language(item) for item in context["items"]]
        context["updated_on"] = max((item.published_at for item in context["items"] if item.published_at), default=None)
        context.update(feed_link())
        return context


def news_item(request: HttpRequest, public_id: Any) -> HttpResponse:
    try:
        item = public_items().defer("payload").get(public_id=public_id)
    except ContentItem.DoesNotExist as error:
        raise Http404 from error
    return render(
        request,
        "portal_sync/public/news_detail.html",
        {"item": with_text_language(item), "updated_on": item.published_at, **feed_link()},
    )


urlpatterns: list[URLPattern] = [
    path("", NewsListView.as_view(), name="list"),
    path("<uuid:public_id>/", news_item, name="item"),
]
