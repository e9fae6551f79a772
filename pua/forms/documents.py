"""Document upload: only PDF, JPEG and PNG up to 10 MB, recognised by their content."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024

# (magic bytes at the start of the file, content type, file name endings that agree with it)
DOCUMENT_KINDS = (
    (b"%PDF-", "application/pdf", (".pdf",)),
    (b"\xff\xd8\xff", "image/jpeg", (".jpg", ".jpeg")),
    (b"\x89PNG\r\n\x1a\n", "image/png", (".png",)),
)


def detect_content_type(upload: UploadedFile) -> str | None:
    """The content type read from the file's first bytes (the browser's claim is not trusted)."""
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    for magic, content_type, _endings in DOCUMENT_KINDS:
        if head.startswith(magic):
            return content_type
    return None


class DocumentUploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"), help_text=_("PDF, JPEG or PNG, up to 10 MB."), widget=forms.ClearableFileInput
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)

    # Set by clean_file: what the content says the file is.
    content_type = ""

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_DOCUMENT_BYTES:
            raise forms.ValidationError(
                _("The file is %(size)s; the limit is 10 MB."), params={"size": filesizeformat(upload.size)}
            )
        content_type = detect_content_type(upload)
        if content_type is None:
            raise forms.ValidationError(_("Only PDF, JPEG and PNG files can be uploaded."))
        ending = PurePath(upload.name or "").suffix.lower()
        expected = next(endings for _magic, kind, endings in DOCUMENT_KINDS if kind == content_type)
        if ending not in expected:
            raise forms.ValidationError(
                _("The file's name ends in “%(ending)s” but its content is %(kind)s: rename it or pick another file."),
                params={"ending": ending or "–", "kind": expected[0].lstrip(".").upper()},
            )
        self.content_type = content_type
        return upload
