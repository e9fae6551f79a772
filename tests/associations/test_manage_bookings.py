"""Managers' booking pages: the list of a session (and of a series) with counts and the waiting list
in order, its audited read, the CSV and PDF exports (Arabic names shaped), cancelling a session
with a message, the failed messages sent again, and fixed query counts."""

from __future__ import annotations

import csv
import io
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from aipim.core.models import AuditEvent
from associations.models import Booking, BookingMessage, BookingStatus, CheckIn, Session


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    settings.LANGUAGE_CODE = "en"


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "attendees.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout


def pdf_fonts(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout


@pytest.fixture
def booked(workshop_session: Session, make_booking) -> dict[str, Booking]:
    now = timezone.now()
    return {
        "amina": make_booking(
            workshop_session, name="Amina Diallo", seats=3, created_at=now - timezone.timedelta(hours=5)
        ),
        "karim": make_booking(
            workshop_session, name="كريم الحسن", seats=4, language="ar", created_at=now - timezone.timedelta(hours=4)
        ),
        "first_waiting": make_booking(
            workshop_session,
            name="Lucia Verdi",
            seats=2,
            status=BookingStatus.WAITING,
            created_at=now - timezone.timedelta(hours=3),
        ),
        "second_waiting": make_booking(
            workshop_session,
            name="=HYPERLINK(evil)",
            seats=1,
            status=BookingStatus.WAITING,
            created_at=now - timezone.timedelta(hours=2),
        ),
        "cancelled": make_booking(
            workshop_session,
            name="Paolo Neri",
            status=BookingStatus.CANCELLED,
            created_at=now - timezone.timedelta(hours=1),
        ),
    }


def test_session_bookings_list_counts_and_waiting_order(client_for, manager_association, workshop_session, booked):
    response = client_for(manager_association).get(reverse("associations:session_bookings", args=[workshop_session.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Amina Diallo" in page and "كريم الحسن" in page
    assert "7 seats confirmed" in page
    waiting = page[page.index('id="waiting"') :]
    assert waiting.index("Lucia Verdi") < waiting.index("=HYPERLINK(evil)")
    assert "Paolo Neri" in page[page.index('id="others"') :]
    assert response.context["seats"].free == 3


def test_the_read_of_the_list_is_audited_with_its_count(client_for, manager_association, workshop_session, booked):
    client_for(manager_association).get(reverse("associations:session_bookings", args=[workshop_session.pk]))
    event = AuditEvent.objects.get(action="booking.list")
    assert event.user == manager_association
    assert event.object_id == str(workshop_session.pk)
    assert event.details == {"count": 5}
    assert "Amina" not in str(event.details)


def test_csv_export_lists_everyone_safely_and_is_audited(client_for, manager_association, workshop_session, booked):
    response = client_for(manager_association).get(
        reverse("associations:session_bookings_csv", args=[workshop_session.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "Amina" not in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "Booking code"
    names = [row[1] for row in rows[1:]]
    assert names[:2] == ["Amina Diallo", "كريم الحسن"]
    assert "'=HYPERLINK(evil)" in names  # a spreadsheet will not run it
    places = {row[1]: row[6] for row in rows[1:]}
    assert places["Lucia Verdi"] == "1" and places["'=HYPERLINK(evil)"] == "2"
    assert AuditEvent.objects.filter(action="booking.export", details__format="csv", details__count=5).exists()


def test_pdf_export_shapes_arabic_names(client_for, manager_association, workshop_session, booked, tmp_path):
    response = client_for(manager_association).get(
        reverse("associations:session_bookings_pdf", args=[workshop_session.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content, tmp_path)
    assert "Amina Diallo" in text
    # pdftotext gives the letters in reading order only when the glyphs were shaped right-to-left.
    assert "كريم" in text and "الحسن" in text
    assert "Arabic" in pdf_fonts(response.content, tmp_path)
    assert AuditEvent.objects.filter(action="booking.export", details__format="pdf").exists()


def test_cancel_a_session_with_a_message_to_everyone_booked(client_for, manager_association, workshop_session, booked):
    response = client_for(manager_association).post(
        reverse("associations:session_cancel", args=[workshop_session.pk]), {"message": "La sala è allagata."}
    )
    assert response.status_code == 302
    workshop_session.refresh_from_db()
    assert workshop_session.status == Session.Status.CANCELLED
    told = BookingMessage.objects.filter(kind=BookingMessage.Kind.SESSION_CANCELLED)
    assert {m.booking_id for m in told} == {
        booked[key].pk for key in ("amina", "karim", "first_waiting", "second_waiting")
    }
    assert all("La sala è allagata." in m.body for m in told)
    assert Booking.objects.filter(status=BookingStatus.CANCELLED).count() == 5


def test_cancelling_a_session_needs_a_message(client_for, manager_association, workshop_session, booked):
    response = client_for(manager_association).post(
        reverse("associations:session_cancel", args=[workshop_session.pk]), {"message": ""}
    )
    assert response.status_code == 400
    workshop_session.refresh_from_db()
    assert workshop_session.status == Session.Status.SCHEDULED


def test_a_failed_message_is_sent_again(
    client_for, manager_association, workshop_session, booked, mailoutbox, django_capture_on_commit_callbacks
):
    message = BookingMessage.objects.create(
        booking=booked["amina"],
        kind=BookingMessage.Kind.CONFIRMATION,
        language="it",
        recipient=booked["amina"].email,
        subject="Prenotazione confermata",
        body="Ciao",
        status=BookingMessage.Status.FAILED,
        attempts=8,
        last_error="Connection refused",
    )
    client = client_for(manager_association)
    page = client.get(reverse("associations:failed_messages")).content.decode()
    assert "Connection refused" in page
    assert AuditEvent.objects.filter(action="booking_message.list", details__count=1).exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("associations:message_resend", args=[message.pk]))
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.status == BookingMessage.Status.SENT
    assert [m.subject for m in mailoutbox] == ["Prenotazione confermata"]


def test_another_manager_cannot_resend_or_see_the_failed_message(client_for, manager_other, workshop_session, booked):
    message = BookingMessage.objects.create(
        booking=booked["amina"],
        kind=BookingMessage.Kind.CONFIRMATION,
        language="it",
        recipient=booked["amina"].email,
        subject="s",
        body="b",
        status=BookingMessage.Status.FAILED,
    )
    client = client_for(manager_other)
    assert booked["amina"].email not in client.get(reverse("associations:failed_messages")).content.decode()
    assert client.post(reverse("associations:message_resend", args=[message.pk])).status_code == 404
    message.refresh_from_db()
    assert message.status == BookingMessage.Status.FAILED


def test_series_bookings_are_listed_on_the_series_and_on_each_session(
    client_for, manager_association, series, make_booking
):
    make_booking(series, name="Yusuf Series", seats=2)
    first = series.sessions.order_by("starts_at").first()
    client = client_for(manager_association)
    response = client.get(reverse("associations:series_bookings", args=[series.pk]))
    assert response.status_code == 200
    assert "Yusuf Series" in response.content.decode()
    assert response.context["seats"].held == 2
    assert "Yusuf Series" in client.get(reverse("associations:session_bookings", args=[first.pk])).content.decode()
    assert client.get(reverse("associations:series_bookings_csv", args=[series.pk])).status_code == 200


def test_a_session_event_has_no_series_page(client_for, manager_association, workshop):
    response = client_for(manager_association).get(reverse("associations:series_bookings", args=[workshop.pk]))
    assert response.status_code == 404


def test_check_ins_show_on_the_list(client_for, manager_association, workshop_session, booked):
    CheckIn.objects.create(booking=booked["amina"], session=workshop_session)
    page = (
        client_for(manager_association)
        .get(reverse("associations:session_bookings", args=[workshop_session.pk]))
        .content.decode()
    )
    row = page[page.index("Amina Diallo") : page.index("Amina Diallo") + 200]
    assert "present" in row


def test_bookings_list_runs_a_fixed_number_of_queries(
    client_for, manager_association, workshop_session, make_booking, django_assert_max_num_queries
):
    client = client_for(manager_association)
    url = reverse("associations:session_bookings", args=[workshop_session.pk])
    make_booking(workshop_session)
    with django_assert_max_num_queries(30) as few:
        client.get(url)
    for _ in range(12):
        make_booking(workshop_session, status=BookingStatus.WAITING)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)
