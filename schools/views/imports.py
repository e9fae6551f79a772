"""Pages of Action 1: imports from electronic registers. Its urlpatterns are collected by schools/urls.py.

Upload → columns (mapping) → preview → confirm → progress and result, plus the history of a school's
imports. Help-desk operators import; school staff may look. Another school's import answers 404."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, URLResolver, path
from django.utils import formats
from django.utils.translation import gettext as _
from django.views import View

from aipim.accounts.models import SCHOOL_ROLES, Role
from aipim.core import audit
from aipim.core.models import Organisation
from aipim.core.scoping import get_for_user_or_404
from aipim.core.views import RoleRequiredMixin
from schools.forms.imports import ImportUploadForm, MappingForm
from schools.importing.mapping import fields
from schools.importing.readers import UnreadableFile, open_table
from schools.importing.values import text as cell_text
from schools.models import AttendanceRecord, BehaviourNote, RegisterImport, school_ids_for
from schools.services import imports as service

PAGE_SIZE = 25
ERRORS_SHOWN = 200
FILE_ROWS_SHOWN = 3
Status = RegisterImport.Status


def _import_for(request: HttpRequest, pk: int) -> RegisterImport:
    return get_for_user_or_404(RegisterImport, request.user, pk=pk)


class ImportListView(RoleRequiredMixin, View):
    """The imports of the user's schools, newest first (one school when ?school= is given)."""

    roles = SCHOOL_ROLES
    template_name = "schools/imports/list.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        user: Any = request.user
        schools = Organisation.objects.filter(pk__in=school_ids_for(user)).order_by("name")
        imports = (
            RegisterImport.objects.for_user(user)
            .select_related("school", "created_by", "confirmed_by")
            .defer("errors", "mapping")
            .order_by("-created_at", "-pk")
        )
        school_id = request.GET.get("school", "")
        selected = next((school for school in schools if str(school.pk) == school_id), None)
        if selected is not None:
            imports = imports.filter(school=selected)
        page = Paginator(imports, PAGE_SIZE).get_page(request.GET.get("page"))
        audit.record(
            user, "registerimport.list", object_type="schools.registerimport", organisation=selected, count=len(page)
        )
        return render(
            request,
            self.template_name,
            {
                "page": page,
                "schools": schools,
                "selected_school": selected.pk if selected else None,
                "page_query": f"school={selected.pk}" if selected else "",
                "can_upload": bool(user.organisation_ids(Role.SCHOOL_OPERATOR)),
            },
        )


class ImportUploadView(RoleRequiredMixin, View):
    roles = (Role.SCHOOL_OPERATOR,)
    template_name = "schools/imports/upload.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, {"form": ImportUploadForm(user=request.user)})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ImportUploadForm(request.POST, request.FILES, user=request.user)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form}, status=400)
        register_import = service.upload_import(
            school=form.cleaned_data["school"],
            kind=form.cleaned_data["kind"],
            data=form.data_bytes,
            original_name=form.cleaned_data["file"].name,
            by=request.user,
        )
        return redirect("schools:import_mapping", pk=register_import.pk)


class ImportMappingView(RoleRequiredMixin, View):
    """Which column holds what: pre-filled from the school's saved mapping or the guess."""

    roles = (Role.SCHOOL_OPERATOR,)
    template_name = "schools/imports/mapping.html"

    def setup_import(self, request: HttpRequest, pk: int) -> RegisterImport:
        register_import = _import_for(request, pk)
        service.require_operator(request.user, register_import.school_id)
        return register_import

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        register_import = self.setup_import(request, pk)
        if register_import.status not in (Status.UPLOADED, Status.PREVIEWED):
            return redirect("schools:import_detail", pk=pk)
        headers, first_rows = self.read_head(register_import)
        form = MappingForm(
            kind=register_import.kind, headers=headers, initial=service.initial_mapping(register_import, headers)
        )
        return self.page(request, register_import, form, headers, first_rows)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        register_import = self.setup_import(request, pk)
        if register_import.status not in (Status.UPLOADED, Status.PREVIEWED):
            return redirect("schools:import_detail", pk=pk)
        headers, first_rows = self.read_head(register_import)
        form = MappingForm(request.POST, kind=register_import.kind, headers=headers)
        if form.is_valid():
            try:
                service.preview_import(register_import=register_import, mapping=form.mapping, by=request.user)
            except service.ImportRefused as error:
                form.add_error(None, str(error))
            except UnreadableFile as error:
                messages.error(request, str(error))
                return redirect("schools:import_list")
            else:
                return redirect("schools:import_detail", pk=pk)
        return self.page(request, register_import, form, headers, first_rows, status=400)

    def read_head(self, register_import: RegisterImport) -> tuple[list[str], list[list[str]]]:
        table = open_table(service.read_file(register_import))
        try:
            rows = []
            for _number, cells in table.rows:
                rows.append([cell_text(cell) for cell in cells] + [""] * (len(table.headers) - len(cells)))
                if len(rows) >= FILE_ROWS_SHOWN:
                    break
        finally:
            table.close()
        return table.headers, rows

    def page(
        self,
        request: HttpRequest,
        register_import: RegisterImport,
        form: MappingForm,
        headers: list[str],
        first_rows: list[list[str]],
        status: int = 200,
    ) -> HttpResponse:
        # The first rows of the file are shown to help choose the columns: they are pupils' data.
        audit.record(request.user, "registerimport.view", register_import, organisation=register_import.school)
        return render(
            request,
            self.template_name,
            {"register_import": register_import, "form": form, "headers": headers, "first_rows": first_rows},
            status=status,
        )


