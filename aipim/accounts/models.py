"""People who log in: one User model (email login) and their roles within organisations."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar

import pghistory
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from aipim.core.models import Organisation


class Role(models.TextChoices):
    CASEWORKER = "caseworker", _("Caseworker")
    PUA_SUPERVISOR = "pua_supervisor", _("PUA supervisor")
    SCHOOL_OPERATOR = "school_operator", _("School help-desk operator")
    SCHOOL_STAFF = "school_staff", _("School staff")
    ASSOCIATION_MANAGER = "association_manager", _("Association manager")
    EDITOR = "editor", _("Editor")
    REGIONAL_OFFICIAL = "regional_official", _("Regional official")
    ADMINISTRATOR = "administrator", _("Administrator")


# Roles whose holders work with personal data and must use a second factor.
STAFF_ROLES = frozenset(Role.values)
PUA_ROLES = (Role.CASEWORKER, Role.PUA_SUPERVISOR)
SCHOOL_ROLES = (Role.SCHOOL_OPERATOR, Role.SCHOOL_STAFF)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in: staff of a desk, school, association or the Region."""

    email = models.EmailField(_("email"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    preferred_language = models.CharField(_("preferred language"), max_length=8, blank=True)
    is_staff = models.BooleanField(_("can use the admin site"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @cached_property
    def active_memberships(self) -> list[Membership]:
        """Memberships in force today, loaded once per request (the user object lives that long)."""
        if not self.pk:
            return []
        today = timezone.localdate()
        return list(
            self.memberships.filter(models.Q(valid_until__isnull=True) | models.Q(valid_until__gte=today))
            .filter(valid_from__lte=today)
            .select_related("organisation")
        )

    @property
    def roles(self) -> set[str]:
        return {m.role for m in self.active_memberships}

    def has_role(self, *roles: str) -> bool:
        if not roles:
            return bool(self.active_memberships)
        return any(m.role in roles for m in self.active_memberships)

    def organisation_ids(self, *roles: str) -> set[int]:
        """Ids of the organisations where the user holds one of `roles` (any role if none given)."""
        return {m.organisation_id for m in self.active_memberships if not roles or m.role in roles}

    def organisations(self, *roles: str) -> list[Organisation]:
        seen: dict[int, Organisation] = {}
        for m in self.active_memberships:
            if not roles or m.role in roles:
                seen.setdefault(m.organisation_id, m.organisation)
        return list(seen.values())

    @property
    def is_administrator(self) -> bool:
        return self.is_superuser or self.has_role(Role.ADMINISTRATOR)

    @property
    def is_staff_member(self) -> bool:
        """Holds any staff role (and so must use a second factor)."""
        return self.is_superuser or self.has_role()

    def forget_memberships(self) -> None:
        """Drop the cached memberships, after a change within the same request or test."""
        self.__dict__.pop("active_memberships", None)


@pghistory.track()
class Membership(models.Model):
    """A role that a user holds within one organisation: the unit of every permission."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user"))
    organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.CASCADE, related_name="memberships", verbose_name=_("organisation")
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    valid_from = models.DateField(_("valid from"), default=timezone.localdate)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation", "role"], name="membership_unique_role"),
        ]
        indexes = [models.Index(fields=["organisation", "role"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.organisation}"


def users_with_role(role: str, organisations: Iterable[int]) -> models.QuerySet[User]:
    """Active users holding `role` in any of `organisations` (for notifications)."""
    today = timezone.localdate()
    return (
        User.objects.filter(
            is_active=True,
            memberships__role=role,
            memberships__organisation__in=list(organisations),
            memberships__valid_from__lte=today,
        )
        .filter(models.Q(memberships__valid_until__isnull=True) | models.Q(memberships__valid_until__gte=today))
        .distinct()
    )
