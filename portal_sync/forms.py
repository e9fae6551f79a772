"""Forms of Action 3: the editors' inbox filters, an item's translations, withdrawing an item, and
the admin's endpoint form (credentials write-only)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from portal_sync.models import ContentItem, Endpoint, ItemKind, ItemState
from portal_sync.services.editorial import LANGUAGES

LANGUAGE_NAMES = {"it": _("Italian"), "en": _("English"), "fr": _("French"), "ar": _("Arabic")}


class InboxFilterForm(forms.Form):
    """Filters of the editors' inbox. Items are public information, so the search may sit in the URL."""

    state = forms.ChoiceField(label=_("State"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    source = forms.ModelChoiceField(label=_("Source"), queryset=Endpoint.objects.none(), required=False)
    q = forms.CharField(
        label=_("Title contains"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [("", _("Every state")), *ItemState.choices]  # type: ignore[attr-defined]
        self.fields["kind"].choices = [("", _("Every kind")), *ItemKind.choices]  # type: ignore[attr-defined]
        source = self.fields["source"]
        source.queryset = Endpoint.objects.filter(direction="pull").order_by("title")  # type: ignore[attr-defined]
        source.empty_label = _("Every source")  # type: ignore[attr-defined]

    def filter(self, items: QuerySet[ContentItem]) -> QuerySet[ContentItem]:
        if not self.is_valid():
            return items
        data = self.cleaned_data
        if data["state"]:
            items = items.filter(state=data["state"])
        if data["kind"]:
            items = items.filter(kind=data["kind"])
        if data["source"]:
            items = items.filter(endpoint=data["source"])
        if text := data["q"].strip():
            items = items.filter(
                Q(title_it__icontains=text)
                | Q(title_en__icontains=text)
                | Q(title_fr__icontains=text)
                | Q(title_ar__icontains=text)
            )
        return items


def _text_widget(code: str, *, long: bool) -> forms.Widget:
    attrs = {"lang": code, "dir": "rtl" if code == "ar" else "ltr", "class": "form-control"}
    if long:
        return forms.Textarea(attrs={**attrs, "rows": 4})
    return forms.TextInput(attrs=attrs)


class TextsForm(forms.Form):
    """The item's title and summary in every language of the portal (Arabic written right to left)."""

    def __init__(self, *args: Any, item: ContentItem, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                f"{name}_{code}": getattr(item, f"{name}_{code}") or ""
                for name in ("title", "summary")
                for code in LANGUAGES
            },
        )
        super().__init__(*args, **kwargs)
        for code in LANGUAGES:
            language = LANGUAGE_NAMES[code]
            self.fields[f"title_{code}"] = forms.CharField(
                label=_("Title (%(language)s)") % {"language": language},
                max_length=500,
                required=code == "it",
                widget=_text_widget(code, long=False),
            )
            self.fields[f"summary_{code}"] = forms.CharField(
                label=_("Summary (%(language)s)") % {"language": language},
                required=False,
                widget=_text_widget(code, long=True),
            )

    def languages(self) -> list[dict[str, Any]]:
        """The fields grouped by language, for the template."""
        return [
            {
                "code": code,
                "name": LANGUAGE_NAMES[code],
                "title": self[f"title_{code}"],
                "summary": self[f"summary_{code}"],
            }
            for code in LANGUAGES
        ]


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is it withdrawn?"),
        max_length=300,
        help_text=_("Kept with the item, for the other editors."),
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )


class EndpointAdminForm(forms.ModelForm):
    """Credentials are write-only: the input is always empty, an empty input keeps what is stored,
    and "forget" removes it. The clear value is never sent back to the browser."""

    credentials = forms.CharField(
        label=_("Credentials"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_('A token, or "user:password". Leave empty to keep the credentials already stored.'),
    )
    url = forms.URLField(label=_("address"), max_length=500, assume_scheme="https")
    forget_credentials = forms.BooleanField(label=_("Remove the stored credentials"), required=False)

    class Meta:
        model = Endpoint
        fields = [
            "name",
            "title",
            "adapter",
            "direction",
            "url",
            "credentials",
            "options",
            "item_kind",
            "interval_minutes",
            "enabled",
            "max_attempts",
            "timeout_seconds",
            "next_run_at",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stored_credentials = self.instance.credentials if self.instance.pk else None
        self.initial["credentials"] = ""
        if self.stored_credentials:
            self.fields["credentials"].help_text = _(
                "Credentials are set. Leave empty to keep them; type new ones to replace them."
            )
        else:
            self.fields["credentials"].help_text = _('Not set. A token, or "user:password".')

    def clean_credentials(self) -> str | None:
        value: str = self.cleaned_data.get("credentials") or ""
        return value or self.stored_credentials

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # forget_credentials is cleaned after credentials (field order): apply it here.
        if data.get("forget_credentials"):
            data["credentials"] = None
        return data
