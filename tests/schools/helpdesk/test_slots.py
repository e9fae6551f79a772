"""Help-desk slots with a cultural mediator: operators create them, any school role books one for a
student or a family, cancels it or marks it done; a slot is never booked twice."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from aipim.accounts.models import Role
from aipim.core.models import AuditEvent
from schools.models import DeskSlot
from schools.services import helpdesk as service

pytestmark = pytest.mark.django_db


def at(days: int, hour: int, minute: int = 0) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


@pytest.fixture
def staff_potenza(make_member, school_potenza):
    return make_member(Role.SCHOOL_STAFF, school_potenza, email="teacher.potenza@example.org")


@pytest.fixture
def free_slot(desk_potenza, operator_school_potenza) -> DeskSlot:
    return service.create_slot(
        desk=desk_potenza,
        starts_at=at(2, 9),
        ends_at=at(2, 9, 30),
        mediator_name="Samira Benali",
        language="ar",
        by=operator_school_potenza,
    )


def test_an_operator_creates_a_free_slot(free_slot):
    assert free_slot.status == DeskSlot.Status.FREE
    assert AuditEvent.objects.filter(action="deskslot.create", object_id=str(free_slot.pk)).exists()


def test_staff_cannot_create_slots(desk_potenza, staff_potenza):
    with pytest.raises(PermissionDenied):
        service.create_slot(
            desk=desk_potenza, starts_at=at(2, 9), ends_at=at(2, 10), mediator_name="X", language="ar", by=staff_potenza
        )


def test_a_mediator_cannot_hold_two_slots_at_once(free_slot, desk_potenza, operator_school_potenza):
    with pytest.raises(ValidationError, match="already has a slot"):
        service.create_slot(
            desk=desk_potenza,
            starts_at=at(2, 9, 15),
            ends_at=at(2, 9, 45),
            mediator_name="samira benali ",
            language="fr",
            by=operator_school_potenza,
        )
    # Another mediator at the same time, and the same mediator right after, are fine.
    service.create_slot(
        desk=desk_potenza,
        starts_at=at(2, 9),
        ends_at=at(2, 9, 30),
        mediator_name="Omar",
        language="ur",
        by=operator_school_potenza,
    )
    service.create_slot(
        desk=desk_potenza,
        starts_at=at(2, 9, 30),
        ends_at=at(2, 10),
        mediator_name="Samira Benali",
        language="ar",
        by=operator_school_potenza,
    )
    # A cancelled slot frees the time.
    service.cancel_slot(slot=free_slot, by=operator_school_potenza)
    service.create_slot(
        desk=desk_potenza,
        starts_at=at(2, 9),
        ends_at=at(2, 9, 30),
        mediator_name="Samira Benali",
        language="ar",
        by=operator_school_potenza,
    )


def test_a_slot_ends_after_it_starts_and_a_closed_desk_takes_none(desk_potenza, operator_school_potenza):
    with pytest.raises(ValidationError):
        service.create_slot(
            desk=desk_potenza,
            starts_at=at(2, 10),
            ends_at=at(2, 10),
            mediator_name="X",
            language="ar",
            by=operator_school_potenza,
        )
    desk_potenza.active = False
    desk_potenza.save()
    with pytest.raises(ValidationError, match="closed"):
        service.create_slot(
            desk=desk_potenza,
            starts_at=at(2, 10),
            ends_at=at(2, 11),
            mediator_name="X",
            language="ar",
            by=operator_school_potenza,
        )


def test_staff_book_a_slot_for_a_student_and_nobody_books_it_again(
    free_slot, student_potenza, staff_potenza, operator_school_potenza
):
    booked = service.book_slot(slot=free_slot, by=staff_potenza, student=student_potenza)
    assert booked.status == DeskSlot.Status.BOOKED
    assert booked.booked_student == student_potenza and booked.booked_by == staff_potenza
    with pytest.raises(ValidationError, match="no longer free"):
        service.book_slot(slot=free_slot, by=operator_school_potenza, family_name="Rossi")


def test_a_slot_can_be_booked_for_a_family_by_name(free_slot, operator_school_potenza):
    booked = service.book_slot(slot=free_slot, by=operator_school_potenza, family_name=" Famiglia Khan ")
    assert booked.booked_family_name == "Famiglia Khan" and booked.booked_student is None
    with pytest.raises(ValidationError):
        service.book_slot(
            slot=service.cancel_booking(slot=booked, by=operator_school_potenza), by=operator_school_potenza
        )


def test_a_pupil_of_another_school_cannot_be_booked(free_slot, student_matera, operator_school_potenza):
    with pytest.raises(ValidationError, match="another school"):
        service.book_slot(slot=free_slot, by=operator_school_potenza, student=student_matera)


def test_staff_of_another_school_cannot_book(free_slot, staff_school_matera, student_potenza):
    with pytest.raises(PermissionDenied):
        service.book_slot(slot=free_slot, by=staff_school_matera, student=student_potenza)


def test_cancelling_a_booking_frees_the_slot_and_cancelling_the_slot_ends_it(
    free_slot, student_potenza, operator_school_potenza, staff_potenza
):
    service.book_slot(slot=free_slot, by=operator_school_potenza, student=student_potenza)
    freed = service.cancel_booking(slot=free_slot, by=operator_school_potenza)
    assert freed.status == DeskSlot.Status.FREE and freed.booked_student is None and freed.booked_at is None
    with pytest.raises(PermissionDenied):
        service.cancel_slot(slot=free_slot, by=staff_potenza)
    cancelled = service.cancel_slot(slot=free_slot, by=operator_school_potenza)
    assert cancelled.status == DeskSlot.Status.CANCELLED
    with pytest.raises(ValidationError):
        service.book_slot(slot=free_slot, by=operator_school_potenza, family_name="Rossi")


def test_done_with_notes_kept_encrypted(free_slot, student_potenza, operator_school_potenza):
    with pytest.raises(ValidationError):
        service.mark_slot_done(slot=free_slot, by=operator_school_potenza)  # not booked
    service.book_slot(slot=free_slot, by=operator_school_potenza, student=student_potenza)
    done = service.mark_slot_done(slot=free_slot, by=operator_school_potenza, notes="Mother worried about maths")
    assert done.status == DeskSlot.Status.DONE
    with connection.cursor() as cursor:
        cursor.execute("SELECT notes FROM schools_deskslot WHERE id = %s", [free_slot.pk])
        stored = cursor.fetchone()[0]
    assert "maths" not in stored
    free_slot.refresh_from_db()
    assert free_slot.notes == "Mother worried about maths"


# --- No double booking, with a negative control ------------------------------------------------


def race_two_bookings(slot: DeskSlot, user, *, lock: bool, monkeypatch) -> list[str]:
    """Two bookings of `slot` at the same moment, each in its own thread and connection. Both wait
    for each other just before reading the slot; with lock=False the read takes no lock (the bug)."""
    barrier = threading.Barrier(2, timeout=10)
    original = service._locked_slot

    def read_slot(slot: DeskSlot) -> DeskSlot:
        barrier.wait()
        if lock:
            return original(slot)
        found = DeskSlot.objects.select_related("help_desk__school").get(pk=slot.pk)
        barrier_after.wait()  # both have read "free" before either writes
        return found

    barrier_after = threading.Barrier(2, timeout=10)
    monkeypatch.setattr(service, "_locked_slot", read_slot)
    results: list[str] = []

    def book(name: str) -> None:
        try:
            service.book_slot(slot=slot, by=user, family_name=name)
            results.append("booked")
        except ValidationError:
            results.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=book, args=(name,)) for name in ("Khan", "Rossi")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(results)


@pytest.mark.django_db(transaction=True)
def test_two_bookings_at_once_book_the_slot_once(free_slot, operator_school_potenza, monkeypatch):
    assert race_two_bookings(free_slot, operator_school_potenza, lock=True, monkeypatch=monkeypatch) == [
        "booked",
        "refused",
    ]


@pytest.mark.django_db(transaction=True)
def test_without_the_lock_the_race_double_books(free_slot, operator_school_potenza, monkeypatch):
    # Negative control: proves the test above can catch the bug it guards against.
    assert race_two_bookings(free_slot, operator_school_potenza, lock=False, monkeypatch=monkeypatch) == [
        "booked",
        "booked",
    ]


# --- Pages -------------------------------------------------------------------------------------


def test_the_week_shows_the_slots_and_the_booked_student(
    client_for, operator_school_potenza, free_slot, student_potenza
):
    service.book_slot(slot=free_slot, by=operator_school_potenza, student=student_potenza)
    monday = free_slot.starts_at.date() - datetime.timedelta(days=timezone.localtime(free_slot.starts_at).weekday())
    year, week, _ = monday.isocalendar()
    page = client_for(operator_school_potenza).get(
        reverse("schools:helpdesk_week", args=[free_slot.help_desk_id]), {"week": f"{year}-W{week:02d}"}
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert "Samira Benali" in text and "Amina Haddad" in text and "Add slots" in text
    event = AuditEvent.objects.get(action="deskslot.list")
    assert event.details["count"] == 1 and event.details["booked"] == 1


def test_staff_see_the_week_without_the_slot_form(client_for, staff_potenza, free_slot):
    page = client_for(staff_potenza).get(reverse("schools:helpdesk_week", args=[free_slot.help_desk_id]))
    assert page.status_code == 200 and "Add slots" not in page.content.decode()


def test_an_operator_adds_a_slot_repeated_on_the_next_weeks(client_for, operator_school_potenza, desk_potenza):
    day = timezone.localdate() + datetime.timedelta(days=3)
    response = client_for(operator_school_potenza).post(
        reverse("schools:deskslot_add", args=[desk_potenza.pk]),
        {
            "date": day.isoformat(),
            "start": "10:00",
            "end": "10:30",
            "mediator_name": "Omar",
            "language": "ur",
            "repeat_weeks": "3",
        },
    )
    assert response.status_code == 302
    slots = list(DeskSlot.objects.filter(help_desk=desk_potenza).order_by("starts_at"))
    assert len(slots) == 4
    assert [timezone.localtime(s.starts_at).date() for s in slots] == [
        day + datetime.timedelta(weeks=n) for n in range(4)
    ]


def test_a_clash_is_explained_on_the_week_page(client_for, operator_school_potenza, free_slot):
    day = timezone.localtime(free_slot.starts_at).date()
    response = client_for(operator_school_potenza).post(
        reverse("schools:deskslot_add", args=[free_slot.help_desk_id]),
        {
            "date": day.isoformat(),
            "start": "09:00",
            "end": "09:20",
            "mediator_name": "Samira Benali",
            "language": "ar",
            "repeat_weeks": "0",
        },
    )
    assert response.status_code == 400
    assert "already has a slot" in response.content.decode()


def test_the_slot_page_books_and_records_the_meeting(client_for, operator_school_potenza, free_slot, student_potenza):
    client = client_for(operator_school_potenza)
    url = reverse("schools:deskslot", args=[free_slot.pk])
    assert client.post(url, {"action": "book", "student": student_potenza.pk}).status_code == 302
    assert client.post(url, {"action": "done", "notes": "Talked about the L2 course"}).status_code == 302
    free_slot.refresh_from_db()
    assert free_slot.status == DeskSlot.Status.DONE
    page = client.get(url).content.decode()
    assert "Talked about the L2 course" in page
    assert AuditEvent.objects.filter(action="deskslot.view", details__notes=True).exists()


def test_booking_without_student_or_family_is_refused_on_the_page(client_for, operator_school_potenza, free_slot):
    response = client_for(operator_school_potenza).post(
        reverse("schools:deskslot", args=[free_slot.pk]), {"action": "book"}
    )
    assert response.status_code == 400
    assert "Choose a student or write the family" in response.content.decode()


def test_an_operator_creates_a_desk_with_hours(client_for, operator_school_potenza, school_potenza):
    from schools.models import HelpDesk

    data = {
        "school": school_potenza.pk,
        "name": "Sportello plesso Sud",
        "location": "Piano terra",
        "languages": "ar, FR, ur",
        "active": "on",
        "hours-TOTAL_FORMS": "2",
        "hours-INITIAL_FORMS": "0",
        "hours-MIN_NUM_FORMS": "0",
        "hours-MAX_NUM_FORMS": "21",
        "hours-0-weekday": "1",
        "hours-0-opens": "08:30",
        "hours-0-closes": "10:30",
        "hours-1-weekday": "",
        "hours-1-opens": "",
        "hours-1-closes": "",
    }
    response = client_for(operator_school_potenza).post(reverse("schools:helpdesk_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    desk = HelpDesk.objects.get(name="Sportello plesso Sud")
    assert desk.languages == ["ar", "fr", "ur"]
    assert [(h.weekday, h.opens.hour) for h in desk.opening_hours.all()] == [(1, 8)]


def test_the_students_free_slots_put_the_familys_language_first(
    client_for, operator_school_potenza, desk_potenza, student_potenza
):
    urdu = service.create_slot(
        desk=desk_potenza,
        starts_at=at(1, 9),
        ends_at=at(1, 10),
        mediator_name="Omar",
        language="ur",
        by=operator_school_potenza,
    )
    arabic = service.create_slot(
        desk=desk_potenza,
        starts_at=at(3, 9),
        ends_at=at(3, 10),
        mediator_name="Samira",
        language="ar",
        by=operator_school_potenza,
    )
    taken = service.create_slot(
        desk=desk_potenza,
        starts_at=at(2, 9),
        ends_at=at(2, 10),
        mediator_name="Samira",
        language="ar",
        by=operator_school_potenza,
    )
    service.book_slot(slot=taken, by=operator_school_potenza, family_name="Rossi")
    client = client_for(operator_school_potenza)
    page = client.get(reverse("schools:student_slots", args=[student_potenza.pk])).content.decode()
    first = reverse("schools:deskslot", args=[arabic.pk])
    second = reverse("schools:deskslot", args=[urdu.pk])
    assert page.index(first) < page.index(second)
    assert reverse("schools:deskslot", args=[taken.pk]) + "?" not in page
    booking = client.get(reverse("schools:deskslot", args=[arabic.pk]), {"student": student_potenza.pk})
    assert f'value="{student_potenza.pk}" selected' in booking.content.decode()
