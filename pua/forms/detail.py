"""Forms of the case page: status, assignment, assessment, care plan, tasks, notes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from aipim.accounts.models import User
from pua.models import SENSITIVE_DOMAINS, Assessment, Case, Goal, Need, NeedDomain, Note
from pua.services.plan import desk_staff

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
STATUS_ORDER = list(Case.Status.values)


class OwnIdsMixin:
    """The case page holds several forms with fields of the same name: each form gets its own id
    prefix so that every label points at its own field (the posted names stay plain)."""

    id_prefix = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class StatusForm(OwnIdsMixin, forms.Form):
    id_prefix = "status"
    to = forms.ChoiceField(label=_("New status"))
    closing_reason = forms.ChoiceField(
        label=_("Closing reason"),
        choices=[("", "–"), *Case.ClosingReason.choices],
        required=False,
        help_text=_("Required to close the case."),
    )
    reason = forms.CharField(label=_("Comment"), max_length=200, required=False)

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = sorted(Case.NEXT_STATUSES[Case.Status(case.status)], key=STATUS_ORDER.index)
        self.fields["to"].choices = [(status.value, status.label) for status in allowed]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("to") == Case.Status.CLOSED and not data.get("closing_reason"):
            self.add_error("closing_reason", _("Give the reason for closing the case."))
        if data.get("to") != Case.Status.CLOSED:
            data["closing_reason"] = ""
        return data


class AssignForm(OwnIdsMixin, forms.Form):
    id_prefix = "assign"
    caseworker: forms.ModelChoiceField[User] = forms.ModelChoiceField(
        label=_("Caseworker"), queryset=User.objects.none(), required=False, empty_label=_("Nobody")
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"caseworker": case.caseworker_id})
        super().__init__(*args, **kwargs)
        self.fields["caseworker"].queryset = desk_staff(case.desk_id)  # type: ignore[attr-defined]


class AssessmentForm(forms.Form):
    """One severity and one note per need domain. Health and legal notes can be read and written
    only with data-protection training in force: for others those fields are disabled and empty."""

    def __init__(self, *args: Any, trained: bool, previous: Assessment | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        earlier: dict[str, Need] = {need.domain: need for need in previous.needs.all()} if previous else {}
        self.domains: list[tuple[str, Any]] = []
        for domain, label in NeedDomain.choices:
            locked = domain in SENSITIVE_DOMAINS and not trained
            before = earlier.get(domain)
            self.fields[f"severity_{domain}"] = forms.TypedChoiceField(
                label=_("Severity"),
                choices=Need.Severity.choices,
                coerce=int,
                initial=before.severity if before else Need.Severity.NONE,
            )
            self.fields[f"notes_{domain}"] = forms.CharField(
                label=_("Notes"),
                required=False,
                disabled=locked,
                initial="" if locked or not before else (before.notes or ""),
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text=_("Needs data-protection training in force.") if locked else "",
            )
            self.domains.append((domain, label))

    def rows(self) -> list[tuple[str, Any, forms.BoundField, forms.BoundField]]:
        return [(domain, label, self[f"severity_{domain}"], self[f"notes_{domain}"]) for domain, label in self.domains]

    def needs(self) -> list[tuple[str, int, str]]:
        data = self.cleaned_data
        return [(domain, data[f"severity_{domain}"], data[f"notes_{domain}"] or "") for domain, _label in self.domains]


class GoalForm(OwnIdsMixin, forms.ModelForm):
    id_prefix = "goal"

    class Meta:
        model = Goal
        fields = ["domain", "description"]


class GoalStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Goal status"), choices=Goal.Status.choices)


class ActionForm(OwnIdsMixin, forms.Form):
    id_prefix = "action"
    goal: forms.ModelChoiceField[Goal] = forms.ModelChoiceField(label=_("Goal"), queryset=Goal.objects.none())
    description = forms.CharField(label=_("Action"), max_length=300)
    owner: forms.ModelChoiceField[User] = forms.ModelChoiceField(
        label=_("Owner at the desk"), queryset=User.objects.none(), required=False
    )
    owner_label = forms.CharField(
        label=_("Or owner outside the desk"),
        max_length=150,
        required=False,
        help_text=_("E.g. the person, a family member, a service."),
    )
    due_date = forms.DateField(label=_("Due date"), required=False, widget=DATE_INPUT)

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["goal"].queryset = case.goals.filter(status=Goal.Status.ACTIVE)  # type: ignore[attr-defined]
        self.fields["owner"].queryset = desk_staff(case.desk_id)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("owner") and not data.get("owner_label"):
            self.add_error("owner", _("Say who does it: a member of the desk's staff or someone outside the desk."))
        elif data.get("owner") and data.get("owner_label"):
            self.add_error(
                "owner_label", _("Give one owner: a member of the desk's staff or someone outside the desk.")
            )
        return data


class ActionDoneForm(forms.Form):
    outcome = forms.CharField(label=_("Outcome"), max_length=300)


class TaskForm(OwnIdsMixin, forms.Form):
    id_prefix = "task"
    title = forms.CharField(label=_("Task"), max_length=200)
    due_date = forms.DateField(label=_("Due date"), widget=DATE_INPUT)
    assigned_to: forms.ModelChoiceField[User] = forms.ModelChoiceField(
        label=_("Assigned to"), queryset=User.objects.none(), required=False
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = desk_staff(case.desk_id)  # type: ignore[attr-defined]


class NoteForm(OwnIdsMixin, forms.Form):
    id_prefix = "note"
    kind = forms.ChoiceField(label=_("Kind"), choices=Note.Kind.choices, initial=Note.Kind.GENERAL)
    body = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}))
    restricted = forms.BooleanField(
        label=_("Restricted"),
        required=False,
        help_text=_("Only the case's caseworker and the desk's supervisors can read it."),
    )

    def __init__(self, *args: Any, trained: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not trained:
            # Health and legal-status notes are for staff with data-protection training in force.
            self.fields["kind"].choices = [(Note.Kind.GENERAL.value, Note.Kind.GENERAL.label)]  # type: ignore[attr-defined]
            self.fields["kind"].help_text = _("Health and legal-status notes need data-protection training in force.")
