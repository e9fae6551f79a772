"""The import service against the database: preview saves nothing, confirm writes all rows or none,
the same file twice adds nothing, a changed value updates its record, the mapping is remembered."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aipim.core.models import AuditEvent
from schools.importing import values
from schools.models import AttendanceRecord, BehaviourNote, ColumnMapping, RegisterImport, ResultRecord, Student
from schools.services import imports
from tests.schools.imports.conftest import ATTENDANCE_MAPPING, HEADER

ROWS = [
    HEADER,
    ["Uno", "A1", "03/02/2026", "A", "sì"],
    ["Due", "A2", "03/02/2026", "R", "no"],
    ["Tre", "A3", "04/02/2026", "2", ""],
]
Status = RegisterImport.Status


def preview_and_confirm(register_import, user, mapping=ATTENDANCE_MAPPING):
    imports.preview_import(register_import=register_import, mapping=mapping, by=user)
    return imports.confirm_import(register_import=register_import, by=user)


def test_upload_keeps_the_file_privately(upload, operator_school_potenza, school_potenza, private_storage_in_tmp):
    register_import = upload(school_potenza, operator_school_potenza, ROWS, name="C:\\exports\\assenze.csv")
    assert register_import.status == Status.UPLOADED
    assert register_import.original_name == "assenze.csv"
    assert "assenze" not in register_import.file.name
    assert (private_storage_in_tmp / register_import.file.name).exists()
    assert len(register_import.sha256) == 64
    assert AuditEvent.objects.filter(action="registerimport.upload", object_id=str(register_import.pk)).exists()


def test_only_operators_of_the_school_import(upload, operator_school_potenza, staff_school_matera, school_matera):
    with pytest.raises(PermissionDenied):
        upload(school_matera, operator_school_potenza, ROWS)
    with pytest.raises(PermissionDenied):
        upload(school_matera, staff_school_matera, ROWS)


def test_preview_counts_and_saves_nothing(upload, operator_school_potenza, school_potenza, pupils_potenza):
    register_import = upload(school_potenza, operator_school_potenza, ROWS)
    result = imports.preview_import(
        register_import=register_import, mapping=ATTENDANCE_MAPPING, by=operator_school_potenza
    )
    assert result == imports.Counts(total=3, new=3, changed=0, unchanged=0, errors=0)
    assert not AttendanceRecord.objects.exists()
    assert not ColumnMapping.objects.exists()
    register_import.refresh_from_db()
    assert register_import.status == Status.PREVIEWED and register_import.mapping == ATTENDANCE_MAPPING
    event = AuditEvent.objects.get(action="registerimport.preview")
    assert event.details == {"rows": 3, "new": 3, "changed": 0, "unchanged": 0, "errors": 0}


def test_confirm_writes_every_row_and_remembers_the_mapping(
    upload, operator_school_potenza, school_potenza, pupils_potenza, risk_calls
):
    register_import = preview_and_confirm(
        upload(school_potenza, operator_school_potenza, ROWS), operator_school_potenza
    )
    assert register_import.status == Status.DONE
    assert (register_import.rows_created, register_import.rows_unchanged, register_import.rows_done) == (3, 0, 3)
    records = {(r.student.register_id, r.date): r for r in AttendanceRecord.objects.select_related("student")}
    first = records[("A1", datetime.date(2026, 2, 3))]
    assert (first.status, first.justified, first.source_id) == ("absent", True, register_import.pk)
    third = records[("A3", datetime.date(2026, 2, 4))]
    assert (third.status, third.absent_hours) == ("absent", Decimal("2.0"))
    saved = ColumnMapping.objects.get(school=school_potenza, kind="attendance")
    assert saved.mapping == ATTENDANCE_MAPPING and saved.updated_by == operator_school_potenza
    assert risk_calls == [sorted(pupil.pk for pupil in pupils_potenza)]
    assert {event.action for event in AuditEvent.objects.filter(object_id=str(register_import.pk))} >= {
        "registerimport.upload",
        "registerimport.preview",
        "registerimport.confirm",
        "registerimport.import",
    }


def test_the_same_file_twice_adds_nothing(upload, operator_school_potenza, school_potenza, pupils_potenza, risk_calls):
    first = preview_and_confirm(upload(school_potenza, operator_school_potenza, ROWS), operator_school_potenza)
    again = upload(school_potenza, operator_school_potenza, ROWS)
    assert imports.same_file_imported(again) == first
    result = imports.preview_import(register_import=again, mapping=ATTENDANCE_MAPPING, by=operator_school_potenza)
    assert result == imports.Counts(total=3, new=0, changed=0, unchanged=3, errors=0)
    again = imports.confirm_import(register_import=again, by=operator_school_potenza)
    assert (again.status, again.rows_created, again.rows_unchanged) == (Status.DONE, 0, 3)
    assert AttendanceRecord.objects.count() == 3
    assert set(AttendanceRecord.objects.values_list("source_id", flat=True)) == {first.pk}
    assert len(risk_calls) == 1  # nothing written the second time: nothing to recompute


def test_a_changed_value_updates_its_record(
    upload, operator_school_potenza, school_potenza, pupils_potenza, risk_calls
):
    preview_and_confirm(upload(school_potenza, operator_school_potenza, ROWS), operator_school_potenza)
    changed_rows = [*ROWS[:2], ["Due", "A2", "03/02/2026", "A", "sì"], ROWS[3], ["Uno", "A1", "05/02/2026", "U", ""]]
    second = upload(school_potenza, operator_school_potenza, changed_rows)
    result = imports.preview_import(register_import=second, mapping=ATTENDANCE_MAPPING, by=operator_school_potenza)
    assert result == imports.Counts(total=4, new=1, changed=1, unchanged=2, errors=0)
    second = imports.confirm_import(register_import=second, by=operator_school_potenza)
    assert imports.counts(second) == imports.Counts(total=4, new=1, changed=1, unchanged=2, errors=0)
    record = AttendanceRecord.objects.get(student__register_id="A2", date=datetime.date(2026, 2, 3))
    assert (record.status, record.justified, record.source_id) == ("absent", True, second.pk)
    assert AttendanceRecord.objects.count() == 4
    a1, a2 = pupils_potenza[0].pk, pupils_potenza[1].pk
    assert risk_calls[-1] == sorted([a1, a2])


def test_errors_refuse_the_confirmation_and_nothing_is_saved(
    upload, operator_school_potenza, school_potenza, pupils_potenza, settings
):
    settings.LANGUAGE_CODE = "en"
    rows = [*ROWS[:2], ["X", "A999", "31/02/2026", "A", ""], ROWS[3]]
    register_import = upload(school_potenza, operator_school_potenza, rows)
    result = imports.preview_import(
        register_import=register_import, mapping=ATTENDANCE_MAPPING, by=operator_school_potenza
    )
    assert result == imports.Counts(total=3, new=2, changed=0, unchanged=0, errors=1)
    assert [error["message"] for error in imports.error_messages(register_import)] == [
        "Row 3: the date '31/02/2026' does not exist",
        "Row 3: no student with register id 'A999' at this school",
    ]
    with pytest.raises(imports.ImportRefused):
        imports.confirm_import(register_import=register_import, by=operator_school_potenza)
    assert not AttendanceRecord.objects.exists()
    assert not ColumnMapping.objects.exists()


def test_a_row_failing_in_the_database_midway_leaves_nothing(
    upload, operator_school_potenza, school_potenza, pupils_potenza, monkeypatch, risk_calls
):
    """Atomicity of the write itself: the third of five rows breaks a database constraint (hours
    below zero, which the checks would normally catch), and none of the five is saved."""
    real = values.parse_hours

    def lenient(raw):
        return Decimal("-1") if raw == "-1" else real(raw)

    monkeypatch.setattr(values, "parse_hours", lenient)
    rows = [
        ["Codice alunno", "Data", "Ore assenza"],
        ["A1", "02/02/2026", "1"],
        ["A2", "02/02/2026", "1"],
        ["A3", "02/02/2026", "-1"],
        ["A1", "03/02/2026", "2"],
        ["A2", "03/02/2026", "2"],
    ]
    register_import = upload(school_potenza, operator_school_potenza, rows)
    mapping = {"register_id": "Codice alunno", "date": "Data", "absent_hours": "Ore assenza"}
    register_import = preview_and_confirm(register_import, operator_school_potenza, mapping)
    assert register_import.status == Status.FAILED
    assert "nothing was saved" in register_import.failure or "nulla" in register_import.failure
    assert not AttendanceRecord.objects.exists()
    assert risk_calls == []


def test_the_write_checks_the_file_again(upload, operator_school_potenza, school_potenza, pupils_potenza, settings):
    """A pupil's register id changed between preview and confirm: the import fails, saving nothing."""
    settings.LANGUAGE_CODE = "en"
    register_import = upload(school_potenza, operator_school_potenza, ROWS)
    imports.preview_import(register_import=register_import, mapping=ATTENDANCE_MAPPING, by=operator_school_potenza)
    Student.objects.filter(register_id="A3").update(register_id="B3")
    register_import = imports.confirm_import(register_import=register_import, by=operator_school_potenza)
    assert register_import.status == Status.FAILED
    assert register_import.errors[0]["code"] == "no_student"
    assert not AttendanceRecord.objects.exists()


