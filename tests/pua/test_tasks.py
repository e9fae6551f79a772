"""Tasks of a case and the overdue list of the user's desks."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from aipim.core.models import AuditEvent
from pua.models import Task
from pua.services import plan
from pua.services.cases import open_case
from tests.factories import ConsentFactory, PersonFactory
from tests.personas import PERSONAS

SEES_IRSINA_TASKS = {"caseworker_irsina", "supervisor_irsina"}
PUA_PERSONAS = {"caseworker_irsina", "caseworker_picerno", "supervisor_irsina"}


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


@pytest.fixture
def overdue_task(case_irsina, caseworker_irsina) -> Task:
    return plan.add_task(
        case=case_irsina,
        title="Call the job centre",
        due_date=days(-2),
        assigned_to=caseworker_irsina,
        by=caseworker_irsina,
    )


def test_task_is_added_and_done_through_the_case_page(client_for, caseworker_irsina, case_irsina):
    client = client_for(caseworker_irsina)
    response = client.post(
        reverse("pua:task_add", args=[case_irsina.pk]),
        {"title": "Book the interpreter", "due_date": days(3).isoformat(), "assigned_to": caseworker_irsina.pk},
    )
    assert response.status_code == 302
    task = case_irsina.tasks.get()
    assert task.created_by == caseworker_irsina and task.due_date == days(3)
    assert client.post(reverse("pua:task_done", args=[task.pk])).status_code == 302
    task.refresh_from_db()
    assert task.done_at is not None
    assert AuditEvent.objects.filter(action="task.done", object_id=str(task.pk)).exists()


def test_task_needs_a_due_date(client_for, caseworker_irsina, case_irsina):
    response = client_for(caseworker_irsina).post(reverse("pua:task_add", args=[case_irsina.pk]), {"title": "X"})
    assert response.status_code == 400
    assert not case_irsina.tasks.exists()


def test_task_is_assigned_only_to_the_desks_staff(case_irsina, caseworker_irsina, caseworker_picerno):
    with pytest.raises(ValidationError):
        plan.add_task(
            case=case_irsina, title="X", due_date=days(1), assigned_to=caseworker_picerno, by=caseworker_irsina
        )


def test_a_task_is_done_once(overdue_task, caseworker_irsina):
    plan.complete_task(task=overdue_task, by=caseworker_irsina)
    with pytest.raises(ValidationError):
        plan.complete_task(task=overdue_task, by=caseworker_irsina)


@pytest.mark.parametrize("persona", PERSONAS)
def test_overdue_list_by_role_and_organisation(request, client_for, overdue_task, persona):
    user = request.getfixturevalue(persona)
    response = client_for(user).get(reverse("pua:overdue_tasks"))
    content = response.content.decode()
    if persona in PUA_PERSONAS:
        assert response.status_code == 200
        assert ("Call the job centre" in content) is (persona in SEES_IRSINA_TASKS)
        assert ("Abdel Aziz" in content) is (persona in SEES_IRSINA_TASKS)
        assert AuditEvent.objects.filter(user=user, action="task.list").exists()
    else:
        assert response.status_code == 403
        assert "Call the job centre" not in content


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p not in SEES_IRSINA_TASKS])
def test_nobody_outside_the_desk_closes_its_tasks(request, client_for, overdue_task, persona):
    response = client_for(request.getfixturevalue(persona)).post(reverse("pua:task_done", args=[overdue_task.pk]))
    assert response.status_code in (403, 404)
    overdue_task.refresh_from_db()
    assert overdue_task.done_at is None


def test_overdue_list_leaves_out_done_and_future_tasks(client_for, case_irsina, caseworker_irsina, overdue_task):
    plan.add_task(case=case_irsina, title="Tomorrow's task", due_date=days(1), by=caseworker_irsina)
    plan.add_task(case=case_irsina, title="Today's task", due_date=days(0), by=caseworker_irsina)
    done = plan.add_task(case=case_irsina, title="Done already", due_date=days(-5), by=caseworker_irsina)
    plan.complete_task(task=done, by=caseworker_irsina)
    content = client_for(caseworker_irsina).get(reverse("pua:overdue_tasks")).content.decode()
    assert "Call the job centre" in content
    assert "Tomorrow's task" not in content and "Today's task" not in content and "Done already" not in content


def test_marking_done_from_the_overdue_list_goes_back_to_it(client_for, caseworker_irsina, overdue_task):
    response = client_for(caseworker_irsina).post(reverse("pua:task_done", args=[overdue_task.pk]), {"next": "overdue"})
    assert response["Location"] == reverse("pua:overdue_tasks")


def make_overdue_tasks(count, desk, caseworker):
    for i in range(count):
        person = PersonFactory(organisation=desk)
        ConsentFactory(person=person, purpose="case_management", organisation=desk, recorded_by=caseworker)
        case = open_case(person=person, desk=desk, by=caseworker, caseworker=caseworker)
        plan.add_task(case=case, title=f"Task {i}", due_date=days(-1 - i), assigned_to=caseworker, by=caseworker)


def test_overdue_list_runs_a_fixed_number_of_queries(
    client_for, caseworker_irsina, desk_irsina, django_assert_max_num_queries
):
    client = client_for(caseworker_irsina)
    client.get(reverse("pua:overdue_tasks"))  # warm up the session and the caches
    make_overdue_tasks(2, desk_irsina, caseworker_irsina)
    with django_assert_max_num_queries(12) as few:
        assert client.get(reverse("pua:overdue_tasks")).status_code == 200
    make_overdue_tasks(20, desk_irsina, caseworker_irsina)
    with django_assert_max_num_queries(len(few.captured_queries)):
        content = client.get(reverse("pua:overdue_tasks")).content.decode()
    assert "Task 19" in content
