"""Referrals to services of the directory, and their closed loop: consent before sending, a signed
link for the service to acknowledge and report back, escalation to the desk's supervisors when the
service is late, and a signed link for the person to follow their referrals.

Which consent a referral needs depends on the service's category (CONSENT_FOR_CATEGORY): health
services need consent to sharing with health services, work services to sharing with job-placement
services; every other service receives only what case management already covers."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from aipim.accounts.models import Role, users_with_role
from aipim.core import audit
from aipim.core.models import Consent, Person, Service, ServiceCategory
from aipim.core.services import require_consent
from pua.models import Case, Referral, ReferralUpdate

CONSENT_FOR_CATEGORY = {
    ServiceCategory.HEALTH: Consent.Purpose.HEALTH_SHARING,
    ServiceCategory.WORK: Consent.Purpose.JOB_SHARING,
}

# Where a referral may go next; "sent" is reached only through send_referral (it needs consent).
NEXT_STATUSES = {
    Referral.Status.DRAFTED: {Referral.Status.SENT},
    Referral.Status.SENT: {Referral.Status.ACCEPTED, Referral.Status.REFUSED},
    Referral.Status.ACCEPTED: {Referral.Status.COMPLETED, Referral.Status.REFUSED},
    Referral.Status.COMPLETED: set(),
    Referral.Status.REFUSED: set(),
}

SERVICE_LINK_SALT = "pua.referral.service"
PERSON_LINK_SALT = "pua.referral.person"


def service_link_max_age() -> datetime.timedelta:
    return datetime.timedelta(days=getattr(settings, "PUA_REFERRAL_LINK_DAYS", 90))


def person_link_max_age() -> datetime.timedelta:
    return datetime.timedelta(days=getattr(settings, "PUA_PERSON_LINK_DAYS", 180))


def consent_purpose_for(service: Service) -> str:
    return CONSENT_FOR_CATEGORY.get(ServiceCategory(service.category), Consent.Purpose.CASE_MANAGEMENT)


def person_language(person: Person) -> str:
    """The person's language when the portal speaks it, else the portal's default."""
    languages = {code for code, _name in settings.LANGUAGES}
    return person.preferred_language if person.preferred_language in languages else settings.LANGUAGE_CODE


def absolute_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


# --- Signed links (no account needed) ----------------------------------------------------------


def service_token(referral: Referral) -> str:
    return signing.dumps({"referral": referral.pk}, salt=SERVICE_LINK_SALT)


def service_link(referral: Referral) -> str:
    return absolute_url(reverse("pua:referral_respond", args=[service_token(referral)]))


def referral_from_service_token(token: str) -> Referral:
    """The referral a service's link points at; raises signing.BadSignature (SignatureExpired
    when too old) or Referral.DoesNotExist."""
    data = signing.loads(token, salt=SERVICE_LINK_SALT, max_age=service_link_max_age())
    return Referral.objects.select_related("case__person", "case__desk", "service__organisation").get(
        pk=data["referral"]
    )


def person_token(person: Person) -> str:
    return signing.dumps({"person": str(person.public_id)}, salt=PERSON_LINK_SALT)


def person_status_link(person: Person) -> str:
    return absolute_url(reverse("pua:person_referrals_status", args=[person_token(person)]))


def person_from_token(token: str) -> Person:
    data = signing.loads(token, salt=PERSON_LINK_SALT, max_age=person_link_max_age())
    return Person.objects.get(public_id=data["person"], anonymised_at__isnull=True)


# --- Writes ------------------------------------------------------------------------------------


@transaction.atomic
def create_referral(*, case: Case, service: Service, reason: str, by: Any) -> Referral:
    # Read the status under the lock that closing takes, not from a copy that may be stale.
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.status == Case.Status.CLOSED:
        raise ValidationError(_("A closed case takes no new referrals."))
    referral = Referral.objects.create(case=case, service=service, reason=reason, created_by=by)
    ReferralUpdate.objects.create(referral=referral, status=Referral.Status.DRAFTED, by_user=by)
    audit.record(by, "referral.create", referral, organisation=case.desk, service=str(service.pk))
    return referral


@transaction.atomic
def send_referral(*, referral: Referral, by: Any) -> Referral:
    """Send a drafted referral: needs the consent that matches the service (raises ConsentMissing),
    starts the acknowledgement deadline and emails the service its signed link after commit."""
    referral = Referral.objects.select_for_update().select_related("case__person", "service").get(pk=referral.pk)
    if referral.status != Referral.Status.DRAFTED:
        raise ValidationError(_("Only a drafted referral can be sent."))
    require_consent(referral.case.person, consent_purpose_for(referral.service))
    now = timezone.now()
    referral.status = Referral.Status.SENT
    referral.sent_at = now
    referral.acknowledge_by = now + datetime.timedelta(days=referral.service.acknowledgement_days)
    referral.save(update_fields=["status", "sent_at", "acknowledge_by"])
    ReferralUpdate.objects.create(referral=referral, status=Referral.Status.SENT, by_user=by, at=now)
    audit.record(by, "referral.send", referral, organisation=referral.case.desk)

    from pua.tasks.referrals import email_referral_to_service

    transaction.on_commit(lambda: email_referral_to_service.delay(referral.pk))
    return referral


@transaction.atomic
def update_referral(
    *, referral: Referral, to: str, note: str = "", by: Any = None, by_service: bool = False
) -> Referral:
    """Record the service's acknowledgement (accepted or refused) or the outcome (completed or
    refused), told by the service through its link (`by_service`) or logged by the desk (`by`)."""
    referral = Referral.objects.select_for_update().select_related("case__desk").get(pk=referral.pk)
    current = Referral.Status(referral.status)
    if to == Referral.Status.SENT or to not in NEXT_STATUSES[current]:
        raise ValidationError(
            _("A referral that is %(current)s cannot become %(new)s.")
            % {"current": current.label, "new": Referral.Status(to).label}
        )
    now = timezone.now()
    referral.status = to
    update = ["status"]
    if to == Referral.Status.ACCEPTED:
        referral.accepted_at = now
        update.append("accepted_at")
    else:
        referral.closed_at = now
        referral.outcome = note
        update += ["closed_at", "outcome"]
    referral.save(update_fields=update)
    ReferralUpdate.objects.create(
        referral=referral, status=to, note=note[:300], by_user=by, by_service=by_service, at=now
    )
    audit.record(by, f"referral.{to}", referral, organisation=referral.case.desk, by_service=by_service)
    return referral


def email_service(referral_id: int) -> bool:
    """Email the service its signed link, in Italian (the language of the region's services).
    The email names no one: email is not a safe channel, the link leads to the details."""
    referral = Referral.objects.select_related("case__desk", "service").get(pk=referral_id)
    if referral.status != Referral.Status.SENT or not referral.service.email:
        return False
    with translation.override(settings.LANGUAGE_CODE):
        context = {"referral": referral, "link": service_link(referral), "desk": referral.case.desk}
        subject = _("Referral %(number)s from %(desk)s") % {
            "number": referral.case.number,
            "desk": referral.case.desk.name,
        }
        body = render_to_string("pua/referrals/email_service.txt", context)
    send_mail(subject, body, None, [referral.service.email])
    audit.record(None, "referral.email_service", referral, organisation=referral.case.desk)
    return True


def escalate_overdue_referrals(*, now: datetime.datetime | None = None) -> int:
    """Escalate, once, every sent referral past its acknowledgement deadline; returns how many."""
    now = now or timezone.now()
    due = Referral.objects.filter(
        status=Referral.Status.SENT, acknowledge_by__lt=now, escalated_at__isnull=True
    ).values_list("pk", flat=True)
    return sum(_escalate(pk, now) for pk in list(due))


@transaction.atomic
def _escalate(referral_id: int, now: datetime.datetime) -> bool:
    # Lock the row and re-check: two workers running the job at once must not both escalate it.
    referral = (
        Referral.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("case__desk", "service")
        .filter(pk=referral_id, status=Referral.Status.SENT, acknowledge_by__lt=now, escalated_at__isnull=True)
        .first()
    )
    if referral is None:
        return False
    referral.escalated_at = now
    referral.save(update_fields=["escalated_at"])
    link = absolute_url(reverse("pua:referral_detail", args=[referral.pk]))
    # Sent inside the transaction: if the mail server fails, the escalation is retried next run.
    for supervisor in users_with_role(Role.PUA_SUPERVISOR, [referral.case.desk_id]):
        with translation.override(supervisor.preferred_language or settings.LANGUAGE_CODE):
            subject = _("Overdue referral: case %(number)s") % {"number": referral.case.number}
            body = render_to_string("pua/referrals/email_escalation.txt", {"referral": referral, "link": link})
        send_mail(subject, body, None, [supervisor.email])
    audit.record(None, "referral.escalate", referral, organisation=referral.case.desk)
    return True