def test_saved_mapping_is_offered_next_time(
    upload, operator_school_potenza, school_potenza, pupils_potenza, risk_calls
):
    rows = [["Identificativo", "Quando", "Cosa"], ["A1", "03/02/2026", "A"]]
    mapping = {"register_id": "Identificativo", "date": "Quando", "status": "Cosa"}
    first = upload(school_potenza, operator_school_potenza, rows)
    headers = imports.file_headers(first)
    assert imports.initial_mapping(first, headers) == {}  # nothing to guess from these names
    preview_and_confirm(first, operator_school_potenza, mapping)
    second = upload(
        school_potenza,
        operator_school_potenza,
        [["Cosa", "Identificativo", "Quando"], ["A", "A2", "03/02/2026"]],
    )
    assert imports.initial_mapping(second, imports.file_headers(second)) == mapping


def test_results_from_a_windows_1252_file(upload, operator_school_potenza, school_potenza, pupils_potenza, risk_calls):
    rows = [
        ["Codice alunno", "Data", "Materia", "Voto", "Periodo"],
        ["A1", "03/02/2026", "Matematica", "4½", "1° quadrimestre"],
        ["A1", "03/02/2026", "Educazione civica", "6+", "1° quadrimestre"],
        ["A2", "2026-02-04", "Lingua inglese", "5-", ""],
    ]
    register_import = upload(school_potenza, operator_school_potenza, rows, kind="results", encoding="cp1252")
    mapping = {"register_id": "Codice alunno", "date": "Data", "subject": "Materia", "grade": "Voto", "term": "Periodo"}
    register_import = preview_and_confirm(register_import, operator_school_potenza, mapping)
    assert register_import.status == Status.DONE
    saved = {(r.subject, r.grade, r.is_core_subject, r.term) for r in ResultRecord.objects.all()}
    assert saved == {
        ("Matematica", Decimal("4.50"), True, "1° quadrimestre"),
        ("Educazione civica", Decimal("6.25"), False, "1° quadrimestre"),
        ("Lingua inglese", Decimal("4.75"), True, ""),
    }


