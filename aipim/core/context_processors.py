from typing import Any

from django.conf import settings
from django.http import HttpRequest


def portal(request: HttpRequest) -> dict[str, Any]:
    return {
        "PORTAL_NAME": settings.PORTAL_NAME,
        "REGION_NAME": settings.REGION_NAME,
        "DEBUG": settings.DEBUG,
    }
