"""The import pages: who may open what (role × organisation), the flow in the browser from upload to
confirmation, the progress block, and a history list whose queries do not grow with its length."""

from __future__ import annotations

import pytest
from django.urls import reverse

from aipim.accounts.models import Role
from aipim.core.models import AuditEvent
from schools.forms import imports as import_forms
from schools.models import AttendanceRecord, ColumnMapping, RegisterImport
from schools.services import imports
from tests.personas import PERSONAS
from tests.schools.imports.conftest import ATTENDANCE_MAPPING, HEADER
from tests.schools.imports.files import csv_bytes

ROWS = [
    HEADER,
    ["Uno", "A1", "03/02/2026", "A", "sì"],
    ["Due", "A2", "03/02/2026", "R", "no"],
    ["Tre", "A3", "04/02/2026", "2", ""],
]
Status = RegisterImport.Status


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def import_potenza(upload, operator_school_potenza, school_potenza, pupils_potenza):
    register_import = upload(school_potenza, operator_school_potenza, ROWS, name="assenze-potenza.csv")
    imports.preview_import(register_import=register_import, mapping=ATTENDANCE_MAPPING, by=operator_school_potenza)
    return register_import


@pytest.fixture
def operator_matera(make_member, school_matera):
    return make_member(Role.SCHOOL_OPERATOR, school_matera, email="operator.matera@example.org")


@pytest.fixture
def import_matera(upload, operator_matera, school_matera, pupil_matera):
    register_import = upload(school_matera, operator_matera, ROWS[:2], name="assenze-matera.csv")
    imports.preview_import(register_import=register_import, mapping=ATTENDANCE_MAPPING, by=operator_matera)
    return register_import


# persona -> expected status of (list, detail of Potenza's import, its columns page, upload page, confirm)
EXPECTED = {
    "operator_school_potenza": (200, 200, 200, 200, 302),
    "staff_school_matera": (200, 404, 403, 403, 403),
}
NO_ACCESS = (403, 403, 403, 403, 403)


@pytest.mark.parametrize("persona", PERSONAS)
def test_role_and_organisation_on_every_import_page(persona, request, client_for, import_potenza, risk_calls):
    user = request.getfixturevalue(persona)
    client = client_for(user)
    expected = EXPECTED.get(persona, NO_ACCESS)
    pk = import_potenza.pk
    got = (
        client.get(reverse("schools:import_list")).status_code,
        client.get(reverse("schools:import_detail", args=[pk])).status_code,
        client.get(reverse("schools:import_mapping", args=[pk])).status_code,
        client.get(reverse("schools:import_upload")).status_code,
        client.post(reverse("schools:import_confirm", args=[pk])).status_code,
    )
    assert got == expected
    import_potenza.refresh_from_db()
    assert (import_potenza.status == Status.DONE) == (persona == "operator_school_potenza")


def test_the_list_shows_the_users_schools_only(
    client_for, operator_school_potenza, staff_school_matera, import_potenza, import_matera
):
    page = client_for(operator_school_potenza).get(reverse("schools:import_list")).content.decode()
    assert "assenze-potenza.csv" in page and "assenze-matera.csv" not in page
    page = client_for(staff_school_matera).get(reverse("schools:import_list")).content.decode()
    assert "assenze-matera.csv" in page and "assenze-potenza.csv" not in page
    assert "Import a file" not in page  # staff look, operators import


def test_staff_see_their_schools_import_but_cannot_act_on_it(
    client_for, staff_school_matera, operator_school_potenza, import_matera
):
    client = client_for(staff_school_matera)
    page = client.get(reverse("schools:import_detail", args=[import_matera.pk]))
    assert page.status_code == 200
    assert "Confirm the import" not in page.content.decode()
    assert client.post(reverse("schools:import_confirm", args=[import_matera.pk])).status_code == 403
    assert (
        client_for(operator_school_potenza).get(reverse("schools:import_detail", args=[import_matera.pk])).status_code
        == 404
    )
    assert AuditEvent.objects.filter(
        user=staff_school_matera, action="registerimport.view", object_id=str(import_matera.pk)
    ).exists()


def test_from_upload_to_confirmation_in_the_browser(
    client_for, operator_school_potenza, school_potenza, pupils_potenza, risk_calls
):
    client = client_for(operator_school_potenza)
    rows = [*ROWS, ["Quattro", "A9", "04/02/2026", "A", ""]]
    upload = _file("assenze.csv", csv_bytes(rows, bom=True))
    response = client.post(
        reverse("schools:import_upload"), {"school": school_potenza.pk, "kind": "attendance", "file": upload}
    )
    assert response.status_code == 302
    register_import = RegisterImport.objects.get()
    assert response["Location"] == reverse("schools:import_mapping", args=[register_import.pk])

    # The columns are guessed from their names; the first rows of the file are shown to check them.
    page = client.get(response["Location"])
    form = page.context["form"]
    assert {name: form.initial.get(name) for name in ATTENDANCE_MAPPING} == ATTENDANCE_MAPPING
    assert "Uno" in page.content.decode()

    response = client.post(reverse("schools:import_mapping", args=[register_import.pk]), ATTENDANCE_MAPPING)
    assert response.status_code == 302
    page = client.get(reverse("schools:import_detail", args=[register_import.pk]))
    text = page.content.decode()
    assert "no student with register id &#x27;A9&#x27; at this school" in text
    assert "Confirm the import" not in text
    assert page.context["counts"] == imports.Counts(total=4, new=3, changed=0, unchanged=0, errors=1)
    assert [row.state for row in page.context["sample"]] == ["new", "new", "new"]
    assert [row.name_in_file for row in page.context["sample"]] == ["Uno", "Due", "Tre"]
    assert '<th scope="row">5</th>' in text
    # Refused even when posted by hand.
    client.post(reverse("schools:import_confirm", args=[register_import.pk]))
    assert not AttendanceRecord.objects.exists()

    # The operator fixes the file and uploads it again: the saved guess is offered, one click to preview.
    upload = _file("assenze.csv", csv_bytes(ROWS, bom=True))
    client.post(reverse("schools:import_upload"), {"school": school_potenza.pk, "kind": "attendance", "file": upload})
    fixed = RegisterImport.objects.latest("pk")
    client.post(reverse("schools:import_mapping", args=[fixed.pk]), ATTENDANCE_MAPPING)
    page = client.get(reverse("schools:import_detail", args=[fixed.pk]))
    assert "Confirm the import of 3 rows" in page.content.decode()
    response = client.post(reverse("schools:import_confirm", args=[fixed.pk]), follow=True)
    assert "The import is done." in response.content.decode()
    assert AttendanceRecord.objects.count() == 3
    assert ColumnMapping.objects.get(school=school_potenza).mapping == ATTENDANCE_MAPPING


