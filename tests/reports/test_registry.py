"""The registry of report builders: registering, finding, who may request what, parameters."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError

from aipim.accounts.models import Role
from aipim.reports import registry
from aipim.reports.forms import PeriodForm
from aipim.reports.registry import ReportBuilder, UnknownReport, builders_for, get_builder


class SchoolsDigest(ReportBuilder):
    slug = "test-schools-digest"
    title = "Schools digest"
    roles = (Role.SCHOOL_STAFF,)
    template_name = "reports/core/people_reached.html"


def test_a_registered_builder_is_found_by_its_slug(registered):
    registered(SchoolsDigest)
    assert isinstance(get_builder("test-schools-digest"), SchoolsDigest)


def test_an_unknown_slug_raises():
    with pytest.raises(UnknownReport):
        get_builder("no-such-report")


def test_two_builders_cannot_share_a_slug(registered):
    registered(SchoolsDigest)

    class Impostor(SchoolsDigest):
        pass

    with pytest.raises(ImproperlyConfigured):
        registry.register(Impostor)


def test_a_builder_needs_slug_template_and_roles():
    class Incomplete(ReportBuilder):
        slug = "test-incomplete"

    with pytest.raises(ImproperlyConfigured):
        registry.register(Incomplete)


def test_apps_register_their_builders_at_start_up():
    # aipim/core/reports.py is imported by ReportsConfig.ready(), nothing else imports it first.
    assert get_builder("people-reached").title


@pytest.mark.parametrize(
    ("persona", "slugs"),
    [
        (
            "official",
            {"people-reached", "pua-activity", "schools-results", "associations-results", "portal-sync-results"},
        ),
        ("administrator", {"people-reached", "pua-activity", "associations-results", "portal-sync-results"}),
        ("supervisor_irsina", {"pua-activity"}),
        ("staff_school_matera", {"test-schools-digest"}),
        ("caseworker_irsina", set()),
        ("editor", {"portal-sync-results"}),
    ],
)
def test_builders_for_follow_the_roles(request, registered, persona, slugs):
    registered(SchoolsDigest)
    user = request.getfixturevalue(persona)
    assert {builder.slug for builder in builders_for(user)} == slugs


def test_anonymous_may_request_nothing():
    from django.contrib.auth.models import AnonymousUser

    assert builders_for(AnonymousUser()) == []


def test_parameters_go_to_json_and_back_through_the_form(db):
    builder = get_builder("people-reached")
    cleaned = {"date_from": datetime.date(2026, 1, 1), "date_to": datetime.date(2026, 3, 31), "province": "MT"}
    stored = builder.serialise_parameters(cleaned)
    assert stored == {"date_from": "2026-01-01", "date_to": "2026-03-31", "province": "MT"}
    assert builder.parse_parameters(stored) == cleaned


def test_stored_parameters_that_are_no_longer_valid_raise(db):
    with pytest.raises(ValidationError):
        get_builder("people-reached").parse_parameters({"date_from": "2026-03-01", "date_to": "2026-01-01"})


def test_parameters_are_described_for_the_reader(db):
    builder = get_builder("people-reached")
    described = dict(builder.describe_parameters({"date_from": datetime.date(2026, 1, 1), "province": "MT"}))
    assert described["Province"] == "Matera"
    assert described["To (included)"] == "–"


@pytest.mark.parametrize(
    ("date_from", "date_to", "valid"),
    [("2026-01-01", "2026-01-01", True), ("2026-02-01", "2026-01-31", False), ("2020-01-01", "2026-01-01", False)],
)
def test_period_form(date_from, date_to, valid):
    assert PeriodForm({"date_from": date_from, "date_to": date_to}).is_valid() is valid
