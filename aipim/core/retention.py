"""Retention by policy: how long each kind of personal record is kept, and the nightly clean-up.

Each app declares, per record type, when a record falls due and what happens then, at import of a
module that its AppConfig.ready() loads::

    from aipim.core.retention import RetentionPolicy, register_policy

    register_policy(RetentionPolicy(
        key="pua.closed_cases",
        label=_("Closed PUA cases"),
        keep_for=timedelta(days=5 * 365),
        due=lambda now: Case.objects.filter(closed_at__lt=now - timedelta(days=5 * 365)),
        apply=lambda cases: anonymise_cases(cases),  # returns how many it changed
        action="anonymise",
    ))

`due(now)` must be pure (it is also used by the preview, with a future `now`), and `apply` must be
idempotent: a record handled once is no longer due. `apply_retention` writes one AuditEvent per
policy and per run ("retention.purge", with the record type, the count and the ids), never the data.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from django.conf import settings
from django.db import models, transaction
from django.db.models import Count, Max, Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from aipim.core import audit
from aipim.core.models import AuditEvent, Feedback, Person
from aipim.core.privacy import erase_person

logger = logging.getLogger(__name__)

FEEDBACK_KEEP_FOR = timedelta(days=2 * 365)


@dataclass(frozen=True)
class RetentionPolicy:
    """`keep_for` is a timedelta, or a callable returning one when the period comes from a setting
    that must be read when the policy runs (so that a changed setting needs no restart of the code)."""

    key: str
    label: str | Promise
    keep_for: timedelta | Callable[[], timedelta]
    due: Callable[[datetime], models.QuerySet[Any]]
    apply: Callable[[models.QuerySet[Any]], int]
    action: Literal["anonymise", "delete"]

    @property
    def period(self) -> timedelta:
        return self.keep_for() if callable(self.keep_for) else self.keep_for


@dataclass(frozen=True)
class PolicyOutcome:
    policy: RetentionPolicy
    record_type: str
    count: int
    ids: list[str]


class RetentionError(Exception):
    """One or more policies failed; the others were applied. The task retries the whole run."""


_policies: dict[str, RetentionPolicy] = {}


def register_policy(policy: RetentionPolicy) -> RetentionPolicy:
    """Add (or replace, by key) a policy."""
    if policy.action not in ("anonymise", "delete"):
        raise ValueError(f"Unknown retention action {policy.action!r}.")
    _policies[policy.key] = policy
    return policy


def registered_policies() -> list[RetentionPolicy]:
    return list(_policies.values())


def _record_type(queryset: models.QuerySet[Any]) -> str:
    return queryset.model._meta.label_lower


def _due_ids(policy: RetentionPolicy, now: datetime) -> tuple[models.QuerySet[Any], list[Any]]:
    queryset = policy.due(now)
    return queryset, list(queryset.order_by("pk").values_list("pk", flat=True))


def apply_retention(now: datetime) -> list[PolicyOutcome]:
    """Apply every policy that has records due at `now`; one transaction and one audit record per policy.

    A failing policy does not stop the others; RetentionError is raised at the end so the run is retried."""
    outcomes: list[PolicyOutcome] = []
    failed: list[str] = []
    for policy in registered_policies():
        try:
            with transaction.atomic():
                queryset, ids = _due_ids(policy, now)
                # Apply to exactly the ids we record, even if more fall due while we work.
                count = policy.apply(queryset.model._default_manager.filter(pk__in=ids)) if ids else 0
                outcome = PolicyOutcome(policy, _record_type(queryset), count, [str(pk) for pk in ids])
                audit.record(
                    None,
                    "retention.purge",
                    object_type=outcome.record_type,
                    policy=policy.key,
                    disposal=policy.action,
                    keep_for_days=policy.period.days,
                    count=count,
                    ids=outcome.ids,
                )
        except Exception:
            logger.exception("Retention policy %s failed; the others go on.", policy.key)
            failed.append(policy.key)
            continue
        outcomes.append(outcome)
    if failed:
        raise RetentionError(f"Retention policies failed: {', '.join(failed)}")
    return outcomes


def preview(now: datetime, within_days: int = 30) -> list[PolicyOutcome]:
    """What the nightly run will purge between `now` and `within_days` days from now (overdue included)."""
    horizon = now + timedelta(days=within_days)
    outcomes = []
    for policy in registered_policies():
        queryset, ids = _due_ids(policy, horizon)
        outcomes.append(PolicyOutcome(policy, _record_type(queryset), len(ids), [str(pk) for pk in ids]))
    return outcomes


# --- The core's own policies ------------------------------------------------------------------


def person_keep_for() -> timedelta:
    return timedelta(days=getattr(settings, "RETENTION_PERSON_DAYS", 5 * 365))


def audit_keep_for() -> timedelta:
    return timedelta(days=getattr(settings, "RETENTION_AUDIT_DAYS", 5 * 365))


def people_due(now: datetime) -> models.QuerySet[Person]:
    """People no organisation follows any more, since longer than the retention period: every link
    ended before the cut-off, or (never linked) created before it. Already anonymised people are done."""
    cutoff = now - person_keep_for()
    return (
        Person.objects.filter(anonymised_at__isnull=True)
        .annotate(
            links_count=Count("links"),
            open_links=Count("links", filter=Q(links__ended_at__isnull=True)),
            last_link_end=Max("links__ended_at"),
        )
        .filter(open_links=0)
        .filter(Q(last_link_end__lt=cutoff) | Q(links_count=0, created_at__lt=cutoff))
    )


def anonymise_people(people: models.QuerySet[Person]) -> int:
    # Every registered eraser runs, so the apps' records about these people go too.
    count = 0
    for person in people:
        erase_person(person, by=None, reason="retention")
        count += 1
    return count


def delete_all(queryset: models.QuerySet[Any]) -> int:
    deleted, _per_model = queryset.delete()
    return deleted


register_policy(
    RetentionPolicy(
        key="core.person",
        label=_("People no organisation follows any more"),
        keep_for=person_keep_for,
        due=people_due,
        apply=anonymise_people,
        action="anonymise",
    )
)
register_policy(
    RetentionPolicy(
        key="core.feedback",
        label=_("Feedback messages from the site footer"),
        keep_for=FEEDBACK_KEEP_FOR,
        due=lambda now: Feedback.objects.filter(created_at__lt=now - FEEDBACK_KEEP_FOR),
        apply=delete_all,
        action="delete",
    )
)
register_policy(
    RetentionPolicy(
        key="core.auditevent",
        label=_("Audit log entries"),
        keep_for=audit_keep_for,
        due=lambda now: AuditEvent.objects.filter(at__lt=now - audit_keep_for()),
        apply=delete_all,
        action="delete",
    )
)
