"""Administrators' pages: the audit log, the retention preview, and access and erasure requests.

Only administrators open them (everyone else gets 403). Each page that shows or hands out a
person's data writes an AuditEvent, as every other page does."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView
from django_filters.views import FilterView

from aipim.accounts.models import Role
from aipim.core import audit, privacy, retention
from aipim.core.filters import AuditEventFilter
from aipim.core.models import AuditEvent, Person
from aipim.core.scoping import get_for_user_or_404
from aipim.core.views import RoleRequiredMixin

ADMIN_ROLES = (Role.ADMINISTRATOR,)
AUDIT_PAGE_SIZE = 50
PREVIEW_IDS_SHOWN = 20


class AdministratorRequiredMixin(RoleRequiredMixin):
    roles = ADMIN_ROLES


class AuditLogView(AdministratorRequiredMixin, FilterView):
    filterset_class = AuditEventFilter
    paginate_by = AUDIT_PAGE_SIZE
    template_name = "core/manage/audit_log.html"

    def get_queryset(self) -> QuerySet[AuditEvent]:
        return AuditEvent.objects.select_related("organisation").order_by("-at", "-pk")

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().get(request, *args, **kwargs)
        # Render before logging the visit, so the page counts and lists the same entries.
        response.render()  # type: ignore[attr-defined]
        # Reading the log is itself logged: who looked at whose activity is worth knowing.
        audit.record(request.user, "auditlog.view", object_type="core.auditevent", filters=sorted(request.GET.keys()))
        return response


class PreviewForm(forms.Form):
    within_days = forms.IntegerField(label=_("Within the next (days)"), min_value=1, max_value=3650, initial=30)


class RetentionPreviewView(AdministratorRequiredMixin, TemplateView):
    template_name = "core/manage/retention.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = PreviewForm(self.request.GET or None)
        within_days = form.cleaned_data["within_days"] if form.is_valid() else 30
        context.update(
            form=form if self.request.GET else PreviewForm(),
            within_days=within_days,
            outcomes=retention.preview(timezone.now(), within_days),
            ids_shown=PREVIEW_IDS_SHOWN,
        )
        return context


class ErasureForm(forms.Form):
    REASONS = [
        ("request", _("The person asked for erasure (GDPR art. 17)")),
        ("guardian_request", _("The guardian of a minor asked for erasure")),
        ("consent_withdrawn", _("Consent withdrawn and no other legal basis")),
        ("unlawful", _("Data recorded by mistake or without a legal basis")),
        ("authority_order", _("Order of the supervisory authority or a court")),
    ]

    reason = forms.ChoiceField(label=_("Reason"), choices=REASONS)
    reference = forms.CharField(
        label=_("Reference"),
        max_length=60,
        required=False,
        help_text=_("The protocol number of the request. Do not write names here: it goes into the audit log."),
    )
    confirm = forms.BooleanField(
        label=_("I understand that this cannot be undone: names, contacts and addresses are removed for good."),
        required=True,
    )


def _privacy_context(person: Person, form: ErasureForm) -> dict[str, Any]:
    return {"person": person, "form": form, "parts": [handler.name for handler in privacy.registered_handlers()]}


class PersonPrivacyView(AdministratorRequiredMixin, View):
    """One person's access and erasure page, reached by the public id shown on the people pages."""

    def get(self, request: HttpRequest, public_id: str) -> HttpResponse:
        person = get_for_user_or_404(Person, request.user, public_id=public_id)
        audit.record(request.user, "person.view", person, page="privacy")
        return render(request, "core/manage/person_privacy.html", _privacy_context(person, ErasureForm()))


class PersonExportView(AdministratorRequiredMixin, View):
    def get(self, request: HttpRequest, public_id: str) -> HttpResponse:
        person = get_for_user_or_404(Person, request.user, public_id=public_id)
        data = privacy.export_person(person, by=request.user)
        response = HttpResponse(
            json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="person-{person.public_id}.json"'
        response["Cache-Control"] = "no-store, private"
        return response


class PersonEraseView(AdministratorRequiredMixin, View):
    def post(self, request: HttpRequest, public_id: str) -> HttpResponse:
        person = get_for_user_or_404(Person, request.user, public_id=public_id)
        form = ErasureForm(request.POST)
        if not form.is_valid():
            return render(request, "core/manage/person_privacy.html", _privacy_context(person, form), status=400)
        reason = form.cleaned_data["reason"]
        if form.cleaned_data["reference"]:
            reason = f"{reason}: {form.cleaned_data['reference']}"
        counts = privacy.erase_person(person, by=request.user, reason=reason)
        person.refresh_from_db()
        return render(request, "core/manage/person_erased.html", {"person": person, "counts": counts})
