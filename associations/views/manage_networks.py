"""Managers' pages: networks of associations (list, create, edit with members), and publishing a
network's service in the directory PUA caseworkers refer people to. A network is edited by the
managers of its lead association, and by editors and administrators."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views import View

from aipim.core.models import Service
from aipim.core.views import RoleRequiredMixin
from associations.forms.manage import MembershipFormSet, NetworkForm
from associations.models import Network, NetworkMembership
from associations.services.manage import create_network, publish_network, unpublish_network, update_network
from associations.views.manage_scope import MANAGE_ROLES, managed_network


def member_rows(members: Any) -> list[dict[str, Any]]:
    return members.member_rows()  # type: ignore[no-any-return]


def network_fields(form: NetworkForm) -> dict[str, Any]:
    return {name: form.cleaned_data[name] for name in NetworkForm.Meta.fields}


class NetworkListView(RoleRequiredMixin, View):
    roles = MANAGE_ROLES
    template_name = "associations/manage/network_list.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        networks = (
            Network.objects.for_user(request.user)  # type: ignore[arg-type]
            .select_related("lead__organisation", "service")
            .annotate(member_count=Count("memberships", filter=Q(memberships__left_on__isnull=True)))
            .order_by("name", "pk")
        )
        return render(request, self.template_name, {"networks": networks, "ACTIVE": Service.Status.ACTIVE})


class NetworkFormView(RoleRequiredMixin, View):
    roles = MANAGE_ROLES
    template_name = "associations/manage/network_form.html"

    def show(self, form: NetworkForm, members: Any, network: Network | None = None, status: int = 200) -> HttpResponse:
        return render(
            self.request,
            self.template_name,
            {"form": form, "members": members, "network": network, "ACTIVE": Service.Status.ACTIVE},
            status=status,
        )


def members_queryset(network: Network | None) -> Any:
    if network is None:
        return NetworkMembership.objects.none()
    return network.memberships.select_related("association__organisation").order_by("joined_on", "pk")


class NetworkCreateView(NetworkFormView):
    def get(self, request: HttpRequest) -> HttpResponse:
        return self.show(
            NetworkForm(user=request.user),
            MembershipFormSet(prefix="members", queryset=members_queryset(None)),
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        form = NetworkForm(request.POST, user=request.user)
        members = MembershipFormSet(request.POST, prefix="members", queryset=members_queryset(None))
        if form.is_valid() and members.is_valid():
            try:
                network = create_network(fields=network_fields(form), members=member_rows(members), by=request.user)
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(request, _("Network created."))
                return redirect("associations:network_edit", pk=network.pk)
        return self.show(form, members, status=400)


class NetworkEditView(NetworkFormView):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        network = managed_network(request.user, pk)
        return self.show(
            NetworkForm(instance=network, user=request.user),
            MembershipFormSet(instance=network, prefix="members", queryset=members_queryset(network)),
            network,
        )

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        network = managed_network(request.user, pk)
        fresh = Network.objects.get(pk=network.pk)
        form = NetworkForm(request.POST, instance=fresh, user=request.user)
        members = MembershipFormSet(request.POST, instance=fresh, prefix="members", queryset=members_queryset(network))
        if form.is_valid() and members.is_valid():
            try:
                update_network(
                    network=network, fields=network_fields(form), members=member_rows(members), by=request.user
                )
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(request, _("Network saved."))
                return redirect("associations:network_edit", pk=network.pk)
        return self.show(form, members, network, status=400)


class NetworkPublishView(RoleRequiredMixin, View):
    """POST publish=1 puts the network's service in the directory; publish=0 takes it out."""

    roles = MANAGE_ROLES

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        network = managed_network(request.user, pk)
        if request.POST.get("publish") == "0":
            unpublish_network(network=network, by=request.user)
            messages.success(request, _("The network's service is no longer offered in the directory."))
        else:
            try:
                publish_network(network=network, by=request.user)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, _("The network's service is published in the service directory."))
        return redirect("associations:network_edit", pk=network.pk)


urlpatterns: list[URLPattern] = [
    path("networks/", NetworkListView.as_view(), name="network_list"),
    path("networks/add/", NetworkCreateView.as_view(), name="network_add"),
    path("networks/<int:pk>/", NetworkEditView.as_view(), name="network_edit"),
    path("networks/<int:pk>/publish/", NetworkPublishView.as_view(), name="network_publish"),
]
