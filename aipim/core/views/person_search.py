"""Search first, then register: the two screens that the PUA intake and the schools' enrolment share.

A name is searched by POST (names never go into URLs) among the people the user may see, with a
bare count of the matches outside the user's scope; registering someone new first looks for probable
duplicates (the same birth date, nearly the same name) and asks for a confirmation when there are
some. The search and the check each write an audit record. The app says whom it searches and what
registering means (opening a case, enrolling a pupil)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any, Protocol

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import View

from aipim.core import audit
from aipim.core.models import Person
from aipim.core.names import name_key
from aipim.core.views import RoleRequiredMixin


class Duplicates(Protocol):
    """Probable duplicates: those the user may see, and a bare count of the others; true when any."""

    visible: Sequence[Person]
    elsewhere: int

    def __bool__(self) -> bool: ...


class PersonSearchView(RoleRequiredMixin, View):
    """The search page: a form with a `name` field, and the people found (`results`) with the count
    of matches elsewhere (`elsewhere`) once searched."""

    template_name = ""
    form_class: type[forms.Form] = forms.Form

    def search(self, text: str) -> list[Person]:
        raise NotImplementedError

    def count_elsewhere(self, text: str) -> int:
        raise NotImplementedError

    def add_to_results(self, results: list[Person]) -> None:
        """Room for what the page shows beside each person found (a pupil's current class...)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, {"form": self.form_class(), "searched": False})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = self.form_class(request.POST)
        context: dict[str, Any] = {"form": form, "searched": False}
        if form.is_valid():
            text = form.cleaned_data["name"]
            results = self.search(text)
            elsewhere = self.count_elsewhere(text)
            self.add_to_results(results)
            audit.record(
                request.user, "person.search", object_type="core.person", count=len(results), elsewhere=elsewhere
            )
            context.update(searched=True, results=results, elsewhere=elsewhere, name=text)
        return render(request, self.template_name, context)


class RegisterPersonView(RoleRequiredMixin, View):
    """The page that registers someone new. `form_class` takes the user, and has the person's names
    (as written and in Latin letters), `birth_date` and `confirm_duplicate`; the search page's
    "register a new person" button posts `prefill` with the name that found no one."""

    template_name = ""
    form_class: Any = forms.Form

    def probable_duplicates(self, *, key: str, birth_date: datetime.date | None) -> Duplicates:
        raise NotImplementedError

    def register(self, form: Any, *, possible_duplicate_confirmed: bool) -> HttpResponse:
        """Save the valid form; answer with a redirect, or with `self.invalid(form)`."""
        raise NotImplementedError

    def invalid(self, form: Any) -> HttpResponse:
        return render(self.request, self.template_name, {"form": form}, status=400)

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, {"form": self.form_class(user=request.user)})

    def post(self, request: HttpRequest) -> HttpResponse:
        if "prefill" in request.POST:
            # From the search page: start the form with the name that found no one.
            given, _sep, family = request.POST.get("name", "").strip().partition(" ")
            form = self.form_class(user=request.user, initial={"given_names": given, "family_names": family})
            return render(request, self.template_name, {"form": form})
        form = self.form_class(request.POST, user=request.user)
        if not form.is_valid():
            return self.invalid(form)
        data = form.cleaned_data
        key = name_key(
            data["given_names_latin"] or data["given_names"],
            data["family_names_latin"] or data["family_names"],
            data["given_names"],
            data["family_names"],
        )
        duplicates = self.probable_duplicates(key=key, birth_date=data["birth_date"])
        audit.record(
            request.user,
            "person.duplicate_check",
            object_type="core.person",
            count=len(duplicates.visible),
            elsewhere=duplicates.elsewhere,
        )
        if duplicates and not data["confirm_duplicate"]:
            return render(request, self.template_name, {"form": form, "duplicates": duplicates})
        return self.register(form, possible_duplicate_confirmed=bool(duplicates))
