"""Retention by policy: only what is due goes, the audit keeps ids and counts, a second run does nothing."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from aipim.core import retention
from aipim.core.models import AuditEvent, Feedback, Person, PersonLink
from aipim.core.tasks import apply_retention_policies
from tests.factories import PersonFactory

YEAR = timedelta(days=365)


@pytest.fixture
def now():
    return timezone.now()


def ended_link_person(organisation, ended_ago: timedelta, now, **fields) -> Person:
    person = PersonFactory(organisation=organisation, **fields)
    PersonLink.objects.filter(person=person).update(ended_at=now - ended_ago)
    return person


@pytest.fixture
def people(desk_irsina, desk_picerno, now):
    """One person per case the person policy must tell apart."""
    long_gone = ended_link_person(desk_irsina, 6 * YEAR, now, family_names="Longgone")
    recent = ended_link_person(desk_irsina, 1 * YEAR, now, family_names="Recent")
    still_followed = ended_link_person(desk_irsina, 6 * YEAR, now, family_names="Followed")
    PersonLink.objects.create(person=still_followed, organisation=desk_picerno, reason="case")
    never_linked = PersonFactory(family_names="Orphan")
    Person.objects.filter(pk=never_linked.pk).update(created_at=now - 6 * YEAR)
    new_orphan = PersonFactory(family_names="Neworphan")
    soon = ended_link_person(desk_irsina, 5 * YEAR - timedelta(days=10), now, family_names="Soon")
    return {
        "long_gone": long_gone,
        "recent": recent,
        "still_followed": still_followed,
        "never_linked": never_linked,
        "new_orphan": new_orphan,
        "soon": soon,
    }


@pytest.fixture
def feedback(db, now):
    old = Feedback.objects.create(rating=4, message="Ottimo, grazie Fatima")
    fresh = Feedback.objects.create(rating=2, message="Pagina lenta")
    Feedback.objects.filter(pk=old.pk).update(created_at=now - 3 * YEAR)
    Feedback.objects.filter(pk=fresh.pk).update(created_at=now - YEAR)
    return {"old": old, "fresh": fresh}


@pytest.fixture
def audit_events(db, now):
    old = AuditEvent.objects.create(action="person.view", object_type="core.person", object_id="1", at=now - 6 * YEAR)
    fresh = AuditEvent.objects.create(action="person.view", object_type="core.person", object_id="1", at=now - YEAR)
    return {"old": old, "fresh": fresh}


def purge_events() -> dict[str, AuditEvent]:
    return {event.details["policy"]: event for event in AuditEvent.objects.filter(action="retention.purge")}


def is_anonymised(person: Person) -> bool:
    return Person.objects.get(pk=person.pk).anonymised_at is not None


def test_core_policies_are_registered():
    keys = {policy.key for policy in retention.registered_policies()}
    assert {"core.person", "core.feedback", "core.auditevent"} <= keys


def test_the_privacy_document_lists_every_policy():
    # docs/privacy.md is the DPIA's record: a policy missing there is a policy the DPO never saw.
    document = (Path(__file__).resolve().parents[2] / "docs" / "privacy.md").read_text()
    for policy in retention.registered_policies():
        assert f"`{policy.key}`" in document


def test_people_are_anonymised_only_when_every_link_ended_long_ago(people, now):
    retention.apply_retention(now)

    assert {name for name, person in people.items() if is_anonymised(person)} == {"long_gone", "never_linked"}
    assert Person.objects.get(pk=people["long_gone"].pk).family_names == "Anonymised"
    # The reused eraser audits each person too.
    assert AuditEvent.objects.filter(action="person.erase", object_id=str(people["long_gone"].pk)).exists()


def test_old_feedback_and_old_audit_events_are_deleted(feedback, audit_events, now):
    retention.apply_retention(now)

    assert list(Feedback.objects.all()) == [feedback["fresh"]]
    assert not AuditEvent.objects.filter(pk=audit_events["old"].pk).exists()
    assert AuditEvent.objects.filter(pk=audit_events["fresh"].pk).exists()


def test_each_policy_writes_one_audit_record_with_type_count_and_ids(people, feedback, audit_events, now):
    retention.apply_retention(now)

    events = purge_events()
    assert set(events) == {policy.key for policy in retention.registered_policies()}
    person_event = events["core.person"]
    assert person_event.object_type == "core.person"
    assert person_event.user is None
    assert person_event.details["count"] == 2
    assert sorted(person_event.details["ids"]) == sorted([str(people["long_gone"].pk), str(people["never_linked"].pk)])
    assert person_event.details["disposal"] == "anonymise"
    assert (events["core.feedback"].details["count"], events["core.feedback"].details["ids"]) == (
        1,
        [str(feedback["old"].pk)],
    )
    assert events["core.auditevent"].details["ids"] == [str(audit_events["old"].pk)]


def test_audit_records_hold_no_personal_data(people, feedback, now):
    retention.apply_retention(now)

    text = json.dumps([event.details for event in AuditEvent.objects.filter(action="retention.purge")])
    for word in ("Longgone", "Orphan", "Fatima", "+39"):
        assert word not in text


def test_a_second_run_changes_nothing(people, feedback, audit_events, now):
    retention.apply_retention(now)
    snapshot = list(Person.objects.order_by("pk").values_list("pk", "family_names", "anonymised_at"))
    feedback_left = Feedback.objects.count()

    outcomes = retention.apply_retention(now)

    assert [outcome.count for outcome in outcomes] == [0] * len(outcomes)
    assert list(Person.objects.order_by("pk").values_list("pk", "family_names", "anonymised_at")) == snapshot
    assert Feedback.objects.count() == feedback_left


def test_the_preview_shows_what_falls_due_in_the_next_days(people, feedback, now):
    in_30_days = {outcome.policy.key: outcome for outcome in retention.preview(now, 30)}
    in_5_days = {outcome.policy.key: outcome for outcome in retention.preview(now, 5)}

    expected_30 = sorted(str(people[name].pk) for name in ("long_gone", "never_linked", "soon"))
    assert (in_30_days["core.person"].count, sorted(in_30_days["core.person"].ids)) == (3, expected_30)
    assert in_5_days["core.person"].count == 2
    assert in_30_days["core.feedback"].ids == [str(feedback["old"].pk)]
    # A preview changes nothing.
    assert not Person.objects.filter(anonymised_at__isnull=False).exists()
    assert not AuditEvent.objects.filter(action="retention.purge").exists()


def test_the_retention_period_comes_from_settings(settings, desk_irsina, now):
    settings.RETENTION_PERSON_DAYS = 30
    person = ended_link_person(desk_irsina, timedelta(days=40), now)

    retention.apply_retention(now)

    assert is_anonymised(person)


def test_a_failing_policy_does_not_stop_the_others(feedback, now):
    def broken(queryset):
        raise RuntimeError("policy bug")

    saved = dict(retention._policies)
    retention.register_policy(
        retention.RetentionPolicy(
            key="test.broken",
            label="Broken",
            keep_for=timedelta(days=1),
            due=lambda at: Feedback.objects.all(),
            apply=broken,
            action="delete",
        )
    )
    try:
        with pytest.raises(retention.RetentionError, match=r"test\.broken"):
            retention.apply_retention(now)
    finally:
        retention._policies.clear()
        retention._policies.update(saved)

    assert not Feedback.objects.filter(pk=feedback["old"].pk).exists()
    assert "test.broken" not in purge_events()


def test_an_unknown_action_is_refused():
    with pytest.raises(ValueError, match="archive"):
        retention.register_policy(
            retention.RetentionPolicy(
                key="test.bad",
                label="Bad",
                keep_for=timedelta(days=1),
                due=lambda at: Feedback.objects.none(),
                apply=retention.delete_all,
                action="archive",  # type: ignore[arg-type]
            )
        )


def test_the_nightly_task_runs(people, feedback):
    result = apply_retention_policies.delay()

    assert result.successful()
    assert result.get()["core.person"] == 2
    assert result.get()["core.feedback"] == 1
    assert is_anonymised(people["long_gone"])


def test_the_task_is_safe_to_run_twice(people):
    apply_retention_policies.delay()
    assert apply_retention_policies.delay().get() == {key: 0 for key in purge_events()}
