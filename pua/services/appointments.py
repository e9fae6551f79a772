"""Appointments: booking and cancelling, week calendars, iCalendar files and feeds, and the
reminders sent to the person the day before.

A reminder goes only to a person who consented to messages and reminders (Consent.Purpose.
COMMUNICATIONS), by email when they have an address, else by SMS (pua.sms), in their language."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from aipim.accounts.models import PUA_ROLES, User
from aipim.core import audit
from aipim.core.models import Consent
from pua.models import Appointment, Case
from pua.services.referrals import absolute_url, person_language
from pua.services.sharing import can_write_case
from pua.sms import send_sms

REMINDER_HOURS = 24
FEED_SALT = "pua.calendar.feed"
# What a calendar feed carries: a month back (for the record), half a year ahead.
FEED_PAST = datetime.timedelta(days=30)
FEED_FUTURE = datetime.timedelta(days=180)
WEEK_PATTERN = re.compile(r"^(\d{4})-W(\d{2})$")


@transaction.atomic
def book_appointment(
    *,
    case: Case,
    caseworker: User,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    purpose: str,
    place: str = "",
    by: Any,
) -> Appointment:
    # Read the status under the lock that closing takes, not from a copy that may be stale.
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.status == Case.Status.CLOSED:
        raise ValidationError(_("A closed case takes no new appointments."))
    if ends_at <= starts_at:
        raise ValidationError(_("The appointment must end after it starts."))
    if not can_write_case(caseworker, case):
        raise ValidationError(_("The caseworker must work at the case's desk."))
    appointment = Appointment.objects.create(
        case=case, caseworker=caseworker, starts_at=starts_at, ends_at=ends_at, purpose=purpose, place=place
    )
    audit.record(by, "appointment.create", appointment, organisation=case.desk)
    return appointment


@transaction.atomic
def cancel_appointment(*, appointment: Appointment, by: Any) -> Appointment:
    """Cancel an appointment (a second cancel changes nothing)."""
    appointment = (
        Appointment.objects.select_for_update(of=("self",)).select_related("case__desk").get(pk=appointment.pk)
    )
    if appointment.cancelled_at is None:
        appointment.cancelled_at = timezone.now()
        appointment.save(update_fields=["cancelled_at"])
        audit.record(by, "appointment.cancel", appointment, organisation=appointment.case.desk)
    return appointment


# --- Reminders ---------------------------------------------------------------------------------


def send_appointment_reminders(*, now: datetime.datetime | None = None) -> int:
    """Send, once, a reminder for every appointment that starts within the next 24 hours;
    returns how many were sent."""
    now = now or timezone.now()
    due = (
        Appointment.objects.filter(
            starts_at__gt=now,
            starts_at__lte=now + datetime.timedelta(hours=REMINDER_HOURS),
            cancelled_at__isnull=True,
            reminder_sent_at__isnull=True,
            case__person__consents__purpose=Consent.Purpose.COMMUNICATIONS,
            case__person__consents__withdrawn_at__isnull=True,
        )
        .values_list("pk", flat=True)
        .distinct()
    )
    return sum(_remind(pk, now) for pk in list(due))


def reminder_text(appointment: Appointment) -> str:
    """The reminder in the active language. It leaves out the purpose: a phone or a mailbox may be
    shared, and "legal status interview" says more than a reminder needs to."""
    desk = appointment.case.desk
    return _(
        "Reminder from %(desk)s: you have an appointment on %(when)s at %(place)s. "
        "If you cannot come, please call %(phone)s."
    ) % {
        "desk": desk.name,
        "when": date_format(timezone.localtime(appointment.starts_at), "DATETIME_FORMAT"),
        "place": appointment.place or desk.name,
        "phone": desk.phone or "–",
    }


@transaction.atomic
def _remind(appointment_id: int, now: datetime.datetime) -> bool:
    # Lock and re-check: the job may run twice at once, the person must get one reminder.
    appointment = (
        Appointment.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("case__person", "case__desk")
        .filter(pk=appointment_id, reminder_sent_at__isnull=True, cancelled_at__isnull=True)
        .first()
    )
    if appointment is None:
        return False
    person = appointment.case.person
    with translation.override(person_language(person)):
        text = reminder_text(appointment)
        subject = _("Appointment reminder")
    if person.email:
        channel = "email"
        send_mail(subject, text, None, [person.email])
    elif person.phone:
        channel = "sms"
        send_sms(to=person.phone, text=text, recipient_id=f"person:{person.pk}")
    else:
        return False
    appointment.reminder_sent_at = now
    appointment.save(update_fields=["reminder_sent_at"])
    audit.record(None, "appointment.reminder", appointment, organisation=appointment.case.desk, channel=channel)
    return True


# --- Calendars ---------------------------------------------------------------------------------


def week_start(value: str | None) -> datetime.date:
    """The Monday of an ISO week written "2026-W11"; this week when missing or malformed."""
    match = WEEK_PATTERN.match(value or "")
    if match:
        try:
            return datetime.date.fromisocalendar(int(match[1]), int(match[2]), 1)
        except ValueError:
            pass
    today = timezone.localdate()
    return today - datetime.timedelta(days=today.weekday())


def week_name(monday: datetime.date) -> str:
    year, week, _day = monday.isocalendar()
    return f"{year}-W{week:02d}"


def week_bounds(monday: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = timezone.make_aware(datetime.datetime.combine(monday, datetime.time.min))
    end = timezone.make_aware(datetime.datetime.combine(monday + datetime.timedelta(days=7), datetime.time.min))
    return start, end


def days_of_week(monday: datetime.date, appointments: list[Appointment]) -> list[tuple[datetime.date, list[Any]]]:
    """The seven days of the week, each with its appointments (already ordered by start)."""
    days: dict[datetime.date, list[Appointment]] = {monday + datetime.timedelta(days=n): [] for n in range(7)}
    for appointment in appointments:
        days.setdefault(timezone.localtime(appointment.starts_at).date(), []).append(appointment)
    return list(days.items())


def feed_appointments(user: User) -> QuerySet[Appointment]:
    now = timezone.now()
    return (
        Appointment.objects.for_user(user)
        .filter(caseworker=user, starts_at__gte=now - FEED_PAST, starts_at__lte=now + FEED_FUTURE)
        .select_related("case")
        .order_by("starts_at", "pk")
    )


def appointments_to_ical(appointments: QuerySet[Appointment] | list[Appointment], *, name: str) -> bytes:
    """An iCalendar file of the appointments. Events carry the case number and the place only,
    never the person's name: calendar apps sync to phones and to third-party clouds, outside the
    portal's access control and audit, so what they hold must not identify anyone."""
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//Regione Basilicata//AIPIM PUA//IT")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    host = settings.SITE_URL.split("//")[-1].split("/")[0]
    stamp = timezone.now()
    for appointment in appointments:
        event = Event()
        event.add("uid", f"pua-appointment-{appointment.pk}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", appointment.starts_at)
        event.add("dtend", appointment.ends_at)
        event.add("summary", _("PUA appointment %(number)s") % {"number": appointment.case.number})
        if appointment.place:
            event.add("location", appointment.place)
        event.add("status", "CANCELLED" if appointment.cancelled_at else "CONFIRMED")
        calendar.add_component(event)
    return calendar.to_ical()


def _feed_key(user: User) -> str:
    # Bound to the password hash: changing the password revokes every feed link given before.
    return salted_hmac(FEED_SALT, f"{user.pk}:{user.password}").hexdigest()[:20]


def calendar_feed_token(user: User) -> str:
    return signing.dumps({"user": user.pk, "key": _feed_key(user)}, salt=FEED_SALT)


def calendar_feed_link(user: User) -> str:
    return absolute_url(reverse("pua:calendar_feed", args=[calendar_feed_token(user)]))


def user_from_feed_token(token: str) -> User:
    """The caseworker a feed link belongs to; raises signing.BadSignature when the link is forged,
    too old, revoked (password changed) or its owner no longer works at a desk."""
    max_age = datetime.timedelta(days=getattr(settings, "PUA_CALENDAR_FEED_DAYS", 365))
    data = signing.loads(token, salt=FEED_SALT, max_age=max_age)
    user = User.objects.filter(pk=data.get("user"), is_active=True).first()
    if user is None or not constant_time_compare(_feed_key(user), str(data.get("key", ""))):
        raise signing.BadSignature("revoked")
    if not user.has_role(*PUA_ROLES):
        raise signing.BadSignature("no desk")
    return user
