"""Managers' pages for association profiles and networks: edit a profile and its organisation's
contacts, who manages it; create and edit a network with members; publish it in the service
directory and take it out."""

from __future__ import annotations

import pytest
from django.urls import reverse

from aipim.core.models import AuditEvent, Service
from associations.models import Network, NetworkMembership, NetworkSpecialty


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    settings.LANGUAGE_CODE = "en"


def profile_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "profile-legal_form": "aps",
        "profile-runts_number": "987654",
        "profile-founded_year": "2015",
        "profile-languages": "it, ar, ti",
        "profile-is_migrant_led": "on",
        "profile-address": "Via Pretoria 5",
        "profile-is_public": "on",
        "contacts-email": "info@ponti.example.org",
        "contacts-phone": "0971 123456",
        "contacts-website": "ponti.example.org",
        "contacts-description_it": "Associazione di promozione sociale.",
        "contacts-description_ar": "جمعية",
    }
    data.update(overrides)
    return data


def test_manager_edits_the_profile_and_contacts(client_for, manager_association, ponti):
    client = client_for(manager_association)
    page = client.get(reverse("associations:association_edit", args=[ponti.slug])).content.decode()
    assert manager_association.email in page  # who manages it
    response = client.post(reverse("associations:association_edit", args=[ponti.slug]), profile_data())
    assert response.status_code == 302
    ponti.refresh_from_db()
    ponti.organisation.refresh_from_db()
    assert ponti.runts_number == "987654" and ponti.founded_year == 2015 and ponti.languages == ["it", "ar", "ti"]
    assert ponti.organisation.email == "info@ponti.example.org"
    assert ponti.organisation.website == "https://ponti.example.org"
    assert ponti.organisation.description_ar == "جمعية"
    event = AuditEvent.objects.get(action="association.change")
    assert "runts_number" in event.details["fields"] and "email" in event.details["fields"]


def test_a_runts_number_taken_by_another_association_is_refused(
    client_for, manager_association, ponti, other_association
):
    other_association.runts_number = "555"
    other_association.save()
    response = client_for(manager_association).post(
        reverse("associations:association_edit", args=[ponti.slug]), profile_data(**{"profile-runts_number": "555"})
    )
    assert response.status_code == 400
    ponti.refresh_from_db()
    assert ponti.runts_number == "123456"


def test_manager_cannot_edit_another_association(client_for, manager_association, ponti, other_association):
    client = client_for(manager_association)
    url = reverse("associations:association_edit", args=[other_association.slug])
    assert client.get(url).status_code == 404
    assert client.post(url, profile_data()).status_code == 404


def test_editor_edits_any_association_profile(client_for, editor, other_association):
    response = client_for(editor).post(
        reverse("associations:association_edit", args=[other_association.slug]), profile_data()
    )
    assert response.status_code == 302
    other_association.refresh_from_db()
    assert other_association.runts_number == "987654"


def network_data(lead, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name_it": "Rete Diritti Basilicata",
        "name_en": "Basilicata rights network",
        "specialty": NetworkSpecialty.LEGAL,
        "lead": lead.pk,
        "description_it": "Orientamento legale gratuito.",
        "description_fr": "Orientation juridique gratuite.",
        "how_to_access_it": "Su appuntamento.",
        "email": "rete@example.org",
        "is_active": "on",
        "members-TOTAL_FORMS": "2",
        "members-INITIAL_FORMS": "0",
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "1000",
        "members-0-association": "",
        "members-0-role": "",
        "members-0-joined_on": "2025-01-10",
        "members-1-association": "",
        "members-1-role": "",
    }
    data.update(overrides)
    return data


def test_manager_creates_a_network_with_a_member(client_for, manager_association, ponti, other_association):
    response = client_for(manager_association).post(
        reverse("associations:network_add"),
        network_data(ponti, **{"members-0-association": other_association.pk, "members-0-role": "sportello legale"}),
    )
    network = Network.objects.get()
    assert response.status_code == 302
    assert network.slug == "rete-diritti-basilicata" and network.description_fr == "Orientation juridique gratuite."
    members = {m.association_id: m for m in NetworkMembership.objects.filter(network=network)}
    assert set(members) == {ponti.pk, other_association.pk}  # the lead is a member too
    assert members[other_association.pk].role == "sportello legale"


