"""Forms of the help-desk pages: desks and opening hours, slots and bookings, the walk-in log, and
the support case file (notes, actions, closing, hand-off to a PUA desk)."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aipim.accounts.models import SCHOOL_ROLES, Role, User
from aipim.core.models import Consent, Organisation, Person
from aipim.core.services import ConsentMissing, has_consent
from schools.models import HelpDesk, OpeningHours, SchoolSite, Student, SupportCase, WalkIn
from schools.services.helpdesk import handoff_people

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
MAX_REPEAT_WEEKS = 12


def clean_language(value: str) -> str:
    value = value.strip()
    if value and not LANGUAGE_CODE.match(value):
        raise ValidationError(_("Write a language code such as ar, fr or ti."))
    return value


def parse_languages(text: str) -> list[str]:
    codes = [code.strip().lower() for code in re.split(r"[,\s]+", text or "") if code.strip()]
    for code in codes:
        clean_language(code)
    return list(dict.fromkeys(codes))


def user_schools(user: Any, *roles: str) -> QuerySet[Organisation]:
    return Organisation.objects.filter(
        pk__in=user.organisation_ids(*(roles or SCHOOL_ROLES)), kind=Organisation.Kind.SCHOOL
    ).order_by("name")


def school_staff(school_ids: set[int] | list[int]) -> QuerySet[User]:
    """Active users holding a school role at one of the schools (owners, referents)."""
    today = timezone.localdate()
    return (
        User.objects.filter(
            is_active=True,
            memberships__organisation__in=list(school_ids),
            memberships__role__in=SCHOOL_ROLES,
            memberships__valid_from__lte=today,
        )
        .distinct()
        .order_by("full_name", "email")
    )


def current_students(school_ids: set[int] | list[int]) -> QuerySet[Student]:
    return (
        Student.objects.filter(school__in=list(school_ids), left_on__isnull=True)
        .select_related("person", "school_class")
        .order_by("person__family_names_latin", "person__given_names_latin", "pk")
    )


class StaffChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name()


class StudentChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        klass = f" · {obj.school_class.name}" if obj.school_class else ""
        return f"{obj.person.display_name}{klass}"


class StudentsChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        klass = f" · {obj.school_class.name}" if obj.school_class else ""
        return f"{obj.person.display_name}{klass}"


class LanguageField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 16)
        kwargs.setdefault("help_text", _("A language code: ar, fr, en, ti, ur…"))
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        return clean_language(super().clean(value))


# --- Desks -------------------------------------------------------------------------------------


class HelpDeskForm(forms.ModelForm):  # type: ignore[type-arg]
    school: forms.ModelChoiceField[Organisation] = forms.ModelChoiceField(
        label=_("School"), queryset=Organisation.objects.none()
    )
    languages = forms.CharField(
        label=_("Languages spoken"),
        required=False,
        max_length=200,
        help_text=_("Language codes separated by commas, e.g. ar, fr, ur."),
    )

    class Meta:
        model = HelpDesk
        fields = ["school", "site", "name", "location", "languages", "active"]
        widgets = {"location": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        schools = user_schools(user, Role.SCHOOL_OPERATOR)
        if self.instance.pk:
            del self.fields["school"]
            self.initial["languages"] = ", ".join(self.instance.languages or [])
            site_schools: Any = [self.instance.school_id]
        else:
            self.fields["school"].queryset = schools  # type: ignore[attr-defined]
            if len(schools) == 1:
                self.fields["school"].initial = schools[0]
            site_schools = schools
        self.fields["site"].queryset = SchoolSite.objects.filter(school__in=site_schools).order_by("name")  # type: ignore[attr-defined]
        self.fields["site"].required = False

    def clean_languages(self) -> list[str]:
        return parse_languages(self.cleaned_data.get("languages", ""))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        site = cleaned.get("site")
        school_id = self.instance.school_id if self.instance.pk else getattr(cleaned.get("school"), "pk", None)
        if site is not None and site.school_id != school_id:
            self.add_error("site", _("The site belongs to another school."))
        if not self.instance.pk and cleaned.get("school") is not None:
            self.instance.school = cleaned["school"]
        return cleaned


class OpeningHoursRowForm(forms.Form):
    weekday = forms.TypedChoiceField(
        label=_("Day"),
        coerce=int,
        choices=[("", "–"), *OpeningHours._meta.get_field("weekday").choices],  # type: ignore[misc]
    )
    opens = forms.TimeField(label=_("Opens"), widget=TIME_INPUT)
    closes = forms.TimeField(label=_("Closes"), widget=TIME_INPUT)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        opens, closes = cleaned.get("opens"), cleaned.get("closes")
        if opens and closes and closes <= opens:
            self.add_error("closes", _("The desk must close after it opens."))
        return cleaned


OpeningHoursFormSet = forms.formset_factory(OpeningHoursRowForm, extra=2, can_delete=True, max_num=21)


def opening_hours_initial(desk: HelpDesk) -> list[dict[str, Any]]:
    return [{"weekday": h.weekday, "opens": h.opens, "closes": h.closes} for h in desk.opening_hours.all()]


def opening_hours_rows(formset: Any) -> list[tuple[int, datetime.time, datetime.time]]:
    rows = []
    for form in formset.forms:
        data = form.cleaned_data
        if not data or data.get("DELETE"):
            continue
        rows.append((data["weekday"], data["opens"], data["closes"]))
    return rows


# --- Slots and bookings ------------------------------------------------------------------------


class SlotForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DATE_INPUT)
    start = forms.TimeField(label=_("Starts at"), widget=TIME_INPUT)
    end = forms.TimeField(label=_("Ends at"), widget=TIME_INPUT)
    mediator_name = forms.CharField(label=_("Cultural mediator"), max_length=150)
    language = LanguageField(label=_("Language"))
    repeat_weeks = forms.IntegerField(
        label=_("Repeat on the following weeks"),
        min_value=0,
        max_value=MAX_REPEAT_WEEKS,
        initial=0,
        help_text=_("0: this day only. 4: this day and the same day of the next four weeks."),
    )

    def __init__(self, *args: Any, desk: HelpDesk, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "slot_%s")
        super().__init__(*args, **kwargs)
        if desk.languages:
            self.fields["language"].initial = desk.languages[0]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        day, start, end = cleaned.get("date"), cleaned.get("start"), cleaned.get("end")
        if day and start and end:
            if end <= start:
                self.add_error("end", _("The slot must end after it starts."))
            cleaned["times"] = [
                (
                    timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(weeks=n), start)),
                    timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(weeks=n), end)),
                )
                for n in range((cleaned.get("repeat_weeks") or 0) + 1)
            ]
        return cleaned


class BookingForm(forms.Form):
    student = StudentChoiceField(label=_("Student"), queryset=Student.objects.none(), required=False)
    family_name = forms.CharField(
        label=_("Or the family's name"),
        max_length=150,
        required=False,
        help_text=_("For a family whose child is not (yet) a pupil of the school."),
    )

    def __init__(self, *args: Any, school_id: int, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "booking_%s")
        super().__init__(*args, **kwargs)
        self.fields["student"].queryset = current_students([school_id])  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("student") and not (cleaned.get("family_name") or "").strip():
            raise ValidationError(_("Choose a student or write the family's name."))
        return cleaned


class SlotDoneForm(forms.Form):
    notes = forms.CharField(
        label=_("Notes of the meeting"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Stored encrypted; shown only to the school's help desk."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "done_%s")
        super().__init__(*args, **kwargs)


class WeekForm(forms.Form):
    week = forms.RegexField(regex=r"^\d{4}-W\d{2}$", required=False)


# --- Walk-ins ----------------------------------------------------------------------------------


class WalkInForm(forms.Form):
    at = forms.DateTimeField(label=_("When"), widget=DATETIME_INPUT, input_formats=["%Y-%m-%dT%H:%M"])
    student = StudentChoiceField(label=_("Student"), queryset=Student.objects.none(), required=False)
    visitor_name = forms.CharField(
        label=_("Or who came"), max_length=150, required=False, help_text=_("E.g. the mother of a new pupil.")
    )
    language = LanguageField(label=_("Language"), required=False)
    topic = forms.ChoiceField(label=_("Topic"), choices=WalkIn.Topic.choices)
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Stored encrypted."),
    )

    def __init__(self, *args: Any, school_id: int, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "walkin_%s")
        super().__init__(*args, **kwargs)
        self.fields["student"].queryset = current_students([school_id])  # type: ignore[attr-defined]
        self.fields["at"].initial = timezone.localtime().replace(second=0, microsecond=0)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("student") and not (cleaned.get("visitor_name") or "").strip():
            raise ValidationError(_("Choose a student or write who came."))
        return cleaned


# --- Support cases -----------------------------------------------------------------------------


class SupportCaseForm(forms.Form):
    students = StudentsChoiceField(
        label=_("Students"),
        queryset=Student.objects.none(),
        help_text=_("One student, or the brothers and sisters of a family (same school)."),
    )
    title = forms.CharField(label=_("Title"), max_length=200, help_text=_("What the case is about, in a few words."))
    help_desk = forms.ModelChoiceField(label=_("Help desk"), queryset=HelpDesk.objects.none(), required=False)
    referent = StaffChoiceField(label=_("Referent"), queryset=User.objects.none(), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        schools = user.organisation_ids(*SCHOOL_ROLES)
        self.fields["students"].queryset = current_students(schools)  # type: ignore[attr-defined]
        self.fields["help_desk"].queryset = HelpDesk.objects.filter(school__in=schools, active=True).order_by("name")  # type: ignore[attr-defined]
        self.fields["referent"].queryset = school_staff(schools)  # type: ignore[attr-defined]
        self.fields["referent"].initial = user.pk

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        students = list(cleaned.get("students") or [])
        schools = {student.school_id for student in students}
        if len(schools) > 1:
            self.add_error("students", _("Every student of the case must attend the same school."))
        elif schools:
            school_id = schools.pop()
            desk = cleaned.get("help_desk")
            if desk is not None and desk.school_id != school_id:
                self.add_error("help_desk", _("The help desk belongs to another school."))
            referent = cleaned.get("referent")
            if referent is not None and school_id not in referent.organisation_ids(*SCHOOL_ROLES):
                self.add_error("referent", _("The referent must work at the school."))
            cleaned["school_id"] = school_id
        return cleaned


class CaseNoteForm(forms.Form):
    body = forms.CharField(
        label=_("Note"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Stored encrypted; every read is logged."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "note_%s")
        super().__init__(*args, **kwargs)


class ActionForm(forms.Form):
    title = forms.CharField(label=_("Action or follow-up"), max_length=200)
    owner = StaffChoiceField(label=_("Owner"), queryset=User.objects.none(), required=False)
    due_on = forms.DateField(label=_("Due on"), widget=DATE_INPUT, required=False)

    def __init__(self, *args: Any, case: SupportCase, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "action_%s")
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = school_staff([case.school_id])  # type: ignore[attr-defined]


class ActionDoneForm(forms.Form):
    outcome = forms.CharField(label=_("Outcome"), max_length=500, required=False)


class CloseCaseForm(forms.Form):
    note = forms.CharField(
        label=_("Closing note"), widget=forms.Textarea(attrs={"rows": 2}), help_text=_("How the case ends.")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "close_%s")
        super().__init__(*args, **kwargs)


class PersonChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return obj.display_name


class HandoffForm(forms.Form):
    """Hand a pupil or a guardian off to a PUA desk: only with the consent to the hand-off."""

    person = PersonChoiceField(label=_("Who"), queryset=Person.objects.none())
    desk: forms.ModelChoiceField[Organisation] = forms.ModelChoiceField(
        label=_("PUA desk"), queryset=Organisation.objects.none()
    )
    reason = forms.CharField(
        label=_("Why"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the school's case file; the PUA desk receives only the link to the person."),
    )

    def __init__(self, *args: Any, case: SupportCase, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "handoff_%s")
        super().__init__(*args, **kwargs)
        self.people = handoff_people(case)
        self.fields["person"].queryset = Person.objects.filter(pk__in=[p.pk for p in self.people])  # type: ignore[attr-defined]
        self.fields["desk"].queryset = Organisation.objects.filter(  # type: ignore[attr-defined]
            kind=Organisation.Kind.PUA_DESK, is_active=True
        ).order_by("name")

    def clean_person(self) -> Person:
        person: Person = self.cleaned_data["person"]
        if not has_consent(person, Consent.Purpose.SCHOOL_TO_PUA):
            raise ValidationError(
                _(
                    "%(error)s Without it the school cannot hand the person off: record the consent "
                    "on the student's page first (for a minor, given by a guardian)."
                )
                % {"error": ConsentMissing(person, Consent.Purpose.SCHOOL_TO_PUA)}
            )
        return person
