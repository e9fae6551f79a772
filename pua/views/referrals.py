"""PUA pages: referrals to services of the directory, the referral letter, the overdue list, and
the two signed-link pages that need no account (the receiving service's, the person's)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone, translation
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache

from aipim.accounts.models import PUA_ROLES
from aipim.core import audit
from aipim.core.models import Person
from aipim.core.scoping import get_for_user_or_404
from aipim.core.services import ConsentMissing, has_consent
from aipim.core.views import RoleRequiredMixin
from pua.forms.referrals import (
    Nearness,
    ReferralForm,
    ReferralUpdateForm,
    ServiceFilterForm,
    ServiceResponseForm,
    services_near,
)
from pua.letters import render_referral_letter
from pua.models import Case, Referral
from pua.services import referrals as service
from pua.services.sharing import can_write_case

OVERDUE_LIMIT = 200


def writable_case(request: HttpRequest, case_pk: int) -> Case:
    case = get_for_user_or_404(Case, request.user, pk=case_pk)
    if not can_write_case(request.user, case):
        raise PermissionDenied
    return case


def scoped_referral(request: HttpRequest, pk: int) -> Referral:
    queryset = Referral.objects.for_user(request.user).select_related(  # type: ignore[arg-type]
        "case__person", "case__desk", "case__caseworker", "service__organisation__municipality", "created_by"
    )
    try:
        referral: Referral = queryset.get(pk=pk)
    except Referral.DoesNotExist as error:
        raise Http404 from error
    return referral


class ReferralCreateView(RoleRequiredMixin, View):
    roles = PUA_ROLES
    template_name = "pua/referrals/referral_form.html"

    def forms(self, request: HttpRequest, case: Case) -> tuple[ServiceFilterForm, ReferralForm]:
        filters = ServiceFilterForm(request.GET or None)
        category = within = ""
        if filters.is_valid():
            category = filters.cleaned_data["category"]
            within = filters.cleaned_data["within"] or Nearness.ANYWHERE
        services = services_near(case.desk, category=category, within=within or Nearness.ANYWHERE)
        form = ReferralForm(request.POST or None, case=case, services=services)
        return filters, form

    def get(self, request: HttpRequest, case_pk: int) -> HttpResponse:
        case = writable_case(request, case_pk)
        filters, form = self.forms(request, case)
        return render(request, self.template_name, {"case": case, "filters": filters, "form": form})

    def post(self, request: HttpRequest, case_pk: int) -> HttpResponse:
        case = writable_case(request, case_pk)
        filters, form = self.forms(request, case)
        if form.is_valid():
            try:
                referral = service.create_referral(
                    case=case, service=form.cleaned_data["service"], reason=form.cleaned_data["reason"], by=request.user
                )
                if form.cleaned_data["send_now"]:
                    service.send_referral(referral=referral, by=request.user)
            except (ValidationError, ConsentMissing) as error:
                form.add_error(None, error.messages if isinstance(error, ValidationError) else str(error))
            else:
                messages.success(request, _("Referral saved."))
                return redirect("pua:referral_detail", pk=referral.pk)
        return render(request, self.template_name, {"case": case, "filters": filters, "form": form}, status=400)


class ReferralDetailView(RoleRequiredMixin, View):
    roles = PUA_ROLES
    template_name = "pua/referrals/referral_detail.html"

    def context(self, request: HttpRequest, referral: Referral, **extra: Any) -> dict[str, Any]:
        purpose = service.consent_purpose_for(referral.service)
        can_write = can_write_case(request.user, referral.case)
        consent_error = ""
        if referral.status == Referral.Status.DRAFTED and not has_consent(referral.case.person, purpose):
            consent_error = str(ConsentMissing(referral.case.person, purpose))
        return {
            "referral": referral,
            "case": referral.case,
            "updates": referral.updates.select_related("by_user"),
            "can_write": can_write,
            "consent_error": consent_error,
            "update_form": ReferralUpdateForm(referral=referral),
            "person_link": service.person_status_link(referral.case.person) if can_write else "",
            **extra,
        }

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        referral = scoped_referral(request, pk)
        audit.record(request.user, "referral.view", referral, organisation=referral.case.desk)
        return render(request, self.template_name, self.context(request, referral))


class ReferralSendView(RoleRequiredMixin, View):
    roles = PUA_ROLES

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        referral = scoped_referral(request, pk)
        if not can_write_case(request.user, referral.case):
            raise PermissionDenied
        try:
            service.send_referral(referral=referral, by=request.user)
        except ConsentMissing as error:
            messages.error(request, str(error))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Referral sent to the service."))
        return redirect("pua:referral_detail", pk=referral.pk)


class ReferralUpdateView(RoleRequiredMixin, View):
    """The caseworker logs what the service said (by phone, letter or in person)."""

    roles = PUA_ROLES

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        referral = scoped_referral(request, pk)
        if not can_write_case(request.user, referral.case):
            raise PermissionDenied
        form = ReferralUpdateForm(request.POST, referral=referral)
        if form.is_valid():
            try:
                service.update_referral(
                    referral=referral, to=form.cleaned_data["status"], note=form.cleaned_data["note"], by=request.user
                )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, _("Referral updated."))
                return redirect("pua:referral_detail", pk=referral.pk)
        view = ReferralDetailView()
        return render(request, view.template_name, view.context(request, referral, update_form=form), status=400)


class ReferralLetterView(RoleRequiredMixin, View):
    """The printable referral letter (PDF): Italian, then the person's language when it is one of
    the portal's others."""

    roles = PUA_ROLES

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        referral = scoped_referral(request, pk)
        pdf = render_referral_letter(referral)
        audit.record(request.user, "referral.letter", referral, organisation=referral.case.desk)
        response = HttpResponse(pdf, content_type="application/pdf")
        # The file name carries the case number, not the person's name.
        response["Content-Disposition"] = f'attachment; filename="referral-{referral.case.number}-{referral.pk}.pdf"'
        response["X-Content-Type-Options"] = "nosniff"
        return response


