"""Sharing and transferring a case between desks: consent first, the receiving desk accepts, the
history stays, and after a transfer the old desk can no longer open the case."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from aipim.accounts.models import Role
from aipim.core.models import AuditEvent, Consent, PersonLink
from aipim.core.services import ConsentMissing, withdraw_consent
from pua.models import Appointment, Case, CaseShare
from pua.services import plan
from pua.services.appointments import book_appointment, calendar_feed_token, cancel_appointment, week_name
from pua.services.cases import LINK_REASON, assign_caseworker, change_status
from pua.services.sharing import can_write_case, decide_share, end_share, request_share
from tests.factories import ConsentFactory, MembershipFactory
from tests.personas import PERSONAS

CASE_MATRIX = [(persona, persona in {"caseworker_irsina", "supervisor_irsina"}) for persona in PERSONAS]


@pytest.fixture
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def sharing_consent(case_irsina, caseworker_irsina, desk_irsina) -> Consent:
    return ConsentFactory(
        person=case_irsina.person,
        purpose=Consent.Purpose.DESK_SHARING,
        organisation=desk_irsina,
        recorded_by=caseworker_irsina,
    )


@pytest.fixture
def transfer_request(case_irsina, desk_picerno, caseworker_irsina, sharing_consent) -> CaseShare:
    return request_share(
        case=case_irsina,
        to_desk=desk_picerno,
        kind=CaseShare.Kind.TRANSFER,
        reason="Moved to Picerno",
        by=caseworker_irsina,
    )


@pytest.fixture
def share_request(case_irsina, desk_picerno, caseworker_irsina, sharing_consent) -> CaseShare:
    return request_share(
        case=case_irsina,
        to_desk=desk_picerno,
        kind=CaseShare.Kind.SHARE,
        reason="Works in Picerno",
        by=caseworker_irsina,
    )


def visible(user, case) -> bool:
    return Case.objects.for_user(user).filter(pk=case.pk).exists()


def test_request_needs_consent_to_sharing_with_another_desk(case_irsina, desk_picerno, caseworker_irsina):
    with pytest.raises(ConsentMissing):
        request_share(
            case=case_irsina, to_desk=desk_picerno, kind=CaseShare.Kind.SHARE, reason="x", by=caseworker_irsina
        )
    assert not CaseShare.objects.exists()


def test_request_form_says_why_without_consent(client_for, caseworker_irsina, case_irsina, desk_picerno, english):
    response = client_for(caseworker_irsina).post(
        reverse("pua:case_share_request", args=[case_irsina.pk]),
        {"kind": "transfer", "desk": desk_picerno.pk, "reason": "Moved"},
    )
    assert response.status_code == 400
    assert "consent to: Sharing with another PUA desk" in response.content.decode()
    assert not CaseShare.objects.exists()


def test_request_by_form(client_for, caseworker_irsina, case_irsina, desk_picerno, sharing_consent):
    response = client_for(caseworker_irsina).post(
        reverse("pua:case_share_request", args=[case_irsina.pk]),
        {"kind": "share", "desk": desk_picerno.pk, "reason": "Works in Picerno"},
    )
    assert response.status_code == 302
    share = CaseShare.objects.get()
    assert (share.kind, share.status, share.from_desk_id, share.desk_id) == (
        "share",
        "requested",
        case_irsina.desk_id,
        desk_picerno.pk,
    )
    assert AuditEvent.objects.filter(action="case.share_request", object_id=str(case_irsina.pk)).exists()


def test_case_cannot_be_shared_with_its_own_desk(case_irsina, desk_irsina, caseworker_irsina, sharing_consent):
    with pytest.raises(ValidationError):
        request_share(case=case_irsina, to_desk=desk_irsina, kind="share", reason="x", by=caseworker_irsina)


def test_closed_case_cannot_be_transferred(case_irsina, desk_picerno, caseworker_irsina, sharing_consent):
    change_status(case=case_irsina, to=Case.Status.CLOSED, by=caseworker_irsina, closing_reason="moved")
    with pytest.raises(ValidationError):
        request_share(case=case_irsina, to_desk=desk_picerno, kind="transfer", reason="x", by=caseworker_irsina)


def test_a_second_pending_request_to_the_same_desk_is_refused(
    share_request, case_irsina, desk_picerno, caseworker_irsina
):
    with pytest.raises(ValidationError):
        request_share(case=case_irsina, to_desk=desk_picerno, kind="transfer", reason="x", by=caseworker_irsina)


def test_share_gives_the_other_desk_access_until_it_ends(
    share_request, caseworker_picerno, caseworker_irsina, case_irsina
):
    assert not visible(caseworker_picerno, case_irsina)
    decide_share(share=share_request, accept=True, by=caseworker_picerno)
    assert visible(caseworker_picerno, case_irsina)
    assert can_write_case(caseworker_picerno, case_irsina)
    assert Case.objects.get(pk=case_irsina.pk).desk_id == case_irsina.desk_id  # the case stays at Irsina
    assert visible(caseworker_irsina, case_irsina)
    end_share(share=share_request, by=caseworker_irsina)
    assert not visible(caseworker_picerno, case_irsina)
    assert not can_write_case(caseworker_picerno, case_irsina)


def test_transfer_moves_the_case_and_keeps_number_and_history(
    transfer_request, caseworker_picerno, caseworker_irsina, supervisor_irsina, case_irsina, desk_irsina, desk_picerno
):
    number = case_irsina.number
    decide_share(share=transfer_request, accept=True, by=caseworker_picerno)
    case = Case.objects.get(pk=case_irsina.pk)
    assert (case.desk_id, case.number, case.caseworker_id) == (desk_picerno.pk, number, None)
    assert case.status_changes.count() == 1
    assert list(case.shares.values_list("kind", "status")) == [("transfer", "accepted")]
    # The person's record follows the case: linked to Picerno, Irsina's PUA link ended.
    links = PersonLink.objects.filter(person=case.person, reason=LINK_REASON)
    assert links.filter(organisation=desk_picerno, ended_at__isnull=True).exists()
    assert not links.filter(organisation=desk_irsina, ended_at__isnull=True).exists()
    assert AuditEvent.objects.filter(action="case.transfer", object_id=str(case.pk), organisation=desk_picerno).exists()
    # The new desk works on it; the old one can no longer open it.
    assert visible(caseworker_picerno, case) and can_write_case(caseworker_picerno, case)
    for old_staff in (caseworker_irsina, supervisor_irsina):
        assert not visible(old_staff, case)
        assert not can_write_case(old_staff, case)


def test_old_desk_cannot_open_the_transferred_case_by_url(
    client_for, transfer_request, caseworker_picerno, caseworker_irsina, case_irsina
):
    decide_share(share=transfer_request, accept=True, by=caseworker_picerno)
    client = client_for(caseworker_irsina)
    assert client.get(reverse("pua:case_share_request", args=[case_irsina.pk])).status_code == 404
    assert client.get(reverse("pua:document_upload", args=[case_irsina.pk])).status_code == 404


def test_transferring_again_gives_the_middle_desk_nothing(
    transfer_request, caseworker_picerno, case_irsina, desk_irsina, caseworker_irsina
):
    decide_share(share=transfer_request, accept=True, by=caseworker_picerno)
    back = request_share(
        case=case_irsina, to_desk=desk_irsina, kind="transfer", reason="Back home", by=caseworker_picerno
    )
    decide_share(share=back, accept=True, by=caseworker_irsina)
    assert visible(caseworker_irsina, case_irsina)
    assert not visible(caseworker_picerno, case_irsina)


def test_declined_request_changes_nothing(transfer_request, caseworker_picerno, case_irsina, caseworker_irsina):
    decide_share(share=transfer_request, accept=False, by=caseworker_picerno)
    assert CaseShare.objects.get().status == "declined"
    assert Case.objects.get(pk=case_irsina.pk).desk_id == case_irsina.desk_id
    assert not visible(caseworker_picerno, case_irsina)
    with pytest.raises(ValidationError):
        decide_share(share=transfer_request, accept=True, by=caseworker_picerno)


def test_only_the_receiving_desk_decides(transfer_request, caseworker_irsina):
    with pytest.raises(PermissionDenied):
        decide_share(share=transfer_request, accept=True, by=caseworker_irsina)


def test_consent_withdrawn_before_acceptance_stops_it(
    transfer_request, sharing_consent, caseworker_picerno, caseworker_irsina
):
    withdraw_consent(consent=sharing_consent, by=caseworker_irsina)
    with pytest.raises(ConsentMissing):
        decide_share(share=transfer_request, accept=True, by=caseworker_picerno)
    assert CaseShare.objects.get().status == "requested"


def test_only_the_case_desk_asks(share_request, caseworker_picerno, case_irsina, desk_irsina):
    decide_share(share=share_request, accept=True, by=caseworker_picerno)
    with pytest.raises(PermissionDenied):
        request_share(case=case_irsina, to_desk=desk_irsina, kind="transfer", reason="x", by=caseworker_picerno)


@pytest.mark.parametrize(("persona", "allowed"), CASE_MATRIX)
def test_share_request_page_by_role_and_organisation(request, client_for, case_irsina, persona, allowed):
    response = client_for(request.getfixturevalue(persona)).get(
        reverse("pua:case_share_request", args=[case_irsina.pk])
    )
    if allowed:
        assert response.status_code == 200
    else:
        assert response.status_code in (403, 404)
        assert case_irsina.number not in response.content.decode()


@pytest.mark.parametrize("persona", PERSONAS)
def test_incoming_requests_by_role_and_organisation(request, client_for, transfer_request, persona):
    response = client_for(request.getfixturevalue(persona)).get(reverse("pua:incoming_shares"))
    # Only the receiving desk (Picerno) sees who the request is about; no non-PUA role opens the page.
    if persona == "caseworker_picerno":
        assert response.status_code == 200
        assert "Abdel Aziz" in response.content.decode()
    elif persona in {"caseworker_irsina", "supervisor_irsina"}:
        assert response.status_code == 200
        assert "Abdel Aziz" not in response.content.decode()
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("persona", PERSONAS)
def test_decide_by_role_and_organisation(request, client_for, transfer_request, desk_picerno, persona):
    response = client_for(request.getfixturevalue(persona)).post(
        reverse("pua:share_decide", args=[transfer_request.pk]), {"decision": "accept"}
    )
    if persona == "caseworker_picerno":
        assert response.status_code == 302
        assert Case.objects.get(pk=transfer_request.case_id).desk_id == desk_picerno.pk
    else:
        assert response.status_code in (403, 404)
        assert CaseShare.objects.get().status == "requested"


@pytest.mark.parametrize(("persona", "allowed"), CASE_MATRIX)
def test_end_share_by_role_and_organisation(request, client_for, share_request, caseworker_picerno, persona, allowed):
    decide_share(share=share_request, accept=True, by=caseworker_picerno)
    response = client_for(request.getfixturevalue(persona)).post(reverse("pua:share_end", args=[share_request.pk]))
    ended = CaseShare.objects.get().ended_at is not None
    # The Picerno desk follows the case through the share, so it may end it too.
    if allowed or persona == "caseworker_picerno":
        assert response.status_code == 302 and ended
    else:
        assert response.status_code in (403, 404) and not ended


def test_sharing_partial_shows_history(share_request, case_irsina):
    from django.template.loader import render_to_string

    html = render_to_string("pua/case/_sharing.html", {"case": case_irsina})
    assert "PUA Picerno" in html
    assert reverse("pua:case_share_request", args=[case_irsina.pk]) in html


# --- What a transfer hands over ----------------------------------------------------------------


def at(days: int, hour: int = 10) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0)))


@pytest.fixture
def work(case_irsina, caseworker_irsina, make_member, desk_irsina, desk_picerno) -> SimpleNamespace:
    """The Irsina caseworker's work on the case before its transfer to Picerno, and one task held by
    someone who works at both desks."""
    both = make_member(Role.CASEWORKER, desk_irsina, email="both.desks@example.org")
    MembershipFactory(user=both, organisation=desk_picerno, role=Role.CASEWORKER)
    both.forget_memberships()
    by = caseworker_irsina

    def appointment(days: int, purpose: str) -> Appointment:
        return book_appointment(
            case=case_irsina, caseworker=by, starts_at=at(days), ends_at=at(days, 11), purpose=purpose, by=by
        )

    plan.record_assessment(case=case_irsina, needs=[("work", 3, "")], by=by)
    goal = plan.add_goal(case=case_irsina, domain="work", description="Find a traineeship", by=by)
    done_action = plan.add_action(goal=goal, description="Register at the job centre", owner=by, by=by)
    plan.complete_action(action=done_action, outcome="Registered", by=by)
    cancelled = appointment(5, "Cancelled meeting")
    cancel_appointment(appointment=cancelled, by=by)
    done_task = plan.add_task(case=case_irsina, title="Copy the permit", due_date=at(-5).date(), by=by, assigned_to=by)
    plan.complete_task(task=done_task, by=by)
    return SimpleNamespace(
        open_task=plan.add_task(
            case=case_irsina, title="Call the landlord", due_date=at(-1).date(), by=by, assigned_to=by
        ),
        done_task=done_task,
        shared_task=plan.add_task(
            case=case_irsina, title="Book the interpreter", due_date=at(2).date(), by=by, assigned_to=both
        ),
        future=appointment(3, "Future meeting"),
        past=appointment(-3, "Past meeting"),
        cancelled=cancelled,
        action=plan.add_action(goal=goal, description="CV in Italian", owner=by, due_date=at(7).date(), by=by),
        done_action=done_action,
        outside_action=plan.add_action(goal=goal, description="Italian course A2", owner_label="the person", by=by),
        both=both,
    )


def holders(work: SimpleNamespace) -> dict[str, int | None]:
    rows = {name: row for name, row in vars(work).items() if name != "both"}
    for row in rows.values():
        row.refresh_from_db()
    return {
        name: getattr(row, "assigned_to_id", None)
        or getattr(row, "caseworker_id", None)
        or getattr(row, "owner_id", None)
        for name, row in rows.items()
    }


def transfer(transfer_request, caseworker_picerno) -> None:
    decide_share(share=transfer_request, accept=True, by=caseworker_picerno)


def test_a_transfer_leaves_the_old_desks_open_work_to_assign_and_keeps_the_history(
    work, transfer_request, caseworker_irsina, caseworker_picerno, desk_picerno
):
    transfer(transfer_request, caseworker_picerno)
    irsina = caseworker_irsina.pk
    assert holders(work) == {
        # open work held by the old desk's caseworker waits for the receiving desk
        "open_task": None,
        "future": None,
        "action": None,
        # someone who also works at the receiving desk keeps theirs
        "shared_task": work.both.pk,
        # done, past and cancelled work is history: it keeps who did it
        "done_task": irsina,
        "past": irsina,
        "cancelled": irsina,
        "done_action": irsina,
        "outside_action": None,  # held by "the person", outside the desk
    }
    assert work.outside_action.owner_label == "the person"
    handovers = AuditEvent.objects.filter(action__endswith=".handover")
    assert sorted((e.action, e.object_id, e.details["from_user"], e.details["to_user"]) for e in handovers) == sorted(
        [
            ("task.handover", str(work.open_task.pk), irsina, None),
            ("appointment.handover", str(work.future.pk), irsina, None),
            ("planaction.handover", str(work.action.pk), irsina, None),
        ]
    )
    assert all(e.user == caseworker_picerno and e.organisation == desk_picerno for e in handovers)


def test_the_receiving_desk_sees_the_work_to_assign_and_its_caseworker_takes_it_over(
    client_for, work, transfer_request, caseworker_picerno, case_irsina, english
):
    transfer(transfer_request, caseworker_picerno)
    client = client_for(caseworker_picerno)
    page = client.get(reverse("pua:case_detail", args=[case_irsina.pk])).content.decode()
    assert "3 tasks, appointments or care plan actions have nobody to do them" in page
    assert page.count(">to assign</span>") == 3
    week = f"?week={week_name(at(3).date())}"
    assert "Future meeting" in client.get(reverse("pua:desk_calendar") + week).content.decode()

    assign_caseworker(case=Case.objects.get(pk=case_irsina.pk), caseworker=caseworker_picerno, by=caseworker_picerno)
    taken = holders(work)
    assert (taken["open_task"], taken["future"], taken["action"]) == (caseworker_picerno.pk,) * 3
    assert taken["past"] != caseworker_picerno.pk and taken["shared_task"] == work.both.pk
    assert AuditEvent.objects.filter(action__endswith=".handover", details__to_user=caseworker_picerno.pk).count() == 3
    page = client.get(reverse("pua:case_detail", args=[case_irsina.pk])).content.decode()
    assert "nobody to do" not in page and ">to assign</span>" not in page
    assert "Future meeting" in client.get(reverse("pua:my_calendar") + week).content.decode()


def test_a_new_caseworker_of_a_case_that_had_one_takes_over_nothing(
    case_irsina, caseworker_irsina, make_member, desk_irsina
):
    unassigned = plan.add_task(case=case_irsina, title="Anyone", due_date=at(1).date(), by=caseworker_irsina)
    colleague = make_member(Role.CASEWORKER, desk_irsina)
    assign_caseworker(case=case_irsina, caseworker=colleague, by=caseworker_irsina)
    unassigned.refresh_from_db()
    assert unassigned.assigned_to is None


def old_caseworker_sees(client, user, appointment) -> dict[str, bool]:
    week = f"?week={week_name(timezone.localdate(appointment.starts_at))}"
    feed = reverse("pua:calendar_feed", args=[calendar_feed_token(user)])
    uid = f"pua-appointment-{appointment.pk}@"
    return {
        "calendar": appointment.purpose in client.get(reverse("pua:my_calendar") + week).content.decode(),
        "ics": uid in client.get(reverse("pua:my_calendar_ics")).content.decode(),
        "feed": uid in Client().get(feed).content.decode(),
    }


def test_the_old_caseworker_no_longer_has_the_work_in_calendar_feed_or_task_list(
    client_for, work, transfer_request, caseworker_irsina, caseworker_picerno
):
    client = client_for(caseworker_irsina)
    assert old_caseworker_sees(client, caseworker_irsina, work.future) == dict.fromkeys(
        ("calendar", "ics", "feed"), True
    )
    assert "Call the landlord" in client.get(reverse("pua:overdue_tasks")).content.decode()
    transfer(transfer_request, caseworker_picerno)
    assert old_caseworker_sees(client, caseworker_irsina, work.future) == dict.fromkeys(
        ("calendar", "ics", "feed"), False
    )
    assert "Call the landlord" not in client.get(reverse("pua:overdue_tasks")).content.decode()


def test_a_case_shared_back_with_the_old_desk_brings_back_its_history_not_the_handed_over_work(
    client_for, work, transfer_request, case_irsina, caseworker_irsina, caseworker_picerno, desk_irsina
):
    """The old desk can read the case again, so only the hand-over keeps the future appointment out
    of the old caseworker's calendar: this is the case where the check above could not tell."""
    transfer(transfer_request, caseworker_picerno)
    back = request_share(case=case_irsina, to_desk=desk_irsina, kind="share", reason="Follow-up", by=caseworker_picerno)
    decide_share(share=back, accept=True, by=caseworker_irsina)
    client = client_for(caseworker_irsina)
    assert old_caseworker_sees(client, caseworker_irsina, work.future) == dict.fromkeys(
        ("calendar", "ics", "feed"), False
    )
    assert old_caseworker_sees(client, caseworker_irsina, work.past) == dict.fromkeys(("calendar", "ics", "feed"), True)
