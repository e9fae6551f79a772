"""Forms of the intake: search first, then register a person with their consents, or open a
case for a person already registered."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from aipim.accounts.models import PUA_ROLES
from aipim.core.models import Consent, Organisation, Person
from aipim.core.services import has_consent
from pua.services.intake import INTAKE_PURPOSES


class IntakeSearchForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        min_length=2,
        max_length=150,
        help_text=_("Given and family names in any order and spelling, e.g. Mohamed Abdel Aziz."),
    )


class DeskChoiceMixin(forms.Form):
    """A desk among the user's own PUA desks (preselected when there is one)."""

    desk: forms.ModelChoiceField[Organisation] = forms.ModelChoiceField(
        label=_("Desk"), queryset=Organisation.objects.none()
    )

    def set_desks(self, user: Any) -> None:
        desks = Organisation.objects.filter(pk__in=user.organisation_ids(*PUA_ROLES), kind=Organisation.Kind.PUA_DESK)
        self.fields["desk"].queryset = desks  # type: ignore[attr-defined]
        ids = list(desks.values_list("pk", flat=True))
        if len(ids) == 1:
            self.fields["desk"].initial = ids[0]


class ConsentFieldsMixin(forms.Form):
    purposes = forms.MultipleChoiceField(
        label=_("Consents given now"),
        choices=[(purpose.value, purpose.label) for purpose in INTAKE_PURPOSES],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Consent to case management is needed to open a case."),
    )
    evidence = forms.CharField(
        label=_("Evidence of the consents"),
        max_length=200,
        required=False,
        help_text=_("How it was given, e.g. 'signed form, protocol 123/2026'."),
    )
    given_by_name = forms.CharField(
        label=_("Given by (guardian)"),
        max_length=150,
        required=False,
        help_text=_("Leave empty if the person gave it."),
    )

    def clean_consents(self, cleaned: dict[str, Any], *, has_case_management: bool) -> None:
        purposes = cleaned.get("purposes") or []
        if not has_case_management and Consent.Purpose.CASE_MANAGEMENT not in purposes:
            self.add_error("purposes", _("A case can be opened only with the person's consent to case management."))
        if purposes and not cleaned.get("evidence"):
            self.add_error("evidence", _("Say how the consent was given."))


class NewPersonForm(DeskChoiceMixin, ConsentFieldsMixin, forms.ModelForm):
    confirm_duplicate = forms.BooleanField(
        label=_("I have checked the possible matches: this is a different person."), required=False
    )

    class Meta:
        model = Person
        fields = [
            "given_names",
            "family_names",
            "given_names_latin",
            "family_names_latin",
            "birth_date",
            "sex",
            "citizenship",
            "languages",
            "preferred_language",
            "phone",
            "email",
            "municipality",
        ]
        widgets = {"birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
        help_texts = {
            "given_names_latin": _("Leave empty if the name is already written in Latin letters."),
            "languages": _("Language codes separated by commas, e.g. ar,fr."),
            "preferred_language": _("A language code, e.g. ar."),
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.set_desks(user)
        self.order_fields(["desk", *self.Meta.fields, "purposes", "evidence", "given_by_name", "confirm_duplicate"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self.clean_consents(cleaned, has_case_management=False)
        return cleaned

    def person_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class OpenCaseForm(DeskChoiceMixin, ConsentFieldsMixin):
    def __init__(self, *args: Any, user: Any, person: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.set_desks(user)
        self.has_case_management = has_consent(person, Consent.Purpose.CASE_MANAGEMENT)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self.clean_consents(cleaned, has_case_management=self.has_case_management)
        return cleaned


class MergeForm(forms.Form):
    keep = forms.UUIDField(label=_("Record to keep"))
    remove = forms.UUIDField(label=_("Duplicate record to merge into it"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("keep") and cleaned.get("keep") == cleaned.get("remove"):
            raise forms.ValidationError(_("Choose two different records."))
        return cleaned
