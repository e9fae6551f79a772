"""The support case file for a student or a family: encrypted notes with audited reads, actions
with owners and due dates, closing with a note, and the hand-off to a PUA desk only with consent."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from aipim.core.models import AuditEvent, Consent, Organisation, Person, PersonLink
from aipim.core.services import ConsentMissing
from schools.models import SupportCase
from schools.services import helpdesk as service
from tests.factories import ConsentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sibling(make_student, school_potenza, class_potenza):
    return make_student(school_potenza, school_class=class_potenza, given_names="Youssef", family_names="Haddad")


@pytest.fixture
def case(student_potenza, sibling, operator_school_potenza):
    return service.open_case(
        school=student_potenza.school,
        students=[student_potenza, sibling],
        title="Famiglia Haddad",
        by=operator_school_potenza,
        referent=operator_school_potenza,
    )


def test_a_family_case_holds_the_siblings(case, student_potenza, sibling):
    assert set(case.students.all()) == {student_potenza, sibling}
    assert case.origin == SupportCase.Origin.DESK and case.act_by is None
    assert AuditEvent.objects.get(action="supportcase.open").details["students"] == [student_potenza.pk, sibling.pk]


def test_students_of_another_school_cannot_join(
    student_potenza, student_matera, operator_school_potenza, staff_school_matera
):
    with pytest.raises(ValidationError):
        service.open_case(
            school=student_potenza.school,
            students=[student_potenza, student_matera],
            title="x",
            by=operator_school_potenza,
        )
    with pytest.raises(PermissionDenied):
        service.open_case(school=student_potenza.school, students=[student_potenza], title="x", by=staff_school_matera)


def test_notes_are_encrypted_and_every_read_is_audited(case, operator_school_potenza, client_for):
    note = service.add_case_note(case=case, body="Il padre ha perso il lavoro.", by=operator_school_potenza)
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM schools_supportcasenote WHERE id = %s", [note.pk])
        assert "lavoro" not in cursor.fetchone()[0]
    page = client_for(operator_school_potenza).get(reverse("schools:supportcase_detail", args=[case.pk]))
    assert "Il padre ha perso il lavoro." in page.content.decode()
    read = AuditEvent.objects.get(action="supportcasenote.read")
    assert read.details["notes"] == [note.pk] and read.object_id == str(case.pk)
    assert "lavoro" not in str(read.details)


def test_actions_have_an_owner_and_a_due_date_and_are_done_once(case, operator_school_potenza, staff_school_matera):
    with pytest.raises(ValidationError, match="owner must work at the school"):
        service.add_action(case=case, title="Visit", by=operator_school_potenza, owner=staff_school_matera)
    action = service.add_action(
        case=case,
        title="Meet the class council",
        by=operator_school_potenza,
        owner=operator_school_potenza,
        due_on=timezone.localdate() + datetime.timedelta(days=5),
    )
    done = service.complete_action(action=action, by=operator_school_potenza, outcome="Extra hours agreed")
    assert done.done_at is not None and done.outcome == "Extra hours agreed"
    with pytest.raises(ValidationError):
        service.complete_action(action=action, by=operator_school_potenza)


def test_a_closed_case_needs_a_note_and_takes_nothing_more(case, operator_school_potenza):
    with pytest.raises(ValidationError):
        service.close_case(case=case, note=" ", by=operator_school_potenza)
    closed = service.close_case(case=case, note="Family moved to Bari", by=operator_school_potenza)
    assert (
        closed.status == SupportCase.Status.CLOSED
        and closed.closed_at
        and closed.closing_note == "Family moved to Bari"
    )
    for write in (
        lambda: service.add_case_note(case=case, body="x", by=operator_school_potenza),
        lambda: service.add_action(case=case, title="x", by=operator_school_potenza),
        lambda: service.close_case(case=case, note="again", by=operator_school_potenza),
    ):
        with pytest.raises(ValidationError, match="closed"):
            write()


def test_the_page_opens_a_family_case(client_for, operator_school_potenza, student_potenza, sibling, desk_potenza):
    client = client_for(operator_school_potenza)
    form = client.get(reverse("schools:supportcase_add"), {"student": student_potenza.pk}).content.decode()
    assert f'value="{student_potenza.pk}" selected' in form
    response = client.post(
        reverse("schools:supportcase_add"),
        {
            "students": [student_potenza.pk, sibling.pk],
            "title": "Haddad",
            "help_desk": desk_potenza.pk,
            "referent": operator_school_potenza.pk,
        },
    )
    assert response.status_code == 302
    case = SupportCase.objects.get()
    assert case.help_desk == desk_potenza and case.students.count() == 2


def test_the_case_pages_forms_add_a_note_an_action_and_close(client_for, operator_school_potenza, case):
    client = client_for(operator_school_potenza)
    do = lambda what, data: client.post(reverse("schools:supportcase_do", args=[case.pk, what]), data)  # noqa: E731
    assert do("note", {"body": "Primo colloquio"}).status_code == 302
    assert do("action", {"title": "Chiamare la madre", "owner": operator_school_potenza.pk}).status_code == 302
    assert do("action", {"title": ""}).status_code == 400
    action = case.actions.get()
    assert client.post(reverse("schools:supportaction_done", args=[action.pk]), {"outcome": "ok"}).status_code == 302
    assert do("close", {"note": "Risolto"}).status_code == 302
    case.refresh_from_db()
    assert case.status == "closed" and case.acted_at is not None
    page = client.get(reverse("schools:supportcase_detail", args=[case.pk])).content.decode()
    assert "Add note" not in page and "Hand off" not in page


def test_late_cases_are_listed_apart(client_for, operator_school_potenza, case, student_potenza):
    SupportCase.objects.filter(pk=case.pk).update(act_by=timezone.localdate() - datetime.timedelta(days=1))
    late = client_for(operator_school_potenza).get(reverse("schools:supportcase_list"), {"late": "1"}).content.decode()
    assert "Famiglia Haddad" in late
    service.add_action(case=case, title="Call", by=operator_school_potenza)
    late = client_for(operator_school_potenza).get(reverse("schools:supportcase_list"), {"late": "1"}).content.decode()
    assert "Famiglia Haddad" not in late


# --- Hand-off to a PUA desk --------------------------------------------------------------------


def test_no_hand_off_without_the_consent(case, student_potenza, desk_irsina, operator_school_potenza):
    with pytest.raises(ConsentMissing):
        service.hand_off_to_pua(
            case=case, person=student_potenza.person, desk=desk_irsina, reason="Housing", by=operator_school_potenza
        )
    assert not PersonLink.objects.filter(organisation=desk_irsina).exists()


def test_the_form_says_why_when_the_consent_is_missing(
    client_for, operator_school_potenza, case, student_potenza, desk_irsina
):
    client = client_for(operator_school_potenza)
    page = client.get(reverse("schools:supportcase_detail", args=[case.pk])).content.decode()
    assert "no consent: cannot be handed off" in page
    response = client.post(
        reverse("schools:supportcase_do", args=[case.pk, "handoff"]),
        {"person": student_potenza.person.pk, "desk": desk_irsina.pk, "reason": "Housing"},
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "Hand-off from school to a PUA desk" in text and "record the consent" in text
    assert not PersonLink.objects.filter(organisation=desk_irsina).exists()


def test_with_consent_the_pua_desk_finds_the_person_and_nothing_else(
    client_for, operator_school_potenza, case, student_potenza, desk_irsina, school_potenza, caseworker_irsina
):
    ConsentFactory(
        person=student_potenza.person,
        purpose=Consent.Purpose.SCHOOL_TO_PUA,
        organisation=school_potenza,
        recorded_by=operator_school_potenza,
        given_by_name="Fatima Haddad",
    )
    assert not Person.objects.for_user(caseworker_irsina).filter(pk=student_potenza.person.pk).exists()
    people_before = Person.objects.count()
    response = client_for(operator_school_potenza).post(
        reverse("schools:supportcase_do", args=[case.pk, "handoff"]),
        {"person": student_potenza.person.pk, "desk": desk_irsina.pk, "reason": "Family needs housing support"},
    )
    assert response.status_code == 302
    link = PersonLink.objects.get(organisation=desk_irsina)
    assert link.person == student_potenza.person and link.reason == service.HANDOFF_REASON
    assert Person.objects.count() == people_before  # nothing copied
    caseworker_irsina.forget_memberships()
    assert Person.objects.for_user(caseworker_irsina).filter(pk=student_potenza.person.pk).exists()
    # The school's case stays the school's.
    assert not SupportCase.objects.for_user(caseworker_irsina).exists()
    assert "Family needs housing support" in case.notes.get().body
    event = AuditEvent.objects.get(action="supportcase.handoff")
    assert event.details == {"desk": desk_irsina.pk, "person": student_potenza.person.pk}
    case.refresh_from_db()
    assert case.acted_at is not None


def test_hand_off_only_of_the_cases_people_to_an_open_pua_desk(
    case, student_matera, school_matera, desk_irsina, operator_school_potenza
):
    with pytest.raises(ValidationError, match="not part of the case"):
        service.hand_off_to_pua(
            case=case, person=student_matera.person, desk=desk_irsina, reason="x", by=operator_school_potenza
        )
    with pytest.raises(ValidationError, match="PUA desk"):
        service.hand_off_to_pua(
            case=case, person=case.students.first().person, desk=school_matera, reason="x", by=operator_school_potenza
        )
    assert school_matera.kind == Organisation.Kind.SCHOOL


def test_a_guardian_can_be_handed_off_with_their_own_consent(
    case, student_potenza, desk_irsina, school_potenza, operator_school_potenza
):
    mother = student_potenza.guardians.get().person
    ConsentFactory(
        person=mother,
        purpose=Consent.Purpose.SCHOOL_TO_PUA,
        organisation=school_potenza,
        recorded_by=operator_school_potenza,
    )
    handoff = service.hand_off_to_pua(
        case=case, person=mother, desk=desk_irsina, reason="Job search", by=operator_school_potenza
    )
    assert handoff.created
    again = service.hand_off_to_pua(
        case=case, person=mother, desk=desk_irsina, reason="Job search", by=operator_school_potenza
    )
    assert not again.created and PersonLink.objects.filter(organisation=desk_irsina).count() == 1
