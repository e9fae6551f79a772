"""Cultural initiatives with families: the rules, the pages by role and organisation, and totals
per school year that match the list (the Action 1 report reads the same function)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from aipim.core.models import AuditEvent
from schools.models import CulturalInitiative, SchoolYear
from schools.services import initiatives as service
from tests.personas import PERSONAS

pytestmark = pytest.mark.django_db


def make_initiative(school, user, *, date, invited=10, came=6, students=12, title="Festa dei popoli", **fields):
    return CulturalInitiative.objects.create(
        school=school,
        title=title,
        date=date,
        place="Palestra",
        families_invited=invited,
        families_participated=came,
        students_participated=students,
        languages=["ar", "uk"],
        created_by=user,
        **fields,
    )


@pytest.fixture
def previous_year(school_year) -> SchoolYear:
    return SchoolYear.objects.create(
        name="previous",
        starts_on=school_year.starts_on.replace(year=school_year.starts_on.year - 1),
        ends_on=school_year.ends_on.replace(year=school_year.ends_on.year - 1),
    )


@pytest.fixture
def initiative_potenza(school_potenza, operator_school_potenza, school_year):
    return make_initiative(
        school_potenza, operator_school_potenza, date=school_year.starts_on + datetime.timedelta(days=40)
    )


# --- rules ------------------------------------------------------------------------------------


def test_create_checks_numbers_and_languages(school_potenza, operator_school_potenza):
    fields = {
        "title": "Cena multietnica",
        "date": datetime.date(2026, 12, 12),
        "families_invited": 20,
        "families_participated": 25,
        "students_participated": 30,
    }
    with pytest.raises(ValidationError) as error:
        service.create_initiative(school=school_potenza, by=operator_school_potenza, **fields)
    assert "families_participated" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        service.create_initiative(
            school=school_potenza,
            by=operator_school_potenza,
            **{**fields, "families_participated": 15, "languages": "ar, arabic!"},
        )
    assert "languages" in error.value.message_dict
    initiative = service.create_initiative(
        school=school_potenza,
        by=operator_school_potenza,
        **{**fields, "families_participated": 15, "languages": "AR, fr; uk ar"},
    )
    assert initiative.languages == ["ar", "fr", "uk"]
    assert initiative.created_by == operator_school_potenza
    assert AuditEvent.objects.filter(action="culturalinitiative.create", object_id=str(initiative.pk)).exists()


def test_only_the_schools_operators_record_initiatives(
    school_potenza, staff_school_potenza, operator_school_matera, initiative_potenza
):
    for user in (staff_school_potenza, operator_school_matera):
        with pytest.raises(PermissionDenied):
            service.create_initiative(school=school_potenza, by=user, title="X", date=datetime.date(2026, 1, 1))
        with pytest.raises(PermissionDenied):
            service.update_initiative(initiative=initiative_potenza, by=user, title="X")


def test_totals_per_school_year(school_potenza, school_matera, operator_school_potenza, school_year, previous_year):
    make_initiative(school_potenza, operator_school_potenza, date=school_year.starts_on, invited=10, came=5, students=8)
    make_initiative(school_potenza, operator_school_potenza, date=school_year.ends_on, invited=4, came=4, students=2)
    make_initiative(
        school_potenza, operator_school_potenza, date=previous_year.starts_on, invited=6, came=3, students=1
    )
    make_initiative(
        school_matera, operator_school_potenza, date=school_year.starts_on, invited=50, came=50, students=50
    )

    potenza = CulturalInitiative.objects.filter(school=school_potenza)
    rows = service.totals_by_school_year(potenza)
    assert [row["year"] for row in rows] == [school_year, previous_year]
    this_year = rows[0]["totals"]
    assert (this_year.initiatives, this_year.families_invited, this_year.families_participated) == (2, 14, 9)
    assert (this_year.students_participated, this_year.family_participation) == (10, 64)
    assert rows[1]["totals"].initiatives == 1
    assert (
        service.initiative_totals(
            school_ids=[school_potenza.pk], starts_on=school_year.starts_on, ends_on=school_year.ends_on
        )
        == this_year
    )
    everywhere = service.initiative_totals(starts_on=school_year.starts_on, ends_on=school_year.ends_on)
    assert everywhere.initiatives == 3
    assert service.totals(CulturalInitiative.objects.none()).family_participation is None


# --- pages ------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_initiative_list_by_role_and_organisation(request, client_for, initiative_potenza, school_matera, persona):
    user = request.getfixturevalue(persona)
    make_initiative(school_matera, initiative_potenza.created_by, date=initiative_potenza.date, title="Matera in festa")
    response = client_for(user).get(reverse("schools:initiative_list"))
    if persona == "operator_school_potenza":
        content = response.content.decode()
        assert "Festa dei popoli" in content
        assert "Matera in festa" not in content
        assert reverse("schools:initiative_edit", args=[initiative_potenza.pk]) in content
    elif persona == "staff_school_matera":
        content = response.content.decode()
        assert "Matera in festa" in content
        assert "Festa dei popoli" not in content
        assert "/edit/" not in content  # staff see, operators edit
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "operator_school_potenza"])
def test_nobody_else_edits_potenzas_initiative(request, client_for, initiative_potenza, persona):
    user = request.getfixturevalue(persona)
    client = client_for(user)
    url = reverse("schools:initiative_edit", args=[initiative_potenza.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"delete": "1"}).status_code == 403
    assert CulturalInitiative.objects.filter(pk=initiative_potenza.pk).exists()


def test_operator_of_another_school_gets_404(client_for, initiative_potenza, operator_school_matera):
    url = reverse("schools:initiative_edit", args=[initiative_potenza.pk])
    assert client_for(operator_school_matera).get(url).status_code == 404


def test_operator_records_edits_and_removes_an_initiative(client_for, operator_school_potenza, school_potenza):
    client = client_for(operator_school_potenza)
    assert client.get(reverse("schools:initiative_add")).status_code == 200
    data = {
        "school": school_potenza.pk,
        "title": "Merenda dal mondo",
        "date": "2026-12-05",
        "place": "Cortile",
        "description": "",
        "languages": "ar, uk",
        "families_invited": 30,
        "families_participated": 40,
        "students_participated": 55,
    }
    refused = client.post(reverse("schools:initiative_add"), data)
    assert refused.status_code == 400
    assert "More families took part than were invited" in refused.content.decode()
    assert client.post(reverse("schools:initiative_add"), {**data, "families_participated": 21}).status_code == 302
    initiative = CulturalInitiative.objects.get()
    assert (initiative.languages, initiative.families_participated) == (["ar", "uk"], 21)
    url = reverse("schools:initiative_edit", args=[initiative.pk])
    page = client.get(url).content.decode()
    assert 'value="ar, uk"' in page
    assert client.post(url, {**data, "families_participated": 25, "languages": "ar"}).status_code == 302
    initiative.refresh_from_db()
    assert (initiative.families_participated, initiative.languages) == (25, ["ar"])
    assert client.post(url, {"delete": "1"}).status_code == 302
    assert not CulturalInitiative.objects.exists()


def test_list_totals_match_the_rows_and_the_report_function(
    client_for, operator_school_potenza, school_potenza, school_year, previous_year
):
    make_initiative(school_potenza, operator_school_potenza, date=school_year.starts_on, invited=10, came=5, students=8)
    make_initiative(school_potenza, operator_school_potenza, date=school_year.ends_on, invited=4, came=4, students=2)
    make_initiative(school_potenza, operator_school_potenza, date=previous_year.ends_on, invited=6, came=3, students=1)
    response = client_for(operator_school_potenza).get(
        reverse("schools:initiative_list"), {"school_year": school_year.pk}
    )
    rows = list(response.context["page"].object_list)
    totals = response.context["totals"]
    assert totals.initiatives == len(rows) == 2
    assert totals.families_participated == sum(row.families_participated for row in rows) == 9
    assert totals == service.initiative_totals(
        school_ids=[school_potenza.pk], starts_on=school_year.starts_on, ends_on=school_year.ends_on
    )
    everything = client_for(operator_school_potenza).get(reverse("schools:initiative_list"), {"school_year": ""})
    assert everything.context["totals"].initiatives == 3
    assert [row["year"] for row in everything.context["by_year"]] == [school_year, previous_year]


def test_initiative_list_runs_a_fixed_number_of_queries(
    client_for, operator_school_potenza, school_potenza, school_year, previous_year, django_assert_max_num_queries
):
    client = client_for(operator_school_potenza)
    url = reverse("schools:initiative_list")
    make_initiative(school_potenza, operator_school_potenza, date=school_year.starts_on)
    with django_assert_max_num_queries(16) as few:
        assert client.get(url, {"school_year": ""}).status_code == 200
    for day in range(30):
        make_initiative(
            school_potenza, operator_school_potenza, date=school_year.starts_on + datetime.timedelta(days=day)
        )
        make_initiative(
            school_potenza, operator_school_potenza, date=previous_year.starts_on + datetime.timedelta(days=day)
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url, {"school_year": ""}).status_code == 200
