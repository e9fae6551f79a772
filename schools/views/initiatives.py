"""Pages of Action 1: cultural initiatives with families (list with totals per school year, create,
edit). Its urlpatterns are collected by schools/urls.py. Operators of a school record its
initiatives; its staff see them; initiatives of other schools answer 404, other roles 403."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, URLResolver, path
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views import View

from aipim.accounts.models import SCHOOL_ROLES, Role
from aipim.core.views import RoleRequiredMixin
from schools.forms.initiatives import InitiativeFilterForm, InitiativeForm
from schools.models import CulturalInitiative, SchoolYear
from schools.services import initiatives as service

PAGE_SIZE = 25


def managed_initiative(request: HttpRequest, pk: int) -> CulturalInitiative:
    try:
        initiative = service.initiatives_for(request.user).select_related("school").get(pk=pk)
    except CulturalInitiative.DoesNotExist as error:
        raise Http404 from error
    if not service.can_manage_initiatives(request.user, initiative.school_id):
        raise PermissionDenied
    return initiative


def add_errors(form: InitiativeForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
    else:
        form.add_error(None, error.messages)


class InitiativeListView(RoleRequiredMixin, View):
    """Initiatives of the user's schools in a school year, with the year's totals, and the totals
    of every year (the figures of the Action 1 report)."""

    roles = SCHOOL_ROLES
    template_name = "schools/initiatives/list.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        data = request.GET.copy()
        if "school_year" not in data:
            current = SchoolYear.current()
            if current is not None:
                data["school_year"] = str(current.pk)
        form = InitiativeFilterForm(data, user=request.user)
        scope = service.initiatives_for(request.user)
        year = None
        if form.is_valid():
            if form.cleaned_data["school"]:
                scope = scope.filter(school=form.cleaned_data["school"])
            year = form.cleaned_data["school_year"]
        initiatives = service.in_school_year(scope, year) if year else scope
        page = Paginator(initiatives.select_related("school").order_by("-date", "-pk"), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        query = {key: str(value) for key, value in data.items() if key != "page" and value}
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "page": page,
                "page_query": urlencode(query),
                "year": year,
                "totals": service.totals(initiatives),
                "by_year": service.totals_by_school_year(scope),
                "can_add": bool(request.user.organisation_ids(Role.SCHOOL_OPERATOR)),  # type: ignore[union-attr]
                "manages": request.user.organisation_ids(Role.SCHOOL_OPERATOR),  # type: ignore[union-attr]
            },
        )


class InitiativeCreateView(RoleRequiredMixin, View):
    roles = (Role.SCHOOL_OPERATOR,)
    template_name = "schools/initiatives/form.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, {"form": InitiativeForm(user=request.user)})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = InitiativeForm(request.POST, user=request.user)
        if form.is_valid():
            fields = dict(form.cleaned_data)
            school = fields.pop("school")
            try:
                service.create_initiative(school=school, by=request.user, **fields)
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, _("Initiative recorded."))
                return redirect("schools:initiative_list")
        return render(request, self.template_name, {"form": form}, status=400)


class InitiativeEditView(RoleRequiredMixin, View):
    roles = (Role.SCHOOL_OPERATOR,)
    template_name = "schools/initiatives/form.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        initiative = managed_initiative(request, pk)
        form = InitiativeForm(instance=initiative, user=request.user)
        return render(request, self.template_name, {"form": form, "initiative": initiative})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        initiative = managed_initiative(request, pk)
        if "delete" in request.POST:
            service.delete_initiative(initiative=initiative, by=request.user)
            messages.success(request, _("Initiative removed."))
            return redirect("schools:initiative_list")
        form = InitiativeForm(request.POST, instance=CulturalInitiative.objects.get(pk=pk), user=request.user)
        if form.is_valid():
            try:
                service.update_initiative(initiative=initiative, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, _("Initiative saved."))
                return redirect("schools:initiative_list")
        return render(request, self.template_name, {"form": form, "initiative": initiative}, status=400)


urlpatterns: list[URLPattern | URLResolver] = [
    path("initiatives/", InitiativeListView.as_view(), name="initiative_list"),
    path("initiatives/add/", InitiativeCreateView.as_view(), name="initiative_add"),
    path("initiatives/<int:pk>/edit/", InitiativeEditView.as_view(), name="initiative_edit"),
]
