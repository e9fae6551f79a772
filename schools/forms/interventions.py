"""Forms of the intervention pages: plan one for a student, move it on and record its outcome, and
the list's filters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from aipim.accounts.models import User
from aipim.core.models import Organisation
from schools.forms.helpdesk import DATE_INPUT, StaffChoiceField, school_staff, user_schools
from schools.models import Intervention, Student, SupportCase
from schools.services.interventions import NEXT_STATUSES, OPEN_STATUSES


class InterventionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Intervention.Kind.choices)
    owner = StaffChoiceField(label=_("Owner"), queryset=User.objects.none(), required=False)
    starts_on = forms.DateField(label=_("Starts on"), widget=DATE_INPUT)
    ends_on = forms.DateField(label=_("Ends on"), widget=DATE_INPUT, required=False)
    status = forms.ChoiceField(label=_("Status"), choices=[(status.value, status.label) for status in OPEN_STATUSES])
    support_case = forms.ModelChoiceField(
        label=_("Support case"),
        queryset=SupportCase.objects.none(),
        required=False,
        help_text=_("The student's open case this intervention belongs to, if any."),
    )

    def __init__(self, *args: Any, student: Student, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = school_staff([student.school_id])  # type: ignore[attr-defined]
        self.fields["owner"].initial = user.pk
        self.fields["support_case"].queryset = student.support_cases.filter(  # type: ignore[attr-defined]
            status=SupportCase.Status.OPEN
        ).order_by("-opened_at")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        starts_on, ends_on = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("The intervention cannot end before it starts."))
        return cleaned


class InterventionUpdateForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"))
    owner = StaffChoiceField(label=_("Owner"), queryset=User.objects.none(), required=False)
    ends_on = forms.DateField(label=_("Ends on"), widget=DATE_INPUT, required=False)
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[("", "–"), *Intervention.Outcome.choices],
        required=False,
        help_text=_("Required when the intervention is done."),
    )
    outcome_note = forms.CharField(
        label=_("About the outcome"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args: Any, intervention: Intervention, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "status": intervention.status,
                "owner": intervention.owner_id,
                "ends_on": intervention.ends_on,
                "outcome": intervention.outcome,
                "outcome_note": intervention.outcome_note,
            },
        )
        super().__init__(*args, **kwargs)
        current = Intervention.Status(intervention.status)
        allowed = [current, *sorted(NEXT_STATUSES[current], key=list(Intervention.Status).index)]
        self.fields["status"].choices = [(status.value, status.label) for status in allowed]  # type: ignore[attr-defined]
        self.fields["owner"].queryset = school_staff([intervention.student.school_id])  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("status") == Intervention.Status.DONE and not cleaned.get("outcome"):
            self.add_error("outcome", _("Say whether things improved."))
        if cleaned.get("outcome") and cleaned.get("status") != Intervention.Status.DONE:
            self.add_error("outcome", _("Record the outcome when the intervention is done."))
        return cleaned


class InterventionFilterForm(forms.Form):
    school: forms.ModelChoiceField[Organisation] = forms.ModelChoiceField(
        label=_("School"), queryset=Organisation.objects.none(), required=False
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", _("All")), *Intervention.Kind.choices], required=False)
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All")), *Intervention.Status.choices], required=False
    )
    overdue = forms.BooleanField(
        label=_("Overdue only"),
        required=False,
        help_text=_("Planned or in progress, past their end date, or planned and not started on the day."),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = user_schools(user)  # type: ignore[attr-defined]
        self.fields["school"].empty_label = _("All my schools")  # type: ignore[attr-defined]
