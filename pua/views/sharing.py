"""PUA pages: share or transfer a case with another desk (and answer such requests), and emergency
access to another desk's case (break glass) with its review by supervisors."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from aipim.accounts.models import PUA_ROLES, Role, User
from aipim.core import audit
from aipim.core.scoping import get_for_user_or_404
from aipim.core.services import ConsentMissing
from aipim.core.views import RoleRequiredMixin
from pua.forms.sharing import BreakGlassForm, BreakGlassReviewForm, ShareRequestForm
from pua.models import BreakGlassGrant, Case, CaseShare
from pua.services import sharing

PAGE_SIZE = 50


def case_page(case: Case) -> str:
    return reverse("pua:case_detail", args=[case.pk])


def error_text(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


class CaseShareRequestView(RoleRequiredMixin, View):
    """The case's own desk asks another desk to take the case over or to follow it too."""

    roles = PUA_ROLES
    template_name = "pua/sharing/request.html"

    def get_case(self, request: HttpRequest, case_pk: int) -> Case:
        case = get_for_user_or_404(Case, request.user, pk=case_pk)
        if case.desk_id not in request.user.organisation_ids(*PUA_ROLES):  # type: ignore[union-attr]
            raise PermissionDenied(_("Only the staff of the case's desk can share or transfer it."))
        return case

    def get(self, request: HttpRequest, case_pk: int) -> HttpResponse:
        case = self.get_case(request, case_pk)
        return render(request, self.template_name, {"case": case, "form": ShareRequestForm(case=case)})

    def post(self, request: HttpRequest, case_pk: int) -> HttpResponse:
        case = self.get_case(request, case_pk)
        form = ShareRequestForm(request.POST, case=case)
        if form.is_valid():
            try:
                share = sharing.request_share(
                    case=case,
                    to_desk=form.cleaned_data["desk"],
                    kind=form.cleaned_data["kind"],
                    reason=form.cleaned_data["reason"],
                    by=request.user,
                )
            except (ConsentMissing, ValidationError) as error:
                form.add_error(None, error_text(error))
            else:
                messages.success(
                    request, _("The request was sent to %(desk)s, who must accept it.") % {"desk": share.desk.name}
                )
                return redirect(case_page(case))
        return render(request, self.template_name, {"case": case, "form": form}, status=400)


def incoming_requests(user: Any) -> QuerySet[CaseShare]:
    """Requests waiting for one of the user's desks. The receiving desk cannot open the case yet, so
    these rows are scoped by the receiving desk rather than through Case.objects.for_user."""
    return CaseShare.objects.filter(desk__in=user.organisation_ids(*PUA_ROLES), status=CaseShare.Status.REQUESTED)