def test_a_wrong_mapping_is_fixed_on_the_columns_page(
    client_for, operator_school_potenza, school_potenza, pupils_potenza, upload, risk_calls
):
    register_import = upload(school_potenza, operator_school_potenza, ROWS)
    client = client_for(operator_school_potenza)
    wrong = {**ATTENDANCE_MAPPING, "date": "Assenza", "status": "Data"}
    client.post(reverse("schools:import_mapping", args=[register_import.pk]), wrong)
    register_import.refresh_from_db()
    assert imports.counts(register_import).errors == 3
    assert (
        "&#x27;A&#x27; is not a date"
        in client.get(reverse("schools:import_detail", args=[register_import.pk])).content.decode()
    )
    page = client.get(reverse("schools:import_mapping", args=[register_import.pk]))
    assert page.context["form"].initial["date"] == "Assenza"  # the last choice, to be corrected
    client.post(reverse("schools:import_mapping", args=[register_import.pk]), ATTENDANCE_MAPPING)
    register_import.refresh_from_db()
    assert imports.counts(register_import).errors == 0
    client.post(reverse("schools:import_confirm", args=[register_import.pk]))
    assert AttendanceRecord.objects.count() == 3


def test_the_columns_form_refuses_an_unusable_mapping(
    client_for, operator_school_potenza, school_potenza, pupils_potenza, upload
):
    register_import = upload(school_potenza, operator_school_potenza, ROWS)
    response = client_for(operator_school_potenza).post(
        reverse("schools:import_mapping", args=[register_import.pk]),
        {"register_id": "Codice alunno", "date": "Data", "status": "Data"},
    )
    assert response.status_code == 400
    assert "one field only" in response.content.decode()
    register_import.refresh_from_db()
    assert register_import.status == Status.UPLOADED


@pytest.mark.parametrize(
    ("name", "content", "phrase"),
    [
        ("assenze.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "Only CSV and Excel"),
        ("assenze.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "old Excel file"),
        ("assenze.csv", b"solo una riga senza colonne\n", "No row with column names"),
    ],
)
def test_upload_checks_the_content(client_for, operator_school_potenza, school_potenza, name, content, phrase):
    response = client_for(operator_school_potenza).post(
        reverse("schools:import_upload"),
        {"school": school_potenza.pk, "kind": "attendance", "file": _file(name, content)},
    )
    assert response.status_code == 400
    assert phrase in response.content.decode()
    assert not RegisterImport.objects.exists()


def test_upload_size_limit(client_for, operator_school_potenza, school_potenza, monkeypatch):
    monkeypatch.setattr(import_forms, "MAX_IMPORT_BYTES", 100)
    response = client_for(operator_school_potenza).post(
        reverse("schools:import_upload"),
        {"school": school_potenza.pk, "kind": "attendance", "file": _file("a.csv", csv_bytes(ROWS * 5))},
    )
    assert response.status_code == 400 and "the limit is 25 MB" in response.content.decode()


def test_an_operator_cannot_upload_for_another_school(client_for, operator_school_potenza, school_matera):
    response = client_for(operator_school_potenza).post(
        reverse("schools:import_upload"),
        {"school": school_matera.pk, "kind": "attendance", "file": _file("a.csv", csv_bytes(ROWS))},
    )
    assert response.status_code == 400
    assert not RegisterImport.objects.exists()


def test_progress_block_is_polled_while_running(client_for, operator_school_potenza, import_potenza):
    RegisterImport.objects.filter(pk=import_potenza.pk).update(status=Status.RUNNING, rows_done=2)
    client = client_for(operator_school_potenza)
    url = reverse("schools:import_detail", args=[import_potenza.pk])
    block = client.get(url, headers={"HX-Request": "true"})
    text = block.content.decode()
    assert 'hx-trigger="every 2s"' in text and "Rows checked: 2 of 3" in text
    assert "<html" not in text
    RegisterImport.objects.filter(pk=import_potenza.pk).update(status=Status.FAILED, failure="The import stopped.")
    text = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in text and "The import stopped." in text


def test_history_list_queries_do_not_grow(
    client_for, operator_school_potenza, school_potenza, upload, django_assert_max_num_queries
):
    client = client_for(operator_school_potenza)
    url = reverse("schools:import_list")
    upload(school_potenza, operator_school_potenza, ROWS)
    client.get(url)  # session and user loaded once
    with django_assert_max_num_queries(8) as few:
        client.get(url)
    for _ in range(30):
        upload(school_potenza, operator_school_potenza, ROWS)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url, {"school": school_potenza.pk, "page": 2})
    assert response.status_code == 200 and len(response.context["page"]) == 6


def _file(name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="text/csv")
