"""Forms of the shared pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from aipim.accounts.models import Role
from aipim.core.models import Consent, Feedback, Organisation


class PersonSearchForm(forms.Form):
    q = forms.CharField(label=_("Name"), min_length=2, max_length=100)


class ConsentForm(forms.Form):
    purpose = forms.ChoiceField(label=_("Purpose"), choices=Consent.Purpose.choices)
    organisation: forms.ModelChoiceField[Organisation] = forms.ModelChoiceField(
        label=_("Collected by"), queryset=Organisation.objects.none()
    )
    evidence = forms.CharField(
        label=_("Evidence"), max_length=200, help_text=_("How it was given, e.g. 'signed form, protocol 123/2026'.")
    )
    given_by_name = forms.CharField(
        label=_("Given by (guardian)"),
        max_length=150,
        required=False,
        help_text=_("Leave empty if the person gave it."),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the user's own organisations can be recorded as the collector.
        self.fields["organisation"].queryset = Organisation.objects.filter(  # type: ignore[attr-defined]
            pk__in=user.organisation_ids(Role.CASEWORKER, Role.PUA_SUPERVISOR, Role.SCHOOL_OPERATOR, Role.SCHOOL_STAFF)
        )


class FeedbackForm(forms.ModelForm):
    # A field that people never see: bots fill it in, and then nothing is saved.
    website = forms.CharField(required=False, widget=forms.HiddenInput, label="")

    class Meta:
        model = Feedback
        fields = ["rating", "message", "page"]
        widgets = {"rating": forms.RadioSelect, "page": forms.HiddenInput, "message": forms.Textarea(attrs={"rows": 3})}
