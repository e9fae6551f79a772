"""Forms of the early-warning pages: the at-risk list's filters, a school's thresholds (attendance
entered as a percentage, stored as a share), and the reason for dismissing an alert."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from aipim.accounts.models import SCHOOL_ROLES
from schools.models import RiskLevel, RiskSettings, SchoolClass, SchoolYear
from schools.risk.indicators import CODES, LABELS


def _style(form: forms.Form) -> None:
    for name, field in form.fields.items():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs["class"] = "form-check-input"
        elif not isinstance(widget, forms.HiddenInput):
            widget.attrs["class"] = "form-select" if isinstance(widget, forms.Select) else "form-control"
        if field.help_text:
            widget.attrs["aria-describedby"] = f"id_{name}_helptext"


class RiskFilterForm(forms.Form):
    """Filters of the at-risk list. Choices are read once, as plain pairs (one query for the classes)."""

    level = forms.ChoiceField(
        label=_("Risk level"),
        required=False,
        choices=[("", _("Any level at risk"))] + [c for c in RiskLevel.choices if c[0] != RiskLevel.NONE][::-1],
    )
    school = forms.TypedChoiceField(label=_("School"), coerce=int, empty_value=None, required=False)
    school_class = forms.TypedChoiceField(label=_("Class"), coerce=int, empty_value=None, required=False)
    indicator = forms.ChoiceField(label=_("Indicator triggered"), required=False)
    newly_arrived = forms.BooleanField(
        label=_("Newly arrived only"), required=False, help_text=_("Arrived in Italy within the last two years.")
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        schools = sorted(((s.pk, s.name) for s in user.organisations(*SCHOOL_ROLES)), key=lambda c: c[1])
        self.fields["school"].choices = [("", _("Any"))] + schools  # type: ignore[attr-defined]
        if len(schools) < 2:
            self.fields["school"].widget = forms.HiddenInput()
        classes = SchoolClass.objects.for_user(user)
        year = SchoolYear.current()
        if year is not None:
            classes = classes.filter(school_year=year)
        self.fields["school_class"].choices = [("", _("Any"))] + [  # type: ignore[attr-defined]
            (pk, f"{name} · {school}" if len(schools) > 1 else name)
            for pk, name, school in classes.order_by("school__name", "grade", "name").values_list(
                "pk", "name", "school__name"
            )
        ]
        self.fields["indicator"].choices = [("", _("Any"))] + [  # type: ignore[attr-defined]
            (code, gettext(LABELS[code])) for code in CODES
        ]
        _style(self)


class RiskSettingsForm(forms.Form):
    """A school's thresholds, with what each one means for a teacher."""

    attendance_30_percent = forms.DecimalField(
        label=_("Minimum attendance over the last 30 days (%)"),
        min_value=0,
        max_value=100,
        decimal_places=0,
        help_text=_(
            "A student who attended a smaller share of the school days (Monday to Friday, up to the last register import) is flagged (2 points)."
        ),
    )
    attendance_90_percent = forms.DecimalField(
        label=_("Minimum attendance over the last 90 days (%)"),
        min_value=0,
        max_value=100,
        decimal_places=0,
        help_text=_("The same over a longer period, for absences that build up slowly (1 point)."),
    )
    failing_grade_below = forms.DecimalField(
        label=_("A grade below this fails"),
        min_value=0,
        max_value=10,
        decimal_places=2,
        help_text=_("Only the latest grade of each core subject counts."),
    )
    failing_core_subjects_min = forms.IntegerField(
        label=_("Failing core subjects that flag a student"),
        min_value=1,
        max_value=20,
        help_text=_("The student is flagged with this many failing core subjects or more (2 points)."),
    )
    behaviour_notes_90_max = forms.IntegerField(
        label=_("Behaviour notes allowed in 90 days"),
        min_value=0,
        max_value=50,
        help_text=_("More notes than this flag the student; a serious note counts as two (1 point)."),
    )
    age_grade_gap_min = forms.IntegerField(
        label=_("Years older than the class's usual age"),
        min_value=1,
        max_value=10,
        help_text=_("A student this many years older than the usual age of the class, or more, is flagged (1 point)."),
    )
    recent_arrival_years = forms.IntegerField(
        label=_("Recent arrival (years)"),
        min_value=0,
        max_value=10,
        help_text=_("A student who arrived in Italy within this many years is flagged (1 point); 0 turns it off."),
    )
    medium_at = forms.IntegerField(
        label=_("Points for medium risk"),
        min_value=1,
        max_value=20,
        help_text=_("Each flag adds the points shown above; at least this many points make the risk medium."),
    )
    high_at = forms.IntegerField(
        label=_("Points for high risk"),
        min_value=1,
        max_value=20,
        help_text=_("At least this many points make the risk high: the referent is told and the case follows."),
    )
    auto_open_intervention = forms.BooleanField(
        label=_("Open the help desk's case by itself"),
        required=False,
        help_text=_("When a student enters high risk. If unticked, the student's referent confirms it first."),
    )
    act_within_days = forms.IntegerField(
        label=_("Days to act"),
        min_value=1,
        max_value=60,
        help_text=_("Someone must record an action or an intervention on the case within this many days."),
    )

    @classmethod
    def for_settings(cls, settings: RiskSettings, data: Any = None) -> RiskSettingsForm:
        initial = {
            name: getattr(settings, name)
            for name in cls.base_fields
            if name not in ("attendance_30_percent", "attendance_90_percent")
        }
        initial["attendance_30_percent"] = (settings.attendance_30_min * 100).quantize(Decimal(1))
        initial["attendance_90_percent"] = (settings.attendance_90_min * 100).quantize(Decimal(1))
        return cls(data, initial=initial)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        medium, high = data.get("medium_at"), data.get("high_at")
        if medium is not None and high is not None and high < medium:
            self.add_error("high_at", _("The points for high risk cannot be fewer than those for medium risk."))
        return data

    def settings_values(self) -> dict[str, Any]:
        """The cleaned data as RiskSettings fields."""
        data = dict(self.cleaned_data)
        data["attendance_30_min"] = (data.pop("attendance_30_percent") / 100).quantize(Decimal("0.01"))
        data["attendance_90_min"] = (data.pop("attendance_90_percent") / 100).quantize(Decimal("0.01"))
        return data


class DismissForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is no case needed?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept with the alert, for the help desk and for whoever looks at this student later."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)
