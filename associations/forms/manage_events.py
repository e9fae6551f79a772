"""Forms of the managers' event pages: the event with its translated texts, a session, the list's
filters, cancelling an event or a session with a message, the check-in search."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aipim.core.forms_directory import LanguageCodesField
from aipim.core.models import Municipality
from associations.forms.manage import LanguageInputsMixin, translated
from associations.models import Association, Audience, Event, EventStatus, Session
from associations.views.manage_scope import is_regional_editor

TEXT_FIELDS = ("title", "summary", "description", "accessibility_notes")


class EventForm(LanguageInputsMixin, forms.ModelForm):
    association = forms.ModelChoiceField(label=_("Association"), queryset=Association.objects.none(), required=False)
    audiences = forms.MultipleChoiceField(
        label=_("Audience"), choices=Audience.choices, widget=forms.CheckboxSelectMultiple
    )
    languages = LanguageCodesField(
        label=_("Languages spoken"), help_text=_("ISO 639 codes separated by commas, e.g. it, ar, fr.")
    )
    external_url = forms.URLField(label=_("Web page"), required=False, assume_scheme="https", max_length=200)

    class Meta:
        model = Event
        fields = [
            "association",
            "partner_name",
            "kind",
            *[name for field in TEXT_FIELDS for name in translated(field)],
            "category",
            "audiences",
            "languages",
            "is_migrant_led",
            "led_by",
            "booking_mode",
            "max_seats_per_booking",
            "offer_hours",
            "external_url",
        ]
        widgets = {
            **{name: forms.Textarea(attrs={"rows": 5}) for name in translated("description")},
            **{name: forms.Textarea(attrs={"rows": 2}) for name in translated("accessibility_notes")},
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        associations = Association.objects.for_user(user).select_related("organisation")
        field = self.fields["association"]
        field.queryset = associations  # type: ignore[attr-defined]
        if is_regional_editor(user):
            field.empty_label = _("None: a partner institution's event")  # type: ignore[attr-defined]
        else:
            # A manager's events always belong to one of their associations.
            field.required = True
            del self.fields["partner_name"]
            if len(associations) == 1 and not self.instance.pk:
                field.initial = associations[0].pk
        if self.instance.pk:
            # The organiser stays: moving an event would hand its bookers to someone else (an
            # editor who made an association's event a partner event would read its bookings).
            field.disabled = True
            field.required = False
            if "partner_name" in self.fields and self.instance.association_id:
                self.fields["partner_name"].disabled = True
        self.fields["title_it"].required = True
        for name in self.fields:
            if name.endswith(("_en", "_fr", "_ar")):
                self.fields[name].required = False

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "partner_name" in self.fields and not data.get("association") and not data.get("partner_name"):
            self.add_error("partner_name", _("Name the partner institution, or choose an association."))
        return data

    def event_fields(self) -> dict[str, Any]:
        fields = {name: self.cleaned_data[name] for name in self.Meta.fields if name in self.cleaned_data}
        fields.setdefault("partner_name", self.instance.partner_name if self.instance.pk else "")
        if fields.get("association") is not None:
            fields["partner_name"] = ""
        return fields


class SessionForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    starts = forms.TimeField(label=_("Starts at"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    ends = forms.TimeField(label=_("Ends at"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    venue = forms.CharField(label=_("Place"), max_length=200)
    address = forms.CharField(label=_("Address"), max_length=200)
    municipality = forms.ModelChoiceField(label=_("Municipality"), queryset=Municipality.objects.all())
    capacity = forms.IntegerField(label=_("Seats"), min_value=0, max_value=100000, initial=20)

    def __init__(self, *args: Any, event: Event, session: Session | None = None, **kwargs: Any) -> None:
        if session is not None and "initial" not in kwargs:
            starts, ends = timezone.localtime(session.starts_at), timezone.localtime(session.ends_at)
            kwargs["initial"] = {
                "date": starts.date(),
                "starts": starts.time(),
                "ends": ends.time(),
                "venue": session.venue,
                "address": session.address,
                "municipality": session.municipality_id,
                "capacity": session.capacity,
            }
        super().__init__(*args, **kwargs)
        self.event = event

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("starts") and data.get("ends") and data["ends"] <= data["starts"]:
            self.add_error("ends", _("The session must end after it starts."))
        if self.event.booking_mode != "none" and data.get("capacity") == 0:
            self.add_error("capacity", _("A session people book needs at least one seat."))
        return data

    def session_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        zone = timezone.get_current_timezone()
        return {
            "starts_at": timezone.make_aware(datetime.datetime.combine(data["date"], data["starts"]), zone),
            "ends_at": timezone.make_aware(datetime.datetime.combine(data["date"], data["ends"]), zone),
            "venue": data["venue"],
            "address": data["address"],
            "municipality": data["municipality"],
            "capacity": data["capacity"],
        }


class EventFilterForm(forms.Form):
    WHEN = [("upcoming", _("Upcoming")), ("past", _("Past")), ("all", _("All dates"))]

    status = forms.ChoiceField(label=_("Status"), required=False)
    when = forms.ChoiceField(label=_("When"), choices=WHEN, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All statuses")), *EventStatus.choices]  # type: ignore[attr-defined]


class CancelForm(forms.Form):
    message = forms.CharField(
        label=_("Message to everyone booked"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text=_("Sent by email in each person's language together with the standard notice; write it simply."),
    )


class CheckInSearchForm(forms.Form):
    q = forms.CharField(label=_("Name or booking code"), required=False, max_length=100)
