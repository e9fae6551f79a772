from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from aipim.core.navigation import links_for


def portal(request: HttpRequest) -> dict[str, Any]:
    return {
        "PORTAL_NAME": settings.PORTAL_NAME,
        "REGION_NAME": settings.REGION_NAME,
        "DEBUG": settings.DEBUG,
        "nav_links": SimpleLazyObject(lambda: links_for(request.user)),
    }
