"""Password rules beyond Django's own (OWASP ASVS level 2)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


class MaximumLengthValidator:
    """Refuse passwords longer than `max_length` characters (ASVS allows up to 64 at least)."""

    def __init__(self, max_length: int = 64) -> None:
        self.max_length = max_length

    def validate(self, password: str, user: object = None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                ngettext(
                    "This password is too long. It must contain at most %(max_length)d character.",
                    "This password is too long. It must contain at most %(max_length)d characters.",
                    self.max_length,
                ),
                code="password_too_long",
                params={"max_length": self.max_length},
            )

    def get_help_text(self) -> str:
        return _("Your password can be up to %(max_length)d characters long.") % {"max_length": self.max_length}


def axes_username(request: object, credentials: dict | None) -> str | None:
    """The login name django-axes counts failures for: allauth passes it as `email`, the form as `login`."""
    if credentials:
        value = credentials.get("email") or credentials.get("username") or credentials.get("login")
    else:
        value = getattr(request, "POST", {}).get("login")
    return value.strip().lower() if value else None
