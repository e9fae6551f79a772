"""The public booking form (no account): who, how to reach them, how many seats, which language
for the messages, privacy consent; and the form that answers a seat offer. The booking rules
themselves (seats free, one booking per person, ...) live in associations.services.booking."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from associations.models import Audience, BookingMode, Event, Session

HONEYPOT_FIELD = "website_url"


class DescribedFieldsMixin:
    """Bootstrap classes on the widgets, and each input tied to its help text and its errors
    (aria-describedby, aria-invalid), for screen readers: the ids match associations/booking/_field.html."""

    def _describe_fields(self) -> None:
        form: Any = self
        for name, field in form.fields.items():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs.setdefault("class", css)
            auto_id = form[name].auto_id
            described = [f"{auto_id}_help"] if field.help_text else []
            if form._errors and name in form._errors:
                described.append(f"{auto_id}_error")
                widget.attrs["aria-invalid"] = "true"
            if described:
                widget.attrs["aria-describedby"] = " ".join(described)

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        self._describe_fields()


class LanguageSelect(forms.Select):
    """Each language named in itself, and marked as such (lang) for screen readers."""

    def create_option(self, name: str, value: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(name, value, *args, **kwargs)
        if value:
            option["attrs"]["lang"] = value
        return option


def session_label(session: Session) -> str:
    starts_at = timezone.localtime(session.starts_at)
    ends_at = timezone.localtime(session.ends_at)
    when = formats.date_format(starts_at, "l j F Y, H:i")
    return f"{when}–{ends_at:%H:%M} · {session.venue}, {session.municipality.name}"


class BookingForm(DescribedFieldsMixin, forms.Form):
    session = forms.ChoiceField(label=_("Date"))
    name = forms.CharField(
        label=_("Name and surname"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(
        label=_("Email"),
        required=False,
        help_text=_("We send the confirmation and the link to change or cancel your booking here."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=40,
        required=False,
        help_text=_("If you have no email: the organiser may call you."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    seats = forms.TypedChoiceField(label=_("Seats"), coerce=int)
    language = forms.ChoiceField(
        label=_("Language for the messages"), choices=settings.LANGUAGES, widget=LanguageSelect
    )
    audience = forms.ChoiceField(
        label=_("I am"),
        required=False,
        choices=[("", _("I prefer not to say")), *Audience.choices],
        help_text=_("Optional, for statistics."),
    )
    consent = forms.BooleanField(
        label=_("I have read the privacy notice and agree to the use of my data for this booking.")
    )
    # A field people do not see (hidden by CSS, skipped by screen readers and the keyboard): only
    # robots fill it in.
    website_url = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args: Any, event: Event, sessions: list[Session], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("language", translation.get_language() or settings.LANGUAGE_CODE)
        super().__init__(*args, **kwargs)
        self.event = event
        self.sessions = {str(session.public_id): session for session in sessions}
        if event.booking_mode == BookingMode.SERIES:
            del self.fields["session"]
        else:
            self.fields["session"].choices = [(key, session_label(s)) for key, s in self.sessions.items()]  # type: ignore[attr-defined]
            if len(sessions) == 1:
                self.fields["session"].initial = next(iter(self.sessions))
        self.fields["seats"].choices = [(n, str(n)) for n in range(1, event.max_seats_per_booking + 1)]  # type: ignore[attr-defined]
        self.fields["consent"].help_text = format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>', reverse("core:privacy"), _("Privacy notice")
        )
        self._describe_fields()

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        if phone and sum(ch.isdigit() for ch in phone) < 6:
            raise forms.ValidationError(_("Write the phone number with its digits, for example 333 123 4567."))
        if any(not (ch.isdigit() or ch in " +-().") for ch in phone):
            raise forms.ValidationError(_("A phone number has only digits, spaces and + - ( )."))
        return phone

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get(HONEYPOT_FIELD):
            raise forms.ValidationError(_("Your booking could not be sent. Please try again."), code="honeypot")
        if not cleaned.get("email") and not cleaned.get("phone") and "email" not in self.errors:
            self.add_error("email", _("Give an email address or a phone number."))
        return cleaned

    @property
    def is_spam(self) -> bool:
        return any(error.code == "honeypot" for error in self.non_field_errors().as_data())

    @property
    def chosen_session(self) -> Session | None:
        key = self.cleaned_data.get("session")
        return self.sessions.get(key) if key else None


class OfferAnswerForm(DescribedFieldsMixin, forms.Form):
    """Accept an offered seat (or fewer of the seats offered)."""

    seats = forms.TypedChoiceField(label=_("Seats you take"), coerce=int)

    def __init__(self, *args: Any, offered: int, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("seats", offered)
        super().__init__(*args, **kwargs)
        self.fields["seats"].choices = [(n, str(n)) for n in range(offered, 0, -1)]  # type: ignore[attr-defined]
        self._describe_fields()
