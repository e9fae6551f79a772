"""Who may change a case, and the ways a case reaches another desk: a share or a transfer (with the
person's consent and the receiving desk's acceptance) and emergency read access (break glass)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from aipim.accounts.models import PUA_ROLES, Role, users_with_role
from aipim.core import audit
from aipim.core.models import Consent, Organisation
from aipim.core.services import link_person, require_consent, unlink_person
from pua.models import BREAK_GLASS_HOURS, BreakGlassGrant, Case, CaseShare
from pua.services.cases import LINK_REASON, hand_over, open_work
from pua.services.plan import desk_staff

BREAK_GLASS_NOTIFIED = "break_glass.notify"


def can_write_case(user: Any, case: Case) -> bool:
    """True for the staff of the case's own desk and of desks it is shared with (accepted, not ended).

    Emergency access (break glass) lets a user read a case, never change it: it does not count here."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    desks = user.organisation_ids(*PUA_ROLES)
    if not desks:
        return False
    if case.desk_id in desks:
        return True
    return case.shares.filter(
        desk__in=desks, kind=CaseShare.Kind.SHARE, status=CaseShare.Status.ACCEPTED, ended_at__isnull=True
    ).exists()


def require_write(user: Any, case: Case) -> None:
    if not can_write_case(user, case):
        raise PermissionDenied(_("You can read this case but not change it."))


def _is_desk_staff(user: Any, desk_id: int) -> bool:
    return desk_id in user.organisation_ids(*PUA_ROLES)


# --- Shares and transfers ------------------------------------------------------------------------


@transaction.atomic
def request_share(*, case: Case, to_desk: Organisation, kind: str, reason: str, by: Any) -> CaseShare:
    """Ask `to_desk` to take the case over (transfer) or to follow it too (share).

    Only the case's own desk asks, and only with the person's consent to sharing with another desk."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    if not _is_desk_staff(by, case.desk_id):
        raise PermissionDenied(_("Only the staff of the case's desk can share or transfer it."))
    if case.status == Case.Status.CLOSED:
        raise ValidationError(_("A closed case cannot be shared or transferred."))
    if to_desk.kind != Organisation.Kind.PUA_DESK or not to_desk.is_active:
        raise ValidationError(_("Cases are shared with or transferred to a PUA desk."))
    if to_desk.pk == case.desk_id:
        raise ValidationError(_("The case is already at this desk."))
    require_consent(case.person, Consent.Purpose.DESK_SHARING)
    pending = case.shares.filter(status=CaseShare.Status.REQUESTED)
    if pending.filter(desk=to_desk).exists():
        raise ValidationError(_("A request to this desk is already waiting for an answer."))
    if kind == CaseShare.Kind.TRANSFER and pending.filter(kind=CaseShare.Kind.TRANSFER).exists():
        raise ValidationError(_("A transfer of this case is already waiting for an answer."))
    if (
        kind == CaseShare.Kind.SHARE
        and case.shares.filter(
            desk=to_desk, kind=CaseShare.Kind.SHARE, status=CaseShare.Status.ACCEPTED, ended_at__isnull=True
        ).exists()
    ):
        raise ValidationError(_("The case is already shared with this desk."))
    share = CaseShare.objects.create(
        case=case, kind=kind, from_desk_id=case.desk_id, desk=to_desk, reason=reason, requested_by=by
    )
    audit.record(by, f"case.{kind}_request", case, organisation=case.desk, share=share.pk, to_desk=to_desk.pk)
    return share


@transaction.atomic
def decide_share(*, share: CaseShare, accept: bool, by: Any) -> CaseShare:
    """The receiving desk accepts or declines. Accepting a transfer moves the case (number and history
    stay with it) and the person's record from the old desk to the new one."""
    share = CaseShare.objects.select_for_update().select_related("case", "desk").get(pk=share.pk)
    if not _is_desk_staff(by, share.desk_id):
        raise PermissionDenied(_("Only the staff of the receiving desk can answer this request."))
    if share.status != CaseShare.Status.REQUESTED:
        raise ValidationError(_("This request has already been answered."))
    case = Case.objects.select_for_update().select_related("person", "desk").get(pk=share.case_id)
    now = timezone.now()
    share.decided_by = by
    share.decided_at = now
    if not accept:
        share.status = CaseShare.Status.DECLINED
        share.save(update_fields=["status", "decided_by", "decided_at"])
        audit.record(by, f"case.{share.kind}_decline", case, organisation=share.desk, share=share.pk)
        return share
    # The consent may have been withdrawn while the request waited.
    require_consent(case.person, Consent.Purpose.DESK_SHARING)
    if case.status == Case.Status.CLOSED:
        raise ValidationError(_("The case was closed in the meantime."))
    if case.desk_id != share.from_desk_id:
        raise ValidationError(_("The case has moved to another desk in the meantime."))
    share.status = CaseShare.Status.ACCEPTED
    if share.kind == CaseShare.Kind.TRANSFER:
        # A transfer is an event, not a lasting access: ending the row at once means it can never
        # give this desk access again if the case later moves on.
        share.ended_at = now
    share.save(update_fields=["status", "decided_by", "decided_at", "ended_at"])
    if share.kind == CaseShare.Kind.TRANSFER:
        _move_case(case=case, share=share, by=by, now=now)
    else:
        link_person(person=case.person, organisation=share.desk, reason=LINK_REASON, by=by)
        audit.record(by, "case.share_accept", case, organisation=share.desk, share=share.pk)
    return share


