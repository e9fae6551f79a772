"""The lists' shared parts: query strings, sortable headers, searches kept in the session."""

from __future__ import annotations

from django.contrib.sessions.backends.db import SessionStore
from django.http import QueryDict
from django.test import RequestFactory

from aipim.core.listing import MAX_SEARCHES, query_with, remember_search, searched_text, sortable_columns


def test_query_with_sets_and_removes():
    query = QueryDict("status=open&page=3&sort=name")
    assert QueryDict(query_with(query, page="", sort="-name")) == QueryDict("status=open&sort=-name")


def test_a_sortable_header_reverses_the_current_sort_and_says_so():
    query = QueryDict("status=open")
    headers = sortable_columns([("name", "Name"), ("", "Notes")], query, "name")
    assert headers[0]["url"] == "?status=open&sort=-name" and headers[0]["state"] == "ascending"
    assert headers[1] == {"label": "Notes", "url": "", "state": ""}
    assert sortable_columns([("name", "Name")], query, "-name")[0]["state"] == "descending"


def test_searches_live_in_the_session_under_a_token_and_the_oldest_go(db):
    request = RequestFactory().get("/")
    request.session = SessionStore()
    tokens = [remember_search(request, f"Name {i}", key="k") for i in range(MAX_SEARCHES + 1)]
    assert "Name" not in "".join(tokens)
    assert searched_text(request, tokens[-1], key="k") == f"Name {MAX_SEARCHES}"
    assert searched_text(request, tokens[0], key="k") == ""  # the oldest went
    assert searched_text(request, tokens[-1], key="other") == ""
    assert searched_text(request, "", key="k") == ""
