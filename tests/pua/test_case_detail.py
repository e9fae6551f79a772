"""The case page: who may open it, who may change it, status and assignment, and the parts of the
case that other screens add (included only when installed)."""

from __future__ import annotations

import datetime
import re
from collections import Counter

import pytest
from django.template import Context, Engine
from django.urls import reverse
from django.utils import timezone

from aipim.accounts.models import Role
from aipim.core.models import AuditEvent
from pua.models import BreakGlassGrant, Case, CaseStatusChange
from pua.services import plan
from tests.personas import PERSONAS

SEES_IRSINA_CASE = {"caseworker_irsina", "supervisor_irsina"}
MATRIX = [(persona, persona in SEES_IRSINA_CASE) for persona in PERSONAS]


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.mark.parametrize(("persona", "allowed"), MATRIX)
def test_case_page_by_role_and_organisation(request, client_for, case_irsina, persona, allowed):
    user = request.getfixturevalue(persona)
    response = client_for(user).get(reverse("pua:case_detail", args=[case_irsina.pk]))
    content = response.content.decode()
    if allowed:
        assert response.status_code == 200
        assert case_irsina.number in content
        assert "Abdel Aziz" in content
        assert AuditEvent.objects.filter(user=user, action="case.view", object_id=str(case_irsina.pk)).exists()
    else:
        assert response.status_code in (403, 404)
        assert case_irsina.number not in content
        assert "Abdel Aziz" not in content


def test_caseworker_cannot_open_case_of_another_desk_by_its_id(client_for, caseworker_picerno, case_irsina):
    response = client_for(caseworker_picerno).get(reverse("pua:case_detail", args=[case_irsina.pk]))
    assert response.status_code == 404


def test_case_page_shows_person_link_status_and_history(client_for, caseworker_irsina, case_irsina):
    response = client_for(caseworker_irsina).get(reverse("pua:case_detail", args=[case_irsina.pk]))
    content = response.content.decode()
    assert reverse("core:person_detail", args=[case_irsina.person.public_id]) in content
    assert "Open" in content
    assert "Assessed" in content  # an allowed next status
    assert "Care plan active" not in content.split('id="status-heading"')[1].split("</form>")[0]


def test_closing_needs_a_reason(client_for, caseworker_irsina, case_irsina):
    client = client_for(caseworker_irsina)
    url = reverse("pua:case_status", args=[case_irsina.pk])
    response = client.post(url, {"to": "closed"})
    assert response.status_code == 400
    assert "Give the reason for closing the case." in response.content.decode()
    case_irsina.refresh_from_db()
    assert case_irsina.status == Case.Status.OPEN

    response = client.post(url, {"to": "closed", "closing_reason": "moved"})
    assert response.status_code == 302
    case_irsina.refresh_from_db()
    assert case_irsina.status == Case.Status.CLOSED
    assert case_irsina.closing_reason == "moved"
    change = CaseStatusChange.objects.filter(case=case_irsina).last()
    assert change is not None and change.changed_by == caseworker_irsina and change.to_status == "closed"

    page = client.get(reverse("pua:case_detail", args=[case_irsina.pk])).content.decode()
    assert "Moved to another area" in page  # the history shows the closing reason's label
    assert 'action="' + url not in page  # a closed case has no status form


def test_status_cannot_skip_a_step(client_for, caseworker_irsina, case_irsina):
    response = client_for(caseworker_irsina).post(
        reverse("pua:case_status", args=[case_irsina.pk]), {"to": "plan_active"}
    )
    assert response.status_code == 400
    case_irsina.refresh_from_db()
    assert case_irsina.status == Case.Status.OPEN


def test_assign_offers_only_the_desks_staff(
    client_for, supervisor_irsina, caseworker_picerno, case_irsina, make_member
):
    colleague = make_member(Role.CASEWORKER, case_irsina.desk, email="colleague@example.org")
    client = client_for(supervisor_irsina)
    url = reverse("pua:case_assign", args=[case_irsina.pk])

    response = client.post(url, {"caseworker": caseworker_picerno.pk})
    assert response.status_code == 400
    case_irsina.refresh_from_db()
    assert case_irsina.caseworker != caseworker_picerno

    assert client.post(url, {"caseworker": colleague.pk}).status_code == 302
    case_irsina.refresh_from_db()
    assert case_irsina.caseworker == colleague
    assert AuditEvent.objects.filter(action="case.assign", object_id=str(case_irsina.pk)).exists()


