"""The case page runs a fixed number of queries however many referrals, appointments, shares and
notes it shows: the notes it shows are audited in one record, not one insert per note."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from aipim.core.models import AuditEvent
from pua.models import Appointment, Note, Referral, TrainingCourse, TrainingRecord
from tests.factories import ServiceFactory

# The case page's queries with everything on it, for a trained caseworker who reads every note.
CASE_PAGE_QUERIES = 18

NOTE_KINDS = [(Note.Kind.GENERAL, False), (Note.Kind.HEALTH, False), (Note.Kind.LEGAL, True), (Note.Kind.GENERAL, True)]


@pytest.fixture
def trained(caseworker_irsina, desk_irsina) -> None:
    course = TrainingCourse.objects.create(title="GDPR", hours=4, data_protection=True)
    TrainingRecord.objects.create(
        user=caseworker_irsina, desk=desk_irsina, course=course, completed_on=timezone.localdate(), hours_attended=4
    )


def add_records(case, user, count):
    service = ServiceFactory()
    for i in range(count):
        Referral.objects.create(case=case, service=service, reason="work", created_by=user)
        start = timezone.now() + datetime.timedelta(days=i + 1)
        Appointment.objects.create(
            case=case, caseworker=user, starts_at=start, ends_at=start + datetime.timedelta(hours=1), purpose="meeting"
        )


def add_notes(case, user, count) -> list[int]:
    kinds = [NOTE_KINDS[i % len(NOTE_KINDS)] for i in range(count)]
    return [
        Note.objects.create(case=case, kind=k, restricted=r, body=f"note {i}", author=user).pk
        for i, (k, r) in enumerate(kinds)
    ]


def page_queries(client, case) -> int:
    url = reverse("pua:case_detail", args=[case.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("more", [3])
def test_case_page_queries_do_not_grow_with_its_records(client_for, caseworker_irsina, case_irsina, trained, more):
    client = client_for(caseworker_irsina)
    add_records(case_irsina, caseworker_irsina, 1)
    add_notes(case_irsina, caseworker_irsina, 1)
    few = page_queries(client, case_irsina)
    add_records(case_irsina, caseworker_irsina, more)
    add_notes(case_irsina, caseworker_irsina, more)
    assert page_queries(client, case_irsina) == few


@pytest.mark.parametrize("notes", [1, 15])
def test_case_page_reads_its_notes_in_a_fixed_number_of_queries(
    client_for, caseworker_irsina, case_irsina, trained, notes, django_assert_max_num_queries
):
    ids = add_notes(case_irsina, caseworker_irsina, notes)
    add_records(case_irsina, caseworker_irsina, 2)
    client = client_for(caseworker_irsina)
    url = reverse("pua:case_detail", args=[case_irsina.pk])
    client.get(url)  # the session's first request does its own writes
    with django_assert_max_num_queries(CASE_PAGE_QUERIES):
        assert client.get(url).status_code == 200
    (view,) = AuditEvent.objects.filter(action="case.view").order_by("-pk")[:1]
    assert sorted(view.details["notes"]) == sorted(ids)
