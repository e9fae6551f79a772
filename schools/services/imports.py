"""Imports from electronic registers: upload → mapping → preview (nothing saved) → confirm → one
atomic, idempotent write.

The file is kept in private storage and read again at each step (the preview and the write check it
in full), so the write sees the school's students as they are when it runs. Checking leaves the
valid records in a temporary table (a CSV of attendance or results is checked there by PostgreSQL,
schools.importing.staging; other files row by row in Python, then COPYed in). Records are written by
their natural key (attendance: student + date; results: student + subject + date; behaviour notes:
student + date + text hash): unchanged ones are left alone, changed ones updated, new ones inserted,
one import of a school at a time. So the same file twice adds nothing, and a changed value updates
its record. Files over LARGE_IMPORT_ROWS rows are written by a Celery task that reports its progress
in RegisterImport.rows_done."""

from __future__ import annotations

import hashlib
import io
import itertools
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import DatabaseError, InterfaceError, OperationalError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aipim.accounts.models import Role
from aipim.core import audit
from aipim.core.storage import private_storage_proxy
from schools.importing import staging
from schools.importing.mapping import mapping_problems, usable_saved_mapping
from schools.importing.readers import open_table
from schools.importing.staging import STAGE, Checked
from schools.importing.validation import Validated, record_dict, validate
from schools.importing.values import describe
from schools.importing.values import text as cell_text
from schools.models import (
    AttendanceRecord,
    BehaviourNote,
    ColumnMapping,
    RegisterImport,
    RegisterKind,
    ResultRecord,
    Student,
    register_import_path,
)

logger = logging.getLogger(__name__)

# Above this many rows the write goes to a Celery task, with progress on the import's page.
LARGE_IMPORT_ROWS = 5_000
PROGRESS_EVERY = 2_000
SAMPLE_ROWS = 20
# Imports of one school write one at a time (pg_advisory_xact_lock(IMPORT_LOCK, school id)).
IMPORT_LOCK = 0x5C4_0_1A7
Status = RegisterImport.Status


class ImportRefused(Exception):
    """A step the import cannot take now; the message is fit for the operator."""


class TransientImportError(Exception):
    """The database went away or a lock could not be had: the task tries again later."""


# --- who may do what ---------------------------------------------------------------------------


def can_import(user: Any, school_id: int) -> bool:
    """Help-desk operators of the school import; school staff may only look."""
    return school_id in user.organisation_ids(Role.SCHOOL_OPERATOR)


def require_operator(user: Any, school_id: int) -> None:
    if not can_import(user, school_id):
        raise PermissionDenied


# --- the stored file ---------------------------------------------------------------------------


def import_storage() -> Any:
    """Private storage as configured now (tests move it), like pua.services.documents."""
    return private_storage_proxy


def read_file(register_import: RegisterImport) -> bytes:
    with import_storage().open(register_import.file.name, "rb") as handle:
        data: bytes = handle.read()
    return data


def file_headers(register_import: RegisterImport) -> list[str]:
    table = open_table(read_file(register_import))
    table.close()
    return table.headers


def students_by_register_id(school_id: int) -> dict[str, int]:
    """{register id: student id} of every pupil of the school who has one (those who left too:
    their past records may still come in an export)."""
    return dict(Student.objects.filter(school_id=school_id).exclude(register_id="").values_list("register_id", "pk"))


def validate_file(
    register_import: RegisterImport,
    mapping: Mapping[str, str] | None = None,
    *,
    progress: Callable[[int], None] | None = None,
) -> Validated:
    table = open_table(read_file(register_import))
    try:
        return validate(
            register_import.kind,
            table,
            mapping if mapping is not None else register_import.mapping,
            students_by_register_id(register_import.school_id),
            today=timezone.localdate(),
            progress=progress,
            progress_every=PROGRESS_EVERY,
        )
    finally:
        table.close()


