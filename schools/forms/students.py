"""Forms of the student pages: the list's filters (GET: ids and codes only, never a name) and its
name search (POST, kept in the session), the search before enrolling, enrol and edit a pupil, add a
guardian, record a guardian's consent, record that a pupil left."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.forms.models import fields_for_model
from django.utils.translation import gettext_lazy as _

from aipim.accounts.models import SCHOOL_ROLES, Membership, User
from aipim.core.models import Organisation, Person
from schools.models import Guardian, RiskLevel, SchoolClass, SchoolYear, Student
from schools.selectors import SCHOOL_PURPOSES, SORTS, STATUS_ALL, STATUS_CURRENT, STATUS_LEFT

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


def user_schools(user: Any) -> QuerySet[Organisation]:
    return Organisation.objects.filter(
        pk__in=user.organisation_ids(*SCHOOL_ROLES), kind=Organisation.Kind.SCHOOL
    ).order_by("name")


def school_staff(school_ids: Any) -> QuerySet[User]:
    return User.objects.filter(
        pk__in=Membership.objects.filter(organisation__in=school_ids, role__in=SCHOOL_ROLES).values("user_id"),
        is_active=True,
    ).order_by("full_name", "email")


def clean_language_code(value: str) -> str:
    value = (value or "").strip()
    if value and not LANGUAGE_CODE.match(value):
        raise forms.ValidationError(_("A language code such as ar, ur, bn, ti or fr."))
    return value


def style_fields(form: forms.Form) -> None:
    """Bootstrap classes on the widgets of the list's forms (drawn without crispy, for speed)."""
    for name, field in form.fields.items():
        widget = field.widget
        if isinstance(widget, forms.HiddenInput):
            continue
        widget.attrs["class"] = "form-select" if isinstance(widget, forms.Select) else "form-control"
        if field.help_text:
            widget.attrs["aria-describedby"] = f"id_{name}_helptext"


# --- The list ------------------------------------------------------------------------------------


class StudentFilterForm(forms.Form):
    """The list's filters. Choices are read once as plain pairs: validating and drawing them costs
    one query each, whatever the number of pupils."""

    school = forms.TypedChoiceField(label=_("School"), coerce=int, empty_value=None, required=False)
    school_class = forms.TypedChoiceField(label=_("Class"), coerce=int, empty_value=None, required=False)
    risk_level = forms.ChoiceField(label=_("Risk level"), choices=[("", _("Any"))] + RiskLevel.choices, required=False)
    newly_arrived = forms.ChoiceField(
        label=_("Newly arrived"),
        choices=[("", _("Any")), ("yes", _("Yes")), ("no", _("No"))],
        required=False,
        help_text=_("Arrived in Italy within the last two years."),
    )
    age_gap = forms.TypedChoiceField(
        label=_("Age–grade gap"),
        coerce=int,
        empty_value=None,
        choices=[("", _("Any")), ("1", _("1 year or more")), ("2", _("2 years or more")), ("3", _("3 years or more"))],
        required=False,
        help_text=_("Older than the usual age of the class."),
    )
    status = forms.ChoiceField(
        label=_("Pupils"),
        choices=[(STATUS_CURRENT, _("At school")), (STATUS_LEFT, _("Left")), (STATUS_ALL, _("All"))],
        required=False,
    )
    sort = forms.ChoiceField(
        choices=[(key, key) for name in SORTS for key in (name, f"-{name}")], required=False, widget=forms.HiddenInput
    )
    search = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        schools = list(user_schools(user).values_list("pk", "name"))
        if len(schools) > 1:
            self.fields["school"].choices = [("", _("Any"))] + schools  # type: ignore[attr-defined]
        else:
            del self.fields["school"]
        year = SchoolYear.current()
        classes = SchoolClass.objects.filter(school__in=[pk for pk, _name in schools])
        if year is not None:
            classes = classes.filter(school_year=year)
        rows = classes.order_by("school__name", "grade", "name").values_list("pk", "name", "school__name")
        self.fields["school_class"].choices = [("", _("Any"))] + [  # type: ignore[attr-defined]
            (pk, f"{name} – {school}" if len(schools) > 1 else name) for pk, name, school in rows
        ]
        style_fields(self)


class StudentSearchForm(forms.Form):
    q = forms.CharField(label=_("Name"), min_length=2, max_length=150)
    query = forms.CharField(required=False, widget=forms.HiddenInput, max_length=1000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_fields(self)


# --- Enrol and edit ------------------------------------------------------------------------------


class PersonSearchForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        min_length=2,
        max_length=150,
        help_text=_("Given and family names in any order and spelling, e.g. Mohamed Abdel Aziz."),
    )