class IncomingSharesView(RoleRequiredMixin, View):
    roles = PUA_ROLES

    def get(self, request: HttpRequest) -> HttpResponse:
        rows = incoming_requests(request.user).select_related("case__person", "from_desk", "desk", "requested_by")
        page = Paginator(rows.order_by("requested_at", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
        audit.record(request.user, "case_share.list", object_type="pua.caseshare", count=len(page.object_list))
        return render(request, "pua/sharing/incoming.html", {"page": page})


class ShareDecideView(RoleRequiredMixin, View):
    roles = PUA_ROLES

    def post(self, request: HttpRequest, pk: int) -> HttpResponseRedirect:
        share = incoming_requests(request.user).filter(pk=pk).first()
        if share is None:
            raise Http404
        accept = request.POST.get("decision") == "accept"
        try:
            share = sharing.decide_share(share=share, accept=accept, by=request.user)
        except (ConsentMissing, ValidationError) as error:
            messages.error(request, error_text(error))
            return redirect("pua:incoming_shares")
        if not accept:
            messages.success(request, _("Request declined."))
            return redirect("pua:incoming_shares")
        messages.success(request, _("Request accepted: the case is now followed by your desk."))
        return redirect(case_page(share.case))


class ShareEndView(RoleRequiredMixin, View):
    roles = PUA_ROLES

    def post(self, request: HttpRequest, pk: int) -> HttpResponseRedirect:
        share = get_for_user_or_404(CaseShare, request.user, pk=pk)
        try:
            sharing.end_share(share=share, by=request.user)
        except ValidationError as error:
            messages.error(request, error_text(error))
        else:
            messages.success(request, _("The share has ended."))
        if Case.objects.for_user(request.user).filter(pk=share.case_id).exists():  # type: ignore[arg-type]
            return redirect(case_page(share.case))
        return redirect("pua:home")


class BreakGlassView(RoleRequiredMixin, View):
    """Emergency read access to another desk's case, found by its number, on a stated reason."""

    roles = PUA_ROLES
    template_name = "pua/sharing/break_glass.html"

    def context(self, request: HttpRequest, form: BreakGlassForm) -> dict[str, Any]:
        live = (
            BreakGlassGrant.objects.filter(user=cast(User, request.user), expires_at__gt=timezone.now())
            .select_related("case__desk")
            .order_by("-granted_at")
        )
        return {"form": form, "live_grants": live}

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, self.context(request, BreakGlassForm()))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = BreakGlassForm(request.POST)
        if form.is_valid():
            case = form.cleaned_data["number"]
            try:
                grant = sharing.grant_break_glass(case=case, reason=form.cleaned_data["reason"], by=request.user)
            except ValidationError as error:
                form.add_error(None, error_text(error))
            else:
                messages.warning(
                    request,
                    _("Emergency access to %(number)s until %(until)s. Both desks' supervisors have been told.")
                    % {
                        "number": case.number,
                        "until": timezone.localtime(grant.expires_at).strftime("%Y-%m-%d %H:%M"),
                    },
                )
                return redirect(case_page(case))
        return render(request, self.template_name, self.context(request, form), status=400)


class BreakGlassReviewView(RoleRequiredMixin, View):
    """Supervisors see every emergency access on their desks' cases or by their desks' staff."""

    roles = (Role.PUA_SUPERVISOR,)

    def get(self, request: HttpRequest) -> HttpResponse:
        grants = (
            sharing.grants_for_supervisor(request.user)
            .select_related("case__desk", "user", "reviewed_by")
            .order_by("-granted_at", "-pk")
        )
        page = Paginator(grants, PAGE_SIZE).get_page(request.GET.get("page"))
        audit.record(request.user, "break_glass.list", object_type="pua.breakglassgrant", count=len(page.object_list))
        return render(
            request,
            "pua/sharing/break_glass_review.html",
            {"page": page, "now": timezone.now()},
        )


class BreakGlassReviewGrantView(RoleRequiredMixin, View):
    roles = (Role.PUA_SUPERVISOR,)

    def post(self, request: HttpRequest, pk: int) -> HttpResponseRedirect:
        grant = sharing.grants_for_supervisor(request.user).filter(pk=pk).first()
        if grant is None:
            raise Http404
        form = BreakGlassReviewForm(request.POST)
        if form.is_valid():
            sharing.review_break_glass(
                grant=grant,
                note=form.cleaned_data["review_note"],
                revoke=form.cleaned_data["revoke"],
                by=request.user,
            )
            messages.success(request, _("Review recorded."))
        else:
            messages.error(request, _("The review note is too long."))
        return redirect("pua:break_glass_review")


urlpatterns: list[URLPattern] = [
    path("cases/<int:case_pk>/share/", CaseShareRequestView.as_view(), name="case_share_request"),
    path("shares/incoming/", IncomingSharesView.as_view(), name="incoming_shares"),
    path("shares/<int:pk>/decide/", ShareDecideView.as_view(), name="share_decide"),
    path("shares/<int:pk>/end/", ShareEndView.as_view(), name="share_end"),
    path("break-glass/", BreakGlassView.as_view(), name="break_glass"),
    path("break-glass/review/", BreakGlassReviewView.as_view(), name="break_glass_review"),
    path("break-glass/review/<int:pk>/", BreakGlassReviewGrantView.as_view(), name="break_glass_review_grant"),
]