def test_manager_cannot_lead_a_network_with_another_association(
    client_for, manager_association, ponti, other_association
):
    response = client_for(manager_association).post(
        reverse("associations:network_add"), network_data(other_association)
    )
    assert response.status_code == 400
    assert not Network.objects.exists()


@pytest.fixture
def network(ponti, other_association) -> Network:
    network = Network.objects.create(
        name_it="Rete Salute",
        name_en="Health network",
        slug="rete-salute",
        specialty=NetworkSpecialty.HEALTH_MEDIATION,
        description_it="Mediazione sanitaria.",
        description_ar="وساطة صحية",
        how_to_access_it="Chiamare il numero.",
        lead=ponti,
    )
    NetworkMembership.objects.create(network=network, association=ponti)
    NetworkMembership.objects.create(network=network, association=other_association)
    return network


def test_a_member_leaves_the_network(client_for, manager_association, network, other_association):
    membership = network.memberships.get(association=other_association)
    ponti_membership = network.memberships.exclude(pk=membership.pk).get()
    data = network_data(
        network.lead,
        **{
            "members-TOTAL_FORMS": "2",
            "members-INITIAL_FORMS": "2",
            "members-0-id": ponti_membership.pk,
            "members-0-association": ponti_membership.association_id,
            "members-0-joined_on": ponti_membership.joined_on.isoformat(),
            "members-1-id": membership.pk,
            "members-1-association": other_association.pk,
            "members-1-joined_on": membership.joined_on.isoformat(),
            "members-1-left_on": "2099-01-01",
        },
    )
    response = client_for(manager_association).post(reverse("associations:network_edit", args=[network.pk]), data)
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.left_on is not None and membership.left_on.year == 2099


def test_publish_creates_the_directory_service_then_unpublish_makes_it_inactive(
    client_for, manager_association, network, ponti
):
    client = client_for(manager_association)
    url = reverse("associations:network_publish", args=[network.pk])
    assert client.post(url, {"publish": "1"}).status_code == 302
    network.refresh_from_db()
    service = network.service
    assert service is not None
    assert service.organisation == ponti.organisation
    assert service.category == "health" and service.status == Service.Status.ACTIVE
    assert service.name_it == "Rete Salute" and service.name_en == "Health network"
    assert service.description_ar == "وساطة صحية" and service.application_process_it == "Chiamare il numero."
    assert Service.objects.published().filter(pk=service.pk).exists()

    client.post(url, {"publish": "0"})
    service.refresh_from_db()
    assert service.status == Service.Status.INACTIVE

    client.post(url, {"publish": "1"})
    network.refresh_from_db()
    assert network.service_id == service.pk  # the same service, not a second one
    assert Service.objects.count() == 1
    service.refresh_from_db()
    assert service.status == Service.Status.ACTIVE


def test_editing_a_published_network_updates_its_service(client_for, manager_association, network, ponti):
    client = client_for(manager_association)
    client.post(reverse("associations:network_publish", args=[network.pk]), {"publish": "1"})
    data = network_data(ponti, name_it="Rete Salute Basilicata", **{"members-TOTAL_FORMS": "0"})
    assert client.post(reverse("associations:network_edit", args=[network.pk]), data).status_code == 302
    network.refresh_from_db()
    assert network.service is not None and network.service.name_it == "Rete Salute Basilicata"


def test_manager_of_a_member_association_cannot_edit_the_network(client_for, manager_other, network):
    client = client_for(manager_other)
    assert client.get(reverse("associations:network_edit", args=[network.pk])).status_code == 404
    assert client.post(reverse("associations:network_publish", args=[network.pk])).status_code == 404
    assert "Rete Salute" not in client.get(reverse("associations:network_list")).content.decode()


def test_network_list_runs_a_fixed_number_of_queries(client_for, editor, ponti, django_assert_max_num_queries):
    client = client_for(editor)

    def add(count: int) -> None:
        for _ in range(count):
            number = Network.objects.count() + 1
            Network.objects.create(
                name=f"Rete {number}", slug=f"rete-{number}", specialty="legal", description="d", lead=ponti
            )

    add(1)
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("associations:network_list"))
    add(8)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("associations:network_list"))
