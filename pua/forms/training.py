"""Forms of the staff-training pages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aipim.accounts.models import PUA_ROLES, Role, User
from aipim.core.models import Organisation
from pua.models import TrainingCourse, TrainingSession

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CourseForm(forms.ModelForm):
    class Meta:
        model = TrainingCourse
        fields = ["title", "hours", "data_protection", "valid_for_days"]


class SessionForm(forms.ModelForm):
    class Meta:
        model = TrainingSession
        fields = ["course", "starts_at", "hours", "place"]
        widgets = {"starts_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")}


class TrainingRecordForm(forms.Form):
    """A supervisor records a course attended by a member of their desks' staff."""

    user: forms.ModelChoiceField[User] = forms.ModelChoiceField(label=_("Staff member"), queryset=User.objects.none())
    desk: forms.ModelChoiceField[Organisation] = forms.ModelChoiceField(
        label=_("Desk"), queryset=Organisation.objects.none()
    )
    course: forms.ModelChoiceField[TrainingCourse] = forms.ModelChoiceField(
        label=_("Course"), queryset=TrainingCourse.objects.all()
    )
    session: forms.ModelChoiceField[TrainingSession] = forms.ModelChoiceField(
        label=_("Session"), queryset=TrainingSession.objects.select_related("course"), required=False
    )
    completed_on = forms.DateField(label=_("Completed on"), widget=DATE_INPUT, initial=timezone.localdate)
    hours_attended = forms.DecimalField(
        label=_("Hours attended"),
        max_digits=5,
        decimal_places=1,
        min_value=Decimal("0.5"),
        required=False,
        help_text=_("Leave empty for the whole session or course."),
    )
    certificate_reference = forms.CharField(label=_("Certificate"), max_length=100, required=False)

    def __init__(self, *args: Any, supervisor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        desks = supervisor.organisation_ids(Role.PUA_SUPERVISOR)
        today = timezone.localdate()
        self.fields["desk"].queryset = Organisation.objects.filter(pk__in=desks)  # type: ignore[attr-defined]
        self.fields["user"].queryset = (  # type: ignore[attr-defined]
            User.objects.filter(
                is_active=True,
                memberships__organisation__in=desks,
                memberships__role__in=PUA_ROLES,
                memberships__valid_from__lte=today,
            )
            .filter(Q(memberships__valid_until__isnull=True) | Q(memberships__valid_until__gte=today))
            .distinct()
            .order_by("full_name", "email")
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        course, session = data.get("course"), data.get("session")
        if course and session and session.course_id != course.pk:
            self.add_error("session", _("The session belongs to another course."))
        if course and not data.get("hours_attended"):
            data["hours_attended"] = session.hours if session else course.hours
        return data
