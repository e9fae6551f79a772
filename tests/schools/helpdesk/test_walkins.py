"""The walk-in log: a quick record of who came to the desk without appointment, notes encrypted."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from aipim.core.models import AuditEvent
from schools.models import WalkIn
from schools.services.helpdesk import log_walk_in

pytestmark = pytest.mark.django_db


def test_a_visit_is_logged_with_encrypted_notes(desk_potenza, operator_school_potenza):
    walk_in = log_walk_in(
        desk=desk_potenza,
        at=timezone.now(),
        topic=WalkIn.Topic.DOCUMENTS,
        by=operator_school_potenza,
        visitor_name="Madre di un nuovo alunno",
        language="ur",
        notes="Permesso di soggiorno in rinnovo",
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT notes FROM schools_walkin WHERE id = %s", [walk_in.pk])
        assert "soggiorno" not in cursor.fetchone()[0]
    event = AuditEvent.objects.get(action="walkin.create")
    assert event.details == {"topic": "documents"}


def test_a_visit_names_a_student_or_a_visitor_and_is_not_in_the_future(
    desk_potenza, operator_school_potenza, student_matera
):
    with pytest.raises(ValidationError):
        log_walk_in(desk=desk_potenza, at=timezone.now(), topic="other", by=operator_school_potenza)
    with pytest.raises(ValidationError, match="future"):
        log_walk_in(
            desk=desk_potenza,
            at=timezone.now() + datetime.timedelta(hours=2),
            topic="other",
            by=operator_school_potenza,
            visitor_name="X",
        )
    with pytest.raises(ValidationError, match="another school"):
        log_walk_in(
            desk=desk_potenza, at=timezone.now(), topic="other", by=operator_school_potenza, student=student_matera
        )


def test_another_schools_staff_cannot_log_at_this_desk(desk_potenza, staff_school_matera):
    with pytest.raises(PermissionDenied):
        log_walk_in(desk=desk_potenza, at=timezone.now(), topic="other", by=staff_school_matera, visitor_name="X")


def test_the_quick_form_records_a_visit_and_the_log_shows_it(
    client_for, operator_school_potenza, desk_potenza, student_potenza
):
    client = client_for(operator_school_potenza)
    url = reverse("schools:walkin_log", args=[desk_potenza.pk])
    when = timezone.localtime().replace(second=0, microsecond=0) - datetime.timedelta(minutes=10)
    response = client.post(
        url,
        {
            "at": when.strftime("%Y-%m-%dT%H:%M"),
            "student": student_potenza.pk,
            "language": "ar",
            "topic": "learning",
            "notes": "Needs a maths tutor",
        },
    )
    assert response.status_code == 302
    walk_in = WalkIn.objects.get()
    assert walk_in.student == student_potenza and walk_in.at == when and walk_in.handled_by == operator_school_potenza
    page = client.get(url).content.decode()
    assert "Amina Haddad" in page and "Needs a maths tutor" in page and "Learning" in page
    assert AuditEvent.objects.get(action="walkin.list").details["shown"] == [walk_in.pk]


def test_the_quick_form_says_what_is_missing(client_for, operator_school_potenza, desk_potenza):
    response = client_for(operator_school_potenza).post(
        reverse("schools:walkin_log", args=[desk_potenza.pk]),
        {"at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "topic": "other", "language": "not a code"},
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "Choose a student or write who came" in text and "Write a language code" in text
