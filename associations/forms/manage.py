"""Forms of the managers' pages: an association's profile and contacts, networks and their members."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from aipim.core.forms_directory import LanguageCodesField
from aipim.core.models import Organisation
from associations.models import Association, Network, NetworkMembership

LANGUAGES = ("it", "en", "fr", "ar")


def translated(field: str) -> list[str]:
    return [f"{field}_{language}" for language in LANGUAGES]


class LanguageInputsMixin:
    """Each translated input says its language and direction (Arabic is typed right to left, and
    screen readers and spell checkers read each box in its own language)."""

    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            language = name.rsplit("_", 1)[-1]
            if "_" in name and language in LANGUAGES:
                field.widget.attrs.update(lang=language, dir="rtl" if get_language_info(language)["bidi"] else "ltr")


class AssociationForm(forms.ModelForm):
    languages = LanguageCodesField(
        label=_("Languages spoken"), required=False, help_text=_("ISO 639 codes separated by commas, e.g. it, ar, fr.")
    )

    class Meta:
        model = Association
        fields = ["legal_form", "runts_number", "founded_year", "languages", "is_migrant_led", "address", "is_public"]


class OrganisationContactsForm(LanguageInputsMixin, forms.ModelForm):
    """The contacts and the translated description, kept on the association's Organisation."""

    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https", max_length=200)

    class Meta:
        model = Organisation
        fields = ["email", "phone", "website", *translated("description")]
        widgets = {name: forms.Textarea(attrs={"rows": 4}) for name in translated("description")}


class NetworkForm(LanguageInputsMixin, forms.ModelForm):
    class Meta:
        model = Network
        fields = [
            *translated("name"),
            "specialty",
            "lead",
            *translated("description"),
            *translated("how_to_access"),
            "email",
            "phone",
            "is_active",
        ]
        widgets = {
            name: forms.Textarea(attrs={"rows": 3}) for name in translated("description") + translated("how_to_access")
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A manager leads networks only for the associations they manage.
        self.fields["lead"].queryset = Association.objects.for_user(user).select_related("organisation")  # type: ignore[attr-defined]
        self.fields["name_it"].required = True
        self.fields["description_it"].required = True
        for language in ("en", "fr", "ar"):
            self.fields[f"name_{language}"].required = False
            self.fields[f"description_{language}"].required = False


class MembershipForm(forms.ModelForm):
    class Meta:
        model = NetworkMembership
        fields = ["association", "role", "joined_on", "left_on"]
        widgets = {
            "joined_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "left_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Any association may join a network; only the lead's managers edit it.
        self.fields["association"].queryset = Association.objects.select_related("organisation")  # type: ignore[attr-defined]


class BaseMembershipFormSet(BaseInlineFormSet):
    def member_rows(self) -> list[dict[str, Any]]:
        """What the write expects: one mapping per changed row (new, edited or removed)."""
        rows = []
        for form in self.forms:
            delete = bool(self.can_delete and form.cleaned_data.get("DELETE"))
            if not form.has_changed() and not delete:
                continue
            data = {key: form.cleaned_data.get(key) for key in ("association", "role", "joined_on", "left_on")}
            if data["joined_on"] is None:
                data.pop("joined_on")
            rows.append(
                {
                    **data,
                    "membership": form.instance if form.instance.pk else None,
                    "delete": delete,
                }
            )
        return rows


MembershipFormSet = inlineformset_factory(
    Network, NetworkMembership, form=MembershipForm, formset=BaseMembershipFormSet, extra=2, can_delete=True
)
