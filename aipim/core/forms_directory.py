"""Forms of the service directory: the public filters, and the editors' service, location and hours forms."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.conf import settings
from django.db.models import Q
from django.forms import formset_factory, modelformset_factory
from django.utils.translation import gettext_lazy as _

from aipim.core.hsds import language_name
from aipim.core.models import Location, Municipality, Organisation, Schedule, Service, ServiceCategory

TRANSLATED = ["name", "description", "eligibility_description", "application_process", "fees_description"]
LANGUAGES = [code for code, _label in settings.LANGUAGES]


class DirectoryFilterForm(forms.Form):
    """GET filters of the public list: not personal data, so they may live in the URL."""

    category = forms.ChoiceField(label=_("Category"), required=False)
    municipality = forms.ModelChoiceField(
        label=_("Municipality"), queryset=Municipality.objects.none(), to_field_name="istat_code", required=False
    )
    language = forms.ChoiceField(label=_("Language spoken"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        published = Service.objects.published()
        self.fields["category"].choices = [("", _("All categories")), *ServiceCategory.choices]  # type: ignore[attr-defined]
        # Only places and languages where something is offered, so no choice leads to an empty page.
        self.fields["municipality"].queryset = Municipality.objects.filter(  # type: ignore[attr-defined]
            Q(location__services__in=published) | Q(organisations__services__in=published)
        ).distinct()
        self.fields["municipality"].empty_label = _("All municipalities")  # type: ignore[attr-defined]
        codes = sorted({code for langs in published.values_list("languages", flat=True) for code in langs})
        self.fields["language"].choices = [  # type: ignore[attr-defined]
            ("", _("All languages")),
            *[(c, language_name(c, local=True)) for c in codes],
        ]


class LanguageCodesField(forms.CharField):
    """Languages spoken, as ISO 639 codes separated by commas ("it, ar, fr")."""

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [code for code in dict.fromkeys(part.strip().lower() for part in text.split(",")) if code]

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list | tuple) else value

    def validate(self, value: Any) -> None:
        super().validate(", ".join(value))
        wrong = [code for code in value if not re.fullmatch(r"[a-z]{2,3}", code)]
        if wrong:
            raise forms.ValidationError(_("Not a language code: %(codes)s"), params={"codes": ", ".join(wrong)})


class ServiceForm(forms.ModelForm):
    languages = LanguageCodesField(
        label=_("Languages spoken"), required=False, help_text=_("ISO 639 codes separated by commas, e.g. it, ar, fr.")
    )
    url = forms.URLField(label=_("Website"), required=False, assume_scheme="https", max_length=200)

    class Meta:
        model = Service
        fields = [
            "organisation",
            "category",
            "status",
            *[f"{field}_{lang}" for field in TRANSLATED for lang in LANGUAGES],
            "languages",
            "email",
            "phone",
            "url",
        ]
        widgets = {
            **{f"{field}_{lang}": forms.Textarea(attrs={"rows": 3}) for field in TRANSLATED[1:4] for lang in LANGUAGES},
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.filter(is_active=True)  # type: ignore[attr-defined]
        # The Italian name is the one every other language falls back to.
        self.fields[f"name_{settings.MODELTRANSLATION_DEFAULT_LANGUAGE}"].required = True


class LocationForm(forms.ModelForm):
    class Meta:
        model = Location
        fields = ["name", "address", "postal_code", "municipality", "accessibility_it", "transportation_it"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["accessibility_it"].widget = forms.Textarea(attrs={"rows": 2})


LocationFormSet = modelformset_factory(Location, form=LocationForm, extra=1, can_delete=True)


class ScheduleForm(forms.Form):
    weekday = forms.ChoiceField(label=_("Day"), choices=Schedule.Weekday.choices)
    opens_at = forms.TimeField(label=_("Opens at"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    closes_at = forms.TimeField(label=_("Closes at"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    location: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Location"), queryset=Location.objects.none(), required=False, empty_label=_("All locations / by phone")
    )
    notes = forms.CharField(label=_("Notes"), max_length=200, required=False)

    def __init__(self, *args: Any, locations: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if locations is not None:
            self.fields["location"].queryset = locations  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("opens_at") and data.get("closes_at") and data["closes_at"] <= data["opens_at"]:
            raise forms.ValidationError(_("The closing time must be after the opening time."))
        return data


ScheduleFormSet = formset_factory(ScheduleForm, extra=2, can_delete=True)
