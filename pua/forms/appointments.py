"""Forms of the appointment pages."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aipim.accounts.models import PUA_ROLES, User
from pua.models import Case


class CaseworkerChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name()


class AppointmentForm(forms.Form):
    caseworker = CaseworkerChoiceField(label=_("Caseworker"), queryset=User.objects.none())
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    start = forms.TimeField(label=_("Starts at"), widget=forms.TimeInput(attrs={"type": "time"}))
    end = forms.TimeField(label=_("Ends at"), widget=forms.TimeInput(attrs={"type": "time"}))
    place = forms.CharField(label=_("Place"), max_length=200, required=False, help_text=_("Empty: at the desk."))
    purpose = forms.CharField(label=_("Purpose"), max_length=200)

    def __init__(self, *args: Any, case: Case, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Staff of the case's desk, and the user (who may work at a desk the case is shared with).
        staff = User.objects.filter(
            is_active=True, memberships__organisation=case.desk, memberships__role__in=PUA_ROLES
        ).values("pk")
        self.fields["caseworker"].queryset = (  # type: ignore[attr-defined]
            User.objects.filter(pk__in=staff) | User.objects.filter(pk=user.pk)
        ).order_by("full_name", "email")
        self.fields["caseworker"].initial = user.pk

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        day, start, end = cleaned.get("date"), cleaned.get("start"), cleaned.get("end")
        if day and start and end:
            cleaned["starts_at"] = timezone.make_aware(datetime.datetime.combine(day, start))
            cleaned["ends_at"] = timezone.make_aware(datetime.datetime.combine(day, end))
            if cleaned["ends_at"] <= cleaned["starts_at"]:
                self.add_error("end", _("The appointment must end after it starts."))
        return cleaned
