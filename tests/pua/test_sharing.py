"""Sharing and transferring a case between desks: consent first, the receiving desk accepts, the
history stays, and after a transfer the old desk can no longer open the case."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from aipim.core.models import AuditEvent, Consent, PersonLink
from aipim.core.services import ConsentMissing, withdraw_consent
from pua.models import Case, CaseShare
from pua.services.cases import LINK_REASON, change_status
from pua.services.sharing import can_write_case, decide_share, end_share, request_share
from tests.factories import ConsentFactory
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
