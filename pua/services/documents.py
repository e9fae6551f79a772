"""Documents of a case: stored in private storage under a random name, every upload audited."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from aipim.core import audit
from aipim.reports.storage import private_storage_proxy
from pua.models import Case, Document, document_path
from pua.services.sharing import require_write


def document_storage() -> Any:
    """The private storage as configured now. Document.file's own storage is resolved once at import
    (pua.models.private_storage returns the storage itself, not a lazy proxy), so a later change of
    STORAGES, as tests make, would not reach it; reads and writes of documents go through this."""
    return private_storage_proxy


@transaction.atomic
def upload_document(*, case: Case, upload: UploadedFile, content_type: str, description: str = "", by: Any) -> Document:
    """Store a file already checked by content (pua.forms.documents) and record it on the case."""
    require_write(by, case)
    # Browsers may send a path; keep the last part only, and never use it in the stored path.
    original_name = PurePath((upload.name or "document").replace("\\", "/")).name[:200]
    document = Document(
        case=case,
        original_name=original_name,
        content_type=content_type,
        size=upload.size or 0,
        description=description,
        uploaded_by=by,
    )
    document.file.name = document_storage().save(document_path(document, original_name), upload)
    document.save()
    audit.record(by, "document.upload", document, organisation=case.desk, case=case.pk, size=document.size)
    return document
