"""Students in the browser: list (filters, search, fixed queries), page (guardians, consents,
sensitive notes audited), enrolment (search first, new or existing Person), edit, guardians,
consents, leaving, classes; role × organisation for every view."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from aipim.accounts.models import User
from aipim.core.models import AuditEvent, Consent, Organisation, Person, PersonLink
from schools.models import LINK_GUARDIAN, LINK_STUDENT, Guardian, SchoolClass, Stage, Student
from schools.services import students as service
from tests.personas import PERSONAS

from .conftest import add_guardian

pytestmark = pytest.mark.django_db

SCHOOL_PERSONAS = {"operator_school_potenza", "staff_school_matera"}


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    settings.LANGUAGE_CODE = "en"


# --- Role × organisation ------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_list_shows_only_the_users_school(
    persona: str, request: pytest.FixtureRequest, client_for, student_potenza: Student, student_matera: Student
) -> None:
    user: User = request.getfixturevalue(persona)
    response = client_for(user).get(reverse("schools:student_list"))
    if persona not in SCHOOL_PERSONAS:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    page = response.content.decode()
    mine, other = (
        (student_potenza, student_matera) if persona == "operator_school_potenza" else (student_matera, student_potenza)
    )
    assert mine.person.family_names in page
    assert other.person.family_names not in page
    assert AuditEvent.objects.filter(user=user, action="student.list").exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_student_page_role_by_organisation(
    persona: str, request: pytest.FixtureRequest, client_for, student_potenza: Student
) -> None:
    user: User = request.getfixturevalue(persona)
    client = client_for(user)
    urls = [
        reverse("schools:student_detail", args=[student_potenza.pk]),
        reverse("schools:student_edit", args=[student_potenza.pk]),
        reverse("schools:guardian_add", args=[student_potenza.pk]),
    ]
    expected = {"operator_school_potenza": 200, "staff_school_matera": 404}.get(persona, 403)
    for url in urls:
        assert client.get(url).status_code == expected, url
    posts = [
        reverse("schools:student_consent", args=[student_potenza.pk]),
        reverse("schools:student_leave", args=[student_potenza.pk]),
        reverse(
            "schools:student_consent_withdraw",
            args=[student_potenza.pk, student_potenza.person.consents.first().pk],
        ),
    ]
    if persona != "operator_school_potenza":
        for url in posts:
            assert client.post(url, {}).status_code == expected, url
        assert student_potenza.person.consents.in_force().count() == 2
        student_potenza.refresh_from_db()
        assert student_potenza.left_on is None


@pytest.mark.parametrize("persona", PERSONAS)
def test_enrolment_and_classes_pages_are_for_school_staff(
    persona: str, request: pytest.FixtureRequest, client_for, class_potenza: SchoolClass
) -> None:
    user: User = request.getfixturevalue(persona)
    client = client_for(user)
    expected = 200 if persona in SCHOOL_PERSONAS else 403
    for name in ("schools:student_enrol", "schools:student_new", "schools:class_list"):
        assert client.get(reverse(name)).status_code == expected, name
    if persona in SCHOOL_PERSONAS:
        classes = client.get(reverse("schools:class_list")).context["schools"]
        names = {c.name for group in classes.values() for c in group}
        assert names == ({"2B"} if persona == "operator_school_potenza" else set())


def test_enrol_person_of_another_school_is_404(client_for, staff_school_matera: User, student_potenza: Student):
    url = reverse("schools:student_enrol_person", args=[student_potenza.person.public_id])
    assert client_for(staff_school_matera).get(url).status_code == 404


# --- The student page ---------------------------------------------------------------------------


def test_student_page_shows_the_pupil_guardians_consents_and_audits_the_sensitive_notes(
    client_for, operator_school_potenza: User, student_potenza: Student
) -> None:
    response = client_for(operator_school_potenza).get(reverse("schools:student_detail", args=[student_potenza.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Amina Haddad" in page
    assert "2B" in page
    assert "Newly arrived" in page
    assert "Fatima Haddad" in page
    assert "العربيّة" in page  # the guardian's preferred language, in its own script
    assert "Father&#x27;s residence permit under renewal." in page
    assert "School help-desk support" in page and "In force since" in page
    event = AuditEvent.objects.get(user=operator_school_potenza, action="student.view")
    assert event.object_id == str(student_potenza.pk)
    assert event.details["sensitive_notes_shown"] is True
    assert "residence" not in str(event.details)


def test_student_page_queries_do_not_grow_with_guardians(
    client_for, operator_school_potenza: User, student_potenza: Student, django_assert_max_num_queries
) -> None:
    client = client_for(operator_school_potenza)
    url = reverse("schools:student_detail", args=[student_potenza.pk])
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(4):
        add_guardian(student_potenza, given_names=f"G{n}", family_names="Haddad")
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(few) == len(many)


def test_age_grade_gap_on_the_page(
    client_for, operator_school_potenza: User, make_student, school_potenza, class_potenza
) -> None:
    start = class_potenza.school_year.starts_on
    student = make_student(school_potenza, school_class=class_potenza, birth_date=start.replace(year=start.year - 14))
    page = client_for(operator_school_potenza).get(reverse("schools:student_detail", args=[student.pk]))
    assert "2 years older than the usual age of the class" in page.content.decode()


# --- The list -----------------------------------------------------------------------------------


@pytest.fixture
def pupils(make_student: Callable[..., Student], school_potenza: Organisation, class_potenza: SchoolClass, school_year):
    """A few pupils of Potenza with different classes, arrivals, risk levels and ages."""
    other_class = SchoolClass.objects.create(
        school=school_potenza, school_year=school_year, name="1A", stage=Stage.PRIMARY, grade=1
    )
    start = school_year.starts_on
    today = datetime.date.today()
    return {
        "new": make_student(
            school_potenza,
            school_class=class_potenza,
            given_names="Omar",
            family_names="Farouk",
            arrived_in_italy_on=today - datetime.timedelta(days=100),
        ),
        "old": make_student(
            school_potenza,
            school_class=other_class,
            given_names="Sara",
            family_names="Bekele",
            arrived_in_italy_on=today - datetime.timedelta(days=2000),
            risk_level="high",
        ),
        "gap": make_student(
            school_potenza,
            school_class=class_potenza,
            given_names="Imran",
            family_names="Chowdhury",
            birth_date=start.replace(year=start.year - 15),
            risk_level="medium",
        ),
        "left": make_student(
            school_potenza,
            school_class=class_potenza,
            given_names="Luan",
            family_names="Krasniqi",
            left_on=today,
            leaving_reason="moved",
        ),
    }


def names_in(response) -> set[str]:
    return {student.person.family_names for student in response.context["page"].object_list}


def test_list_filters(client_for, operator_school_potenza: User, pupils, class_potenza: SchoolClass) -> None:
    client = client_for(operator_school_potenza)
    url = reverse("schools:student_list")
    assert names_in(client.get(url)) == {"Farouk", "Bekele", "Chowdhury"}
    assert names_in(client.get(url, {"school_class": class_potenza.pk})) == {"Farouk", "Chowdhury"}
    assert names_in(client.get(url, {"newly_arrived": "yes"})) == {"Farouk"}
    assert names_in(client.get(url, {"newly_arrived": "no"})) == {"Bekele", "Chowdhury"}
    assert names_in(client.get(url, {"risk_level": "high"})) == {"Bekele"}
    assert names_in(client.get(url, {"age_gap": "2"})) == {"Chowdhury"}
    assert names_in(client.get(url, {"age_gap": "3"})) == {"Chowdhury"}
    assert names_in(client.get(url, {"status": "left"})) == {"Krasniqi"}
    assert names_in(client.get(url, {"status": "all"})) == {"Farouk", "Bekele", "Chowdhury", "Krasniqi"}
    by_risk = client.get(url, {"sort": "risk"})
    assert [s.person.family_names for s in by_risk.context["page"].object_list][:2] == ["Bekele", "Chowdhury"]


def test_list_name_search_by_post_keeps_the_name_out_of_the_url(
    client_for, operator_school_potenza: User, pupils
) -> None:
    client = client_for(operator_school_potenza)
    url = reverse("schools:student_list")
    response = client.post(url, {"q": "Chowdury", "query": "status=current"})
    assert response.status_code == 302
    assert "Chowd" not in response.url
    listed = client.get(response.url)
    assert names_in(listed) == {"Chowdhury"}
    event = AuditEvent.objects.filter(action="student.list").latest("pk")
    assert event.details["searched"] is True


def test_list_queries_do_not_grow_with_the_pupils(
    client_for,
    operator_school_potenza: User,
    make_student,
    school_potenza,
    class_potenza,
    django_assert_max_num_queries,
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(operator_school_potenza)
    url = reverse("schools:student_list")
    for _ in range(3):
        make_student(school_potenza, school_class=class_potenza)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(30):
        make_student(school_potenza, school_class=class_potenza, arrived_in_italy_on=datetime.date.today())
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["page"].object_list) == 25
    assert len(few) == len(many)
    with django_assert_max_num_queries(12):
        client.get(url, {"school_class": class_potenza.pk, "risk_level": "none", "age_gap": "1", "page": "2"})


# --- Enrolment ----------------------------------------------------------------------------------


def test_enrol_search_finds_known_people_and_counts_the_others(
    client_for, operator_school_potenza: User, student_potenza: Student, student_matera: Student
) -> None:
    client = client_for(operator_school_potenza)
    mine = client.post(reverse("schools:student_enrol"), {"name": "amina hadad"})
    assert [p.pk for p in mine.context["results"]] == [student_potenza.person_id]
    assert mine.context["results"][0].current_enrolment == student_potenza
    other = client.post(reverse("schools:student_enrol"), {"name": "Yonas Tesfaye"})
    assert other.context["results"] == []
    assert other.context["elsewhere"] == 1
    assert "Enrol this person" not in other.content.decode()
    assert student_matera.register_id not in other.content.decode()


def new_student_data(school: Organisation, school_class: SchoolClass, **changes) -> dict[str, str]:
    data = {
        "school": str(school.pk),
        "given_names": "Nour",
        "family_names": "Al-Masri",
        "birth_date": "2014-02-11",
        "sex": "F",
        "citizenship": "SY",
        "languages": "ar,en",
        "school_class": str(school_class.pk),
        "register_id": "PZ-0042",
        "enrolled_on": datetime.date.today().isoformat(),
        "arrived_in_italy_on": (datetime.date.today() - datetime.timedelta(days=90)).isoformat(),
        "first_language": "ar",
        "sensitive_notes": "Family awaiting asylum decision.",
        "purposes": ["school_support", "communications"],
        "evidence": "signed form 12/2026",
        "given_by_name": "Rania Al-Masri",
    }
    data.update(changes)
    return data


def test_register_a_new_pupil(client_for, operator_school_potenza: User, school_potenza, class_potenza) -> None:
    client = client_for(operator_school_potenza)
    prefill = client.post(reverse("schools:student_new"), {"prefill": "1", "name": "Nour Al-Masri"})
    assert prefill.context["form"].initial["family_names"] == "Al-Masri"
    response = client.post(reverse("schools:student_new"), new_student_data(school_potenza, class_potenza))
    assert response.status_code == 302, response.context["form"].errors
    student = Student.objects.get(register_id="PZ-0042")
    assert response.url == reverse("schools:student_detail", args=[student.pk])
    assert student.school == school_potenza and student.school_class == class_potenza
    assert student.is_newly_arrived
    assert student.sensitive_notes == "Family awaiting asylum decision."
    assert PersonLink.objects.filter(person=student.person, organisation=school_potenza, reason=LINK_STUDENT).exists()
    consents = student.person.consents.in_force()
    assert {c.purpose for c in consents} == {"school_support", "communications"}
    assert {c.given_by_name for c in consents} == {"Rania Al-Masri"}
    assert AuditEvent.objects.filter(action="student.create", object_id=str(student.pk)).exists()


def test_new_pupil_like_an_existing_one_needs_confirmation(
    client_for, operator_school_potenza: User, school_potenza, class_potenza, student_potenza: Student
) -> None:
    client = client_for(operator_school_potenza)
    data = new_student_data(
        school_potenza,
        class_potenza,
        given_names="Amina",
        family_names="Hadad",
        birth_date=student_potenza.person.birth_date.isoformat(),
        register_id="PZ-0043",
    )
    warned = client.post(reverse("schools:student_new"), data)
    assert warned.status_code == 200
    assert [p.pk for p in warned.context["duplicates"].visible] == [student_potenza.person_id]
    assert not Student.objects.filter(register_id="PZ-0043").exists()
    confirmed = client.post(reverse("schools:student_new"), {**data, "confirm_duplicate": "on"})
    assert confirmed.status_code == 302
    assert Student.objects.filter(register_id="PZ-0043").exists()


def test_cannot_enrol_at_another_school(
    client_for, operator_school_potenza: User, school_matera, class_potenza, school_potenza
) -> None:
    client = client_for(operator_school_potenza)
    response = client.post(reverse("schools:student_new"), new_student_data(school_matera, class_potenza))
    assert response.status_code == 400
    assert "school" in response.context["form"].errors
    with pytest.raises(PermissionDenied):
        service.enrol_student(
            school=school_matera,
            by=operator_school_potenza,
            person_fields={"given_names": "A", "family_names": "B"},
        )


def test_consent_needs_a_guardian_and_evidence(
    client_for, operator_school_potenza: User, school_potenza, class_potenza
) -> None:
    client = client_for(operator_school_potenza)
    data = new_student_data(school_potenza, class_potenza, given_by_name="", evidence="")
    response = client.post(reverse("schools:student_new"), data)
    assert response.status_code == 400
    assert {"given_by_name", "evidence"} <= set(response.context["form"].errors)


def test_enrol_an_existing_person(
    client_for, operator_school_potenza: User, student_potenza: Student, school_potenza, class_potenza
) -> None:
    # A sibling's guardian is someone the school knows: they can be enrolled (as an adult learner, say)
    # without registering them again; a pupil already enrolled cannot be enrolled twice.
    guardian_person = student_potenza.guardians.get().person
    client = client_for(operator_school_potenza)
    url = reverse("schools:student_enrol_person", args=[guardian_person.public_id])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "school": school_potenza.pk,
            "school_class": class_potenza.pk,
            "enrolled_on": datetime.date.today().isoformat(),
            "first_language": "ar",
        },
    )
    assert response.status_code == 302
    assert Student.objects.filter(person=guardian_person, school=school_potenza).exists()
    twice = client.post(
        reverse("schools:student_enrol_person", args=[student_potenza.person.public_id]),
        {"school": school_potenza.pk, "enrolled_on": datetime.date.today().isoformat()},
    )
    assert twice.status_code == 400
    assert Student.objects.filter(person=student_potenza.person).count() == 1


# --- Edit, guardians, consents, leaving ---------------------------------------------------------


def test_edit_the_pupil(
    client_for, operator_school_potenza: User, student_potenza: Student, school_potenza, school_year
) -> None:
    other_class = SchoolClass.objects.create(
        school=school_potenza, school_year=school_year, name="3C", stage=Stage.LOWER_SECONDARY, grade=3
    )
    client = client_for(operator_school_potenza)
    url = reverse("schools:student_edit", args=[student_potenza.pk])
    form = client.get(url).context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        {
            "birth_date": student_potenza.person.birth_date.isoformat(),
            "enrolled_on": student_potenza.enrolled_on.isoformat(),
            "arrived_in_italy_on": student_potenza.arrived_in_italy_on.isoformat(),
            "languages": "ar,fr,it",
            "school_class": other_class.pk,
            "referent": operator_school_potenza.pk,
            "family_names": "Haddad-Benali",
            "sex": "F",
            "citizenship": "MA",
        }
    )
    data = {k: v for k, v in data.items() if not isinstance(v, list)}
    data["languages"] = "ar,fr,it"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    student_potenza.refresh_from_db()
    student_potenza.person.refresh_from_db()
    assert student_potenza.school_class == other_class
    assert student_potenza.person.family_names == "Haddad-Benali"
    assert student_potenza.person.family_names_latin == "Haddad-Benali"
    assert student_potenza.person.languages == ["ar", "fr", "it"]
    change = AuditEvent.objects.get(action="student.change")
    assert change.details["fields"] == ["school_class"]
    assert AuditEvent.objects.filter(action="person.change").exists()


def test_update_student_checks_class_and_referent(
    student_potenza: Student, operator_school_potenza: User, class_matera: SchoolClass, staff_school_matera: User
) -> None:
    with pytest.raises(ValidationError):
        service.update_student(student=student_potenza, by=operator_school_potenza, school_class=class_matera)
    with pytest.raises(ValidationError):
        service.update_student(student=student_potenza, by=operator_school_potenza, referent=staff_school_matera)
    with pytest.raises(PermissionDenied):
        service.update_student(student=student_potenza, by=staff_school_matera, register_id="X")


def test_add_a_new_guardian_and_an_existing_one(
    client_for, operator_school_potenza: User, student_potenza: Student, make_student, school_potenza
) -> None:
    client = client_for(operator_school_potenza)
    url = reverse("schools:guardian_add", args=[student_potenza.pk])
    missing = client.post(url, {"relationship": "father"})
    assert missing.status_code == 400
    response = client.post(
        url,
        {
            "relationship": "father",
            "is_primary_contact": "on",
            "given_names": "Karim",
            "family_names": "Haddad",
            "sex": "M",
            "languages": "ar,fr",
            "preferred_language": "fr",
            "email": "karim@example.org",
        },
    )
    assert response.status_code == 302
    father = Guardian.objects.get(student=student_potenza, relationship="father")
    assert father.is_primary_contact
    assert not Guardian.objects.get(student=student_potenza, relationship="mother").is_primary_contact
    assert PersonLink.objects.filter(person=father.person, reason=LINK_GUARDIAN).exists()
    # The sibling gets the same father, chosen among the school's known guardians.
    sibling = make_student(school_potenza, given_names="Youssef", family_names="Haddad")
    form = client.get(reverse("schools:guardian_add", args=[sibling.pk])).context["form"]
    assert father.person in form.fields["existing"].queryset
    client.post(
        reverse("schools:guardian_add", args=[sibling.pk]), {"relationship": "father", "existing": father.person.pk}
    )
    assert Guardian.objects.filter(student=sibling, person=father.person, is_primary_contact=True).exists()
    assert Person.objects.filter(given_names="Karim").count() == 1


def test_guardian_of_another_school_cannot_be_chosen(
    client_for, operator_school_potenza: User, student_potenza: Student, student_matera: Student
) -> None:
    matera_parent = student_matera.guardians.get().person
    response = client_for(operator_school_potenza).post(
        reverse("schools:guardian_add", args=[student_potenza.pk]),
        {"relationship": "father", "existing": matera_parent.pk},
    )
    assert response.status_code == 400
    assert not Guardian.objects.filter(student=student_potenza, person=matera_parent).exists()


def test_give_and_withdraw_a_consent(client_for, operator_school_potenza: User, student_potenza: Student) -> None:
    client = client_for(operator_school_potenza)
    url = reverse("schools:student_consent", args=[student_potenza.pk])
    guardian = student_potenza.guardians.get()
    no_guardian = client.post(url, {"purpose": "school_to_pua", "evidence": "form"})
    assert no_guardian.status_code == 400
    response = client.post(url, {"purpose": "school_to_pua", "evidence": "signed form", "guardian": guardian.pk})
    assert response.status_code == 302
    consent = student_potenza.person.consents.in_force().get(purpose="school_to_pua")
    assert consent.given_by_name == str(guardian.person)
    assert consent.organisation_id == student_potenza.school_id
    client.post(reverse("schools:student_consent_withdraw", args=[student_potenza.pk, consent.pk]))
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None
    assert AuditEvent.objects.filter(action="consent.withdraw", object_id=str(consent.pk)).exists()


def test_withdraw_only_the_pupils_own_consents(
    client_for, operator_school_potenza: User, student_potenza: Student, make_student, school_potenza
) -> None:
    other = make_student(school_potenza)
    consent = Consent.objects.create(
        person=other.person,
        purpose="school_support",
        organisation=school_potenza,
        evidence="x",
        recorded_by=operator_school_potenza,
    )
    response = client_for(operator_school_potenza).post(
        reverse("schools:student_consent_withdraw", args=[student_potenza.pk, consent.pk])
    )
    assert response.status_code == 404
    consent.refresh_from_db()
    assert consent.withdrawn_at is None


def test_record_leaving(client_for, operator_school_potenza: User, student_potenza: Student) -> None:
    client = client_for(operator_school_potenza)
    url = reverse("schools:student_leave", args=[student_potenza.pk])
    too_early = client.post(url, {"left_on": "2000-01-01", "leaving_reason": "moved"})
    assert too_early.status_code == 400
    response = client.post(url, {"left_on": datetime.date.today().isoformat(), "leaving_reason": "dropped_out"})
    assert response.status_code == 302
    student_potenza.refresh_from_db()
    assert student_potenza.leaving_reason == "dropped_out"
    assert not Student.objects.for_user(operator_school_potenza).current().exists()
    assert AuditEvent.objects.filter(action="student.leave").exists()


def test_classes_list_counts(
    client_for, operator_school_potenza: User, pupils, class_potenza: SchoolClass, django_assert_max_num_queries
) -> None:
    client = client_for(operator_school_potenza)
    client.get(reverse("schools:class_list"))
    with django_assert_max_num_queries(8):
        response = client.get(reverse("schools:class_list"))
    classes = {c.name: c for group in response.context["schools"].values() for c in group}
    assert classes["2B"].pupil_count == 2  # Farouk and Chowdhury (Krasniqi left)
    assert classes["2B"].newly_arrived_count == 1
    assert classes["1A"].high_risk_count == 1


def test_home_page_links_to_the_students(client_for, operator_school_potenza: User, administrator: User) -> None:
    page = client_for(operator_school_potenza).get(reverse("schools:home")).content.decode()
    assert reverse("schools:student_list") in page
    assert reverse("schools:class_list") in page
    admin_page = client_for(administrator).get(reverse("schools:home")).content.decode()
    assert reverse("schools:student_list") not in admin_page
