"""The case list's filters (sent by GET: ids and dates only, never a name) and its name search
(sent by POST, kept in the session under a random key)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from aipim.accounts.models import PUA_ROLES, User
from aipim.core.models import Municipality, Organisation
from pua.models import Case, NeedDomain
from pua.selectors import SORTS


def _sort_choices() -> list[tuple[str, str]]:
    return [(key, key) for name in SORTS for key in (name, f"-{name}")]


class CaseFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=[("", _("Any"))] + Case.Status.choices, required=False)
    caseworker: forms.ModelChoiceField[User] = forms.ModelChoiceField(
        label=_("Caseworker"), queryset=User.objects.none(), required=False, empty_label=_("Any")
    )
    domain = forms.ChoiceField(
        label=_("Need"),
        choices=[("", _("Any"))] + NeedDomain.choices,
        required=False,
        help_text=_("In the latest assessment."),
    )
    municipality: forms.ModelChoiceField[Municipality] = forms.ModelChoiceField(
        label=_("Municipality of residence"), queryset=Municipality.objects.all(), required=False, empty_label=_("Any")
    )
    desk: forms.ModelChoiceField[Organisation] = forms.ModelChoiceField(
        label=_("Desk"), queryset=Organisation.objects.none(), required=False, empty_label=_("Any")
    )
    opened_from = forms.DateField(
        label=_("Opened from"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    opened_to = forms.DateField(
        label=_("Opened until"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    sort = forms.ChoiceField(choices=_sort_choices, required=False, widget=forms.HiddenInput)
    search = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        desks = user.organisation_ids(*PUA_ROLES)
        self.fields["caseworker"].queryset = (  # type: ignore[attr-defined]
            User.objects.filter(is_active=True, memberships__organisation__in=desks, memberships__role__in=PUA_ROLES)
            .distinct()
            .order_by("full_name", "email")
        )
        self.fields["desk"].queryset = Organisation.objects.filter(pk__in=desks)  # type: ignore[attr-defined]
        if len(desks) < 2:
            del self.fields["desk"]
        style_fields(self)

    def clean_opened_to(self) -> Any:
        start, end = self.cleaned_data.get("opened_from"), self.cleaned_data.get("opened_to")
        if start and end and end < start:
            raise forms.ValidationError(_("The end date comes before the start date."))
        return end


class CaseSearchForm(forms.Form):
    q = forms.CharField(label=_("Name"), min_length=2, max_length=150)
    query = forms.CharField(required=False, widget=forms.HiddenInput, max_length=1000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_fields(self)


def style_fields(form: forms.Form) -> None:
    """Bootstrap classes on the widgets (the list draws its forms without crispy, for speed)."""
    for name, field in form.fields.items():
        widget = field.widget
        if isinstance(widget, forms.HiddenInput):
            continue
        widget.attrs["class"] = "form-select" if isinstance(widget, forms.Select) else "form-control"
        if field.help_text:
            widget.attrs["aria-describedby"] = f"id_{name}_helptext"  # as templates/pua/cases/_fields.html names it
