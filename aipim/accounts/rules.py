"""Permission predicates (django `rules`): what a role may do. Which records it then sees is
decided by each model's `for_user` scope, never here.

Templates use them through `perms` (`{% if perms.core.view_person %}`), views through
`request.user.has_perm("core.view_person")`."""

from __future__ import annotations

from typing import Any

import rules

from aipim.accounts.models import PUA_ROLES, SCHOOL_ROLES, Role


def has_role(*roles: str) -> rules.Predicate:
    @rules.predicate(name=f"has_role({','.join(roles)})")
    def predicate(user: Any) -> bool:
        return bool(user.is_authenticated and user.is_active and (user.is_superuser or user.has_role(*roles)))

    return predicate


is_administrator = has_role(Role.ADMINISTRATOR)
works_with_people = has_role(*PUA_ROLES, *SCHOOL_ROLES, Role.ADMINISTRATOR)

rules.add_perm("core.view_person", works_with_people)
rules.add_perm("core.add_consent", has_role(*PUA_ROLES, *SCHOOL_ROLES))
rules.add_perm("core.manage_directory", has_role(Role.EDITOR, Role.ADMINISTRATOR))
rules.add_perm("core.view_auditevent", is_administrator)
rules.add_perm("core.manage_privacy_requests", is_administrator)
rules.add_perm("reports.view_aggregates", has_role(Role.REGIONAL_OFFICIAL, Role.ADMINISTRATOR))
