"""Case notes: encrypted at rest, restricted notes for the case's caseworker and the desk's
supervisors, health and legal notes for staff with data-protection training in force, every read
audited (the case page's one `case.view` record lists the notes whose text it showed)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from aipim.accounts.models import Role
from aipim.core.models import AuditEvent
from pua.models import Note, TrainingCourse, TrainingRecord
from pua.services.notes import add_note, read_notes
from tests.personas import PERSONAS

SEES_IRSINA_CASE = {"caseworker_irsina", "supervisor_irsina"}


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def dp_course() -> TrainingCourse:
    return TrainingCourse.objects.create(title="GDPR", hours=4, data_protection=True, valid_for_days=365)


def train(user, desk, course, *, valid_until):
    return TrainingRecord.objects.create(
        user=user,
        desk=desk,
        course=course,
        completed_on=timezone.localdate() - datetime.timedelta(days=30),
        hours_attended=4,
        valid_until=valid_until,
    )


@pytest.fixture
def colleague(make_member, desk_irsina):
    """Another caseworker at Irsina, who is not the case's caseworker."""
    return make_member(Role.CASEWORKER, desk_irsina, email="colleague.irsina@example.org")


def test_note_is_encrypted_at_rest(case_irsina, caseworker_irsina):
    note = add_note(case=case_irsina, body="Has two children at school", by=caseworker_irsina)
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM pua_note WHERE id = %s", [note.pk])
        (stored,) = cursor.fetchone()
    assert "children" not in stored
    assert Note.objects.get(pk=note.pk).body == "Has two children at school"


@pytest.mark.parametrize("persona", PERSONAS)
def test_general_note_by_role_and_organisation(request, client_for, case_irsina, caseworker_irsina, persona):
    note = add_note(case=case_irsina, body="Prefers morning meetings", by=caseworker_irsina)
    user = request.getfixturevalue(persona)
    response = client_for(user).get(reverse("pua:case_detail", args=[case_irsina.pk]))
    assert ("Prefers morning meetings" in response.content.decode()) is (persona in SEES_IRSINA_CASE)
    read = AuditEvent.objects.filter(user=user, action="case.view", details__notes=[note.pk])
    assert read.exists() is (persona in SEES_IRSINA_CASE)


def test_restricted_note_for_the_caseworker_and_the_supervisors(
    client_for, case_irsina, caseworker_irsina, supervisor_irsina, colleague
):
    add_note(case=case_irsina, body="Reported violence at home", restricted=True, by=caseworker_irsina)
    url = reverse("pua:case_detail", args=[case_irsina.pk])
    assert "Reported violence" in client_for(caseworker_irsina).get(url).content.decode()
    assert "Reported violence" in client_for(supervisor_irsina).get(url).content.decode()
    page = client_for(colleague).get(url).content.decode()
    assert "Reported violence" not in page
    assert "Restricted note" in page  # the colleague sees that a note exists
    views = {event.user: event.details for event in AuditEvent.objects.filter(action="case.view")}
    note_id = case_irsina.notes.get().pk
    for reader in (caseworker_irsina, supervisor_irsina):
        assert views[reader]["notes"] == [note_id] and views[reader]["restricted_notes"] is True
    assert views[colleague] == {"notes": [], "restricted_notes": False, "health_or_legal_notes": False}


def test_health_note_needs_training_to_write(case_irsina, caseworker_irsina):
    with pytest.raises(ValidationError):
        add_note(case=case_irsina, body="Diabetes", kind=Note.Kind.HEALTH, by=caseworker_irsina)


def test_untrained_staff_cannot_choose_a_health_note(client_for, case_irsina, caseworker_irsina):
    response = client_for(caseworker_irsina).post(
        reverse("pua:note_add", args=[case_irsina.pk]), {"kind": "health", "body": "Diabetes"}
    )
    assert response.status_code == 400
    assert not case_irsina.notes.exists()


def test_health_and_legal_notes_for_trained_staff_only(
    client_for, case_irsina, caseworker_irsina, supervisor_irsina, desk_irsina, dp_course
):
    train(caseworker_irsina, desk_irsina, dp_course, valid_until=timezone.localdate() + datetime.timedelta(days=10))
    add_note(case=case_irsina, body="Diabetes, insulin daily", kind=Note.Kind.HEALTH, by=caseworker_irsina)
    add_note(case=case_irsina, body="Permit expires in May", kind=Note.Kind.LEGAL, by=caseworker_irsina)
    url = reverse("pua:case_detail", args=[case_irsina.pk])
    trained_page = client_for(caseworker_irsina).get(url).content.decode()
    assert "Diabetes" in trained_page and "Permit expires" in trained_page
    untrained_page = client_for(supervisor_irsina).get(url).content.decode()
    assert "Diabetes" not in untrained_page and "Permit expires" not in untrained_page
    assert untrained_page.count("can be read with data-protection training in force") == 2


def test_expired_training_removes_access_at_once(case_irsina, caseworker_irsina, desk_irsina, dp_course):
    record = train(caseworker_irsina, desk_irsina, dp_course, valid_until=timezone.localdate())
    add_note(case=case_irsina, body="Diabetes", kind=Note.Kind.HEALTH, by=caseworker_irsina)
    assert read_notes(case=case_irsina, user=caseworker_irsina)[0].body == "Diabetes"  # valid through today

    record.valid_until = timezone.localdate() - datetime.timedelta(days=1)
    record.save()
    (note,) = read_notes(case=case_irsina, user=caseworker_irsina)
    assert not note.readable and note.body == ""


def test_every_view_of_the_case_page_records_the_notes_it_showed(
    client_for, case_irsina, caseworker_irsina, supervisor_irsina, desk_irsina, dp_course
):
    train(caseworker_irsina, desk_irsina, dp_course, valid_until=timezone.localdate() + datetime.timedelta(days=10))
    first = add_note(case=case_irsina, body="One", by=caseworker_irsina)
    health = add_note(case=case_irsina, body="Asthma", kind=Note.Kind.HEALTH, by=caseworker_irsina)
    url = reverse("pua:case_detail", args=[case_irsina.pk])
    client_for(caseworker_irsina).get(url)
    client_for(caseworker_irsina).get(url)
    client_for(supervisor_irsina).get(url)  # not trained: the health note's text is not shown
    views = AuditEvent.objects.filter(action="case.view", object_id=str(case_irsina.pk)).order_by("pk")
    assert [
        (event.user, sorted(event.details["notes"]), event.details["health_or_legal_notes"]) for event in views
    ] == [
        (caseworker_irsina, sorted([first.pk, health.pk]), True),
        (caseworker_irsina, sorted([first.pk, health.pk]), True),
        (supervisor_irsina, [first.pk], False),
    ]
    assert all(event.organisation == desk_irsina for event in views)
    assert all("One" not in str(event.details) and "Asthma" not in str(event.details) for event in views)
    assert not AuditEvent.objects.filter(action="note.view").exists()  # one record per page, not per note


def test_note_added_through_the_page(client_for, case_irsina, caseworker_irsina):
    response = client_for(caseworker_irsina).post(
        reverse("pua:note_add", args=[case_irsina.pk]), {"kind": "general", "body": "Called, no answer"}
    )
    assert response.status_code == 302
    note = case_irsina.notes.get()
    assert note.author == caseworker_irsina and not note.restricted
