"""The schools' read API on the shared viewset (aipim.core.api): a detail read is audited in the
name of the school, a list names no pupil, a detail names them without the transliteration."""

from __future__ import annotations

import pytest
from django.urls import reverse

from aipim.core.models import AuditEvent
from tests.schools.test_api import make_signal

pytestmark = pytest.mark.django_db


def test_school_reads_are_audited_in_the_name_of_the_school(
    client_for, operator_school_potenza, student_potenza, school_potenza
):
    signal = make_signal(student_potenza)
    client = client_for(operator_school_potenza)
    detail = client.get(reverse("schools-student-detail", args=[student_potenza.pk])).json()
    assert detail["person"]["family_names"] == student_potenza.person.family_names
    assert "given_names_latin" not in detail["person"]
    assert client.get(reverse("schools-risksignal-detail", args=[signal.pk])).status_code == 200
    for noun, pk in (("student", student_potenza.pk), ("risksignal", signal.pk)):
        event = AuditEvent.objects.get(action=f"{noun}.view", object_id=str(pk))
        assert event.user == operator_school_potenza and event.organisation == school_potenza, noun
    [row] = client.get(reverse("schools-student-list")).json()["results"]
    assert row["person"] == {"public_id": str(student_potenza.person.public_id)}


def test_a_school_record_is_read_by_a_number_only(client_for, operator_school_potenza, student_potenza):
    client = client_for(operator_school_potenza)
    by_public_id = f"{reverse('schools-student-list')}{student_potenza.person.public_id}/"
    assert client.get(by_public_id).status_code == 404
    assert client.get(reverse("schools-student-detail", args=[student_potenza.pk])).status_code == 200