def check_file(
    register_import: RegisterImport,
    mapping: Mapping[str, str] | None = None,
    *,
    encrypt: bool,
    progress: Callable[[int], None] | None = None,
) -> Checked:
    """Check every row of the file and put its valid records in the temporary table STAGE (drop it
    with staging.drop_tables, see `_checked`). A CSV of attendance or results is checked by
    PostgreSQL (staging.stage_csv); any other file row by row in Python, then COPYed there."""
    mapping = mapping if mapping is not None else register_import.mapping
    with transaction.atomic():
        checked = staging.stage_csv(
            read_file(register_import),
            register_import.kind,
            mapping,
            lambda: students_by_register_id(register_import.school_id),
            today=timezone.localdate(),
        )
        if checked is not None:
            if progress is not None:
                progress(checked.rows_total)
            return checked
    validated = validate_file(register_import, mapping, progress=progress)
    with transaction.atomic():
        _stage(register_import.kind, validated, encrypt=encrypt)
    return Checked(
        validated.kind,
        rows_total=validated.rows_total,
        error_rows=validated.error_rows,
        errors=validated.errors,
        repeated=validated.repeated,
        records=len(validated.records),
    )


@contextmanager
def _checked(
    register_import: RegisterImport,
    mapping: Mapping[str, str] | None = None,
    *,
    encrypt: bool,
    progress: Callable[[int], None] | None = None,
) -> Iterator[Checked]:
    """check_file, with its temporary tables dropped at the end (a worker's connection lives on)."""
    try:
        yield check_file(register_import, mapping, encrypt=encrypt, progress=progress)
    finally:
        try:
            staging.drop_tables()
        except DatabaseError:  # the connection is gone or its transaction failed: the tables go with it
            logger.info("Temporary import tables not dropped", exc_info=True)


# --- counts and errors as kept on the import ----------------------------------------------------


@dataclass(frozen=True)
class Counts:
    total: int
    new: int
    changed: int
    unchanged: int
    errors: int


def error_rows(errors: Iterable[Mapping[str, Any]]) -> int:
    rows: set[int] = set()
    more = 0
    for error in errors:
        if error.get("code") == "more_errors":
            more += int(error["params"]["count"])
        elif error.get("row") is not None:
            rows.add(error["row"])
    return len(rows) + more


def counts(register_import: RegisterImport) -> Counts:
    """What the preview found, or what the import did: each row of the file in one of four groups."""
    errors = error_rows(register_import.errors)
    new, unchanged = register_import.rows_created, register_import.rows_unchanged
    changed = max(0, register_import.rows_total - new - unchanged - errors)
    return Counts(register_import.rows_total, new, changed, unchanged, errors)


def stored_errors(validated: Validated | Checked) -> list[dict[str, Any]]:
    """The errors kept with the import; rows beyond those kept are counted in one last entry."""
    errors = [error.as_dict() for error in validated.errors]
    more = validated.error_rows - len({error.row for error in validated.errors})
    if more > 0:
        params = {"count": str(more)}
        errors.append(
            {
                "row": None,
                "column": "",
                "code": "more_errors",
                "params": params,
                "message": describe("more_errors", params),
            }
        )
    return errors


def error_messages(register_import: RegisterImport) -> list[dict[str, Any]]:
    """The kept errors, each said again in the reader's language (`problem`: without the row number)."""
    said = []
    for error in register_import.errors:
        if error.get("code"):
            params = error.get("params", {})
            error = {
                **error,
                "message": describe(error["code"], params, error.get("row")),
                "problem": describe(error["code"], params),
            }
        said.append(error)
    return said


# --- steps ---------------------------------------------------------------------------------------


@transaction.atomic
def upload_import(*, school: Any, kind: str, data: bytes, original_name: str, by: Any) -> RegisterImport:
    """Keep an uploaded file (already checked by content, schools.forms.imports) for its preview."""
    require_operator(by, school.pk)
    if kind not in RegisterKind.values:
        raise ImportRefused(_("Unknown kind of import."))
    # Browsers may send a path; keep the last part only, and never use it in the stored path.
    name = PurePath((original_name or "register").replace("\\", "/")).name[:200]
    register_import = RegisterImport(
        school=school,
        kind=kind,
        original_name=name,
        sha256=hashlib.sha256(data).hexdigest(),
        created_by=by,
    )
    register_import.file.name = import_storage().save(register_import_path(register_import, name), ContentFile(data))
    register_import.save()
    audit.record(by, "registerimport.upload", register_import, organisation=school, size=len(data), kind=kind)
    return register_import


