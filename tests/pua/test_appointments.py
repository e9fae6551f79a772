"""Appointments: booking and cancelling, week calendars, the .ics file and the signed feed, and
reminders sent once, in the person's language, by email or through the pluggable SMS sender."""

from __future__ import annotations

import datetime
import logging

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from aipim.core.models import AuditEvent, Consent
from pua.models import Appointment, BreakGlassGrant, Case
from pua.services.appointments import (
    book_appointment,
    calendar_feed_token,
    cancel_appointment,
    send_appointment_reminders,
    week_name,
    week_start,
)
from pua.services.cases import change_status
from pua.tasks.appointments import send_appointment_reminders as reminders_task
from tests.factories import ConsentFactory
from tests.personas import PERSONAS

SEES_IRSINA_CASE = {"caseworker_irsina", "supervisor_irsina"}
MATRIX = [(persona, persona in SEES_IRSINA_CASE) for persona in PERSONAS]

sent_sms: list[dict[str, str]] = []


class CollectingSms:
    """An SMS backend of these tests (selected through settings, as a real gateway would be)."""

    def send(self, *, to: str, text: str, recipient_id: str) -> None:
        sent_sms.append({"to": to, "text": text, "recipient_id": recipient_id})


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def tomorrow_10() -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 0)))


@pytest.fixture
def appointment(case_irsina, caseworker_irsina, tomorrow_10) -> Appointment:
    return book_appointment(
        case=case_irsina,
        caseworker=caseworker_irsina,
        starts_at=tomorrow_10,
        ends_at=tomorrow_10 + datetime.timedelta(minutes=45),
        purpose="Housing interview",
        place="Sala 2, Municipio di Irsina",
        by=caseworker_irsina,
    )


def consents_to_reminders(case: Case, by) -> None:
    ConsentFactory(person=case.person, purpose=Consent.Purpose.COMMUNICATIONS, organisation=case.desk, recorded_by=by)


# --- Booking -----------------------------------------------------------------------------------


def test_booking_and_cancelling_are_audited(appointment, caseworker_irsina):
    assert AuditEvent.objects.filter(action="appointment.create", object_id=str(appointment.pk)).exists()
    cancel_appointment(appointment=appointment, by=caseworker_irsina)
    cancel_appointment(appointment=appointment, by=caseworker_irsina)  # twice: one record
    appointment.refresh_from_db()
    assert appointment.cancelled_at is not None
    assert AuditEvent.objects.filter(action="appointment.cancel", object_id=str(appointment.pk)).count() == 1


def test_only_desk_staff_can_be_booked_and_not_on_a_closed_case(case_irsina, caseworker_picerno, caseworker_irsina):
    start = timezone.now() + datetime.timedelta(days=2)
    with pytest.raises(Exception, match="work at the case's desk"):
        book_appointment(
            case=case_irsina,
            caseworker=caseworker_picerno,
            starts_at=start,
            ends_at=start + datetime.timedelta(hours=1),
            purpose="x",
            by=caseworker_irsina,
        )
    change_status(case=case_irsina, to=Case.Status.CLOSED, closing_reason="moved", by=caseworker_irsina)
    with pytest.raises(Exception, match="closed case"):
        book_appointment(
            case=case_irsina,
            caseworker=caseworker_irsina,
            starts_at=start,
            ends_at=start + datetime.timedelta(hours=1),
            purpose="x",
            by=caseworker_irsina,
        )


def test_a_caseworker_books_through_the_form(client_for, caseworker_irsina, case_irsina):
    day = timezone.localdate() + datetime.timedelta(days=3)
    response = client_for(caseworker_irsina).post(
        reverse("pua:appointment_add", args=[case_irsina.pk]),
        {
            "caseworker": caseworker_irsina.pk,
            "date": day.isoformat(),
            "start": "09:30",
            "end": "10:15",
            "purpose": "Job centre preparation",
        },
    )
    assert response.status_code == 302
    appointment = Appointment.objects.get()
    assert timezone.localtime(appointment.starts_at).time() == datetime.time(9, 30)
    assert f"week={week_name(day - datetime.timedelta(days=day.weekday()))}" in response["Location"]


def test_the_form_refuses_an_end_before_the_start(client_for, caseworker_irsina, case_irsina):
    response = client_for(caseworker_irsina).post(
        reverse("pua:appointment_add", args=[case_irsina.pk]),
        {"caseworker": caseworker_irsina.pk, "date": "2026-05-04", "start": "10:00", "end": "09:00", "purpose": "x"},
    )
    assert response.status_code == 400
    assert "must end after it starts" in response.content.decode()
    assert not Appointment.objects.exists()


