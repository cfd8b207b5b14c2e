"""System check: the response headers that protect case data in browsers (``security.E101``-``E112``).

Django's own ``check --deploy`` warns about some of these in production only and says nothing about the
Content-Security-Policy; this check fails in every mode for what every page needs, and in production
(``DEBUG`` off) also for transport security and cookies.
"""

from __future__ import annotations

from typing import Any

from csp.constants import NONCE
from django.conf import settings
from django.core import checks

CSP_MIDDLEWARE = "csp.middleware.CSPMiddleware"
NO_STORE_MIDDLEWARE = "config.middleware.NoStoreMiddleware"
SECURITY_MIDDLEWARE = "django.middleware.security.SecurityMiddleware"
FRAME_MIDDLEWARE = "django.middleware.clickjacking.XFrameOptionsMiddleware"
ONE_YEAR = 31536000
UNSAFE = {"'unsafe-inline'", "unsafe-inline", "*", "'unsafe-eval'", "unsafe-eval"}


def _directives() -> dict[str, list[Any]]:
    policy = getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}
    directives = policy.get("DIRECTIVES") or {}
    return {name: [values] if isinstance(values, str) else list(values or []) for name, values in directives.items()}


def _source(directives: dict[str, list[Any]], name: str) -> list[Any]:
    # A fetch directive that is not set falls back to default-src, as browsers do.
    return directives.get(name, directives.get("default-src", []))


def _is_none(values: list[Any]) -> bool:
    return [str(v).strip("'").lower() for v in values] == ["none"]


def _error(message: str, hint: str, number: int) -> checks.Error:
    return checks.Error(message, hint=hint, id=f"security.E{number}")


def check_security_headers(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    middleware = list(getattr(settings, "MIDDLEWARE", []))
    directives = _directives()

    for number, name in ((101, "script-src"), (102, "style-src")):
        values = _source(directives, name)
        has_nonce = any(value is NONCE for value in values)
        if CSP_MIDDLEWARE not in middleware or not has_nonce or UNSAFE & {str(value) for value in values}:
            errors.append(_error(
                f"The Content-Security-Policy does not limit inline {name.split('-')[0]}s to a per-response nonce.",
                f"Add csp.middleware.CSPMiddleware and NONCE to {name}, without 'unsafe-inline' or '*'.", number))
    if not _is_none(_source(directives, "object-src")):
        errors.append(_error("The Content-Security-Policy does not set object-src 'none'.",
                             "Set \"object-src\": [NONE] (csp.constants.NONE).", 103))
    if not _is_none(directives.get("base-uri", [])):
        errors.append(_error("The Content-Security-Policy does not set base-uri 'none'.",
                             "Set \"base-uri\": [NONE] (csp.constants.NONE).", 104))
    frames_denied = _is_none(directives.get("frame-ancestors", [])) and CSP_MIDDLEWARE in middleware
    x_frame_denied = FRAME_MIDDLEWARE in middleware and getattr(settings, "X_FRAME_OPTIONS", "") == "DENY"
    if not (frames_denied or x_frame_denied):
        errors.append(_error("Pages can be framed by other sites.",
                             "Set frame-ancestors 'none' in the CSP, or X_FRAME_OPTIONS = 'DENY' with "
                             "XFrameOptionsMiddleware.", 105))
    if NO_STORE_MIDDLEWARE not in middleware:
        errors.append(_error("Pages are not sent with Cache-Control: no-store.",
                             f"Add {NO_STORE_MIDDLEWARE} to MIDDLEWARE.", 106))
    if SECURITY_MIDDLEWARE not in middleware or not getattr(settings, "SECURE_REFERRER_POLICY", None):
        errors.append(_error("No Referrer-Policy header is sent.",
                             "Set SECURE_REFERRER_POLICY (e.g. 'same-origin') with SecurityMiddleware.", 107))
    if SECURITY_MIDDLEWARE not in middleware or not getattr(settings, "SECURE_CONTENT_TYPE_NOSNIFF", False):
        errors.append(_error("X-Content-Type-Options: nosniff is not sent.",
                             "Set SECURE_CONTENT_TYPE_NOSNIFF = True with SecurityMiddleware.", 108))
    if getattr(settings, "DEBUG", False):
        return errors

    if (getattr(settings, "SECURE_HSTS_SECONDS", 0) or 0) < ONE_YEAR:
        errors.append(_error("HTTP Strict Transport Security is shorter than one year.",
                             f"Set SECURE_HSTS_SECONDS to at least {ONE_YEAR}.", 109))
    if not (getattr(settings, "SESSION_COOKIE_SECURE", False) and getattr(settings, "CSRF_COOKIE_SECURE", False)):
        errors.append(_error("Session or CSRF cookies may be sent over plain HTTP.",
                             "Set SESSION_COOKIE_SECURE and CSRF_COOKIE_SECURE to True.", 110))
    host_bound = all(
        str(getattr(settings, f"{kind}_COOKIE_NAME", "")).startswith("__Host-")
        and not getattr(settings, f"{kind}_COOKIE_DOMAIN", None)
        and getattr(settings, f"{kind}_COOKIE_PATH", "/") == "/"
        for kind in ("SESSION", "CSRF")
    )
    if not host_bound:
        errors.append(_error("Session or CSRF cookies are not __Host- cookies.",
                             "Name them __Host-sessionid and __Host-csrftoken, with no domain and path '/'.", 111))
    return errors
