"""The public catalogue's filters (a GET form: no personal data, so they may live in the URL)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from aipim.core.hsds import language_name
from aipim.core.models import Municipality
from associations import selectors
from associations.models import Audience, EventCategory


class EventFilterForm(forms.Form):
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    municipality = forms.ModelChoiceField(
        label=_("Municipality"), queryset=Municipality.objects.none(), to_field_name="istat_code", required=False
    )
    category = forms.ChoiceField(label=_("Category"), required=False)
    language = forms.ChoiceField(label=_("Language spoken"), required=False)
    audience = forms.ChoiceField(label=_("For"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only places and languages where something is on, so no choice leads to an empty page.
        municipality = self.fields["municipality"]
        municipality.queryset = selectors.catalogue_municipalities()  # type: ignore[attr-defined]
        municipality.empty_label = _("All municipalities")  # type: ignore[attr-defined]
        self.fields["category"].choices = [("", _("All categories")), *EventCategory.choices]  # type: ignore[attr-defined]
        self.fields["language"].choices = [  # type: ignore[attr-defined]
            ("", _("All languages")),
            *[(code, language_name(code, local=True)) for code in selectors.catalogue_languages()],
        ]
        self.fields["audience"].choices = [("", _("Everyone")), *Audience.choices]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", _("The end date must be on or after the start date."))
        return data

    def filters(self) -> selectors.EventFilters:
        """The filters to apply: none when the form does not validate (its errors show above the list)."""
        if not self.is_valid():
            return selectors.EventFilters()
        data = self.cleaned_data
        return selectors.EventFilters(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            municipality=data.get("municipality"),
            category=data.get("category") or "",
            language=data.get("language") or "",
            audience=data.get("audience") or "",
        )
