"""The Swagger UI page, served so that it runs under our Content Security Policy."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.template import engines
from django.utils.translation import get_language
from drf_spectacular.settings import spectacular_settings
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularSwaggerSplitView

# drf-spectacular's own page carries an inline <style> block, which our CSP (style-src 'self')
# refuses; this one only loads files: the sidecar's Swagger UI and the init script, fetched from
# this same view with ?script (SpectacularSwaggerSplitView), so no inline code at all.
_PAGE = engines["django"].from_string(
    """<!DOCTYPE html>
<html lang="{{ lang }}">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{{ title }}</title>
  <link rel="icon" href="{{ favicon_href }}">
  <link rel="stylesheet" href="{{ swagger_ui_css }}">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{{ swagger_ui_bundle }}"></script>
  <script src="{{ swagger_ui_standalone }}"></script>
  <script src="{{ script_url }}"></script>
</body>
</html>
"""
)


class SwaggerDocsView(SpectacularSwaggerSplitView):
    @extend_schema(exclude=True)
    def get(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        if request.GET.get("script") is not None:
            return super().get(request, *args, **kwargs)
        context = {
            "lang": (get_language() or "it")[:2],
            "title": spectacular_settings.TITLE,
            "swagger_ui_css": self._swagger_ui_resource("swagger-ui.css"),
            "swagger_ui_bundle": self._swagger_ui_resource("swagger-ui-bundle.js"),
            "swagger_ui_standalone": self._swagger_ui_resource("swagger-ui-standalone-preset.js"),
            "favicon_href": self._swagger_ui_favicon(),
            "script_url": f"{request.path}?script=",
        }
        return HttpResponse(_PAGE.render(context, request))
