"""Forms of the family-message pages: start a message from a template, change the draft, record an
acknowledgement told in person or by phone, and the list's filters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from schools.forms.helpdesk import DATE_INPUT
from schools.models import FamilyMessage, Guardian, MessageTemplate, Student
from schools.services.messages import templates_for_school, validate_template_text


class GuardianChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        language = obj.person.preferred_language or "–"
        return f"{obj.person.display_name} ({obj.get_relationship_display()}, {language})"


class TemplateChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        languages = ", ".join(sorted(t.language for t in obj.translations.all()))
        return f"{obj.name} [{languages}]"


class NewMessageForm(forms.Form):
    template = TemplateChoiceField(label=_("Template"), queryset=MessageTemplate.objects.none())
    guardian = GuardianChoiceField(
        label=_("To"),
        queryset=Guardian.objects.none(),
        required=False,
        help_text=_("The message is written in this guardian's preferred language when the template has it."),
    )
    date = forms.DateField(
        label=_("Date in the message"),
        widget=DATE_INPUT,
        required=False,
        help_text=_("Fills {date}: the day of the meeting, of the course's start… Empty: today."),
    )

    def __init__(self, *args: Any, student: Student, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        templates = templates_for_school(student.school_id)
        self.fields["template"].queryset = MessageTemplate.objects.filter(  # type: ignore[attr-defined]
            pk__in=[t.pk for t in templates]
        ).prefetch_related("translations")
        guardians = student.guardians.select_related("person")
        self.fields["guardian"].queryset = guardians  # type: ignore[attr-defined]
        primary = next((g for g in guardians if g.is_primary_contact), None)
        if primary is not None:
            self.fields["guardian"].initial = primary.pk


class DraftForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 12}))
    channel = forms.ChoiceField(label=_("Send by"), choices=FamilyMessage.Channel.choices)

    def __init__(self, *args: Any, message: FamilyMessage, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"subject": message.subject, "body": message.body, "channel": message.channel})
        kwargs.setdefault("auto_id", "draft_%s")
        super().__init__(*args, **kwargs)
        # The text is in the family's language: the fields follow its direction.
        for name in ("subject", "body"):
            self.fields[name].widget.attrs.update({"lang": message.language, "dir": "auto"})

    def clean_body(self) -> str:
        body: str = self.cleaned_data["body"]
        validate_template_text(body)
        return body


class StaffAcknowledgementForm(forms.Form):
    how = forms.ChoiceField(
        label=_("How did the family confirm?"),
        choices=[
            (FamilyMessage.AcknowledgedHow.IN_PERSON.value, FamilyMessage.AcknowledgedHow.IN_PERSON.label),
            (FamilyMessage.AcknowledgedHow.PHONE.value, FamilyMessage.AcknowledgedHow.PHONE.label),
        ],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "ack_%s")
        super().__init__(*args, **kwargs)


class MessageFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All")), *FamilyMessage.Status.choices], required=False
    )
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[("", _("All")), *FamilyMessage.Channel.choices], required=False
    )
