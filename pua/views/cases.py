"""PUA pages: the case list (filters by GET, name search by POST) and its CSV export.

A searched name never goes into a URL: the POSTed term is kept in the session under a random
key, and the URL carries only that key."""

from __future__ import annotations

import csv
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Window
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View

from aipim.accounts.models import PUA_ROLES
from aipim.core import audit
from aipim.core.listing import query_with, remember_search, searched_text, sortable_columns
from aipim.core.views import RoleRequiredMixin
from pua.forms.cases import CaseFilterForm, CaseSearchForm
from pua.models import NeedDomain
from pua.selectors import DEFAULT_SORT, case_list

PAGE_SIZE = 25
SESSION_KEY = "pua_case_searches"


def read_filters(request: HttpRequest) -> tuple[CaseFilterForm, dict[str, Any]]:
    """The filters of the GET query, plus the searched name looked up by its key."""
    form = CaseFilterForm(request.GET or None, user=request.user)
    filters: dict[str, Any] = dict(form.cleaned_data) if form.is_valid() else {}
    token = filters.pop("search", "")
    filters["search"] = searched_text(request, token, key=SESSION_KEY)
    return form, filters


COLUMNS = [
    ("number", _("Number")),
    ("name", _("Person")),
    ("", _("Birth date")),
    ("", _("Desk")),
    ("", _("Caseworker")),
    ("status", _("Status")),
    ("opened", _("Opened")),
    ("", _("Needs")),
]


class SearchPaginator(Paginator):
    """Pages of a name search, whose rows carry their total (`total`, COUNT(*) OVER ()): one query
    brings the page and the count, where a Paginator runs the trigram search twice (count, then
    rows). Only a page past the end falls back to counting, to show the last page instead."""

    def get_page(self, number: Any) -> Page:
        try:
            number = max(int(number), 1)
        except (TypeError, ValueError):
            number = 1
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page])
        if rows or number == 1:
            self.__dict__["count"] = rows[0].total if rows else 0  # Paginator.count is a cached_property
            return Page(rows, number, self)
        return super().get_page(number)


class CaseListView(RoleRequiredMixin, View):
    roles = PUA_ROLES
    template_name = "pua/cases/list.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        form, filters = read_filters(request)
        cases = case_list(request.user, filters)  # type: ignore[arg-type]
        if filters["search"]:
            page = SearchPaginator(cases.annotate(total=Window(Count("pk"))), PAGE_SIZE).get_page(
                request.GET.get("page")
            )
        else:
            page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
        audit.record(request.user, "case.list", object_type="pua.case", count=len(page.object_list))
        current = filters.get("sort") or DEFAULT_SORT
        query = request.GET.copy()
        query.pop("page", None)
        domains = dict(NeedDomain.choices)
        for case in page.object_list:
            case.need_labels = [domains.get(domain, domain) for domain in case.need_domains or []]
        # The rows link to their cases by this prefix and the id: one reverse() for the page, not one a row.
        detail_prefix = reverse("pua:case_detail", kwargs={"pk": 0}).removesuffix("0/")
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "search_form": CaseSearchForm(initial={"q": filters["search"], "query": query_with(query, search="")}),
                "searched": filters["search"],
                "page": page,
                "page_query": query_with(query),
                "export_query": query_with(query),
                "clear_search_query": query_with(query, search=""),
                "columns": sortable_columns(COLUMNS, query, current),
                "detail_prefix": detail_prefix,
            },
        )

    def post(self, request: HttpRequest) -> HttpResponseRedirect:
        form = CaseSearchForm(request.POST)
        query = QueryDict(request.POST.get("query", ""), mutable=True)
        query.pop("page", None)
        if form.is_valid():
            query["search"] = remember_search(request, form.cleaned_data["q"], key=SESSION_KEY)
        else:
            query.pop("search", None)
        return redirect(f"{reverse('pua:case_list')}?{query.urlencode()}")


CSV_HEADER = [
    "number",
    "desk",
    "status",
    "opened",
    "closed",
    "closing_reason",
    "caseworker",
    "given_names",
    "family_names",
    "given_names_latin",
    "family_names_latin",
    "birth_date",
    "sex",
    "citizenship",
    "municipality",
    "needs",
]


def safe_cell(value: Any) -> str:
    """A cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class CaseExportView(RoleRequiredMixin, View):
    roles = PUA_ROLES

    def get(self, request: HttpRequest) -> HttpResponse:
        _form, filters = read_filters(request)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="cases-{timezone.localdate():%Y-%m-%d}.csv"'
        writer = csv.writer(response)
        writer.writerow(CSV_HEADER)
        count = 0
        for case in case_list(request.user, filters).iterator(chunk_size=2000):  # type: ignore[arg-type]
            person = case.person
            writer.writerow(
                [
                    safe_cell(value)
                    for value in (
                        case.number,
                        case.desk.code,
                        case.status,
                        timezone.localtime(case.opened_at).date().isoformat(),
                        timezone.localtime(case.closed_at).date().isoformat() if case.closed_at else "",
                        case.closing_reason,
                        case.caseworker.email if case.caseworker else "",
                        person.given_names,
                        person.family_names,
                        person.given_names_latin,
                        person.family_names_latin,
                        person.birth_date.isoformat() if person.birth_date else "",
                        person.sex,
                        str(person.citizenship) if person.citizenship else "",
                        person.municipality.name if person.municipality else "",
                        " ".join(case.need_domains or []),
                    )
                ]
            )
            count += 1
        audit.record(request.user, "case.export", object_type="pua.case", count=count, searched=bool(filters["search"]))
        return response


urlpatterns: list[URLPattern] = [
    path("cases/", CaseListView.as_view(), name="case_list"),
    path("cases/export.csv", CaseExportView.as_view(), name="case_export"),
]
