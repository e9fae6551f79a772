"""Capacity holds whatever the concurrency: many bookers at once against the real database, each in
its own thread and connection. The negative control turns the session lock off and shows that the
same race then oversells, so the test can catch the bug it guards against."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection

from associations.models import Booking, BookingStatus, Event, Session
from associations.services import booking as service
from associations.services.booking import BookingError

pytestmark = pytest.mark.django_db(transaction=True)


def race(count: int, book_one: Callable[[int], None]) -> list[BaseException]:
    """Run `book_one(i)` in `count` threads released together; returns the unexpected errors."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(number: int) -> None:
        try:
            barrier.wait()
            book_one(number)
        except BookingError as error:
            if error.code != "duplicate":
                errors.append(error)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def book_session(session: Session, email: str) -> None:
    service.book(event=session.event, session=session, name="P", email=email, phone="", seats=1, language="it")


def book_series(event: Event, email: str) -> None:
    service.book(event=event, session=None, name="P", email=email, phone="", seats=1, language="it")


def statuses(**filters) -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in Booking.objects.filter(**filters).values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return counts


def test_twenty_bookers_for_five_seats(workshop_session) -> None:
    workshop_session.capacity = 5
    workshop_session.save()

    errors = race(20, lambda n: book_session(workshop_session, f"p{n}@example.org"))

    assert errors == []
    assert statuses(session=workshop_session) == {BookingStatus.CONFIRMED: 5, BookingStatus.WAITING: 15}


def test_twenty_bookers_for_a_series_of_five_seats(series) -> None:
    Session.objects.filter(event=series).update(capacity=5)

    errors = race(20, lambda n: book_series(series, f"p{n}@example.org"))

    assert errors == []
    assert statuses(event=series) == {BookingStatus.CONFIRMED: 5, BookingStatus.WAITING: 15}


def test_the_same_email_many_times_at_once_books_once(workshop_session) -> None:
    errors = race(10, lambda n: book_session(workshop_session, "same@example.org"))

    assert errors == []
    assert Booking.objects.filter(session=workshop_session).count() == 1


def test_cancellations_at_once_never_offer_more_than_was_freed(workshop_session) -> None:
    workshop_session.capacity = 5
    workshop_session.save()
    for n in range(15):
        book_session(workshop_session, f"p{n}@example.org")
    confirmed = list(Booking.objects.filter(status=BookingStatus.CONFIRMED))

    errors = race(5, lambda n: service.cancel(confirmed[n]))

    assert errors == []
    held = statuses(session=workshop_session)
    assert held.get(BookingStatus.OFFERED) == 5
    assert held.get(BookingStatus.WAITING) == 5


def test_negative_control_without_the_lock_the_same_race_oversells(workshop_session, monkeypatch) -> None:
    workshop_session.capacity = 5
    workshop_session.save()
    counted = service._free

    def no_lock(event: Event, session: Session | None) -> list[Session]:
        return list(Session.objects.select_related("event").filter(pk=session.pk))  # type: ignore[union-attr]

    def slow_count(*args, **kwargs) -> int:
        free = counted(*args, **kwargs)
        time.sleep(0.2)  # everyone counts before anyone writes
        return free

    monkeypatch.setattr(service, "_lock", no_lock)
    monkeypatch.setattr(service, "_free", slow_count)

    race(10, lambda n: book_session(workshop_session, f"p{n}@example.org"))

    assert statuses(session=workshop_session).get(BookingStatus.CONFIRMED, 0) > 5


def test_cancelling_a_series_session_while_people_book_the_series(series) -> None:
    Session.objects.filter(event=series).update(capacity=5)
    last = series.sessions.order_by("-id").first()

    def act(n: int) -> None:
        if n == 0:
            service.cancel_session(last, by=None, message="Holiday.")
        else:
            book_series(series, f"p{n}@example.org")

    errors = race(12, act)

    assert errors == []
    assert statuses(event=series) == {BookingStatus.CONFIRMED: 5, BookingStatus.WAITING: 6}
