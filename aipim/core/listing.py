"""What the lists of personal data share: the query string with changes, sortable column headers,
and name searches kept out of URLs.

A searched name never goes into a URL (nor into access logs): the list's search form is POSTed, the
term is kept in the session under a random key, and the URL carries only that key."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest, QueryDict

MAX_SEARCHES = 20  # kept in the session at once per list; the oldest go first


def query_with(query: QueryDict, **changes: str) -> str:
    """`query` url-encoded with `changes` applied; an empty value removes the parameter."""
    query = query.copy()
    for name, value in changes.items():
        if value:
            query[name] = value
        else:
            query.pop(name, None)
    return query.urlencode()


def remember_search(request: HttpRequest, text: str, *, key: str) -> str:
    """Keep `text` in the session under the list's `key`; returns the token that stands for it."""
    searches: dict[str, str] = request.session.get(key, {})
    token = secrets.token_urlsafe(12)
    searches[token] = text
    request.session[key] = dict(list(searches.items())[-MAX_SEARCHES:])
    return token


def searched_text(request: HttpRequest, token: str, *, key: str) -> str:
    """The term a token stands for ("" if unknown, e.g. from another session)."""
    return request.session.get(key, {}).get(token, "") if token else ""


def sortable_columns(
    columns: Iterable[tuple[str, Any]], query: QueryDict, current: str, **changes: str
) -> list[dict[str, Any]]:
    """Table headers: a sortable one (a non-empty key) links to the list sorted by it, or reversed
    when it is the current sort; `state` is the aria-sort value."""
    headers = []
    for key, label in columns:
        header: dict[str, Any] = {"label": label, "url": "", "state": ""}
        if key:
            header["url"] = "?" + query_with(query, sort=f"-{key}" if current == key else key, **changes)
            header["state"] = {key: "ascending", f"-{key}": "descending"}.get(current, "")
        headers.append(header)
    return headers
