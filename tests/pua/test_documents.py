"""Documents of a case: only PDF, JPEG and PNG up to 10 MB (recognised by content), kept in private
storage, downloaded through a scoped and audited view; emergency access reads but never uploads."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from aipim.core.models import AuditEvent
from pua.forms.documents import MAX_DOCUMENT_BYTES
from pua.models import Document
from pua.services.documents import upload_document
from pua.services.sharing import grant_break_glass
from tests.personas import PERSONAS

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 32

# The Irsina desk's case is seen by the Irsina desk's staff only.
CASE_MATRIX = [(persona, persona in {"caseworker_irsina", "supervisor_irsina"}) for persona in PERSONAS]


@pytest.fixture
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def document(case_irsina, caseworker_irsina) -> Document:
    return upload_document(
        case=case_irsina,
        upload=SimpleUploadedFile("permesso di soggiorno.pdf", PDF),
        content_type="application/pdf",
        description="residence permit",
        by=caseworker_irsina,
    )


def post_file(client, case, name: str, content: bytes):
    return client.post(
        reverse("pua:document_upload", args=[case.pk]),
        {"file": SimpleUploadedFile(name, content), "description": "scan"},
    )


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [("passport.pdf", PDF, "application/pdf"), ("photo.JPG", JPEG, "image/jpeg"), ("card.png", PNG, "image/png")],
)
def test_caseworker_uploads_pdf_jpeg_png(
    client_for, caseworker_irsina, case_irsina, private_storage_in_tmp, settings, name, content, content_type
):
    response = post_file(client_for(caseworker_irsina), case_irsina, name, content)
    assert response.status_code == 302
    document = Document.objects.get(case=case_irsina)
    assert (document.original_name, document.content_type, document.size) == (name, content_type, len(content))
    stored = private_storage_in_tmp / document.file.name
    assert stored.read_bytes() == content
    # A random stored name: neither the person's file name nor anything under the public media folder.
    assert name not in document.file.name
    assert not str(stored).startswith(str(settings.MEDIA_ROOT))
    assert AuditEvent.objects.filter(user=caseworker_irsina, action="document.upload", object_id=str(document.pk))


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("invoice.pdf", EXE, "Only PDF, JPEG and PNG files can be uploaded."),
        ("notes.txt", b"just some text", "Only PDF, JPEG and PNG files can be uploaded."),
        ("scan.pdf", PNG, "The file's name ends in “.pdf” but its content is PNG"),
        ("scan.png", PDF, "The file's name ends in “.png” but its content is PDF"),
        ("scan", JPEG, "The file's name ends in “–” but its content is JPG"),
    ],
)
def test_upload_is_checked_by_content_and_name(
    client_for, caseworker_irsina, case_irsina, english, name, content, message
):
    response = post_file(client_for(caseworker_irsina), case_irsina, name, content)
    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not Document.objects.exists()


def test_upload_over_10_mb_is_refused(client_for, caseworker_irsina, case_irsina, english):
    response = post_file(client_for(caseworker_irsina), case_irsina, "big.pdf", PDF + b"0" * MAX_DOCUMENT_BYTES)
    assert response.status_code == 400
    assert "the limit is 10 MB" in response.content.decode()
    assert not Document.objects.exists()


def test_upload_of_exactly_10_mb_is_accepted(client_for, caseworker_irsina, case_irsina):
    content = PDF + b"0" * (MAX_DOCUMENT_BYTES - len(PDF))
    response = post_file(client_for(caseworker_irsina), case_irsina, "big.pdf", content)
    assert response.status_code == 302
    assert Document.objects.get().size == MAX_DOCUMENT_BYTES


@pytest.mark.parametrize(("persona", "allowed"), CASE_MATRIX)
def test_upload_by_role_and_organisation(request, client_for, case_irsina, persona, allowed):
    client = client_for(request.getfixturevalue(persona))
    page = client.get(reverse("pua:document_upload", args=[case_irsina.pk]))
    response = post_file(client, case_irsina, "passport.pdf", PDF)
    if allowed:
        assert page.status_code == 200
        assert response.status_code == 302
        assert Document.objects.filter(case=case_irsina).count() == 1
    else:
        assert page.status_code in (403, 404)
        assert response.status_code in (403, 404)
        assert case_irsina.number not in page.content.decode()
        assert not Document.objects.exists()


@pytest.mark.parametrize(("persona", "allowed"), CASE_MATRIX)
def test_download_by_role_and_organisation(request, client_for, document, persona, allowed):
    user = request.getfixturevalue(persona)
    response = client_for(user).get(reverse("pua:document_download", args=[document.pk]))
    if allowed:
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment")
        assert "permesso di soggiorno.pdf" in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in response["Cache-Control"]
        assert AuditEvent.objects.filter(user=user, action="document.download", object_id=str(document.pk)).exists()
    else:
        assert response.status_code in (403, 404)
        assert not AuditEvent.objects.filter(action="document.download").exists()


def test_anonymous_download_goes_to_login(client, document):
    response = client.get(reverse("pua:document_download", args=[document.pk]))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_missing_file_is_404_not_500(client_for, caseworker_irsina, document, private_storage_in_tmp):
    (private_storage_in_tmp / document.file.name).unlink()
    response = client_for(caseworker_irsina).get(reverse("pua:document_download", args=[document.pk]))
    assert response.status_code == 404


def test_emergency_access_downloads_but_cannot_upload(client_for, caseworker_picerno, case_irsina, document):
    grant_break_glass(case=case_irsina, reason="Came to Picerno in crisis", by=caseworker_picerno)
    client = client_for(caseworker_picerno)
    response = client.get(reverse("pua:document_download", args=[document.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert post_file(client, case_irsina, "other.pdf", PDF).status_code == 403
    assert Document.objects.count() == 1


def test_case_partial_lists_documents(client_for, caseworker_irsina, document, case_irsina):
    from django.template.loader import render_to_string

    html = render_to_string("pua/case/_documents.html", {"case": case_irsina})
    assert "permesso di soggiorno.pdf" in html
    assert reverse("pua:document_download", args=[document.pk]) in html
    assert reverse("pua:document_upload", args=[case_irsina.pk]) in html
    read_only = render_to_string("pua/case/_documents.html", {"case": case_irsina, "can_write": False})
    assert reverse("pua:document_upload", args=[case_irsina.pk]) not in read_only


def test_case_page_shows_the_documents(client_for, caseworker_irsina, document, case_irsina):
    html = client_for(caseworker_irsina).get(reverse("pua:case_detail", args=[case_irsina.pk])).content.decode()
    assert reverse("pua:document_download", args=[document.pk]) in html
    assert reverse("pua:case_share_request", args=[case_irsina.pk]) in html
