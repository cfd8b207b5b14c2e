"""The security-header system check (config/checks.py) and the headers every page actually carries."""

from __future__ import annotations

import copy
import re

import pytest
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from config.checks import check_security_headers
from tests.agencies.test_demo_and_settings import ANCHOR_KEY, PRODUCTION_ENCRYPTION, PRODUCTION_KEY, run_manage
from tests.cases import build_cases

PRODUCTION = {
    "DEBUG": False, "SECURE_HSTS_SECONDS": 31536000, "SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True,
    "SESSION_COOKIE_NAME": "__Host-sessionid", "CSRF_COOKIE_NAME": "__Host-csrftoken",
}


def _ids() -> list[str]:
    return [message.id for message in check_security_headers()]


def _csp(**directives) -> dict:
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    for name, values in directives.items():
        name = name.replace("_", "-")
        if values is None:
            policy["DIRECTIVES"].pop(name, None)
        else:
            policy["DIRECTIVES"][name] = values
    return policy


def _without(middleware: str) -> list[str]:
    return [m for m in settings.MIDDLEWARE if m != middleware]


@override_settings(DEBUG=True)  # the settings as loaded for development (the test runner turns DEBUG off)
def test_current_settings_pass():
    assert _ids() == []


def test_production_settings_pass():
    with override_settings(**PRODUCTION):
        assert _ids() == []


@pytest.mark.parametrize(("change", "expected"), [
    ({"CONTENT_SECURITY_POLICY": _csp(script_src=[SELF])}, "security.E101"),
    ({"CONTENT_SECURITY_POLICY": _csp(script_src=[SELF, NONCE, UNSAFE_INLINE])}, "security.E101"),
    ({"CONTENT_SECURITY_POLICY": _csp(style_src=[SELF])}, "security.E102"),
    ({"CONTENT_SECURITY_POLICY": _csp(object_src=None, default_src=[SELF])}, "security.E103"),
    ({"CONTENT_SECURITY_POLICY": _csp(base_uri=None)}, "security.E104"),
    ({"CONTENT_SECURITY_POLICY": _csp(base_uri=[SELF])}, "security.E104"),
    ({"CONTENT_SECURITY_POLICY": _csp(frame_ancestors=None), "X_FRAME_OPTIONS": "SAMEORIGIN"}, "security.E105"),
    ({"MIDDLEWARE": _without("config.middleware.NoStoreMiddleware")}, "security.E106"),
    ({"SECURE_REFERRER_POLICY": None}, "security.E107"),
    ({"SECURE_CONTENT_TYPE_NOSNIFF": False}, "security.E108"),
])
def test_each_requirement_removed_fails_with_its_id(change, expected):
    for mode in ({"DEBUG": True}, PRODUCTION):
        with override_settings(**{**mode, **change}):
            assert _ids() == [expected]


def test_missing_csp_middleware_fails_the_nonce_checks():
    with override_settings(DEBUG=True, MIDDLEWARE=_without("csp.middleware.CSPMiddleware")):
        ids = _ids()
    assert {"security.E101", "security.E102"} <= set(ids)


def test_x_frame_options_deny_alone_is_enough():
    with override_settings(**PRODUCTION, CONTENT_SECURITY_POLICY=_csp(frame_ancestors=None), X_FRAME_OPTIONS="DENY"):
        assert _ids() == []
    with override_settings(**PRODUCTION, CONTENT_SECURITY_POLICY=_csp(frame_ancestors=[NONE]),
                           X_FRAME_OPTIONS="SAMEORIGIN"):
        assert _ids() == []


