"""PUA pages: upload a document to a case, download it (scoped, audited, never cached)."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views import View

from aipim.accounts.models import PUA_ROLES
from aipim.core import audit
from aipim.core.scoping import get_for_user_or_404
from aipim.core.views import RoleRequiredMixin
from pua.forms.documents import DocumentUploadForm
from pua.models import Case, Document
from pua.services.documents import document_storage, upload_document
from pua.services.sharing import require_write
from pua.views.sharing import case_page


class DocumentUploadView(RoleRequiredMixin, View):
    roles = PUA_ROLES
    template_name = "pua/documents/upload.html"

    def get_case(self, request: HttpRequest, case_pk: int) -> Case:
        case = get_for_user_or_404(Case, request.user, pk=case_pk)
        require_write(request.user, case)
        return case

    def get(self, request: HttpRequest, case_pk: int) -> HttpResponse:
        case = self.get_case(request, case_pk)
        return render(request, self.template_name, {"case": case, "form": DocumentUploadForm()})

    def post(self, request: HttpRequest, case_pk: int) -> HttpResponse:
        case = self.get_case(request, case_pk)
        form = DocumentUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return render(request, self.template_name, {"case": case, "form": form}, status=400)
        upload_document(
            case=case,
            upload=form.cleaned_data["file"],
            content_type=form.content_type,
            description=form.cleaned_data["description"],
            by=request.user,
        )
        messages.success(request, _("Document uploaded."))
        return redirect(case_page(case))


class DocumentDownloadView(RoleRequiredMixin, View):
    roles = PUA_ROLES

    def get(self, request: HttpRequest, pk: int) -> FileResponse:
        document = get_for_user_or_404(Document, request.user, pk=pk)
        try:
            handle = document_storage().open(document.file.name, "rb")
        except FileNotFoundError:
            raise Http404 from None
        audit.record(request.user, "document.download", document, case=document.case_id)
        response = FileResponse(handle, as_attachment=True, filename=document.original_name)
        response["Content-Type"] = document.content_type
        # The stored type was read from the content; the browser must not guess another one.
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "no-store, private"
        return response


urlpatterns: list[URLPattern] = [
    path("cases/<int:case_pk>/documents/upload/", DocumentUploadView.as_view(), name="document_upload"),
    path("documents/<int:pk>/download/", DocumentDownloadView.as_view(), name="document_download"),
]