def test_emergency_access_cannot_book_or_cancel(client_for, caseworker_picerno, appointment, case_irsina):
    BreakGlassGrant.objects.create(
        case=case_irsina, user=caseworker_picerno, reason="crisis", expires_at=timezone.now() + datetime.timedelta(1)
    )
    client = client_for(caseworker_picerno)
    assert client.get(reverse("pua:appointment_add", args=[case_irsina.pk])).status_code == 403
    assert client.post(reverse("pua:appointment_cancel", args=[appointment.pk])).status_code == 403


# --- Calendars ---------------------------------------------------------------------------------


def test_week_parameter():
    assert week_start("2026-W11") == datetime.date(2026, 3, 9)
    assert week_name(datetime.date(2026, 3, 12)) == "2026-W11"
    this_monday = timezone.localdate() - datetime.timedelta(days=timezone.localdate().weekday())
    for bad in ("", None, "2026-W99", "W11", "2026-11"):
        assert week_start(bad) == this_monday


def test_the_week_view_shows_the_chosen_week_only(client_for, caseworker_irsina, appointment, tomorrow_10):
    client = client_for(caseworker_irsina)
    week = week_name(tomorrow_10.date())
    page = client.get(reverse("pua:desk_calendar") + f"?week={week}").content.decode()
    assert appointment.case.number in page and "Housing interview" in page
    next_week = week_name(tomorrow_10.date() + datetime.timedelta(days=7))
    page = client.get(reverse("pua:my_calendar") + f"?week={next_week}").content.decode()
    assert appointment.case.number not in page
    assert client.get(reverse("pua:my_calendar") + "?week=nonsense").status_code == 200


@pytest.mark.parametrize(("persona", "allowed"), MATRIX)
def test_calendars_by_role_and_organisation(request, client_for, appointment, tomorrow_10, persona, allowed):
    user = request.getfixturevalue(persona)
    client = client_for(user)
    week = f"?week={week_name(tomorrow_10.date())}"
    response = client.get(reverse("pua:desk_calendar") + week)
    assert response.status_code in (200, 403)
    assert (appointment.case.number in response.content.decode()) is allowed
    # A caseworker's own calendar and file hold only their appointments.
    mine = persona == "caseworker_irsina"
    for url in (reverse("pua:my_calendar") + week, reverse("pua:my_calendar_ics")):
        response = client.get(url)
        assert response.status_code in (200, 403)
        assert (appointment.case.number in response.content.decode()) is mine
    response = client.get(reverse("pua:appointment_add", args=[appointment.case_id]))
    assert response.status_code in ((200,) if allowed else (403, 404))
    response = client.post(reverse("pua:appointment_cancel", args=[appointment.pk]))
    assert response.status_code in ((302,) if allowed else (403, 404))
    appointment.refresh_from_db()
    assert (appointment.cancelled_at is not None) is allowed


def test_the_desk_calendar_runs_a_fixed_number_of_queries(
    client_for, caseworker_irsina, case_irsina, tomorrow_10, django_assert_max_num_queries
):
    def book(count: int) -> None:
        for n in range(count):
            start = tomorrow_10 + datetime.timedelta(minutes=30 * n)
            Appointment.objects.create(
                case=case_irsina,
                caseworker=caseworker_irsina,
                starts_at=start,
                ends_at=start + datetime.timedelta(minutes=20),
                purpose="x",
            )

    client = client_for(caseworker_irsina)
    url = reverse("pua:desk_calendar") + f"?week={week_name(tomorrow_10.date())}"
    book(2)
    client.get(url)
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    book(15)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).content.decode().count(case_irsina.number) >= 17


# --- iCalendar ---------------------------------------------------------------------------------


def test_the_ics_file_carries_the_case_number_and_place_but_no_name(client_for, caseworker_irsina, appointment):
    response = client_for(caseworker_irsina).get(reverse("pua:my_calendar_ics"))
    body = response.content.decode()
    assert response["Content-Type"].startswith("text/calendar")
    assert "attachment" in response["Content-Disposition"]
    assert "BEGIN:VEVENT" in body and appointment.case.number in body and "Sala 2" in body
    assert "Abdel" not in body and "Mohamed" not in body and "Housing interview" not in body
    assert AuditEvent.objects.filter(user=caseworker_irsina, action="appointment.export").exists()


def test_the_feed_opens_with_its_signed_link_only(client, caseworker_irsina, appointment):
    url = reverse("pua:calendar_feed", args=[calendar_feed_token(caseworker_irsina)])
    response = client.get(url)
    assert response.status_code == 200
    assert appointment.case.number in response.content.decode()
    assert "Abdel" not in response.content.decode()
    assert AuditEvent.objects.filter(user=caseworker_irsina, action="appointment.feed").exists()

    tampered = reverse("pua:calendar_feed", args=[calendar_feed_token(caseworker_irsina)[:-3] + "abc"])
    response = client.get(tampered)
    assert response.status_code == 400 and b"not valid" in response.content