CHANGES = [
    ("pua:case_status", {"to": "closed", "closing_reason": "other"}),
    ("pua:case_assign", {"caseworker": ""}),
    ("pua:goal_add", {"domain": "work", "description": "Find a job"}),
    ("pua:task_add", {"title": "Call back", "due_date": "2030-01-01"}),
    ("pua:note_add", {"kind": "general", "body": "Seen today"}),
    ("pua:assess", {f"severity_{d}": "1" for d in ("health", "work", "housing", "legal")}),
]


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p not in SEES_IRSINA_CASE])
@pytest.mark.parametrize(("url_name", "data"), CHANGES)
def test_nobody_outside_the_desk_changes_its_case(request, client_for, case_irsina, persona, url_name, data):
    user = request.getfixturevalue(persona)
    response = client_for(user).post(reverse(url_name, args=[case_irsina.pk]), data)
    assert response.status_code in (403, 404)
    case_irsina.refresh_from_db()
    assert case_irsina.status == Case.Status.OPEN
    assert case_irsina.caseworker is not None
    assert not case_irsina.goals.exists() and not case_irsina.tasks.exists() and not case_irsina.notes.exists()
    assert not case_irsina.assessments.exists()


@pytest.fixture
def break_glass(case_irsina, caseworker_picerno) -> BreakGlassGrant:
    now = timezone.now()
    return BreakGlassGrant.objects.create(
        case=case_irsina,
        user=caseworker_picerno,
        reason="Came to the wrong desk in crisis",
        granted_at=now,
        expires_at=now + datetime.timedelta(hours=24),
    )


@pytest.mark.parametrize(("url_name", "data"), CHANGES)
def test_emergency_access_reads_but_does_not_change(client_for, caseworker_picerno, break_glass, url_name, data):
    client = client_for(caseworker_picerno)
    page = client.get(reverse("pua:case_detail", args=[break_glass.case_id]))
    assert page.status_code == 200
    assert "you cannot change it" in page.content.decode()
    response = client.post(reverse(url_name, args=[break_glass.case_id]), data)
    assert response.status_code == 403
    case = Case.objects.get(pk=break_glass.case_id)
    assert case.status == Case.Status.OPEN
    assert not case.goals.exists() and not case.tasks.exists() and not case.notes.exists()


def test_missing_partials_leave_the_page_whole(client_for, caseworker_irsina, case_irsina):
    # Whichever of the other screens' partials exist, the page renders; the tag is tested below.
    response = client_for(caseworker_irsina).get(reverse("pua:case_detail", args=[case_irsina.pk]))
    assert response.status_code == 200
    assert "Notes" in response.content.decode()


def test_include_if_exists_renders_existing_partials_with_the_case():
    engine = Engine(
        loaders=[
            (
                "django.template.loaders.locmem.Loader",
                {
                    "page.html": "{% load portal_tags %}[{% include_if_exists 'there.html' %}|"
                    "{% include_if_exists 'missing.html' %}]",
                    "there.html": "case {{ case }}",
                },
            )
        ],
        libraries={"portal_tags": "aipim.core.templatetags.portal_tags"},
    )
    assert engine.get_template("page.html").render(Context({"case": "PUA-IRS-2026-00001"})) == (
        "[case PUA-IRS-2026-00001|]"
    )


def test_case_page_ids_are_unique(client_for, caseworker_irsina, case_irsina):
    """Every label points at its own field, though several forms on the page share field names."""
    plan.record_assessment(case=case_irsina, needs=[("work", 2, "")], by=caseworker_irsina)
    plan.add_goal(case=case_irsina, domain="work", description="Find work", by=caseworker_irsina)
    content = client_for(caseworker_irsina).get(reverse("pua:case_detail", args=[case_irsina.pk])).content.decode()
    ids = Counter(re.findall(r'\sid="([^"]+)"', content))
    assert [name for name, count in ids.items() if count > 1] == []
    assert 'id="action_description"' in content and 'id="goal_description"' in content
