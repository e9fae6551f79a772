"""Parameter forms that report builders start from."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

# A longer period makes tables that no one reads; ask for two reports instead.
MAX_PERIOD_DAYS = 3 * 366


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class PeriodForm(forms.Form):
    """A period from one day to another, both included."""

    date_from = forms.DateField(label=_("From"), widget=DateInput())
    date_to = forms.DateField(label=_("To (included)"), widget=DateInput())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        date_from: datetime.date | None = cleaned.get("date_from")
        date_to: datetime.date | None = cleaned.get("date_to")
        if date_from and date_to:
            if date_from > date_to:
                raise forms.ValidationError(_("The period must start before it ends."), code="period_order")
            if (date_to - date_from).days > MAX_PERIOD_DAYS:
                raise forms.ValidationError(
                    _("The period may be at most three years long: request one report per period."),
                    code="period_length",
                )
        return cleaned
