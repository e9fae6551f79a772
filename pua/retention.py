"""Retention policies of the PUA app (aipim.core.retention registry).

- Notes, documents and need notes of a closed case: PUA_RETENTION_DAYS after closure (default five
  years, as the core keeps a person no organisation follows: RETENTION_PERSON_DAYS). The core's
  policy erases everything about a person nobody follows any more; these policies also reach people
  who are still followed elsewhere (a later case at another desk, a school), whose old case details
  are no longer needed. The case row itself stays for the statistics (desk, dates, status).
- Emergency access grants: two years after they were granted (long enough for the supervisors'
  review and an audit of the year after), then deleted; the audit log keeps its own record.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from aipim.core.retention import RetentionPolicy, delete_all, register_policy
from pua.models import BreakGlassGrant, Case, Document, Need, Note

BREAK_GLASS_KEEP_FOR = timedelta(days=2 * 365)


def closed_case_keep_for() -> timedelta:
    return timedelta(days=getattr(settings, "PUA_RETENTION_DAYS", 5 * 365))


def _cases_closed_before(now: datetime) -> QuerySet[Case]:
    return Case.objects.filter(status=Case.Status.CLOSED, closed_at__lt=now - closed_case_keep_for())


def notes_due(now: datetime) -> QuerySet[Note]:
    return Note.objects.filter(case__in=_cases_closed_before(now))


def documents_due(now: datetime) -> QuerySet[Document]:
    return Document.objects.filter(case__in=_cases_closed_before(now))


def need_notes_due(now: datetime) -> QuerySet[Need]:
    return Need.objects.filter(assessment__case__in=_cases_closed_before(now), notes__isnull=False)


def delete_documents(documents: QuerySet[Document]) -> int:
    count = 0
    for document in documents:
        # The file first: a row without its file is harmless, a file without its row is a leak.
        document.file.delete(save=False)
        document.delete()
        count += 1
    return count


def clear_need_notes(needs: QuerySet[Need]) -> int:
    return needs.update(notes=None)


def break_glass_due(now: datetime) -> QuerySet[BreakGlassGrant]:
    return BreakGlassGrant.objects.filter(granted_at__lt=now - BREAK_GLASS_KEEP_FOR)


register_policy(
    RetentionPolicy(
        key="pua.note",
        label=_("Notes of closed PUA cases"),
        keep_for=closed_case_keep_for,
        due=notes_due,
        apply=delete_all,
        action="delete",
    )
)
register_policy(
    RetentionPolicy(
        key="pua.document",
        label=_("Documents of closed PUA cases"),
        keep_for=closed_case_keep_for,
        due=documents_due,
        apply=delete_documents,
        action="delete",
    )
)
register_policy(
    RetentionPolicy(
        key="pua.need_notes",
        label=_("Notes on the needs of closed PUA cases"),
        keep_for=closed_case_keep_for,
        due=need_notes_due,
        apply=clear_need_notes,
        action="anonymise",
    )
)
register_policy(
    RetentionPolicy(
        key="pua.breakglassgrant",
        label=_("Emergency access grants to PUA cases"),
        keep_for=BREAK_GLASS_KEEP_FOR,
        due=break_glass_due,
        apply=delete_all,
        action="delete",
    )
)
