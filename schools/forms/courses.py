"""Forms of the course pages: the course, its sessions, enrolment, the attendance register, the list's filters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aipim.accounts.models import SCHOOL_ROLES, Role
from aipim.core.models import Organisation
from schools.models import Course, CourseSession, Enrolment, SchoolYear, Student
from schools.services import courses as service

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def user_schools(user: Any, *roles: str) -> QuerySet[Organisation]:
    return Organisation.objects.filter(
        pk__in=user.organisation_ids(*(roles or SCHOOL_ROLES)), kind=Organisation.Kind.SCHOOL
    ).order_by("name")


class CourseForm(forms.ModelForm):
    """A course of one of the operator's schools. The rules (CEFR level for Italian L2, a non-EU
    language for a foreign-language course) are the service's, checked here field by field."""

    school: forms.ModelChoiceField[Organisation] = forms.ModelChoiceField(
        label=_("School"), queryset=Organisation.objects.none()
    )

    class Meta:
        model = Course
        fields = [
            "school",
            "school_year",
            "kind",
            "title",
            "cefr_level",
            "language",
            "teacher_name",
            "starts_on",
            "ends_on",
            "hours_planned",
            "capacity",
        ]
        widgets = {"starts_on": DATE_INPUT, "ends_on": DATE_INPUT}
        help_texts = {
            "cefr_level": _("Required for Italian L2 (A1 to B2); optional for a language course."),
            "language": _(
                "Language code, e.g. ar, zh, uk, sq. A foreign-language course teaches a language that is not an "
                "official language of the European Union."
            ),
            "capacity": _("Leave empty for no limit."),
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        schools = user_schools(user, Role.SCHOOL_OPERATOR)
        self.fields["school"].queryset = schools  # type: ignore[attr-defined]
        if self.instance.pk:
            # A course stays at its school.
            del self.fields["school"]
        elif len(schools) == 1:
            self.fields["school"].initial = schools[0]
        if not self.instance.pk and not self.initial.get("school_year"):
            self.fields["school_year"].initial = SchoolYear.current()
        self.fields["school_year"].queryset = SchoolYear.objects.order_by("-starts_on")  # type: ignore[attr-defined]

    def clean_language(self) -> str:
        return service.normalise_language(self.cleaned_data.get("language", ""))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        try:
            service.check_course(
                kind=cleaned.get("kind", ""),
                cefr_level=cleaned.get("cefr_level", ""),
                language=cleaned.get("language", ""),
                starts_on=cleaned.get("starts_on"),
                ends_on=cleaned.get("ends_on"),
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        return cleaned


class SessionForm(forms.Form):
    day = forms.DateField(label=_("Day"), widget=DATE_INPUT)
    starts = forms.TimeField(label=_("Starts at"), widget=TIME_INPUT)
    ends = forms.TimeField(label=_("Ends at"), widget=TIME_INPUT)
    room = forms.CharField(label=_("Room"), max_length=100, required=False)
    topic = forms.CharField(label=_("Topic"), max_length=200, required=False)
    weeks = forms.IntegerField(
        label=_("Repeat for weeks"),
        min_value=1,
        max_value=52,
        initial=1,
        help_text=_("The same day and time every week, for this many weeks, while the course runs."),
    )

    def __init__(self, *args: Any, session: CourseSession | None = None, **kwargs: Any) -> None:
        if session is not None:
            starts_at = timezone.localtime(session.starts_at)
            kwargs.setdefault(
                "initial",
                {
                    "day": starts_at.date(),
                    "starts": starts_at.time(),
                    "ends": timezone.localtime(session.ends_at).time(),
                    "room": session.room,
                    "topic": session.topic,
                },
            )
        super().__init__(*args, **kwargs)
        if session is not None:
            del self.fields["weeks"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        starts, ends = cleaned.get("starts"), cleaned.get("ends")
        if starts and ends and ends <= starts:
            self.add_error("ends", _("A session must end after it starts."))
        return cleaned


class StudentChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        label = obj.person.display_name
        if obj.school_class is not None:
            label = f"{label} · {obj.school_class.name}"
        if not obj.has_school_consent:
            label = f"{label} – {_('no consent to school support')}"
        return label


class EnrolmentForm(forms.Form):
    """Enrol a student of the course's school. Students whose guardians have not consented to school
    support are listed as such; choosing one gives the reason (the service refuses)."""

    student = StudentChoiceField(label=_("Student"), queryset=Student.objects.none())

    def __init__(self, *args: Any, course: Course, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["student"].queryset = service.students_to_enrol(course)  # type: ignore[attr-defined]


class AttendanceRegisterForm(forms.Form):
    """The register of one session: a present box for each student it lists, saved in one POST."""

    def __init__(self, *args: Any, enrolments: list[Enrolment], present: set[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.enrolments = enrolments
        for enrolment in enrolments:
            self.fields[self.field_name(enrolment)] = forms.BooleanField(
                label=enrolment.student.person.display_name, required=False, initial=enrolment.pk in present
            )

    @staticmethod
    def field_name(enrolment: Enrolment) -> str:
        return f"present_{enrolment.pk}"

    def rows(self) -> list[tuple[Enrolment, forms.BoundField]]:
        return [(enrolment, self[self.field_name(enrolment)]) for enrolment in self.enrolments]

    def marks(self) -> dict[int, bool]:
        return {enrolment.pk: bool(self.cleaned_data.get(self.field_name(enrolment))) for enrolment in self.enrolments}


class CourseFilterForm(forms.Form):
    """The course list's filters (GET: they hold no personal data)."""

    school: forms.ModelChoiceField[Organisation] = forms.ModelChoiceField(
        label=_("School"), queryset=Organisation.objects.none(), required=False
    )
    school_year: forms.ModelChoiceField[SchoolYear] = forms.ModelChoiceField(
        label=_("School year"), queryset=SchoolYear.objects.none(), required=False
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", _("All kinds")), *Course.Kind.choices], required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = user_schools(user)  # type: ignore[attr-defined]
        self.fields["school"].empty_label = _("All my schools")  # type: ignore[attr-defined]
        self.fields["school_year"].queryset = SchoolYear.objects.order_by("-starts_on")  # type: ignore[attr-defined]
        self.fields["school_year"].empty_label = _("All years")  # type: ignore[attr-defined]
