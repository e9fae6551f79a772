"""Staff training: records with their validity, who sees and records them, coverage per desk, and
data-protection training that unlocks sensitive data until the day it expires."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from aipim.accounts.models import Role
from pua.models import TrainingCourse, TrainingRecord, TrainingSession
from pua.services import training
from tests.personas import PERSONAS

PUA_PERSONAS = {"caseworker_irsina", "caseworker_picerno", "supervisor_irsina"}
SEES_IRSINA_RECORD = {"caseworker_irsina", "supervisor_irsina"}


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def dp_course() -> TrainingCourse:
    return TrainingCourse.objects.create(
        title="Data protection for caseworkers", hours=Decimal("6"), data_protection=True, valid_for_days=365
    )


@pytest.fixture
def record_irsina(caseworker_irsina, supervisor_irsina, desk_irsina, dp_course) -> TrainingRecord:
    return training.record_training(
        user=caseworker_irsina,
        desk=desk_irsina,
        course=dp_course,
        completed_on=timezone.localdate(),
        hours_attended=Decimal("6"),
        certificate_reference="CERT-IRS-77",
        by=supervisor_irsina,
    )


def test_validity_is_computed_from_the_course(record_irsina):
    assert record_irsina.valid_until == record_irsina.completed_on + datetime.timedelta(days=365)


def test_a_course_without_expiry_gives_open_validity(caseworker_irsina, supervisor_irsina, desk_irsina):
    course = TrainingCourse.objects.create(title="Intercultural mediation", hours=Decimal("12"))
    record = training.record_training(
        user=caseworker_irsina,
        desk=desk_irsina,
        course=course,
        completed_on=timezone.localdate(),
        hours_attended=Decimal("12"),
        by=supervisor_irsina,
    )
    assert record.valid_until is None


def test_expiry_removes_access_at_once(caseworker_irsina, supervisor_irsina, desk_irsina, dp_course):
    completed = timezone.localdate() - datetime.timedelta(days=365)
    record = training.record_training(
        user=caseworker_irsina,
        desk=desk_irsina,
        course=dp_course,
        completed_on=completed,
        hours_attended=Decimal("6"),
        by=supervisor_irsina,
    )
    today = timezone.localdate()
    assert record.valid_until == today
    assert training.has_valid_data_protection(caseworker_irsina, on=today)
    assert not training.has_valid_data_protection(caseworker_irsina, on=today + datetime.timedelta(days=1))
    assert not training.has_valid_data_protection(caseworker_irsina, on=completed - datetime.timedelta(days=1))


def test_only_a_supervisor_of_the_desk_records_its_staffs_training(
    caseworker_irsina, caseworker_picerno, supervisor_irsina, desk_irsina, dp_course
):
    kwargs = {"desk": desk_irsina, "course": dp_course, "completed_on": timezone.localdate(), "hours_attended": 6}
    with pytest.raises(ValidationError):
        training.record_training(user=caseworker_irsina, by=caseworker_irsina, **kwargs)
    with pytest.raises(ValidationError):
        training.record_training(user=caseworker_picerno, by=supervisor_irsina, **kwargs)
    assert not TrainingRecord.objects.exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_training_list_by_role_and_organisation(request, client_for, record_irsina, persona):
    user = request.getfixturevalue(persona)
    response = client_for(user).get(reverse("pua:training_list"))
    content = response.content.decode()
    if persona in PUA_PERSONAS:
        assert response.status_code == 200
        assert ("CERT-IRS-77" in content) is (persona in SEES_IRSINA_RECORD)
    else:
        assert response.status_code == 403
        assert "CERT-IRS-77" not in content


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(
    "url_name",
    ["pua:training_record_add", "pua:training_coverage", "pua:training_course_add", "pua:training_session_add"],
)
def test_supervisor_pages_by_role(request, client_for, persona, url_name):
    response = client_for(request.getfixturevalue(persona)).get(reverse(url_name))
    assert response.status_code == (200 if persona == "supervisor_irsina" else 403)


def test_caseworker_sees_own_records_not_colleagues(client_for, record_irsina, make_member, desk_irsina):
    colleague = make_member(Role.CASEWORKER, desk_irsina, email="colleague@example.org")
    content = client_for(colleague).get(reverse("pua:training_list")).content.decode()
    assert "CERT-IRS-77" not in content
    assert "You have no data-protection training in force" in content


def test_supervisor_records_training_through_the_page(client_for, supervisor_irsina, caseworker_irsina, desk_irsina):
    course = TrainingCourse.objects.create(title="GDPR", hours=Decimal("4"), data_protection=True, valid_for_days=30)
    session = TrainingSession.objects.create(
        course=course, starts_at=timezone.now(), hours=Decimal("3.5"), place="Sala consiliare"
    )
    client = client_for(supervisor_irsina)
    data = {
        "user": caseworker_irsina.pk,
        "desk": desk_irsina.pk,
        "course": course.pk,
        "session": session.pk,
        "completed_on": "2026-03-01",
        "certificate_reference": "C-1",
    }
    assert client.post(reverse("pua:training_record_add"), data).status_code == 302
    record = TrainingRecord.objects.get(user=caseworker_irsina)
    assert record.hours_attended == Decimal("3.5")  # the session's hours when none are given
    assert record.valid_until == datetime.date(2026, 3, 31)


def test_record_form_refuses_staff_of_another_desk(client_for, supervisor_irsina, caseworker_picerno, desk_irsina):
    course = TrainingCourse.objects.create(title="GDPR", hours=Decimal("4"))
    data = {"user": caseworker_picerno.pk, "desk": desk_irsina.pk, "course": course.pk, "completed_on": "2026-03-01"}
    response = client_for(supervisor_irsina).post(reverse("pua:training_record_add"), data)
    assert response.status_code == 400
    assert not TrainingRecord.objects.exists()


def test_supervisor_adds_courses_and_sessions(client_for, supervisor_irsina):
    client = client_for(supervisor_irsina)
    response = client.post(
        reverse("pua:training_course_add"),
        {"title": "Ethnopsychiatry", "hours": "8", "data_protection": "", "valid_for_days": ""},
    )
    assert response.status_code == 302
    course = TrainingCourse.objects.get(title="Ethnopsychiatry")
    response = client.post(
        reverse("pua:training_session_add"),
        {"course": course.pk, "starts_at": "2026-04-10T09:00", "hours": "4", "place": "Potenza"},
    )
    assert response.status_code == 302
    assert course.sessions.count() == 1


def test_coverage_counts_staff_with_training_in_force(
    client_for, supervisor_irsina, caseworker_irsina, desk_irsina, dp_course, record_irsina, make_member
):
    make_member(Role.CASEWORKER, desk_irsina, email="untrained@example.org")
    expired = make_member(Role.CASEWORKER, desk_irsina, email="expired@example.org")
    TrainingRecord.objects.create(
        user=expired,
        desk=desk_irsina,
        course=dp_course,
        completed_on=timezone.localdate() - datetime.timedelta(days=400),
        hours_attended=Decimal("2"),
        valid_until=timezone.localdate() - datetime.timedelta(days=35),
    )
    (row,) = training.desk_coverage([desk_irsina])
    # Staff: the caseworker, the supervisor, the untrained and the expired colleague; one in force.
    assert (row["staff"], row["trained"], row["percent"], row["hours"]) == (4, 1, 25, Decimal("8"))
    content = client_for(supervisor_irsina).get(reverse("pua:training_coverage")).content.decode()
    assert "PUA Irsina" in content and "25%" in content
    assert "PUA Picerno" not in content


def test_training_list_runs_a_fixed_number_of_queries(
    client_for, supervisor_irsina, desk_irsina, dp_course, make_member, django_assert_max_num_queries
):
    def add_records(count):
        for i in range(count):
            user = make_member(Role.CASEWORKER, desk_irsina, email=f"staff{TrainingRecord.objects.count()}-{i}@ex.org")
            session = TrainingSession.objects.create(course=dp_course, starts_at=timezone.now(), hours=Decimal("6"))
            training.record_training(
                user=user,
                desk=desk_irsina,
                course=dp_course,
                session=session,
                completed_on=timezone.localdate(),
                hours_attended=Decimal("6"),
                by=supervisor_irsina,
            )

    client = client_for(supervisor_irsina)
    client.get(reverse("pua:training_list"))
    add_records(2)
    with django_assert_max_num_queries(15) as few:
        assert client.get(reverse("pua:training_list")).status_code == 200
    add_records(15)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("pua:training_list")).status_code == 200