def _move_case(*, case: Case, share: CaseShare, by: Any, now: Any) -> None:
    old_desk = case.desk
    case.desk = share.desk
    # The old desk's caseworker does not work at the new desk: the receiving desk assigns its own.
    case.caseworker = None
    case.save(update_fields=["desk", "caseworker", "updated_at"])
    # The old desk's staff can no longer open the case, so work they still hold would be done by
    # nobody: it waits for the receiving desk's caseworker (assign_caseworker hands it over).
    staff = desk_staff(share.desk_id).order_by().values("pk")
    for rows, holder in open_work(case, now):
        outsiders = rows.filter(**{f"{holder}__isnull": False}).exclude(**{f"{holder}__in": staff})
        hand_over(outsiders, holder, to=None, case=case, by=by)
    # A share with the new desk is now pointless; ending it keeps the access rules simple.
    case.shares.filter(desk=share.desk, kind=CaseShare.Kind.SHARE, ended_at__isnull=True).exclude(pk=share.pk).update(
        ended_at=now
    )
    link_person(person=case.person, organisation=share.desk, reason=LINK_REASON, by=by)
    if not case.person.pua_cases.open().filter(desk=old_desk).exists():
        unlink_person(person=case.person, organisation=old_desk, reason=LINK_REASON, by=by)
    audit.record(by, "case.transfer", case, organisation=share.desk, share=share.pk, from_desk=old_desk.pk)


@transaction.atomic
def end_share(*, share: CaseShare, by: Any) -> CaseShare:
    """The case's own desk (or the desk it is shared with) ends a share; the row stays as history."""
    share = CaseShare.objects.select_for_update().select_related("case").get(pk=share.pk)
    if not (_is_desk_staff(by, share.case.desk_id) or _is_desk_staff(by, share.desk_id)):
        raise PermissionDenied(_("Only the staff of the two desks can end this share."))
    if share.kind != CaseShare.Kind.SHARE or share.status != CaseShare.Status.ACCEPTED or share.ended_at:
        raise ValidationError(_("Only a share in force can be ended."))
    share.ended_at = timezone.now()
    share.save(update_fields=["ended_at"])
    audit.record(by, "case.share_end", share.case, organisation=share.case.desk, share=share.pk)
    return share


# --- Emergency access (break glass) --------------------------------------------------------------


