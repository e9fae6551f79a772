"""Pages of Action 1: school–family messages. Write one from a template in the family's language,
change the draft, email it (with the family's consent) or print it, record the acknowledgement;
and the family's own page, opened by the signed link in the message, with one button. Its
urlpatterns are collected by schools/urls.py."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages as flash
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, URLResolver, path
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache

from aipim.accounts.models import SCHOOL_ROLES
from aipim.core import audit
from aipim.core.services import ConsentMissing
from aipim.core.views import RoleRequiredMixin
from schools.forms.messages import DraftForm, MessageFilterForm, NewMessageForm, StaffAcknowledgementForm
from schools.models import FamilyMessage
from schools.selectors import get_student_for_user_or_404
from schools.services import messages as service

PAGE_SIZE = 25
EDITABLE = (FamilyMessage.Status.DRAFT, FamilyMessage.Status.FAILED)


def scoped_message(request: HttpRequest, pk: int) -> FamilyMessage:
    try:
        message: FamilyMessage = (
            FamilyMessage.objects.for_user(request.user)  # type: ignore[arg-type]
            .select_related(
                "student__person",
                "student__school",
                "student__school_class",
                "guardian__person",
                "template",
                "created_by",
            )
            .get(pk=pk)
        )
    except FamilyMessage.DoesNotExist as error:
        raise Http404 from error
    return message


def private_response(response: HttpResponse) -> HttpResponse:
    # The token is in the URL: no Referer may carry it to another site, no crawler may keep it.
    response["Referrer-Policy"] = "same-origin"  # no-referrer makes the form's POST fail CSRF
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


class MessageListView(RoleRequiredMixin, View):
    """Messages to the families of the user's schools, newest first (subject and text are not shown
    here: they are personal data, read on the message's page)."""

    roles = SCHOOL_ROLES
    template_name = "schools/messages/list.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        form = MessageFilterForm(request.GET or None)
        family_messages = FamilyMessage.objects.for_user(request.user)  # type: ignore[arg-type]
        if form.is_valid():
            if form.cleaned_data["status"]:
                family_messages = family_messages.filter(status=form.cleaned_data["status"])
            if form.cleaned_data["channel"]:
                family_messages = family_messages.filter(channel=form.cleaned_data["channel"])
        family_messages = family_messages.select_related(
            "student__person", "student__school", "student__school_class", "guardian__person", "template"
        ).order_by("-created_at", "-pk")
        page = Paginator(family_messages, PAGE_SIZE).get_page(request.GET.get("page"))
        audit.record(
            request.user, "familymessage.list", object_type="schools.familymessage", count=len(page.object_list)
        )
        query = {key: str(value) for key, value in request.GET.items() if key != "page" and value}
        return render(request, self.template_name, {"form": form, "page": page, "page_query": urlencode(query)})


class MessageCreateView(RoleRequiredMixin, View):
    """Start a message to a student's family from a template: a draft in the family's language."""

    roles = SCHOOL_ROLES
    template_name = "schools/messages/new.html"

    def get(self, request: HttpRequest, student_pk: int) -> HttpResponse:
        student = get_student_for_user_or_404(request.user, student_pk)  # type: ignore[arg-type]
        initial = {"template": request.GET["template"]} if request.GET.get("template", "").isdigit() else {}
        form = NewMessageForm(student=student, initial=initial)
        return render(request, self.template_name, {"form": form, "student": student})

    def post(self, request: HttpRequest, student_pk: int) -> HttpResponse:
        student = get_student_for_user_or_404(request.user, student_pk)  # type: ignore[arg-type]
        form = NewMessageForm(request.POST, student=student)
        if form.is_valid():
            data = form.cleaned_data
            try:
                message = service.draft_message(
                    student=student,
                    template_code=data["template"].code,
                    by=request.user,
                    guardian=data["guardian"],
                    on=data["date"],
                )
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                return redirect("schools:message_detail", pk=message.pk)
        return render(request, self.template_name, {"form": form, "student": student}, status=400)


class MessageDetailView(RoleRequiredMixin, View):
    roles = SCHOOL_ROLES
    template_name = "schools/messages/detail.html"

    def context(self, request: HttpRequest, message: FamilyMessage, **forms: Any) -> dict[str, Any]:
        editable = message.status in EDITABLE
        wanted = service.family_language(message.guardian)
        return {
            "message": message,
            "student": message.student,
            "direction": service.text_direction(message.language),
            "fell_back": message.template_id is not None and wanted != message.language,
            "wanted_language": wanted,
            "draft_form": forms.get("draft_form") or (DraftForm(message=message) if editable else None),
            "email_problem": service.email_problem(message) if editable else "",
            "ack_form": forms.get("ack_form")
            or (
                StaffAcknowledgementForm()
                if message.status in (FamilyMessage.Status.SENT, FamilyMessage.Status.PRINTED)
                else None
            ),
            "editable": editable,
        }

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        message = scoped_message(request, pk)
        audit.record(request.user, "familymessage.view", message, organisation=message.student.school)
        return render(request, self.template_name, self.context(request, message))