def initial_mapping(register_import: RegisterImport, headers: list[str]) -> dict[str, str]:
    """The mapping to offer: the one chosen for this import, else the school's saved one (where its
    columns are in this file), completed by the guess from the header names."""
    if register_import.mapping:
        return usable_saved_mapping(register_import.kind, register_import.mapping, headers)
    saved = ColumnMapping.objects.filter(school_id=register_import.school_id, kind=register_import.kind).first()
    return usable_saved_mapping(register_import.kind, saved.mapping if saved else None, headers)


def same_file_imported(register_import: RegisterImport) -> RegisterImport | None:
    """An earlier import of the very same file at this school, if any (importing it again adds nothing)."""
    return (
        RegisterImport.objects.filter(
            school_id=register_import.school_id, sha256=register_import.sha256, status=Status.DONE
        )
        .exclude(pk=register_import.pk)
        .order_by("-finished_at")
        .first()
    )


def preview_import(*, register_import: RegisterImport, mapping: Mapping[str, str], by: Any) -> Counts:
    """Check every row with `mapping` and count what the import would do; nothing is saved but the
    mapping, the counts and the errors on the import itself."""
    require_operator(by, register_import.school_id)
    if register_import.status not in (Status.UPLOADED, Status.PREVIEWED):
        raise ImportRefused(_("This import has already been confirmed."))
    mapping = {name: header for name, header in mapping.items() if header}
    problems = mapping_problems(register_import.kind, mapping)
    if problems:
        raise ImportRefused(" ".join(problems))
    with _checked(register_import, mapping, encrypt=False) as checked, transaction.atomic():
        new, changed = _compare(register_import.kind, checked)
        register_import.mapping = mapping
        register_import.status = Status.PREVIEWED
        register_import.rows_total = checked.rows_total
        register_import.rows_done = 0
        register_import.rows_created = new
        register_import.rows_unchanged = checked.records - new - changed + checked.repeated
        register_import.errors = stored_errors(checked)
        register_import.failure = ""
        register_import.save()
        result = counts(register_import)
        audit.record(
            by, "registerimport.preview", register_import, organisation=register_import.school, **_audit(result)
        )
    return result


def confirm_import(*, register_import: RegisterImport, by: Any) -> RegisterImport:
    """Save the mapping for the school and run the import: here for a small file, in a Celery task for
    a large one. Refused while the preview shows errors."""
    with transaction.atomic():
        locked = RegisterImport.objects.select_for_update().get(pk=register_import.pk)
        require_operator(by, locked.school_id)
        if locked.status != Status.PREVIEWED:
            raise ImportRefused(_("Only an import that has been previewed, and not yet confirmed, can be confirmed."))
        if locked.errors:
            raise ImportRefused(
                _("The preview found rows with errors: correct the file or the columns, then preview it again.")
            )
        ColumnMapping.objects.update_or_create(
            school_id=locked.school_id, kind=locked.kind, defaults={"mapping": locked.mapping, "updated_by": by}
        )
        locked.status = Status.CONFIRMED
        locked.confirmed_by = by
        locked.confirmed_at = timezone.now()
        locked.save(update_fields=["status", "confirmed_by", "confirmed_at"])
        audit.record(by, "registerimport.confirm", locked, organisation=locked.school, **_audit(counts(locked)))
        large = locked.rows_total > LARGE_IMPORT_ROWS
        if large:
            from schools.tasks_imports import run_register_import

            transaction.on_commit(lambda: run_register_import.delay(locked.pk))
    if not large:
        return run_import(import_id=locked.pk)
    return locked