PERSON_FIELDS = [
    "given_names",
    "family_names",
    "given_names_latin",
    "family_names_latin",
    "birth_date",
    "sex",
    "citizenship",
    "languages",
    "municipality",
]
STUDENT_FIELDS = [
    "school_class",
    "register_id",
    "enrolled_on",
    "arrived_in_italy_on",
    "first_language",
    "referent",
    "sensitive_notes",
]
PERSON_HELP: dict[str, Any] = {
    "given_names_latin": _("Leave empty if the name is already written in Latin letters."),
    "languages": _("Language codes separated by commas, e.g. ar,fr."),
}
STUDENT_HELP: dict[str, Any] = {
    "first_language": _("A language code, e.g. ar, ur, bn, ti."),
    "arrived_in_italy_on": _("A pupil who arrived within the last two years is flagged as newly arrived."),
}


class StudentFieldsMixin(forms.Form):
    """The school record of a pupil: school (among the user's), class, register id, arrival..."""

    school: forms.ModelChoiceField[Organisation] = forms.ModelChoiceField(
        label=_("School"), queryset=Organisation.objects.none()
    )

    def add_student_fields(self, user: Any, *, school: Organisation | None = None) -> None:
        fields = fields_for_model(
            Student,
            fields=STUDENT_FIELDS,
            widgets={
                "enrolled_on": DATE_INPUT,
                "arrived_in_italy_on": DATE_INPUT,
                "sensitive_notes": forms.Textarea(attrs={"rows": 3}),
            },
            help_texts=STUDENT_HELP,
        )
        self.fields.update(fields)
        schools = user_schools(user)
        if school is not None:
            schools = schools.filter(pk=school.pk)
        self.fields["school"].queryset = schools  # type: ignore[attr-defined]
        school_ids = list(schools.values_list("pk", flat=True))
        if len(school_ids) == 1:
            self.fields["school"].initial = school_ids[0]
            self.fields["school"].widget = forms.HiddenInput()
        year = SchoolYear.current()
        classes = SchoolClass.objects.filter(school__in=school_ids).select_related("school_year")
        if year is not None:
            classes = classes.filter(school_year=year)
        self.fields["school_class"].queryset = classes.order_by("grade", "name")  # type: ignore[attr-defined]
        self.fields["referent"].queryset = school_staff(school_ids)  # type: ignore[attr-defined]

    def clean_first_language(self) -> str:
        return clean_language_code(self.cleaned_data.get("first_language", ""))

    def clean_student(self, cleaned: dict[str, Any]) -> None:
        school = cleaned.get("school")
        school_class = cleaned.get("school_class")
        if school and school_class and school_class.school_id != school.pk:
            self.add_error("school_class", _("The class belongs to another school."))
        referent = cleaned.get("referent")
        if school and referent and school.pk not in referent.organisation_ids(*SCHOOL_ROLES):
            self.add_error("referent", _("The referent must be a member of the school's staff."))

    def student_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in STUDENT_FIELDS}


class PersonFieldsMixin(forms.Form):
    def add_person_fields(self, names: list[str] = PERSON_FIELDS) -> None:
        self.fields.update(
            fields_for_model(Person, fields=names, widgets={"birth_date": DATE_INPUT}, help_texts=PERSON_HELP)
        )

    def person_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in PERSON_FIELDS if name in self.cleaned_data}


