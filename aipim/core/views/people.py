"""People and their consents: scoped to the user's organisations, every read audited.

Searches are sent by POST so that a name never lands in a URL or an access log."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView

from aipim.accounts.models import Role
from aipim.core import audit, services
from aipim.core.forms import ConsentForm, PersonSearchForm
from aipim.core.models import Consent, Person
from aipim.core.names import name_words
from aipim.core.scoping import AuditedObjectMixin, get_for_user_or_404
from aipim.core.views import RoleRequiredMixin

PEOPLE_ROLES = (
    Role.CASEWORKER,
    Role.PUA_SUPERVISOR,
    Role.SCHOOL_OPERATOR,
    Role.SCHOOL_STAFF,
    Role.ADMINISTRATOR,
)
PAGE_SIZE = 25
SEARCH_LIMIT = 50


def search_people(queryset: QuerySet[Person], text: str) -> QuerySet[Person]:
    """Every word must match the person's name key (aipim.core.names), so accents, case, word order
    and common transliterations do not matter (the trigram index serves `icontains`)."""
    for word in name_words(text):
        queryset = queryset.filter(name_key__icontains=word)
    return queryset


class PersonListView(RoleRequiredMixin, View):
    roles = PEOPLE_ROLES
    template_name = "core/person_list.html"

    def base_queryset(self) -> QuerySet[Person]:
        return Person.objects.for_user(self.request.user).select_related("municipality")  # type: ignore[arg-type]

    def get(self, request: HttpRequest) -> HttpResponse:
        page = Paginator(self.base_queryset(), PAGE_SIZE).get_page(request.GET.get("page"))
        audit.record(request.user, "person.list", object_type="core.person", count=len(page.object_list))
        return render(request, self.template_name, {"page": page, "form": PersonSearchForm(), "searched": False})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = PersonSearchForm(request.POST)
        results: list[Person] = []
        if form.is_valid():
            results = list(search_people(self.base_queryset(), form.cleaned_data["q"])[: SEARCH_LIMIT + 1])
            audit.record(request.user, "person.search", object_type="core.person", count=len(results))
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "searched": True,
                "results": results[:SEARCH_LIMIT],
                "truncated": len(results) > SEARCH_LIMIT,
            },
        )


def person_context(person: Person, consent_form: ConsentForm) -> dict[str, Any]:
    return {
        "person": person,
        "consents": person.consents.select_related("organisation", "recorded_by"),
        "links": person.links.active().select_related("organisation"),
        "consent_form": consent_form,
    }


class PersonDetailView(RoleRequiredMixin, AuditedObjectMixin, DetailView):
    roles = PEOPLE_ROLES
    model = Person
    slug_field = slug_url_kwarg = "public_id"
    template_name = "core/person_detail.html"

    def get_queryset(self) -> QuerySet[Person]:
        return super().get_queryset().select_related("municipality", "household")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(person_context(self.object, ConsentForm(user=self.request.user)))
        return context


class ConsentCreateView(RoleRequiredMixin, View):
    roles = PEOPLE_ROLES

    def post(self, request: HttpRequest, public_id: str) -> HttpResponse:
        person = get_for_user_or_404(Person, request.user, public_id=public_id)
        form = ConsentForm(request.POST, user=request.user)
        if form.is_valid():
            services.give_consent(person=person, by=request.user, **form.cleaned_data)
            messages.success(request, _("Consent recorded."))
            return redirect("core:person_detail", public_id=person.public_id)
        audit.record(request.user, "person.view", person)
        return render(request, "core/person_detail.html", person_context(person, form), status=400)


class ConsentWithdrawView(RoleRequiredMixin, View):
    roles = PEOPLE_ROLES

    def post(self, request: HttpRequest, pk: int) -> HttpResponseRedirect:
        consent = get_for_user_or_404(Consent, request.user, pk=pk)
        services.withdraw_consent(consent=consent, by=request.user)
        messages.success(request, _("Consent withdrawn."))
        return redirect(reverse("core:person_detail", kwargs={"public_id": consent.person.public_id}))