def run_import(*, import_id: int) -> RegisterImport:
    """Check the file again and write all its records in one transaction, or none. Idempotent: a
    second run of a finished import does nothing. Database outages raise TransientImportError (the
    task retries); any other failure is kept on the import (status failed, with the reason)."""
    with transaction.atomic():
        register_import = RegisterImport.objects.select_for_update().get(pk=import_id)
        if register_import.status not in (Status.CONFIRMED, Status.RUNNING):
            return register_import
        register_import.status = Status.RUNNING
        register_import.rows_done = 0
        register_import.failure = ""
        register_import.save(update_fields=["status", "rows_done", "failure"])

    def progress(rows: int) -> None:
        # Outside the write's transaction, so that the page sees it while the file is read.
        RegisterImport.objects.filter(pk=import_id).update(rows_done=rows)

    try:
        with _checked(register_import, encrypt=True, progress=progress) as checked:
            if not checked.ok:
                return _fail(
                    import_id,
                    _(
                        "The file no longer passes the checks (students may have changed since the preview); nothing was saved."
                    ),
                    errors=stored_errors(checked),
                )
            with transaction.atomic():
                locked = RegisterImport.objects.select_for_update().get(pk=import_id)
                if locked.status == Status.DONE:  # another worker finished it meanwhile
                    return locked
                created, updated, touched = _write(
                    locked.kind, checked, school_id=locked.school_id, source_id=import_id
                )
                locked.status = Status.DONE
                locked.rows_total = checked.rows_total
                locked.rows_done = checked.rows_total
                locked.rows_created = created
                locked.rows_unchanged = checked.records - created - updated + checked.repeated
                locked.errors = []
                locked.finished_at = timezone.now()
                locked.save()
                audit.record(
                    locked.confirmed_by,
                    "registerimport.import",
                    locked,
                    organisation=locked.school,
                    **_audit(counts(locked)),
                )
    except (OperationalError, InterfaceError) as error:
        logger.warning("Register import %s interrupted, to be retried: %s", import_id, error)
        raise TransientImportError(str(error)) from error
    except Exception as error:
        logger.exception("Register import %s failed", import_id)
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        return _fail(import_id, _("The import stopped and nothing was saved: %(error)s") % {"error": first_line})
    if touched:
        _recompute_risk(touched)
    return locked


def mark_failed(*, import_id: int, reason: str) -> RegisterImport:
    """For the task, when it gives up retrying."""
    return _fail(import_id, reason)


def _fail(import_id: int, reason: str, errors: list[dict[str, Any]] | None = None) -> RegisterImport:
    with transaction.atomic():
        register_import = RegisterImport.objects.select_for_update().get(pk=import_id)
        register_import.status = Status.FAILED
        register_import.failure = reason
        register_import.finished_at = timezone.now()
        fields = ["status", "failure", "finished_at"]
        if errors is not None:
            register_import.errors = errors
            fields.append("errors")
        register_import.save(update_fields=fields)
        audit.record(
            register_import.confirmed_by, "registerimport.fail", register_import, organisation=register_import.school
        )
    return register_import


def _recompute_risk(student_ids: Iterable[int]) -> None:
    """The early warning follows every import. The import is done whatever happens here: a failure
    is logged, and the nightly run recomputes everyone anyway."""
    from schools.services.risk import recompute_students

    try:
        recompute_students(student_ids=sorted(student_ids))
    except Exception:
        logger.exception("Risk recomputation after an import failed")


def _audit(result: Counts) -> dict[str, Any]:
    return {
        "rows": result.total,
        "new": result.new,
        "changed": result.changed,
        "unchanged": result.unchanged,
        "errors": result.errors,
    }


# --- the bulk SQL ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    table: str
    # (column, SQL type) of the staging table, in the order of validation.RECORD_COLUMNS.
    columns: tuple[tuple[str, str], ...]
    key: tuple[str, ...]
    compared: tuple[str, ...]  # a difference in these is a change
    updated: tuple[str, ...]  # written on a change


TARGETS = {
    RegisterKind.ATTENDANCE: Target(
        AttendanceRecord._meta.db_table,
        (
            ("student_id", "bigint"),
            ("date", "date"),
            ("status", "varchar(10)"),
            ("absent_hours", "numeric(4,1)"),
            ("justified", "boolean"),
        ),
        ("student_id", "date"),
        ("status", "absent_hours", "justified"),
        ("status", "absent_hours", "justified"),
    ),
    RegisterKind.RESULTS: Target(
        ResultRecord._meta.db_table,
        (
            ("student_id", "bigint"),
            ("date", "date"),
            ("subject", "varchar(80)"),
            ("grade", "numeric(4,2)"),
            ("is_core_subject", "boolean"),
            ("term", "varchar(20)"),
        ),
        ("student_id", "subject", "date"),
        ("grade", "is_core_subject", "term"),
        ("grade", "is_core_subject", "term"),
    ),
    RegisterKind.BEHAVIOUR: Target(
        BehaviourNote._meta.db_table,
        (
            ("student_id", "bigint"),
            ("date", "date"),
            ("severity", "varchar(8)"),
            ("text", "text"),
            ("text_hash", "varchar(64)"),
        ),
        ("student_id", "date", "text_hash"),
        ("severity",),
        ("severity", "text"),
    ),
}


