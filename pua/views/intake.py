"""PUA pages: intake. Search first (by POST: names never go into URLs), then open a case for a
person found, or register a new one after a warning about probable duplicates."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views import View

from aipim.accounts.models import PUA_ROLES, Role
from aipim.core import audit
from aipim.core.merge import merge_people
from aipim.core.models import Person
from aipim.core.scoping import get_for_user_or_404
from aipim.core.services import ConsentMissing
from aipim.core.views import RoleRequiredMixin
from aipim.core.views.person_search import Duplicates, PersonSearchView, RegisterPersonView
from pua.forms.intake import IntakeSearchForm, MergeForm, NewPersonForm, OpenCaseForm
from pua.models import Case
from pua.selectors import count_matches_elsewhere, probable_duplicates, search_people
from pua.services.intake import open_case_for_person, register_person


def case_url(case: Case) -> str:
    """The case's page (the case detail screen), or the case list if that screen is not there."""
    try:
        return reverse("pua:case_detail", args=[case.pk])
    except NoReverseMatch:
        return reverse("pua:case_list")


def default_caseworker(user: Any, desk: Any) -> Any:
    """A caseworker who opens a case takes it on; a supervisor assigns it later."""
    return user if desk.pk in user.organisation_ids(Role.CASEWORKER) else None


class IntakeView(PersonSearchView):
    roles = PUA_ROLES
    template_name = "pua/intake/search.html"
    form_class = IntakeSearchForm

    def search(self, text: str) -> list[Person]:
        return search_people(self.request.user, text)  # type: ignore[arg-type]

    def count_elsewhere(self, text: str) -> int:
        return count_matches_elsewhere(self.request.user, text)  # type: ignore[arg-type]


class NewPersonView(RegisterPersonView):
    roles = PUA_ROLES
    template_name = "pua/intake/new_person.html"
    form_class = NewPersonForm

    def probable_duplicates(self, *, key: str, birth_date: datetime.date | None) -> Duplicates:
        return probable_duplicates(self.request.user, key=key, birth_date=birth_date)  # type: ignore[arg-type]

    def register(self, form: NewPersonForm, *, possible_duplicate_confirmed: bool) -> HttpResponse:
        data = form.cleaned_data
        desk = data["desk"]
        try:
            case = register_person(
                desk=desk,
                by=self.request.user,
                purposes=data["purposes"],
                evidence=data["evidence"],
                given_by_name=data["given_by_name"],
                caseworker=default_caseworker(self.request.user, desk),
                possible_duplicate_confirmed=possible_duplicate_confirmed,
                **form.person_fields(),
            )
        except (ConsentMissing, ValidationError) as error:
            form.add_error(None, str(error.message if isinstance(error, ValidationError) else error))
            return self.invalid(form)
        messages.success(self.request, _("Person registered and case %(number)s opened.") % {"number": case.number})
        return redirect(case_url(case))


class OpenCaseView(RoleRequiredMixin, View):
    roles = PUA_ROLES
    template_name = "pua/intake/open_case.html"

    def context(self, person: Person, form: OpenCaseForm) -> dict[str, Any]:
        return {
            "person": person,
            "form": form,
            "consents": person.consents.in_force().select_related("organisation"),
            "open_cases": Case.objects.for_user(self.request.user).open().filter(person=person),  # type: ignore[arg-type]
        }

    def get(self, request: HttpRequest, public_id: str) -> HttpResponse:
        person = get_for_user_or_404(Person, request.user, public_id=public_id)
        audit.record(request.user, "person.view", person)
        return render(request, self.template_name, self.context(person, OpenCaseForm(user=request.user, person=person)))

    def post(self, request: HttpRequest, public_id: str) -> HttpResponse:
        person = get_for_user_or_404(Person, request.user, public_id=public_id)
        form = OpenCaseForm(request.POST, user=request.user, person=person)
        if form.is_valid():
            data = form.cleaned_data
            try:
                case = open_case_for_person(
                    person=person,
                    desk=data["desk"],
                    by=request.user,
                    purposes=data["purposes"],
                    evidence=data["evidence"],
                    given_by_name=data["given_by_name"],
                    caseworker=default_caseworker(request.user, data["desk"]),
                )
            except (ConsentMissing, ValidationError) as error:
                form.add_error(None, str(error.message if isinstance(error, ValidationError) else error))
            else:
                messages.success(request, _("Case %(number)s opened.") % {"number": case.number})
                return redirect(case_url(case))
        audit.record(request.user, "person.view", person)
        return render(request, self.template_name, self.context(person, form), status=400)


class MergePeopleView(RoleRequiredMixin, View):
    """A supervisor merges two records of the same person, both within the desks' scope: search,
    choose the record to keep and the duplicate, check both side by side, merge."""

    roles = (Role.PUA_SUPERVISOR,)
    template_name = "pua/intake/merge.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, {"search_form": IntakeSearchForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        step = request.POST.get("step", "search")
        if step == "search":
            form = IntakeSearchForm(request.POST)
            context: dict[str, Any] = {"search_form": form}
            if form.is_valid():
                results = search_people(request.user, form.cleaned_data["name"])  # type: ignore[arg-type]
                audit.record(request.user, "person.search", object_type="core.person", count=len(results))
                context.update(results=results, searched=True)
            return render(request, self.template_name, context)
        merge_form = MergeForm(request.POST)
        if not merge_form.is_valid():
            return render(
                request, self.template_name, {"search_form": IntakeSearchForm(), "merge_form": merge_form}, status=400
            )
        keep = get_for_user_or_404(Person, request.user, public_id=merge_form.cleaned_data["keep"])
        remove = get_for_user_or_404(Person, request.user, public_id=merge_form.cleaned_data["remove"])
        if step == "merge":
            merge_people(keep=keep, remove=remove, by=request.user)
            messages.success(request, _("The two records are now one."))
            return redirect("core:person_detail", public_id=keep.public_id)
        for person in (keep, remove):
            audit.record(request.user, "person.view", person)
        people = (
            Person.objects.filter(pk__in=[keep.pk, remove.pk])
            .select_related("municipality")
            .annotate(
                case_count=Count("pua_cases", distinct=True),
                consent_count=Count("consents", distinct=True),
                link_count=Count("links", filter=Q(links__ended_at__isnull=True), distinct=True),
            )
            .in_bulk()
        )
        return render(
            request,
            self.template_name,
            {"keep": people[keep.pk], "remove": people[remove.pk], "merge_form": merge_form, "confirm": True},
        )


urlpatterns: list[URLPattern] = [
    path("intake/", IntakeView.as_view(), name="intake"),
    path("intake/new/", NewPersonView.as_view(), name="intake_new_person"),
    path("intake/<uuid:public_id>/open-case/", OpenCaseView.as_view(), name="open_case"),
    path("intake/merge/", MergePeopleView.as_view(), name="merge_people"),
]
