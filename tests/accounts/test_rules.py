"""Permissions by role: one table, read as sentences."""

from __future__ import annotations

import pytest

PERSONAS = [
    "caseworker_irsina",
    "supervisor_irsina",
    "operator_school_potenza",
    "staff_school_matera",
    "manager_association",
    "editor",
    "official",
    "administrator",
]
ALLOWED = {
    "core.view_person": {
        "caseworker_irsina",
        "supervisor_irsina",
        "operator_school_potenza",
        "staff_school_matera",
        "administrator",
    },
    "core.add_consent": {"caseworker_irsina", "supervisor_irsina", "operator_school_potenza", "staff_school_matera"},
    "core.manage_directory": {"editor", "administrator"},
    "core.view_auditevent": {"administrator"},
    "reports.view_aggregates": {"official", "administrator"},
}


@pytest.mark.parametrize("perm", sorted(ALLOWED))
@pytest.mark.parametrize("persona", PERSONAS)
def test_permission_by_role(request, persona, perm):
    user = request.getfixturevalue(persona)
    assert user.has_perm(perm) is (persona in ALLOWED[perm])


def test_anonymous_has_none(db):
    from django.contrib.auth.models import AnonymousUser

    assert not any(AnonymousUser().has_perm(perm) for perm in ALLOWED)
