"""Merging two records of one person: every linked record moves, nothing is lost, and only a PUA
supervisor with both people in scope may do it."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from aipim.core.merge import merge_people
from aipim.core.models import AuditEvent, Consent, Person, PersonLink
from pua.models import Case
from pua.services.cases import open_case
from tests.factories import ConsentFactory, PersonFactory
from tests.personas import PERSONAS


@pytest.fixture
def twins(desk_irsina, desk_picerno, caseworker_irsina, caseworker_picerno):
    """Two records of the same woman: one with a case at Irsina, one also known at Picerno."""
    keep = PersonFactory(given_names="Amina", family_names="Benali", phone="", email="", organisation=desk_irsina)
    remove = PersonFactory(
        given_names="Àmina",
        family_names="Ben Ali",
        birth_date=datetime.date(1990, 5, 4),
        email="amina@example.org",
        languages=["ar", "it"],
        organisation=desk_irsina,
    )
    PersonLink.objects.create(person=remove, organisation=desk_picerno, reason="case")
    for person, desk, user in ((keep, desk_irsina, caseworker_irsina), (remove, desk_picerno, caseworker_picerno)):
        ConsentFactory(person=person, organisation=desk, recorded_by=user)
        open_case(person=person, desk=desk, by=user)
    return keep, remove


def test_merge_moves_cases_consents_and_links(twins, supervisor_irsina, desk_irsina, desk_picerno):
    keep, remove = twins
    removed_pk = remove.pk
    merge_people(keep=keep, remove=remove, by=supervisor_irsina)
    assert not Person.objects.filter(pk=removed_pk).exists()
    assert Case.objects.filter(person=keep).count() == 2
    assert Consent.objects.filter(person=keep).count() == 2
    open_links = PersonLink.objects.filter(person=keep, ended_at__isnull=True)
    assert set(open_links.values_list("organisation", "reason")) == {
        (desk_irsina.pk, "case"),
        (desk_irsina.pk, "pua_case"),
        (desk_picerno.pk, "case"),
        (desk_picerno.pk, "pua_case"),
    }
    # The duplicate's own open link to Irsina is kept, ended, for the history.
    assert PersonLink.objects.filter(person=keep, organisation=desk_irsina, ended_at__isnull=False).count() == 1
    assert PersonLink.objects.filter(person=keep).count() == 5  # 2 + 3: no link lost


def test_merge_fills_empty_fields_and_joins_languages(twins, supervisor_irsina):
    keep, remove = twins
    kept_birth = keep.birth_date
    merged = merge_people(keep=keep, remove=remove, by=supervisor_irsina)
    assert merged.email == "amina@example.org"
    assert merged.birth_date == kept_birth  # the kept record's own data wins
    assert merged.languages == ["ar", "fr", "it"]


def test_merge_is_audited_with_both_ids(twins, supervisor_irsina):
    keep, remove = twins
    merge_people(keep=keep, remove=remove, by=supervisor_irsina)
    event = AuditEvent.objects.get(action="person.merge")
    assert event.object_id == str(keep.pk)
    assert event.details["removed_id"] == remove.pk
    assert event.details["moved"]["pua.case"] == 1


def test_cannot_merge_a_record_into_itself(twins, supervisor_irsina):
    keep, _remove = twins
    with pytest.raises(ValidationError):
        merge_people(keep=keep, remove=keep, by=supervisor_irsina)


def test_supervisor_merges_through_the_pages(client_for, supervisor_irsina, twins, settings):
    settings.LANGUAGE_CODE = "en"  # the assertions read English source strings
    keep, remove = twins
    client = client_for(supervisor_irsina)
    url = reverse("pua:merge_people")
    assert "Benali" in client.post(url, {"step": "search", "name": "amina benali"}).content.decode()
    ids = {"keep": keep.public_id, "remove": remove.public_id}
    confirm = client.post(url, {"step": "confirm", **ids})
    assert confirm.status_code == 200
    assert "Merge the records" in confirm.content.decode()
    assert Person.objects.filter(pk=remove.pk).exists()
    done = client.post(url, {"step": "merge", **ids})
    assert done.status_code == 302
    assert not Person.objects.filter(pk=remove.pk).exists()


def test_supervisor_cannot_merge_someone_out_of_scope(client_for, supervisor_irsina, desk_picerno, twins):
    keep, _remove = twins
    stranger = PersonFactory(organisation=desk_picerno)
    response = client_for(supervisor_irsina).post(
        reverse("pua:merge_people"), {"step": "merge", "keep": keep.public_id, "remove": stranger.public_id}
    )
    assert response.status_code == 404
    assert Person.objects.filter(pk=stranger.pk).exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_merge_page_by_role_and_organisation(request, client_for, twins, persona, settings):
    settings.LANGUAGE_CODE = "en"
    keep, remove = twins
    user = request.getfixturevalue(persona)
    client = client_for(user)
    search = client.post(reverse("pua:merge_people"), {"step": "search", "name": "amina benali"})
    confirm = client.post(
        reverse("pua:merge_people"), {"step": "confirm", "keep": keep.public_id, "remove": remove.public_id}
    )
    if persona == "supervisor_irsina":
        assert search.status_code == confirm.status_code == 200
        assert "Benali" in confirm.content.decode()
    else:
        assert search.status_code == 403
        assert confirm.status_code == 403
        assert "Benali" not in search.content.decode() + confirm.content.decode()