@pytest.mark.parametrize(("change", "expected"), [
    ({"SECURE_HSTS_SECONDS": 3600}, "security.E109"),
    ({"SECURE_HSTS_SECONDS": 0}, "security.E109"),
    ({"SESSION_COOKIE_SECURE": False}, "security.E110"),
    ({"CSRF_COOKIE_SECURE": False}, "security.E110"),
    ({"SESSION_COOKIE_NAME": "sessionid"}, "security.E111"),
    ({"CSRF_COOKIE_NAME": "csrftoken"}, "security.E111"),
    ({"SESSION_COOKIE_DOMAIN": "example.org"}, "security.E111"),
])
def test_production_requirements_removed_fail_with_their_id(change, expected):
    with override_settings(**{**PRODUCTION, **change}):
        assert _ids() == [expected]


def test_development_does_not_demand_transport_security():
    with override_settings(DEBUG=True, SECURE_HSTS_SECONDS=0, SESSION_COOKIE_NAME="sessionid"):
        assert _ids() == []


def test_check_deploy_with_production_settings_prints_no_warnings():
    result = run_manage("check", "--deploy", DEBUG="false", ALLOWED_HOSTS="safeguarding.example.org",
                        SECRET_KEY=PRODUCTION_KEY, AUDIT_ANCHOR_KEY=ANCHOR_KEY, **PRODUCTION_ENCRYPTION)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNING" not in output and "security.E" not in output
    assert "System check identified no issues (0 silenced)." in result.stdout


# --- What every page carries ----------------------------------------------------------------------------

def _sample_pages(world) -> list[tuple[str, str]]:
    """One page of each app, each asked for by a persona who may see it."""
    cases = build_cases(world)
    subject = cases.subjects["lambeth_school"].reference
    return [
        ("anonymous", reverse("login")),
        ("teacher_lambeth", reverse("home")),                                   # agencies
        ("teacher_lambeth", reverse("subject-detail", args=[subject])),        # referrals
        ("mash_lambeth", reverse("register")),                                  # risk
        ("mash_lambeth", reverse("map-subject", args=[subject])),               # the association map
        ("mash_lambeth", reverse("referral-list")),                             # referrals routing
        ("mash_lambeth", reverse("break-glass")),                               # data protection
        ("auditor", reverse("audit-log")),                                      # audit
        ("dpo", reverse("erasure-forecast")),
        # Django's admin renders no inline script, so django-csp leaves the nonce out: stricter still.
        ("administrator", reverse("admin:index")),
    ]


def _assert_protective_headers(response, url: str, *, inline_script: bool = True) -> None:
    csp = response["Content-Security-Policy"]
    assert "'unsafe-inline'" not in csp, url
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in csp, (url, directive)
    assert "no-store" in response["Cache-Control"], url
    assert response["Referrer-Policy"] == "same-origin", url
    assert response["X-Frame-Options"] == "DENY", url
    assert response["X-Content-Type-Options"] == "nosniff", url
    if inline_script:
        # The service's own pages carry a fresh nonce, the one their inline script uses.
        script_src = re.search(r"script-src ([^;]*)", csp).group(1)
        nonce = re.search(r"'nonce-([A-Za-z0-9+/=_-]{16,})'", script_src).group(1)
        assert f'nonce="{nonce}"' in response.content.decode(), url


@pytest.mark.django_db
def test_every_page_carries_the_protective_headers(client_for, world):
    for persona, url in _sample_pages(world):
        response = client_for(persona).get(url)
        assert response.status_code == 200, (persona, url)
        _assert_protective_headers(response, url, inline_script=not url.startswith("/administration/"))


@pytest.mark.django_db
def test_the_not_found_page_carries_the_protective_headers(client_for, world):
    url = reverse("subject-detail", args=["S-0000-0000"])
    response = client_for("teacher_lambeth").get(url)
    assert response.status_code == 404
    _assert_protective_headers(response, url)


@pytest.mark.django_db
def test_a_redirect_carries_the_protective_headers(client_for, world):
    url = reverse("home")
    response = client_for("anonymous").get(url)  # sent to sign in
    assert response.status_code == 302
    _assert_protective_headers(response, url, inline_script=False)
