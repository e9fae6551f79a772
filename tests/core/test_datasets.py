"""The open datasets (aipim.core.datasets and each app's datasets.py): every dataset's counts against
records made here, in one query each; small counts published as "<5"; no totals; no person's data
in the CSV, which a spreadsheet opens safely."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.utils import timezone

from aipim.core import datasets
from aipim.core.datasets import Dataset, Row, UnknownDataset, get_dataset, published_count, table, to_csv
from aipim.core.models import Consent
from aipim.reports.figures import SMALL_NUMBER_THRESHOLD
from associations.models import (
    Association,
    Booking,
    BookingStatus,
    CheckIn,
    Event,
    EventKind,
    LegalForm,
    Session,
    contact_key,
)
from portal_sync.models import Adapter, ContentItem, Direction, Endpoint, ItemKind, ItemState
from pua.models import Case, Referral
from pua.services.cases import open_case
from schools.models import Course, DeskSlot, Enrolment, HelpDesk, SchoolYear, Student, SupportCase, WalkIn
from tests.factories import ConsentFactory, PersonFactory, ServiceFactory, municipality

OCTOBER = datetime.date(2026, 10, 1)
SLUGS = {
    "pua-cases-opened",
    "pua-referrals",
    "schools-helpdesk-students",
    "schools-course-enrolments",
    "associations-sessions",
    "associations-participants",
    "portal-items-published",
}


def at(year, month, day, hour=12):
    return timezone.make_aware(datetime.datetime(year, month, day, hour))


def cells(slug: str) -> dict[tuple[str, str], str]:
    """(municipality, measure) → the published count of October."""
    return {(row[2], row[3]): row[4] for row in table(get_dataset(slug), OCTOBER)}


def test_the_threshold_is_five_and_small_counts_are_suppressed():
    assert SMALL_NUMBER_THRESHOLD == 5
    assert [published_count(n) for n in (0, 1, 4, 5, 1234)] == ["0", "<5", "<5", "5", "1234"]
    assert published_count(3, suppress_small=False) == "3"


def test_every_app_registers_its_datasets():
    registered = {dataset.slug for dataset in datasets.all_datasets()}
    assert registered == SLUGS
    for dataset in datasets.all_datasets():
        assert dataset.theme in datasets.THEMES
        assert dataset.action in (1, 2, 3, 4)
        assert dataset.measures
        # No measure is a total of the others (a total would let a suppressed cell be subtracted back).
        assert not any("total" in code or code == "all" for code, _label in dataset.measures)
    with pytest.raises(UnknownDataset):
        get_dataset("no-such-dataset")
    assert str(get_dataset("pua-cases-opened").title)


def test_months():
    assert datasets.previous_month(datetime.date(2026, 1, 15)) == datetime.date(2025, 12, 1)
    assert datasets.parse_month("2026-10") == OCTOBER
    with pytest.raises(ValueError):
        datasets.parse_month("10/2026")
    start, end = datasets.month_bounds(OCTOBER)
    assert (timezone.localtime(start).date(), timezone.localtime(end).date()) == (OCTOBER, datetime.date(2026, 11, 1))


# --- PUA ------------------------------------------------------------------------------------------


def make_case(desk, user, opened):
    person = PersonFactory(given_names="Amina", family_names="Haddad", organisation=desk)
    ConsentFactory(person=person, purpose=Consent.Purpose.CASE_MANAGEMENT, organisation=desk)
    case = open_case(person=person, desk=desk, by=user)
    Case.objects.filter(pk=case.pk).update(opened_at=opened)
    return case


@pytest.fixture
def pua_october(desk_irsina, desk_picerno, caseworker_irsina, caseworker_picerno):
    irsina = [make_case(desk_irsina, caseworker_irsina, at(2026, 10, 1 + i)) for i in range(6)]
    picerno = [make_case(desk_picerno, caseworker_picerno, at(2026, 10, 20)) for _ in range(2)]
    make_case(desk_irsina, caseworker_irsina, at(2026, 9, 30, 21))  # September
    make_case(desk_picerno, caseworker_picerno, at(2026, 11, 1, 0))  # November, local midnight
    health, work = ServiceFactory(category="health"), ServiceFactory(category="work")
    for number, case in enumerate(irsina):
        Referral.objects.create(
            case=case, service=health, reason="x", created_by=caseworker_irsina, sent_at=at(2026, 10, 25)
        )
        if number < 3:  # drafts never sent do not count
            Referral.objects.create(case=case, service=work, reason="x", created_by=caseworker_irsina)
    Referral.objects.create(
        case=picerno[0], service=work, reason="x", created_by=caseworker_picerno, sent_at=at(2026, 10, 2)
    )
    Referral.objects.create(
        case=picerno[0], service=work, reason="x", created_by=caseworker_picerno, sent_at=at(2026, 9, 2)
    )


def test_pua_cases_opened_per_municipality_of_the_desk(pua_october, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = list(get_dataset("pua-cases-opened").rows(OCTOBER))
    irsina, picerno = municipality("Irsina"), municipality("Picerno")
    assert sorted(rows, key=lambda row: row.istat_code) == sorted(
        [Row(irsina.istat_code, "Irsina", "cases_opened", 6), Row(picerno.istat_code, "Picerno", "cases_opened", 2)],
        key=lambda row: row.istat_code,
    )
    assert cells("pua-cases-opened") == {("Irsina", "cases_opened"): "6", ("Picerno", "cases_opened"): "<5"}


def test_pua_referrals_sent_by_kind_of_service(pua_october, django_assert_num_queries):
    with django_assert_num_queries(1):
        list(get_dataset("pua-referrals").rows(OCTOBER))
    assert cells("pua-referrals") == {("Irsina", "health"): "6", ("Picerno", "work"): "<5"}


# --- schools ----------------------------------------------------------------------------------------


@pytest.fixture
def schools_october(school_potenza, school_matera, caseworker_irsina):
    year = SchoolYear.objects.create(
        name="2026/27", starts_on=datetime.date(2026, 9, 1), ends_on=datetime.date(2027, 6, 30)
    )
    desk = HelpDesk.objects.create(school=school_potenza, name="Sportello")
    desk_matera = HelpDesk.objects.create(school=school_matera, name="Sportello Matera")
    pupils = [Student.objects.create(person=PersonFactory(), school=school_potenza) for _ in range(7)]
    matera = [Student.objects.create(person=PersonFactory(), school=school_matera) for _ in range(2)]
    for pupil in pupils[:4]:  # four walk-ins, one pupil twice
        WalkIn.objects.create(
            help_desk=desk, student=pupil, at=at(2026, 10, 5), topic="language", handled_by=caseworker_irsina
        )
    WalkIn.objects.create(
        help_desk=desk, student=pupils[0], at=at(2026, 10, 9), topic="family", handled_by=caseworker_irsina
    )
    WalkIn.objects.create(
        help_desk=desk, student=pupils[6], at=at(2026, 9, 9), topic="family", handled_by=caseworker_irsina
    )
    DeskSlot.objects.create(
        help_desk=desk,
        starts_at=at(2026, 10, 12),
        ends_at=at(2026, 10, 12, 13),
        mediator_name="M",
        language="ar",
        status=DeskSlot.Status.DONE,
        booked_student=pupils[4],
    )
    case = SupportCase.objects.create(school=school_potenza, help_desk=desk, title="x", opened_at=at(2026, 9, 1))
    case.students.add(pupils[5], pupils[0])
    WalkIn.objects.create(
        help_desk=desk_matera, student=matera[0], at=at(2026, 10, 5), topic="language", handled_by=caseworker_irsina
    )
    l2 = Course.objects.create(
        school=school_potenza,
        kind=Course.Kind.ITALIAN_L2,
        title="L2",
        cefr_level="A1",
        teacher_name="T",
        starts_on=datetime.date(2026, 10, 1),
        ends_on=datetime.date(2027, 1, 31),
        hours_planned=40,
        school_year=year,
    )
    lab = Course.objects.create(
        school=school_matera,
        kind=Course.Kind.INTERCULTURAL_LAB,
        title="Lab",
        teacher_name="T",
        starts_on=datetime.date(2026, 11, 1),  # not running in October
        ends_on=datetime.date(2026, 12, 1),
        hours_planned=10,
        school_year=year,
    )
    for pupil in pupils:
        Enrolment.objects.create(course=l2, student=pupil, enrolled_on=datetime.date(2026, 9, 20))
    Enrolment.objects.create(
        course=l2, student=matera[1], enrolled_on=datetime.date(2026, 9, 20), withdrawn_on=datetime.date(2026, 9, 25)
    )
    Enrolment.objects.create(course=lab, student=matera[0], enrolled_on=datetime.date(2026, 9, 20))


def test_schools_pupils_followed_by_help_desks_each_once(schools_october, django_assert_num_queries):
    with django_assert_num_queries(1):
        list(get_dataset("schools-helpdesk-students").rows(OCTOBER))
    # Potenza: pupils 0-3 (walk-ins), 4 (slot done), 5 (open case): 6. Matera: 1.
    assert cells("schools-helpdesk-students") == {
        ("Potenza", "students_followed"): "6",
        ("Matera", "students_followed"): "<5",
    }


def test_schools_course_enrolments_by_kind(schools_october, django_assert_num_queries):
    with django_assert_num_queries(1):
        list(get_dataset("schools-course-enrolments").rows(OCTOBER))
    assert cells("schools-course-enrolments") == {("Potenza", "italian_l2"): "7"}


# --- associations -----------------------------------------------------------------------------------


@pytest.fixture
def associations_october(association_potenza):
    association = Association.objects.create(organisation=association_potenza, slug="ponti", legal_form=LegalForm.APS)

    def event(kind, slug):
        return Event.objects.create(
            association=association,
            slug=slug,
            title_it=slug,
            title_en=slug,
            category="culture",
            kind=kind,
            audiences=["migrants"],
            languages=["it"],
            status="published",
        )

    workshop, party = event(EventKind.WORKSHOP, "w"), event(EventKind.EVENT, "e")

    def session(evt, day, place="Potenza", **fields):
        return Session.objects.create(
            event=evt,
            starts_at=at(2026, 10, day),
            ends_at=at(2026, 10, day, 14),
            venue="v",
            address="a",
            municipality=municipality(place),
            **fields,
        )

    held = [session(workshop, 3), session(workshop, 10), session(party, 17), session(workshop, 4, "Matera")]
    session(workshop, 24, status=Session.Status.CANCELLED, cancelled_at=at(2026, 10, 20))
    for number, (target, seats) in enumerate([(held[0], 3), (held[1], 4), (held[3], 2)]):
        booking = Booking.objects.create(
            event=target.event,
            session=target,
            name=f"Persona {number}",
            email=f"p{number}@example.org",
            phone="",
            seats=seats,
            status=BookingStatus.CONFIRMED,
            language="it",
            consent_at=at(2026, 9, 1),
            reference=f"T{number:07d}",
            contact_key=contact_key(f"p{number}@example.org", ""),
        )
        CheckIn.objects.create(booking=booking, session=target, seats=seats)


def test_associations_sessions_held_are_not_suppressed(associations_october, django_assert_num_queries):
    with django_assert_num_queries(1):
        list(get_dataset("associations-sessions").rows(OCTOBER))
    assert cells("associations-sessions") == {
        ("Potenza", "workshop"): "2",
        ("Potenza", "event"): "1",
        ("Matera", "workshop"): "1",
    }


def test_associations_participants_checked_in(associations_october, django_assert_num_queries):
    with django_assert_num_queries(1):
        list(get_dataset("associations-participants").rows(OCTOBER))
    assert cells("associations-participants") == {
        ("Potenza", "participants_checked_in"): "7",
        ("Matera", "participants_checked_in"): "<5",
    }


# --- portal sync ------------------------------------------------------------------------------------


def test_portal_items_published_for_the_region(db, django_assert_num_queries):
    endpoint = Endpoint.objects.create(
        name="portal", title="Portal", adapter=Adapter.FEED, direction=Direction.PULL, url="http://127.0.0.1:9/"
    )
    for number, (kind, when) in enumerate(
        [(ItemKind.NEWS, at(2026, 10, 3)), (ItemKind.NEWS, at(2026, 10, 30)), (ItemKind.EVENT, at(2026, 11, 3))]
    ):
        ContentItem.objects.create(
            endpoint=endpoint,
            external_id=str(number),
            kind=kind,
            title="t",
            content_hash="h",
            state=ItemState.PUBLISHED,
            published_at=when,
        )
    with django_assert_num_queries(1):
        list(get_dataset("portal-items-published").rows(OCTOBER))
    assert table(get_dataset("portal-items-published"), OCTOBER) == [["2026-10", "17", "Basilicata", "news", "2"]]


# --- the CSV ----------------------------------------------------------------------------------------


def test_the_csv_holds_no_person_data_and_opens_in_a_spreadsheet(pua_october, schools_october):
    names = {"Amina", "Haddad"}
    for slug in SLUGS:
        text = to_csv(get_dataset(slug), OCTOBER)
        assert text.startswith("\ufeff")
        rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
        assert rows[0] == ["month", "istat_code", "municipality", "measure", "count"]
        for row in rows[1:]:
            assert len(row) == 5 and row[0] == "2026-10"
            assert row[4] == "<5" or row[4].isdigit()
            assert not names & set(row)
        assert "@" not in text  # no e-mail address
        assert text.endswith("\r\n")


def test_cells_cannot_run_as_formulas_and_zero_rows_are_left_out():
    dataset = Dataset(
        slug="test-formulas",
        title="t",
        description="d",
        theme="SOCI",
        action=2,
        rows=lambda month: [
            Row("=1+1", '=HYPERLINK("http://x")', "@cmd", 12),
            Row("077001", "Acerenza", "-2", 3),
            Row("077002", "Albano di Lucania", "cases_opened", 0),
        ],
        measures=(("x", "x"),),
    )
    assert table(dataset, OCTOBER) == [  # sorted by ISTAT code
        ["2026-10", "077001", "Acerenza", "'-2", "<5"],
        ["2026-10", "'=1+1", '\'=HYPERLINK("http://x")', "'@cmd", "12"],
    ]


def test_a_dataset_with_an_unknown_theme_is_refused():
    with pytest.raises(ValueError):
        Dataset(slug="x", title="t", description="d", theme="NOPE", action=1, rows=lambda month: [])


def test_no_row_is_a_total(pua_october):
    """The published cells are each municipality's own: the sum over municipalities is nowhere."""
    rows = table(get_dataset("pua-cases-opened"), OCTOBER)
    assert all(row[1] and row[2] for row in rows)
    assert Case.objects.count() == 10  # the other months are in the database, not in October's file
