"""What the actions' read APIs share (aipim.core.api): the person inside a record names no one
outside a detail, and a detail read is audited in the name of the record's organisation."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from aipim.core.api import RecordPersonSerializer
from aipim.core.models import AuditEvent, Consent
from pua.api import CasePersonSerializer
from pua.models import Referral
from pua.services.cases import open_case
from schools.api import StudentPersonSerializer
from tests.factories import ConsentFactory, PersonFactory, ServiceFactory

pytestmark = pytest.mark.django_db

NAMES = {"given_names", "family_names", "birth_date"}
LATIN = {"given_names_latin", "family_names_latin"}


def test_outside_a_detail_the_person_is_only_a_public_id(desk_irsina):
    person = PersonFactory(given_names="Mohamed", family_names="Abdel Aziz", organisation=desk_irsina)
    for serializer in (RecordPersonSerializer, CasePersonSerializer, StudentPersonSerializer):
        assert serializer(person).data == {"public_id": str(person.public_id)}, serializer
        assert serializer(person, context={"detail": False}).data == {"public_id": str(person.public_id)}


def test_in_a_detail_the_case_names_the_person_and_the_pupil_has_no_transliteration(desk_irsina):
    person = PersonFactory(given_names="محمد", given_names_latin="Mohamed", organisation=desk_irsina)
    case_person = CasePersonSerializer(person, context={"detail": True}).data
    assert set(case_person) >= NAMES | LATIN and case_person["given_names_latin"] == "Mohamed"
    pupil = StudentPersonSerializer(person, context={"detail": True}).data
    assert set(pupil) >= NAMES and not LATIN & set(pupil)
    assert "Mohamed" not in str(pupil)


def test_pua_reads_are_audited_in_the_name_of_the_desk(client_for, desk_irsina, caseworker_irsina):
    person = PersonFactory(family_names="Abdel Aziz", organisation=desk_irsina)
    ConsentFactory(
        person=person, purpose=Consent.Purpose.CASE_MANAGEMENT, organisation=desk_irsina, recorded_by=caseworker_irsina
    )
    case = open_case(person=person, desk=desk_irsina, by=caseworker_irsina, caseworker=caseworker_irsina)
    referral = Referral.objects.create(
        case=case,
        service=ServiceFactory(),
        reason="lavoro",
        status=Referral.Status.SENT,
        created_by=caseworker_irsina,
        sent_at=timezone.now(),
    )
    client = client_for(caseworker_irsina)
    detail = client.get(reverse("pua-case-detail", args=[case.number])).json()
    assert detail["person"]["family_names"] == "Abdel Aziz"  # the detail flag reached the serializer
    assert client.get(reverse("pua-referral-detail", args=[referral.pk])).status_code == 200
    for noun, pk in (("case", case.pk), ("referral", referral.pk)):
        event = AuditEvent.objects.get(action=f"{noun}.view", object_id=str(pk))
        assert event.user == caseworker_irsina and event.organisation == desk_irsina, noun
    [row] = client.get(reverse("pua-case-list")).json()["results"]
    assert row["person"] == {"public_id": str(person.public_id)}
