"""Forms to share or transfer a case, to answer such a request, and for emergency access."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from aipim.core.models import Organisation
from pua.models import Case, CaseShare


class ShareRequestForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What to do"),
        choices=CaseShare.Kind.choices,
        widget=forms.RadioSelect,
        help_text=_("A transfer moves the case to the other desk; a share lets both desks follow it."),
    )
    desk: forms.ModelChoiceField[Organisation] = forms.ModelChoiceField(
        label=_("Desk"), queryset=Organisation.objects.none()
    )
    reason = forms.CharField(label=_("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["desk"].queryset = (  # type: ignore[attr-defined]
            Organisation.objects.filter(kind=Organisation.Kind.PUA_DESK, is_active=True)
            .exclude(pk=case.desk_id)
            .order_by("name")
        )


class BreakGlassForm(forms.Form):
    number = forms.CharField(
        label=_("Case number"), max_length=30, help_text=_("As written on the case, e.g. PUA-IRS-2026-00042.")
    )
    reason = forms.CharField(
        label=_("Why you need access now"),
        min_length=10,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Your supervisor and the supervisor of the case's desk will read it."),
    )

    def clean_number(self) -> Case:
        number = self.cleaned_data["number"].strip().upper()
        # Looked up across desks on purpose: finding another desk's case is what this form is for.
        case = Case.objects.select_related("desk").filter(number=number).first()
        if case is None:
            raise forms.ValidationError(_("No case has this number."))
        return case


class BreakGlassReviewForm(forms.Form):
    review_note = forms.CharField(label=_("Review note"), max_length=300, required=False)
    revoke = forms.BooleanField(label=_("End the access now"), required=False)
