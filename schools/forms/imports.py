"""Forms of the register imports: the upload (size and type checked by content) and the mapping of
the file's columns to our fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from aipim.accounts.models import Role
from aipim.core.models import Organisation
from schools.importing.mapping import fields, mapping_problems
from schools.importing.readers import UnreadableFile, open_table
from schools.models import RegisterKind

MAX_IMPORT_BYTES = 25 * 1024 * 1024
NOT_IN_FILE = ""


class ImportUploadForm(forms.Form):
    school: forms.ModelChoiceField[Organisation] = forms.ModelChoiceField(
        queryset=Organisation.objects.none(), label=_("School"), empty_label=None
    )
    kind = forms.ChoiceField(label=_("What the file holds"), choices=RegisterKind.choices)
    file = forms.FileField(
        label=_("File"),
        help_text=_("A CSV or Excel (.xlsx) export of the electronic register, up to 25 MB."),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["school"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Organisation.objects.filter(pk__in=user.organisation_ids(Role.SCHOOL_OPERATOR)).order_by(
            "name"
        )
        if len(user.organisation_ids(Role.SCHOOL_OPERATOR)) == 1:
            field.widget = forms.HiddenInput()
            field.initial = next(iter(user.organisation_ids(Role.SCHOOL_OPERATOR)))
        # Set by clean_file: the file's bytes, read once.
        self.data_bytes = b""

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(
                _("The file is %(size)s; the limit is 25 MB: split it in parts."),
                params={"size": filesizeformat(upload.size)},
            )
        upload.seek(0)
        data = upload.read()
        try:
            table = open_table(data)
            table.close()
        except UnreadableFile as error:
            raise forms.ValidationError(str(error)) from None
        if len([header for header in table.headers if not header.startswith("#")]) < 2:
            raise forms.ValidationError(_("No row with column names was found at the top of the file."))
        self.data_bytes = data
        return upload


class MappingForm(forms.Form):
    """One choice per field of ours: which of the file's columns holds it."""

    def __init__(self, *args: Any, kind: str, headers: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        choices = [(NOT_IN_FILE, _("— not in the file —")), *((header, header) for header in headers)]
        for field in fields(kind):
            self.fields[field.name] = forms.ChoiceField(
                label=field.label,
                choices=choices,
                required=field.required,
                help_text=field.help_text,
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors:
            for problem in mapping_problems(self.kind, self.mapping_from(cleaned)):
                self.add_error(None, problem)
        return cleaned

    @staticmethod
    def mapping_from(cleaned: dict[str, Any]) -> dict[str, str]:
        return {name: header for name, header in cleaned.items() if header}

    @property
    def mapping(self) -> dict[str, str]:
        return self.mapping_from(self.cleaned_data)
