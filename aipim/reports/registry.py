"""The registry of report builders. Each app declares its reports in `<app>/reports.py`:

    @register
    class PeopleReached(ReportBuilder):
        slug = "people-reached"
        title = _("People reached per municipality and month")
        roles = (Role.REGIONAL_OFFICIAL, Role.ADMINISTRATOR)
        form_class = PeopleReachedForm
        template_name = "reports/core/people_reached.html"

        def build(self, params, *, progress): ...

`ReportsConfig.ready()` imports every `<app>.reports` module, so registering is all an app does."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models
from django.utils.functional import Promise

from aipim.reports.forms import PeriodForm

Progress = Callable[[int], None]


class UnknownReport(LookupError):
    """No builder is registered under this slug."""


class ReportError(Exception):
    """A builder cannot produce its report for a reason the requester can act on.

    The message is shown to the requester as written, so it must be translated and contain no
    personal data (e.g. "The period holds no data yet: choose one that has ended.")."""


class ReportBuilder:
    """Turns validated parameters into the context of one report template.

    A builder returns aggregates only: the rendering path never sees a row about a person."""

    slug: str = ""
    title: str | Promise = ""
    description: str | Promise = ""
    roles: tuple[str, ...] = ()
    form_class: type[forms.Form] = PeriodForm
    template_name: str = ""
    # A4 "portrait" or "landscape": wide month tables read better across.
    page_orientation: str = "portrait"
    # True when the figures depend on who asks (a supervisor sees their own desks): the form and
    # `build` then receive `user=` (the requester), when the form is shown and when the report is built.
    wants_requester: bool = False

    def build(self, params: Mapping[str, Any], *, progress: Progress) -> dict[str, Any]:
        """Return the template's context. `params` is the parameter form's cleaned_data;
        `progress(percent)` tells the requester how far the build has got."""
        raise NotImplementedError

    def may_request(self, user: Any) -> bool:
        if not user.is_authenticated or not user.is_active:
            return False
        return bool(user.is_superuser or user.has_role(*self.roles))

    def form(self, data: Mapping[str, Any] | None = None, *, user: Any = None, **kwargs: Any) -> forms.Form:
        """The parameter form, prefixed with the slug so several can share one page."""
        if self.wants_requester:
            kwargs["user"] = user
        return self.form_class(data, prefix=self.slug, **kwargs)

    def build_for(self, params: Mapping[str, Any], *, progress: Progress, user: Any) -> dict[str, Any]:
        """Call `build`, handing over the requester to builders that want it."""
        if self.wants_requester:
            return self.build(params, progress=progress, user=user)  # type: ignore[call-arg]
        return self.build(params, progress=progress)

    def serialise_parameters(self, cleaned_data: Mapping[str, Any]) -> dict[str, Any]:
        """cleaned_data as JSON for the request row; `parse_parameters` turns it back."""
        return {name: _to_json(value) for name, value in cleaned_data.items()}

    def parse_parameters(self, stored: Mapping[str, Any], *, user: Any = None) -> dict[str, Any]:
        """Validate stored parameters again through the form (a municipality may have gone)."""
        extra = {"user": user} if self.wants_requester else {}
        form = self.form_class({name: value for name, value in stored.items() if value is not None}, **extra)
        if not form.is_valid():
            raise ValidationError(form.errors.as_text())
        return form.cleaned_data

    def describe_parameters(self, params: Mapping[str, Any]) -> list[tuple[str, str]]:
        """(label, value) pairs printed at the top of the report, so a copy says what it covers."""
        form = self.form_class()
        described = []
        for name, field in form.fields.items():
            value = params.get(name)
            if isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
                value = dict(field.choices).get(value, value)  # type: ignore[arg-type]
            described.append((str(field.label), _display(value)))
        return described


def _to_json(value: Any) -> Any:
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple | models.QuerySet):
        return [_to_json(item) for item in value]
    return value


def _display(value: Any) -> str:
    from django.utils.formats import date_format

    if value in (None, "", [], ()):
        return "–"
    if isinstance(value, datetime.date):
        return date_format(value, "DATE_FORMAT")
    if isinstance(value, list | tuple | models.QuerySet):
        return ", ".join(_display(item) for item in value)
    return str(value)


_registry: dict[str, ReportBuilder] = {}

B = TypeVar("B", bound=type[ReportBuilder])


def register(builder_class: B) -> B:
    """Class decorator: make a builder available under its slug."""
    builder = builder_class()
    if not builder.slug or not builder.template_name or not builder.roles:
        raise ImproperlyConfigured(f"{builder_class.__name__} needs a slug, a template_name and roles.")
    existing = _registry.get(builder.slug)
    if existing is not None and type(existing).__qualname__ != builder_class.__qualname__:
        raise ImproperlyConfigured(f"Two report builders share the slug {builder.slug!r}.")
    _registry[builder.slug] = builder
    return builder_class


def unregister(slug: str) -> None:
    _registry.pop(slug, None)


def get_builder(slug: str) -> ReportBuilder:
    try:
        return _registry[slug]
    except KeyError:
        raise UnknownReport(slug) from None


def all_builders() -> list[ReportBuilder]:
    return sorted(_registry.values(), key=lambda builder: str(builder.title))


def builders_for(user: Any) -> list[ReportBuilder]:
    """The reports this user may request, by title."""
    return [builder for builder in all_builders() if builder.may_request(user)]
