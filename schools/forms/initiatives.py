"""Forms of the cultural-initiative pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from aipim.accounts.models import Role
from aipim.core.models import Organisation
from schools.forms.courses import DATE_INPUT, user_schools
from schools.models import CulturalInitiative, SchoolYear
from schools.services import initiatives as service


class InitiativeForm(forms.ModelForm):
    school: forms.ModelChoiceField[Organisation] = forms.ModelChoiceField(
        label=_("School"), queryset=Organisation.objects.none()
    )
    languages = forms.CharField(
        label=_("Languages"),
        required=False,
        max_length=200,
        help_text=_("Language codes separated by commas, e.g. ar, fr, uk."),
    )

    class Meta:
        model = CulturalInitiative
        fields = [
            "school",
            "title",
            "date",
            "place",
            "description",
            "languages",
            "families_invited",
            "families_participated",
            "students_participated",
        ]
        widgets = {"date": DATE_INPUT, "description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["school"]
            self.initial["languages"] = ", ".join(self.instance.languages or [])
        else:
            schools = user_schools(user, Role.SCHOOL_OPERATOR)
            self.fields["school"].queryset = schools  # type: ignore[attr-defined]
            if len(schools) == 1:
                self.fields["school"].initial = schools[0]
        for name in service.COUNTED:
            self.fields[name].min_value = 0  # type: ignore[attr-defined]
            self.fields[name].widget.attrs["min"] = 0

    def clean_languages(self) -> list[str]:
        try:
            return service.parse_languages(self.cleaned_data.get("languages", ""))
        except ValidationError as error:
            raise ValidationError(error.message_dict["languages"]) from error

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if all(cleaned.get(name) is not None for name in service.COUNTED):
            try:
                service.check_initiative(**{name: cleaned[name] for name in service.COUNTED})
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    self.add_error(field, messages)
        return cleaned


class InitiativeFilterForm(forms.Form):
    school: forms.ModelChoiceField[Organisation] = forms.ModelChoiceField(
        label=_("School"), queryset=Organisation.objects.none(), required=False
    )
    school_year: forms.ModelChoiceField[SchoolYear] = forms.ModelChoiceField(
        label=_("School year"), queryset=SchoolYear.objects.none(), required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = user_schools(user)  # type: ignore[attr-defined]
        self.fields["school"].empty_label = _("All my schools")  # type: ignore[attr-defined]
        self.fields["school_year"].queryset = SchoolYear.objects.order_by("-starts_on")  # type: ignore[attr-defined]
        self.fields["school_year"].empty_label = _("All years")  # type: ignore[attr-defined]