SAMPLE_HIDDEN = ("register_id", "student_name")
CHOICE_LABELS: dict[str, dict[str, Any]] = {
    "status": dict(AttendanceRecord.Status.choices),
    "severity": dict(BehaviourNote.Severity.choices),
}


def shown_value(name: str, value: Any) -> str:
    """A value of the preview as the reader would write it (dates and numbers in their language)."""
    if value is None or value == "":
        return "–"
    if name in CHOICE_LABELS:
        return str(CHOICE_LABELS[name].get(value, value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, Decimal):
        return formats.number_format(value.normalize() if value == value.to_integral() else value)
    return str(value)


class ImportDetailView(RoleRequiredMixin, View):
    """The preview before confirming (counts, errors, first rows as they will be saved), then the
    progress and the result. htmx asks for the status block again every 2 s while it runs."""

    roles = SCHOOL_ROLES
    template_name = "schools/imports/detail.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        register_import = _import_for(request, pk)
        context: dict[str, Any] = {
            "register_import": register_import,
            "counts": service.counts(register_import),
            "can_import": service.can_import(request.user, register_import.school_id),
        }
        if request.htmx:  # type: ignore[attr-defined]
            return render(request, "schools/imports/_status.html", context)
        errors = service.error_messages(register_import)
        sample_fields = [field for field in fields(register_import.kind) if field.name not in SAMPLE_HIDDEN]
        sample = []
        if register_import.status == Status.PREVIEWED:
            for row in service.sample_rows(register_import):
                row.shown = [shown_value(field.name, row.values.get(field.name)) for field in sample_fields]  # type: ignore[attr-defined]
                sample.append(row)
        audit.record(request.user, "registerimport.view", register_import, organisation=register_import.school)
        context.update(
            errors=errors[:ERRORS_SHOWN],
            errors_hidden=max(0, len(errors) - ERRORS_SHOWN),
            sample=sample,
            sample_fields=sample_fields,
            same_file=service.same_file_imported(register_import),
        )
        return render(request, self.template_name, context)


class ImportConfirmView(RoleRequiredMixin, View):
    roles = (Role.SCHOOL_OPERATOR,)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        register_import = _import_for(request, pk)
        service.require_operator(request.user, register_import.school_id)
        try:
            register_import = service.confirm_import(register_import=register_import, by=request.user)
        except service.ImportRefused as error:
            messages.error(request, str(error))
            return redirect("schools:import_detail", pk=pk)
        if register_import.status == Status.DONE:
            messages.success(request, _("The import is done."))
        elif register_import.status == Status.FAILED:
            messages.error(request, _("The import failed: nothing was saved."))
        else:
            messages.info(request, _("The import has started; this page shows its progress."))
        return redirect("schools:import_detail", pk=pk)


urlpatterns: list[URLPattern | URLResolver] = [
    path("imports/", ImportListView.as_view(), name="import_list"),
    path("imports/new/", ImportUploadView.as_view(), name="import_upload"),
    path("imports/<int:pk>/", ImportDetailView.as_view(), name="import_detail"),
    path("imports/<int:pk>/columns/", ImportMappingView.as_view(), name="import_mapping"),
    path("imports/<int:pk>/confirm/", ImportConfirmView.as_view(), name="import_confirm"),
]