def test_behaviour_notes_from_xlsx_are_encrypted_and_idempotent(
    upload, operator_school_potenza, school_potenza, pupils_potenza, risk_calls
):
    rows = [
        ["Registro note - 2B"],
        ["Codice alunno", "Data", "Nota disciplinare", "Gravità"],
        ["A1", datetime.datetime(2026, 2, 3), "Disturba ripetutamente la lezione", "lieve"],
        ["A2", 46057, "Esce dall'aula senza permesso", "grave"],
    ]
    mapping = {"register_id": "Codice alunno", "date": "Data", "text": "Nota disciplinare", "severity": "Gravità"}
    first = preview_and_confirm(
        upload(school_potenza, operator_school_potenza, rows, kind="behaviour", xlsx=True),
        operator_school_potenza,
        mapping,
    )
    assert first.status == Status.DONE and first.rows_created == 2
    note = BehaviourNote.objects.get(student__register_id="A2")
    assert (note.date, note.severity, note.text) == (
        datetime.date(2026, 2, 4),
        "serious",
        "Esce dall'aula senza permesso",
    )
    assert note.text_hash == values.note_hash("Esce dall'aula senza permesso")
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM schools_behaviournote WHERE id = %s", [note.pk])
        assert "aula" not in cursor.fetchone()[0]
    # The same notes again, one now marked serious: one change, nothing added.
    rows[2][3] = "grave"
    second = preview_and_confirm(
        upload(school_potenza, operator_school_potenza, rows, kind="behaviour", xlsx=True),
        operator_school_potenza,
        mapping,
    )
    assert imports.counts(second) == imports.Counts(total=2, new=0, changed=1, unchanged=1, errors=0)
    assert BehaviourNote.objects.count() == 2
    assert BehaviourNote.objects.get(student__register_id="A1").severity == "serious"