def _copy_text(kind: str, records: Iterable[tuple[Any, ...]], *, encrypt: bool) -> io.StringIO:
    """The records as COPY text. Attendance, the bulk of any register, takes a faster path."""
    buffer = io.StringIO()
    if kind == RegisterKind.ATTENDANCE:
        buffer.writelines(
            f"{student}\t{date}\t{status}\t{hours}\t{'t' if justified else 'f'}\n"
            for student, date, status, hours, justified in records
        )
    else:
        text_field = BehaviourNote._meta.get_field("text")
        for record in records:
            values = list(record)
            if kind == RegisterKind.BEHAVIOUR:
                # Encrypted at rest: the cipher text goes to the database, the preview needs none.
                values[3] = text_field.get_db_prep_value(values[3], connection) if encrypt else ""
            buffer.write("\t".join(staging.copy_value(value) for value in values) + "\n")
    buffer.seek(0)
    return buffer


def _stage(kind: str, validated: Validated, *, encrypt: bool) -> None:
    """COPY the records checked in Python into the temporary table STAGE."""
    target = TARGETS[RegisterKind(kind)]
    columns = ", ".join(f"{name} {sql_type}" for name, sql_type in target.columns)
    staging.drop_tables()
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {STAGE} ({columns})")
        buffer = _copy_text(kind, validated.records.values(), encrypt=encrypt)
        cursor.copy_expert(  # type: ignore[attr-defined]
            f"COPY {STAGE} ({', '.join(name for name, _type in target.columns)}) FROM STDIN", buffer
        )
        if len(validated.records) > 1_000:
            cursor.execute(f"ANALYZE {STAGE}")


def _compare(kind: str, checked: Checked) -> tuple[int, int]:
    """(new, changed) of the records in STAGE against those already saved."""
    if not checked.records:
        return 0, 0
    target = TARGETS[RegisterKind(kind)]
    join = " AND ".join(f"r.{column} = s.{column}" for column in target.key)
    saved = ", ".join(f"r.{column}" for column in target.compared)
    incoming = ", ".join(f"s.{column}" for column in target.compared)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FILTER (WHERE r.id IS NULL),"  # noqa: S608 - names from TARGETS, no input
            f" count(*) FILTER (WHERE r.id IS NOT NULL AND ({saved}) IS DISTINCT FROM ({incoming}))"
            f" FROM {STAGE} s LEFT JOIN {target.table} r ON {join}"
        )
        new, changed = cursor.fetchone()
    return new, changed


