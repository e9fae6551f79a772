"""The case list's filters (sent by GET: ids and dates only, never a name) and its name search
(sent by POST, kept in the session under a random key)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from aipim.accounts.models import PUA_ROLES, Membership, User
from aipim.core.models import Municipality
from pua.models import Case, NeedDomain
from pua.selectors import SORTS, UNASSIGNED


def _sort_choices() -> list[tuple[str, str]]:
    return [(key, key) for name in SORTS for key in (name, f"-{name}")]


class CaseFilterForm(forms.Form):
    """The list's filters. The choices of caseworkers, municipalities and desks are read once, as
    plain (value, label) pairs: the form then validates without a query per filter set, and the
    page draws the options without iterating a queryset twice (count, then rows)."""

    status = forms.ChoiceField(label=_("Status"), choices=[("", _("Any"))] + Case.Status.choices, required=False)
    caseworker = forms.ChoiceField(label=_("Caseworker"), required=False)
    domain = forms.ChoiceField(
        label=_("Need"),
        choices=[("", _("Any"))] + NeedDomain.choices,
        required=False,
        help_text=_("In the latest assessment."),
    )
    municipality = forms.TypedChoiceField(
        label=_("Municipality of residence"), coerce=int, empty_value=None, required=False
    )
    desk = forms.TypedChoiceField(
        label=_("Desk"),
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("“Any” includes the cases other desks share with yours."),
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
        staff = (
            User.objects.filter(
                pk__in=Membership.objects.filter(organisation__in=desks, role__in=PUA_ROLES).values("user_id"),
                is_active=True,
            )
            .order_by("full_name", "email")
            .values_list("pk", "full_name", "email")
        )
        self.fields["caseworker"].choices = [("", _("Any")), (UNASSIGNED, _("Not assigned"))] + [  # type: ignore[attr-defined]
            (str(pk), full_name or email) for pk, full_name, email in staff
        ]
        self.fields["municipality"].choices = [("", _("Any"))] + list(  # type: ignore[attr-defined]
            Municipality.objects.order_by("name").values_list("pk", "name")
        )
        self.fields["desk"].choices = [("", _("Any"))] + sorted(  # type: ignore[attr-defined]
            ((desk.pk, desk.name) for desk in user.organisations(*PUA_ROLES)), key=lambda choice: choice[1]
        )
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
            widget.attrs["aria-describedby"] = f"id_{name}_helptext"  # as templates/partials/list_fields.html names it
