"""The admin site for the schools' reference data; no pupils' personal data in it."""

from __future__ import annotations

import datetime
from itertools import count

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from aipim.accounts.models import User
from aipim.core.models import Organisation
from schools.models import (
    HelpDesk,
    MessageTemplate,
    OpeningHours,
    RiskSettings,
    SchoolClass,
    SchoolSite,
    SchoolYear,
    Stage,
    Student,
)
from tests.factories import UserFactory, municipality

pytestmark = pytest.mark.django_db
_serial = count()

REGISTERED = sorted(model._meta.label for model in admin.site._registry if model._meta.app_label == "schools")


@pytest.fixture
def admin_client(client_for, db):
    superuser: User = UserFactory(email="root@example.org", is_superuser=True, is_staff=True)
    client = client_for(superuser)
    client.get(reverse("admin:index"))
    return client


def populate(school: Organisation, year: SchoolYear, rows: int) -> None:
    potenza = municipality("Potenza")
    for _ in range(rows):
        n = next(_serial)
        site = SchoolSite.objects.create(school=school, name=f"Plesso {n}", municipality=potenza)
        school_class = SchoolClass.objects.create(
            school=school,
            school_year=year,
            site=site,
            name=f"{n}A",
            stage=Stage.PRIMARY,
            grade=1,
            referent=UserFactory(),
        )
        template = MessageTemplate.objects.create(school=school, code=f"t{n}", name=f"Template {n}")
        template.translations.create(language="it", subject="Oggetto", body="Testo {student_name}")
        template.translations.create(language="ar", subject="موضوع", body="نص")
        desk = HelpDesk.objects.create(school=school, site=site, name=f"Sportello {n}", languages=["ar"])
        OpeningHours.objects.create(help_desk=desk, weekday=0, opens=datetime.time(9), closes=datetime.time(12))
        assert school_class.pk


def test_reference_data_is_registered_and_pupils_are_not() -> None:
    assert set(REGISTERED) == {
        "schools.HelpDesk",
        "schools.MessageTemplate",
        "schools.RiskSettings",
        "schools.SchoolClass",
        "schools.SchoolSite",
        "schools.SchoolYear",
    }
    assert Student not in admin.site._registry


def changelist_url(label: str) -> str:
    return reverse(f"admin:schools_{label.split('.')[1].lower()}_changelist")


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context.captured_queries)


@pytest.mark.parametrize("label", REGISTERED)
def test_changelist_and_change_page_open_with_fixed_queries(admin_client, label, school_potenza, school_year) -> None:
    RiskSettings.objects.get_or_create(school=school_potenza)
    populate(school_potenza, school_year, 1)
    few = queries_for(admin_client, changelist_url(label))
    populate(school_potenza, school_year, 3)
    many = queries_for(admin_client, changelist_url(label))
    assert few == many
    model = next(model for model in admin.site._registry if model._meta.label == label)
    obj = model._default_manager.order_by("pk").first()
    response = admin_client.get(reverse(f"admin:schools_{model._meta.model_name}_change", args=[obj.pk]))
    assert response.status_code == 200


def test_a_template_gets_a_new_language_in_the_admin(admin_client, school_potenza) -> None:
    template = MessageTemplate.objects.create(code="absence", name="Absence", purpose="absence")
    template.translations.create(language="it", subject="Assenza", body="{student_name} era assente il {date}.")
    translation = template.translations.get()
    url = reverse("admin:schools_messagetemplate_change", args=[template.pk])
    data = {
        "school": "",
        "code": "absence",
        "name": "Absence",
        "purpose": "absence",
        "active": "on",
        "translations-TOTAL_FORMS": "2",
        "translations-INITIAL_FORMS": "1",
        "translations-MIN_NUM_FORMS": "0",
        "translations-MAX_NUM_FORMS": "1000",
        "translations-0-id": str(translation.pk),
        "translations-0-template": str(template.pk),
        "translations-0-language": "it",
        "translations-0-subject": "Assenza",
        "translations-0-body": "{student_name} era assente il {date}.",
        "translations-1-template": str(template.pk),
        "translations-1-language": "uk",
        "translations-1-subject": "Відсутність",
        "translations-1-body": "{student_name} був відсутній {date}.",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert sorted(template.translations.values_list("language", flat=True)) == ["it", "uk"]

    # A placeholder the messages do not fill is refused with the list of those they do.
    data["translations-1-body"] = "{nome_studente} був відсутній {date}."
    data["translations-INITIAL_FORMS"] = "1"
    data["translations-1-language"] = "ro"
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "{nome_studente}" in response.content.decode()
    assert not template.translations.filter(language="ro").exists()


def test_risk_settings_remember_who_changed_them(admin_client, school_potenza) -> None:
    response = admin_client.post(
        reverse("admin:schools_risksettings_add"),
        {
            "school": school_potenza.pk,
            "attendance_30_min": "0.85",
            "attendance_90_min": "0.90",
            "failing_grade_below": "6.00",
            "failing_core_subjects_min": "2",
            "behaviour_notes_90_max": "3",
            "age_grade_gap_min": "2",
            "recent_arrival_years": "2",
            "medium_at": "2",
            "high_at": "4",
            "auto_open_intervention": "on",
            "act_within_days": "7",
        },
    )
    assert response.status_code == 302
    settings = RiskSettings.objects.get(school=school_potenza)
    assert settings.updated_by is not None and settings.updated_by.email == "root@example.org"
