"""A system check (and a test) that every URL served by a case app records an audit event."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.urls import URLPattern, URLResolver, get_resolver

from audit.api import is_audited


def _patterns(resolver: URLResolver, prefix: str = "") -> list[tuple[str, URLPattern]]:
    found: list[tuple[str, URLPattern]] = []
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            found += _patterns(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            found.append((prefix + str(pattern.pattern), pattern))
    return found


def unaudited_case_views() -> list[str]:
    """Routes whose view lives in an app of ``AUDIT_REQUIRED_APPS`` but records no event."""
    apps = tuple(f"{app}." for app in getattr(settings, "AUDIT_REQUIRED_APPS", ()))
    missing = []
    for route, pattern in _patterns(get_resolver()):
        callback = pattern.callback
        module = getattr(getattr(callback, "view_class", None), "__module__", None) or callback.__module__
        if module.startswith(apps) and not is_audited(callback):
            missing.append(f"{route} ({pattern.name or callback.__qualname__})")
    return missing


def check_case_views_are_audited(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    return [
        checks.Error(
            f"The view for {route} shows case data but records no audit event.",
            hint="Wrap it in audit.api.audited_view (or AuditedViewMixin), or audit_exempt(reason).",
            id="audit.E001",
        )
        for route in unaudited_case_views()
    ]
