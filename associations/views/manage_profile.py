"""Managers' pages: the associations a user manages (every one for editors and administrators),
and an association's profile with its contacts and who manages it."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from aipim.accounts.models import Membership, Role
from aipim.core.views import RoleRequiredMixin
from associations.forms.manage import AssociationForm, OrganisationContactsForm
from associations.models import Association, EventStatus
from associations.services.manage import update_association
from associations.views.manage_scope import MANAGE_ROLES, managed_association


class AssociationListView(RoleRequiredMixin, View):
    roles = MANAGE_ROLES
    template_name = "associations/manage/association_list.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        associations = (
            Association.objects.for_user(request.user)  # type: ignore[arg-type]
            .select_related("organisation__municipality")
            .annotate(published=Count("events", filter=Q(events__status=EventStatus.PUBLISHED)))
            .order_by("organisation__name")
        )
        return render(request, self.template_name, {"associations": associations})


class AssociationEditView(RoleRequiredMixin, View):
    roles = MANAGE_ROLES
    template_name = "associations/manage/association_form.html"

    def show(
        self,
        request: HttpRequest,
        association: Association,
        form: AssociationForm,
        contacts: OrganisationContactsForm,
        status: int = 200,
    ) -> HttpResponse:
        today = timezone.localdate()
        managers = (
            Membership.objects.filter(organisation=association.organisation, role=Role.ASSOCIATION_MANAGER)
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
            .select_related("user")
            .order_by("user__email")
        )
        return render(
            request,
            self.template_name,
            {"association": association, "form": form, "contacts": contacts, "managers": managers},
            status=status,
        )

    def get(self, request: HttpRequest, slug: str) -> HttpResponse:
        association = managed_association(request.user, slug)
        return self.show(
            request,
            association,
            AssociationForm(instance=association, prefix="profile"),
            OrganisationContactsForm(instance=association.organisation, prefix="contacts"),
        )

    def post(self, request: HttpRequest, slug: str) -> HttpResponse:
        association = managed_association(request.user, slug)
        # Bound to fresh copies: a bound ModelForm writes its values on its instance.
        form = AssociationForm(request.POST, instance=Association.objects.get(pk=association.pk), prefix="profile")
        contacts = OrganisationContactsForm(
            request.POST, instance=type(association.organisation).objects.get(pk=association.pk), prefix="contacts"
        )
        if form.is_valid() and contacts.is_valid():
            try:
                with transaction.atomic():
                    update_association(
                        association=association,
                        fields={name: form.cleaned_data[name] for name in AssociationForm.Meta.fields},
                        organisation_fields={
                            name: contacts.cleaned_data[name] for name in OrganisationContactsForm.Meta.fields
                        },
                        by=request.user,
                    )
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(request, _("Profile saved."))
                return redirect("associations:association_edit", slug=association.slug)
        return self.show(request, association, form, contacts, status=400)


urlpatterns: list[URLPattern] = [
    path("profiles/", AssociationListView.as_view(), name="association_list"),
    path("profiles/<slug:slug>/", AssociationEditView.as_view(), name="association_edit"),
]