class MessageActionView(RoleRequiredMixin, View):
    """The message page's buttons: save the draft, send by email, print (the PDF), acknowledge."""

    roles = SCHOOL_ROLES

    def post(self, request: HttpRequest, pk: int, do: str) -> HttpResponse:
        message = scoped_message(request, pk)
        detail = MessageDetailView()
        try:
            if do == "edit":
                form: Any = DraftForm(request.POST, message=message)
                if not form.is_valid():
                    return render(
                        request, detail.template_name, detail.context(request, message, draft_form=form), status=400
                    )
                service.update_draft(message=message, by=request.user, **form.cleaned_data)
                flash.success(request, _("Draft saved."))
            elif do == "send":
                service.send_message(message=message, by=request.user)
                flash.success(request, _("Message sent by email."))
            elif do == "print":
                pdf = service.print_message(message=message, by=request.user)
                response = HttpResponse(pdf, content_type="application/pdf")
                # The file name carries the message number, not the family's name.
                response["Content-Disposition"] = f'attachment; filename="message-{message.pk}.pdf"'
                response["X-Content-Type-Options"] = "nosniff"
                return response
            elif do == "acknowledge":
                form = StaffAcknowledgementForm(request.POST)
                if not form.is_valid():
                    return render(
                        request, detail.template_name, detail.context(request, message, ack_form=form), status=400
                    )
                if service.acknowledge(message=message, how=form.cleaned_data["how"], by=request.user):
                    flash.success(request, _("Acknowledgement recorded."))
                else:
                    flash.info(request, _("The family had already acknowledged the message."))
            else:
                raise Http404
        except service.SendFailed as error:
            flash.error(request, _("The mail server did not accept the message: %(error)s") % {"error": error})
        except (ValidationError, ConsentMissing) as error:
            flash.error(request, " ".join(error.messages) if isinstance(error, ValidationError) else str(error))
        return redirect("schools:message_detail", pk=message.pk)


# --- The family's page, opened by the signed link (no account) ----------------------------------


def page_language(message: FamilyMessage) -> str:
    """The message's language when the portal speaks it, else the portal's default."""
    languages = {code for code, _name in settings.LANGUAGES}
    return message.language if message.language in languages else settings.LANGUAGE_CODE


@method_decorator(never_cache, name="dispatch")
class AcknowledgeView(View):
    """The family reads the message in their language and confirms with one button; once only."""

    template_name = "schools/messages/acknowledge.html"

    def message(self, request: HttpRequest, token: str) -> FamilyMessage | HttpResponse:
        try:
            return service.message_from_token(token)
        except signing.SignatureExpired:
            reason = _("This link has expired. Please contact the school.")
        except (signing.BadSignature, FamilyMessage.DoesNotExist, KeyError, TypeError, ValueError):
            reason = _("This link is not valid. Check that it was copied whole, or contact the school.")
        return private_response(render(request, "schools/messages/link_invalid.html", {"reason": reason}, status=400))

    def page(self, request: HttpRequest, message: FamilyMessage, *, status: int = 200, **extra: Any) -> HttpResponse:
        language = page_language(message)
        with translation.override(language):
            response = render(
                request,
                self.template_name,
                {"message": message, "direction": service.text_direction(message.language), **extra},
                status=status,
            )
        response["Content-Language"] = language
        return private_response(response)

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        found = self.message(request, token)
        if isinstance(found, HttpResponse):
            return found
        audit.record(None, "familymessage.family_view", found, organisation=found.student.school)
        return self.page(request, found)

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        found = self.message(request, token)
        if isinstance(found, HttpResponse):
            return found
        try:
            recorded = service.acknowledge(message=found, how=FamilyMessage.AcknowledgedHow.LINK)
        except ValidationError:
            return self.page(request, found, status=400)
        found.refresh_from_db()
        return self.page(request, found, thanked=recorded)


urlpatterns: list[URLPattern | URLResolver] = [
    path("messages/", MessageListView.as_view(), name="message_list"),
    path("students/<int:student_pk>/messages/add/", MessageCreateView.as_view(), name="message_add"),
    path("messages/<int:pk>/", MessageDetailView.as_view(), name="message_detail"),
    path("messages/<int:pk>/<slug:do>/", MessageActionView.as_view(), name="message_do"),
    path("messages/read/<str:token>/", AcknowledgeView.as_view(), name="message_acknowledge"),
]