def test_a_password_change_revokes_the_feed(client, caseworker_irsina, appointment):
    url = reverse("pua:calendar_feed", args=[calendar_feed_token(caseworker_irsina)])
    caseworker_irsina.set_password("a-new-password-2026")
    caseworker_irsina.save()
    assert client.get(url).status_code == 400


def test_the_feed_ends_with_the_desk_membership_or_its_age(client, settings, caseworker_irsina, appointment):
    url = reverse("pua:calendar_feed", args=[calendar_feed_token(caseworker_irsina)])
    settings.PUA_CALENDAR_FEED_DAYS = -1
    assert b"expired" in client.get(url).content
    settings.PUA_CALENDAR_FEED_DAYS = 365
    caseworker_irsina.memberships.update(valid_until=timezone.localdate() - datetime.timedelta(days=1))
    assert client.get(url).status_code == 400


def test_a_cancelled_appointment_is_marked_cancelled_in_the_feed(client, caseworker_irsina, appointment):
    cancel_appointment(appointment=appointment, by=caseworker_irsina)
    body = client.get(reverse("pua:calendar_feed", args=[calendar_feed_token(caseworker_irsina)])).content.decode()
    assert "STATUS:CANCELLED" in body


# --- Reminders ---------------------------------------------------------------------------------


@pytest.fixture
def appointment_soon(case_irsina, caseworker_irsina) -> Appointment:
    """An appointment three hours from now: within the reminder's 24 hours at any time of day
    ("tomorrow at 10" is not, before 10 in the morning)."""
    starts_at = timezone.now().replace(microsecond=0) + datetime.timedelta(hours=3)
    return book_appointment(
        case=case_irsina,
        caseworker=caseworker_irsina,
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(minutes=45),
        purpose="Housing interview",
        place="Sala 2, Municipio di Irsina",
        by=caseworker_irsina,
    )


def test_a_reminder_is_sent_once_by_email_in_the_persons_language(appointment_soon, caseworker_irsina):
    person = appointment_soon.case.person
    person.email = "mohamed@example.org"
    person.preferred_language = "it"
    person.save()
    consents_to_reminders(appointment_soon.case, caseworker_irsina)
    reminders_task.delay()
    reminders_task.delay()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["mohamed@example.org"]
    with translation.override("it"):  # Italian month names come with Django's own catalogue
        month = date_format(timezone.localtime(appointment_soon.starts_at), "F")
    assert month in message.body
    assert "Housing interview" not in message.body  # the purpose stays out of the reminder
    appointment_soon.refresh_from_db()
    assert appointment_soon.reminder_sent_at is not None


def test_without_email_the_reminder_goes_by_sms_and_the_default_log_holds_no_number(
    appointment_soon, caseworker_irsina, caplog
):
    consents_to_reminders(appointment_soon.case, caseworker_irsina)
    with caplog.at_level(logging.INFO, logger="pua.sms"):
        assert send_appointment_reminders() == 1
    person = appointment_soon.case.person
    assert f"SMS to person:{person.pk} sent" in caplog.text
    assert person.phone not in caplog.text and "appointment" not in caplog.text.lower()
    assert mail.outbox == []


def test_the_sms_backend_is_chosen_in_settings(settings, appointment_soon, caseworker_irsina):
    settings.PUA_SMS_BACKEND = "tests.pua.test_appointments.CollectingSms"
    sent_sms.clear()
    consents_to_reminders(appointment_soon.case, caseworker_irsina)
    send_appointment_reminders()
    assert len(sent_sms) == 1
    assert sent_sms[0]["to"] == appointment_soon.case.person.phone
    assert "PUA Irsina" in sent_sms[0]["text"]


def test_no_reminder_without_consent_when_cancelled_or_beyond_a_day(
    appointment, case_irsina, caseworker_irsina, tomorrow_10
):
    assert send_appointment_reminders() == 0  # no consent to messages and reminders
    consents_to_reminders(case_irsina, caseworker_irsina)
    cancel_appointment(appointment=appointment, by=caseworker_irsina)
    later = tomorrow_10 + datetime.timedelta(days=2)
    book_appointment(
        case=case_irsina,
        caseworker=caseworker_irsina,
        starts_at=later,
        ends_at=later + datetime.timedelta(hours=1),
        purpose="x",
        by=caseworker_irsina,
    )
    assert send_appointment_reminders() == 0
    assert send_appointment_reminders(now=later - datetime.timedelta(hours=3)) == 1


def test_the_case_page_lists_the_appointments(client_for, caseworker_irsina, appointment):
    page = client_for(caseworker_irsina).get(reverse("pua:case_detail", args=[appointment.case_id])).content.decode()
    assert "Housing interview" in page
    assert reverse("pua:appointment_cancel", args=[appointment.pk]) in page
    assert reverse("pua:appointment_add", args=[appointment.case_id]) in page