class OverdueReferralsView(RoleRequiredMixin, View):
    """Sent referrals past their acknowledgement deadline, in the user's scope."""

    roles = PUA_ROLES
    template_name = "pua/referrals/overdue.html"

    def queryset(self) -> QuerySet[Referral]:
        return (
            Referral.objects.for_user(self.request.user)  # type: ignore[arg-type]
            .filter(status=Referral.Status.SENT, acknowledge_by__lt=timezone.now())
            .select_related("case__desk", "case__caseworker", "service__organisation")
            .order_by("acknowledge_by", "pk")
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        referrals = list(self.queryset()[: OVERDUE_LIMIT + 1])
        audit.record(request.user, "referral.list", object_type="pua.referral", count=len(referrals[:OVERDUE_LIMIT]))
        return render(
            request,
            self.template_name,
            {"referrals": referrals[:OVERDUE_LIMIT], "truncated": len(referrals) > OVERDUE_LIMIT},
        )


# --- Signed links, no account ------------------------------------------------------------------


def link_problem(request: HttpRequest, error: Exception) -> HttpResponse:
    """A clear page for a link that cannot be used (never a server error)."""
    if isinstance(error, signing.SignatureExpired):
        reason = _("This link has expired. Ask the desk for a new one.")
    else:
        reason = _("This link is not valid. Check that it was copied whole, or ask the desk for a new one.")
    return private_response(render(request, "pua/referrals/link_invalid.html", {"reason": reason}, status=400))


def private_response(response: HttpResponse) -> HttpResponse:
    # The token is in the URL: no Referer may carry it to another site, no crawler may keep it.
    # "same-origin", not "no-referrer": with no-referrer Chromium sends "Origin: null" with the
    # page's own form and Django's CSRF check refuses the answer (tests/e2e/test_signed_link_forms.py).
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@method_decorator(never_cache, name="dispatch")
class ReferralRespondView(View):
    """The receiving service acknowledges the referral and later reports the outcome."""

    template_name = "pua/referrals/respond.html"

    def referral(self, token: str) -> Referral:
        return service.referral_from_service_token(token)

    def page(self, request: HttpRequest, referral: Referral, form: Any, status: int = 200) -> HttpResponse:
        # If the person withdrew the consent that let the referral go out, the service no longer sees who it is.
        shared = has_consent(referral.case.person, service.consent_purpose_for(referral.service))
        context = {"referral": referral, "form": form, "shared": shared}
        return private_response(render(request, self.template_name, context, status=status))

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        try:
            referral = self.referral(token)
        except (signing.BadSignature, Referral.DoesNotExist, KeyError, TypeError) as error:
            return link_problem(request, error)
        audit.record(None, "referral.service_view", referral, organisation=referral.case.desk)
        return self.page(request, referral, ServiceResponseForm(referral=referral))

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        try:
            referral = self.referral(token)
        except (signing.BadSignature, Referral.DoesNotExist, KeyError, TypeError) as error:
            return link_problem(request, error)
        form = ServiceResponseForm(request.POST, referral=referral)
        if form.is_valid():
            try:
                service.update_referral(
                    referral=referral, to=form.cleaned_data["status"], note=form.cleaned_data["note"], by_service=True
                )
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(request, _("Thank you: the desk can see your answer."))
                return redirect("pua:referral_respond", token=token)
        return self.page(request, referral, form, status=400)


@method_decorator(never_cache, name="dispatch")
class PersonReferralsStatusView(View):
    """The person follows their referrals, in their language: service, status and dates only."""

    template_name = "pua/referrals/person_status.html"

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        try:
            person = service.person_from_token(token)
        except (signing.BadSignature, Person.DoesNotExist, KeyError, TypeError, ValueError, ValidationError) as error:
            # DoesNotExist: the person was erased or anonymised since the link was given.
            return link_problem(request, error)
        referrals = list(
            Referral.objects.filter(case__person=person)
            .exclude(status=Referral.Status.DRAFTED)
            .select_related("service__organisation")
            .order_by("-sent_at", "-pk")
        )
        audit.record(None, "referral.person_view", person, count=len(referrals))
        language = service.person_language(person)
        with translation.override(language):
            response = render(request, self.template_name, {"referrals": referrals})
        response["Content-Language"] = language
        return private_response(response)


urlpatterns: list[URLPattern] = [
    path("cases/<int:case_pk>/referrals/add/", ReferralCreateView.as_view(), name="referral_add"),
    path("referrals/overdue/", OverdueReferralsView.as_view(), name="overdue_referrals"),
    path("referrals/<int:pk>/", ReferralDetailView.as_view(), name="referral_detail"),
    path("referrals/<int:pk>/send/", ReferralSendView.as_view(), name="referral_send"),
    path("referrals/<int:pk>/update/", ReferralUpdateView.as_view(), name="referral_update"),
    path("referrals/<int:pk>/letter.pdf", ReferralLetterView.as_view(), name="referral_letter"),
    path("referrals/respond/<str:token>/", ReferralRespondView.as_view(), name="referral_respond"),
    path("referrals/status/<str:token>/", PersonReferralsStatusView.as_view(), name="person_referrals_status"),
]