def _write(kind: str, checked: Checked, *, school_id: int, source_id: int) -> tuple[int, int, set[int]]:
    """Write the records in STAGE: (created, updated, ids of the students whose records were
    written). Unchanged records are not touched (their source stays the import that wrote them).

    Imports of one school take turns (a transaction-level advisory lock), so no other import adds
    one of these records between the look at what is saved and the write. That allows a plain
    INSERT rather than INSERT ... ON CONFLICT, whose speculative insertion of each row costs as
    much as the row itself. When some records are saved already, those with the same values and
    then the changed ones (after their UPDATE) leave STAGE first, so the INSERT never reads the
    table it writes (a plan that scans it per row would grow with every row written). Another
    writer adding one of the records meanwhile (none does today) fails the import whole."""
    if not checked.records:
        return 0, 0, set()
    target = TARGETS[RegisterKind(kind)]
    names = [name for name, _type in target.columns]
    join = " AND ".join(f"t.{column} = s.{column}" for column in target.key)
    saved = ", ".join(f"t.{column}" for column in target.compared)
    incoming = ", ".join(f"s.{column}" for column in target.compared)
    per_student = "SELECT student_id, count(*) FROM written GROUP BY student_id"
    updated_by: dict[int, int] = {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [IMPORT_LOCK, school_id])
        cursor.execute(f"SELECT EXISTS (SELECT FROM {STAGE} s JOIN {target.table} t ON {join})")  # noqa: S608
        if cursor.fetchone()[0]:
            cursor.execute(
                f"DELETE FROM {STAGE} s USING {target.table} t"  # noqa: S608 - names from TARGETS, no input
                f" WHERE {join} AND ({saved}) IS NOT DISTINCT FROM ({incoming})"
            )
            cursor.execute(
                f"WITH changed AS (UPDATE {target.table} t"  # noqa: S608 - names from TARGETS, no input
                f" SET {', '.join(f'{column} = s.{column}' for column in target.updated)}, source_id = %s"
                f" FROM {STAGE} s WHERE {join} RETURNING {', '.join(f't.{column}' for column in target.key)}),"
                f" written AS (DELETE FROM {STAGE} s USING changed t WHERE {join} RETURNING s.student_id)"
                f" {per_student}",
                [source_id],
            )
            updated_by = dict(cursor.fetchall())
        # What is left in STAGE is new: written without RETURNING (a tuple store of every row).
        cursor.execute(
            f"INSERT INTO {target.table} ({', '.join(names)}, source_id)"  # noqa: S608
            f" SELECT {', '.join(names)}, %s FROM {STAGE}",
            [source_id],
        )
        created = cursor.rowcount
        cursor.execute(f"SELECT DISTINCT student_id FROM {STAGE}")  # noqa: S608
        touched = {student_id for (student_id,) in cursor.fetchall()}
    return created, sum(updated_by.values()), touched | set(updated_by)


# --- the preview's sample --------------------------------------------------------------------------


@dataclass
class SampleRow:
    row: int
    student: Student | None
    name_in_file: str  # to check that the register id points at the right pupil
    values: dict[str, Any]
    state: str  # new, changed, unchanged


def sample_rows(register_import: RegisterImport, limit: int = SAMPLE_ROWS) -> list[SampleRow]:
    """The first rows of the file as they will be saved, each marked new, changed or unchanged."""
    mapping = register_import.mapping
    if not mapping:
        return []
    table = open_table(read_file(register_import))
    try:
        head = list(itertools.islice(table.rows, limit * 3))
    finally:
        table.close()
    name_column = table.headers.index(mapping["student_name"]) if mapping.get("student_name") in table.headers else None
    names = {
        number: cell_text(cells[name_column]) if name_column is not None and name_column < len(cells) else ""
        for number, cells in head
    }
    table.rows = iter(head)
    kind = register_import.kind
    validated = validate(
        kind, table, mapping, students_by_register_id(register_import.school_id), today=timezone.localdate()
    )
    items = list(validated.records.items())[:limit]
    if not items:
        return []
    student_ids = {record[0] for _key, record in items}
    students = Student.objects.filter(pk__in=student_ids).select_related("person").in_bulk()
    model: type[models.Model] = {
        RegisterKind.ATTENDANCE: AttendanceRecord,
        RegisterKind.RESULTS: ResultRecord,
        RegisterKind.BEHAVIOUR: BehaviourNote,
    }[RegisterKind(kind)]
    target = TARGETS[RegisterKind(kind)]
    dates = {record[1] for _key, record in items}
    saved = {
        tuple(values[column] for column in target.key): tuple(values[column] for column in target.compared)
        for values in model._default_manager.filter(student_id__in=student_ids, date__in=dates).values(
            *target.key, *target.compared
        )
    }
    rows = []
    for key, record in items:
        values = record_dict(kind, record)
        natural = tuple(values[column] for column in target.key)
        compared = tuple(values[column] for column in target.compared)
        state = "new" if natural not in saved else ("unchanged" if saved[natural] == compared else "changed")
        number = validated.row_of[key]
        rows.append(SampleRow(number, students.get(record[0]), names.get(number, ""), values, state))
    return rows


def is_large(register_import: RegisterImport) -> bool:
    return register_import.rows_total > LARGE_IMPORT_ROWS