class ConsentFieldsMixin(forms.Form):
    purposes = forms.MultipleChoiceField(
        label=_("Consents given now by a guardian"),
        choices=[(purpose.value, purpose.label) for purpose in SCHOOL_PURPOSES],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    evidence = forms.CharField(
        label=_("Evidence of the consents"),
        max_length=200,
        required=False,
        help_text=_("How it was given, e.g. 'signed form, protocol 123/2026'."),
    )
    given_by_name = forms.CharField(label=_("Given by (guardian's name)"), max_length=150, required=False)

    def clean_consents(self, cleaned: dict[str, Any]) -> None:
        if cleaned.get("purposes"):
            if not cleaned.get("evidence"):
                self.add_error("evidence", _("Say how the consent was given."))
            if not cleaned.get("given_by_name"):
                self.add_error("given_by_name", _("A pupil is a minor: say which guardian gave the consent."))


class NewStudentForm(StudentFieldsMixin, PersonFieldsMixin, ConsentFieldsMixin):
    """Enrol a pupil who is not yet a Person of the portal."""

    confirm_duplicate = forms.BooleanField(
        label=_("I have checked the possible matches: this is a different person."), required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_person_fields()
        self.add_student_fields(user)
        self.order_fields(
            ["school", *PERSON_FIELDS, *STUDENT_FIELDS, "purposes", "evidence", "given_by_name", "confirm_duplicate"]
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self.clean_student(cleaned)
        self.clean_consents(cleaned)
        return cleaned


class EnrolPersonForm(StudentFieldsMixin, ConsentFieldsMixin):
    """Enrol a Person already registered (found by the search)."""

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_student_fields(user)
        self.order_fields(["school", *STUDENT_FIELDS, "purposes", "evidence", "given_by_name"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self.clean_student(cleaned)
        self.clean_consents(cleaned)
        return cleaned


class EditStudentForm(StudentFieldsMixin, PersonFieldsMixin):
    """Change a pupil's Person and school record (the school stays)."""

    def __init__(self, *args: Any, user: Any, student: Student, **kwargs: Any) -> None:
        person = student.person
        initial = {name: getattr(person, name) for name in PERSON_FIELDS}
        initial.update({name: getattr(student, name) for name in STUDENT_FIELDS})
        initial["school"] = student.school_id
        # Person.save() fills the Latin names with the written ones: show them empty when equal.
        for name in ("given_names", "family_names"):
            if initial[f"{name}_latin"] == initial[name]:
                initial[f"{name}_latin"] = ""
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        self.add_person_fields()
        self.add_student_fields(user, school=student.school)
        self.fields["school"].widget = forms.HiddenInput()
        self.fields["school"].disabled = True
        if student.school_class is not None:
            # A class of an earlier year stays choosable for a pupil still in it.
            queryset = self.fields["school_class"].queryset  # type: ignore[attr-defined]
            self.fields["school_class"].queryset = (  # type: ignore[attr-defined]
                queryset | SchoolClass.objects.filter(pk=student.school_class.pk)
            ).distinct()
        self.order_fields([*PERSON_FIELDS, *STUDENT_FIELDS])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self.clean_student(cleaned)
        return cleaned


class LeavingForm(forms.Form):
    left_on = forms.DateField(label=_("Left on"), widget=DATE_INPUT)
    leaving_reason = forms.ChoiceField(label=_("Reason"), choices=Student.LeavingReason.choices)


# --- Guardians and consents ----------------------------------------------------------------------

GUARDIAN_PERSON_FIELDS = [
    "given_names",
    "family_names",
    "given_names_latin",
    "family_names_latin",
    "sex",
    "citizenship",
    "languages",
    "preferred_language",
    "phone",
    "email",
]
GUARDIAN_HELP: dict[str, Any] = {
    **PERSON_HELP,
    "preferred_language": _("The language the school writes to them in, e.g. ar."),
}


class GuardianForm(forms.Form):
    """A parent or guardian: either someone who is already the guardian of another pupil of the
    school (a sibling's parent) or a new person."""

    relationship = forms.ChoiceField(label=_("Relationship"), choices=Guardian.Relationship.choices)
    is_primary_contact = forms.BooleanField(label=_("Primary contact of the school"), required=False)
    existing: forms.ModelChoiceField[Person] = forms.ModelChoiceField(
        label=_("Already a guardian of another pupil"),
        queryset=Person.objects.none(),
        required=False,
        help_text=_("Choose them to avoid registering the same parent twice; else fill in the fields below."),
    )

    def __init__(self, *args: Any, student: Student, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["existing"].queryset = (  # type: ignore[attr-defined]
            Person.objects.filter(guardianships__student__school_id=student.school_id, anonymised_at__isnull=True)
            .exclude(guardianships__student=student)
            .distinct()
            .order_by("family_names_latin", "given_names_latin")
        )
        self.fields.update(
            fields_for_model(
                Person,
                fields=GUARDIAN_PERSON_FIELDS,
                help_texts=GUARDIAN_HELP,
            )
        )
        for name in GUARDIAN_PERSON_FIELDS:
            self.fields[name].required = False  # only a new guardian needs them (see clean)

    def clean_preferred_language(self) -> str:
        return clean_language_code(self.cleaned_data.get("preferred_language", ""))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("existing"):
            for name in ("given_names", "family_names"):
                if not cleaned.get(name):
                    self.add_error(name, _("Needed for a new guardian."))
        return cleaned

    def person_fields(self) -> dict[str, Any]:
        fields = {name: self.cleaned_data[name] for name in GUARDIAN_PERSON_FIELDS}
        fields["sex"] = fields["sex"] or Person.Sex.UNKNOWN
        return fields


class ConsentForm(forms.Form):
    """A guardian gives consent to a school purpose for the pupil."""

    purpose = forms.ChoiceField(
        label=_("Purpose"), choices=[(purpose.value, purpose.label) for purpose in SCHOOL_PURPOSES]
    )
    guardian: forms.ModelChoiceField[Guardian] = forms.ModelChoiceField(
        label=_("Given by"), queryset=Guardian.objects.none(), required=False
    )
    given_by_name = forms.CharField(
        label=_("Or the name of who gave it"),
        max_length=150,
        required=False,
        help_text=_("If not one of the guardians above (e.g. a guardian appointed by the court)."),
    )
    evidence = forms.CharField(
        label=_("Evidence"), max_length=200, help_text=_("How it was given, e.g. 'signed form, protocol 123/2026'.")
    )

    def __init__(self, *args: Any, student: Student, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        guardians = student.guardians.all()
        self.fields["guardian"].queryset = guardians  # type: ignore[attr-defined]
        self.fields["guardian"].label_from_instance = lambda guardian: str(guardian)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        guardian = cleaned.get("guardian")
        if guardian is not None:
            cleaned["given_by_name"] = str(guardian.person)
        elif not cleaned.get("given_by_name"):
            self.add_error("guardian", _("A pupil is a minor: say which guardian gave the consent."))
        return cleaned