@transaction.atomic
def grant_break_glass(*, case: Case, reason: str, by: Any) -> BreakGlassGrant:
    """Read access to another desk's case for BREAK_GLASS_HOURS, granted at once on a stated reason,
    audited and notified to the supervisors of both desks (who review it afterwards)."""
    if not by.has_role(*PUA_ROLES):
        raise PermissionDenied(_("Only PUA desk staff can ask for emergency access."))
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("State why you need emergency access."))
    now = timezone.now()
    live = BreakGlassGrant.objects.filter(case=case, user=by, expires_at__gt=now).first()
    if live is not None:
        return live
    if Case.objects.for_user(by).filter(pk=case.pk).exists():
        raise ValidationError(_("You can already open this case."))
    grant = BreakGlassGrant.objects.create(
        case=case, user=by, reason=reason, granted_at=now, expires_at=now + timedelta(hours=BREAK_GLASS_HOURS)
    )
    audit.record(by, "case.break_glass", case, organisation=case.desk, grant=grant.pk)
    from pua.tasks.sharing import notify_break_glass

    transaction.on_commit(lambda: notify_break_glass.delay(grant.pk))
    return grant


def break_glass_supervisors(grant: BreakGlassGrant) -> list[Any]:
    """The supervisors of the case's desk and of the desks where the requester works."""
    desks = {grant.case.desk_id} | grant.user.organisation_ids(*PUA_ROLES)
    return list(users_with_role(Role.PUA_SUPERVISOR, desks).order_by("pk"))


def notify_break_glass(*, grant_id: int) -> int:
    """Email both desks' supervisors once about a grant; returns how many were told.

    The email names the case number and the requester, never the person: mail leaves our systems."""
    with transaction.atomic():
        if not _claim_notification(grant_id):
            return 0
        grant = BreakGlassGrant.objects.select_related("case__desk", "user").get(pk=grant_id)
        recipients = [user.email for user in break_glass_supervisors(grant)]
        audit.record(None, BREAK_GLASS_NOTIFIED, grant, organisation=grant.case.desk, recipients=len(recipients))
        if recipients:
            # Last, so that nothing after it can fail but the commit: a failed send rolls the marker
            # back and the task's retry sends again.
            send_mail(
                subject=_("Emergency access to case %(number)s") % {"number": grant.case.number},
                message=_(
                    "%(user)s opened case %(number)s of %(desk)s by emergency access until %(until)s.\n"
                    "Please review the stated reason: %(url)s"
                )
                % {
                    "user": grant.user.email,
                    "number": grant.case.number,
                    "desk": grant.case.desk.name,
                    "until": timezone.localtime(grant.expires_at).strftime("%Y-%m-%d %H:%M"),
                    "url": settings.SITE_URL.rstrip("/") + reverse("pua:break_glass_review"),
                },
                from_email=None,
                recipient_list=recipients,
            )
    return len(recipients)


def _claim_notification(grant_id: int) -> bool:
    """Set the grant's "notified" marker, in the caller's transaction; False when it was set already
    (or the grant is gone). The UPDATE locks the row: a second run at the same time waits for the
    first to commit or roll back, then finds the marker set (and updates nothing) or finds it still
    empty because the first one's send failed, and sends itself."""
    return BreakGlassGrant.objects.filter(pk=grant_id, notified_at__isnull=True).update(notified_at=timezone.now()) == 1


def grants_for_supervisor(user: Any) -> Any:
    """Grants a supervisor reviews: on cases of their desks, or asked by staff of their desks."""
    desks = user.organisation_ids(Role.PUA_SUPERVISOR)
    if not desks:
        return BreakGlassGrant.objects.none()
    return BreakGlassGrant.objects.filter(
        Q(case__desk__in=desks) | Q(user__memberships__organisation__in=desks, user__memberships__role__in=PUA_ROLES)
    ).distinct()


@transaction.atomic
def review_break_glass(*, grant: BreakGlassGrant, note: str, revoke: bool, by: Any) -> BreakGlassGrant:
    """A supervisor of either desk records a review; revoking ends a live grant at once."""
    if not grants_for_supervisor(by).filter(pk=grant.pk).exists():
        raise PermissionDenied(_("Only the supervisors of the two desks can review this access."))
    grant = BreakGlassGrant.objects.select_for_update().get(pk=grant.pk)
    now = timezone.now()
    grant.reviewed_by = by
    grant.reviewed_at = now
    grant.review_note = note
    update = ["reviewed_by", "reviewed_at", "review_note"]
    if revoke and grant.expires_at > now:
        grant.expires_at = now
        update.append("expires_at")
    grant.save(update_fields=update)
    audit.record(by, "case.break_glass_review", grant, revoked=revoke)
    return grant
