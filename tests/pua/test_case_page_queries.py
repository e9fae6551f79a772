"""The case page runs a fixed number of queries however many referrals, appointments and shares it shows."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pua.models import Appointment, Referral
from tests.factories import ServiceFactory


def add_records(case, user, count):
    service = ServiceFactory()
    for i in range(count):
        Referral.objects.create(case=case, service=service, reason="work", created_by=user)
        start = timezone.now() + datetime.timedelta(days=i + 1)
        Appointment.objects.create(
            case=case, caseworker=user, starts_at=start, ends_at=start + datetime.timedelta(hours=1), purpose="meeting"
        )


def page_queries(client, case) -> int:
    url = reverse("pua:case_detail", args=[case.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("more", [3])
def test_case_page_queries_do_not_grow_with_its_records(client_for, caseworker_irsina, case_irsina, more):
    client = client_for(caseworker_irsina)
    add_records(case_irsina, caseworker_irsina, 1)
    few = page_queries(client, case_irsina)
    add_records(case_irsina, caseworker_irsina, more)
    assert page_queries(client, case_irsina) == few
