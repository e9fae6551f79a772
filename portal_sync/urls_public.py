"""Public pages of Action 3 under /news/: published news and opportunities, and our Atom feed."""

from django.urls import URLPattern, URLResolver, path

from portal_sync import feeds
from portal_sync.views import public

app_name = "news"
urlpatterns: list[URLPattern | URLResolver] = [*public.urlpatterns, path("feed/", feeds.news_feed, name="feed")]
