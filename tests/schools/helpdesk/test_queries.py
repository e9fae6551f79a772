"""Lists run a fixed number of queries whatever the number of rows; the student-page partials too."""

from __future__ import annotations

import datetime

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from schools.services import helpdesk, interventions, messages

pytestmark = pytest.mark.django_db


def fill(count: int, *, school, desk, user, make_student, class_potenza, offset: int = 0) -> object:
    """`count` students at the desk's school, each with a booked slot this week, a walk-in, a case
    with an action, an intervention and a message."""
    monday = timezone.localdate() - datetime.timedelta(days=timezone.localdate().weekday())
    first = None
    for n in range(offset, offset + count):
        student = make_student(school, school_class=class_potenza)
        first = first or student
        start = timezone.make_aware(datetime.datetime.combine(monday, datetime.time(8))) + datetime.timedelta(
            minutes=30 * n
        )
        slot = helpdesk.create_slot(
            desk=desk,
            starts_at=start,
            ends_at=start + datetime.timedelta(minutes=30),
            mediator_name=f"Mediator {n}",
            language="ar",
            by=user,
        )
        helpdesk.book_slot(slot=slot, by=user, student=student)
        helpdesk.log_walk_in(desk=desk, at=timezone.now(), topic="other", by=user, student=student, notes=f"note {n}")
        case = helpdesk.open_case(school=school, students=[student], title=f"Case {n}", by=user, referent=user)
        helpdesk.add_action(case=case, title="Call", by=user, owner=user)
        interventions.create_intervention(
            student=student, kind="tutoring", starts_on=timezone.localdate(), by=user, owner=user, support_case=case
        )
        messages.draft_message(student=student, template_code="absence", by=user)
    return first


@pytest.fixture
def urls(desk_potenza) -> list[str]:
    return [
        reverse("schools:helpdesk_list"),
        reverse("schools:helpdesk_week", args=[desk_potenza.pk]),
        reverse("schools:walkin_log", args=[desk_potenza.pk]),
        reverse("schools:supportcase_list"),
        reverse("schools:intervention_list"),
        reverse("schools:message_list"),
    ]


def test_lists_run_the_same_queries_for_2_and_12_rows(
    client_for,
    operator_school_potenza,
    school_potenza,
    desk_potenza,
    class_potenza,
    make_student,
    regional_templates,
    urls,
    django_assert_max_num_queries,
):
    client = client_for(operator_school_potenza)
    kwargs = dict(
        school=school_potenza,
        desk=desk_potenza,
        user=operator_school_potenza,
        make_student=make_student,
        class_potenza=class_potenza,
    )
    fill(2, **kwargs)
    small = {}
    for url in urls:
        with django_assert_max_num_queries(25) as captured:
            assert client.get(url).status_code == 200
        small[url] = len(captured.captured_queries)
    fill(10, offset=2, **kwargs)
    for url in urls:
        with django_assert_max_num_queries(small[url], info=url):
            response = client.get(url)
        assert response.status_code == 200
        assert response.content.decode().count("<tr") >= 12 or url.endswith("/helpdesk/")


def test_the_student_partials_run_a_fixed_number_of_queries(
    operator_school_potenza,
    school_potenza,
    desk_potenza,
    class_potenza,
    make_student,
    regional_templates,
    django_assert_num_queries,
):
    kwargs = dict(
        school=school_potenza,
        desk=desk_potenza,
        user=operator_school_potenza,
        make_student=make_student,
        class_potenza=class_potenza,
    )
    student = fill(1, **kwargs)
    for _ in range(5):
        interventions.create_intervention(
            student=student, kind="mediator", starts_on=timezone.localdate(), by=operator_school_potenza
        )
        messages.draft_message(student=student, template_code="meeting", by=operator_school_potenza)
    for name, queries in (("_interventions", 1), ("_messages", 1), ("_helpdesk", 2)):
        with django_assert_num_queries(queries):
            html = render_to_string(f"schools/students/{name}.html", {"student": student})
        assert "<section" in html