@pytest.mark.parametrize(
    ("xlsx", "updates"),
    [
        # Read row by row in Python: every 5 rows of 24, and at the end.
        pytest.param(True, 5, id="xlsx"),
        # Checked set-based by PostgreSQL in well under a second: once, when the file is checked.
        pytest.param(False, 1, id="csv"),
    ],
)
def test_large_files_run_in_the_task_with_progress(
    upload,
    operator_school_potenza,
    school_potenza,
    pupils_potenza,
    monkeypatch,
    risk_calls,
    django_capture_on_commit_callbacks,
    xlsx,
    updates,
):
    monkeypatch.setattr(imports, "LARGE_IMPORT_ROWS", 10)
    monkeypatch.setattr(imports, "PROGRESS_EVERY", 5)
    rows = [["Codice alunno", "Data", "Assenza"]]
    for day in range(1, 9):
        rows += [[f"A{n}", f"{day:02d}/02/2026", "A"] for n in (1, 2, 3)]
    register_import = upload(school_potenza, operator_school_potenza, rows, xlsx=xlsx)
    imports.preview_import(
        register_import=register_import,
        mapping={"register_id": "Codice alunno", "date": "Data", "status": "Assenza"},
        by=operator_school_potenza,
    )
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True) as callbacks:
        confirmed = imports.confirm_import(register_import=register_import, by=operator_school_potenza)
        assert confirmed.status == Status.CONFIRMED  # handed to the task, not written here
    assert len(callbacks) == 1
    progress_updates = [
        q["sql"] for q in queries if q["sql"].startswith('UPDATE "schools_registerimport" SET "rows_done"')
    ]
    assert len(progress_updates) == updates
    assert progress_updates[-1].startswith('UPDATE "schools_registerimport" SET "rows_done" = 24 ')
    register_import.refresh_from_db()
    assert (register_import.status, register_import.rows_done, register_import.rows_created) == (Status.DONE, 24, 24)
    assert AttendanceRecord.objects.count() == 24


def test_the_task_retries_a_database_outage_then_gives_up(
    upload, operator_school_potenza, school_potenza, pupils_potenza, monkeypatch
):
    from schools.tasks_imports import MAX_RETRIES, run_register_import

    register_import = upload(school_potenza, operator_school_potenza, ROWS)
    RegisterImport.objects.filter(pk=register_import.pk).update(status=Status.CONFIRMED)
    attempts = []

    def outage(*, import_id):
        attempts.append(import_id)
        raise imports.TransientImportError("server closed the connection unexpectedly")

    monkeypatch.setattr(imports, "run_import", outage)
    run_register_import.apply(args=[register_import.pk])
    register_import.refresh_from_db()
    assert len(attempts) == MAX_RETRIES + 1
    assert register_import.status == Status.FAILED and register_import.failure


def test_a_finished_import_is_not_run_twice(
    upload, operator_school_potenza, school_potenza, pupils_potenza, risk_calls
):
    register_import = preview_and_confirm(
        upload(school_potenza, operator_school_potenza, ROWS), operator_school_potenza
    )
    again = imports.run_import(import_id=register_import.pk)
    assert again.status == Status.DONE and AttendanceRecord.objects.count() == 3
    assert len(risk_calls) == 1


def test_risk_is_recomputed_by_the_early_warning_service(
    upload, operator_school_potenza, school_potenza, pupils_potenza
):
    pytest.importorskip("schools.services.risk")
    many_absences = [["Codice alunno", "Data", "Assenza"]]
    today = datetime.date.today()
    many_absences += [["A1", (today - datetime.timedelta(days=day)).strftime("%d/%m/%Y"), "A"] for day in range(1, 40)]
    register_import = upload(school_potenza, operator_school_potenza, many_absences)
    preview_and_confirm(
        register_import, operator_school_potenza, {"register_id": "Codice alunno", "date": "Data", "status": "Assenza"}
    )
    pupil = Student.objects.get(register_id="A1")
    assert pupil.risk_updated_at is not None


def test_imports_of_one_school_write_one_at_a_time(
    upload, operator_school_potenza, school_potenza, pupils_potenza, risk_calls
):
    """The write holds the school's import lock to the end of its transaction (here the test's), so a
    second import of the school waits for the first instead of meeting its rows half-written."""
    preview_and_confirm(upload(school_potenza, operator_school_potenza, ROWS), operator_school_potenza)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND classid = %s",
            [imports.IMPORT_LOCK],
        )
        assert cursor.fetchall() == [(school_potenza.pk,)]
