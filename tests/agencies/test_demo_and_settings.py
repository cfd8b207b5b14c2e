"""The demo data, and the production start-up rules."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django.urls import reverse

from agencies.choices import AgencyKind
from agencies.demo import DEMO_TOTP_SECRETS, DEMO_USERS
from agencies.models import Agency, Membership

User = get_user_model()
ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_KEY = "p" + "Zq8vN3rT6wY1uI4oP7aS0dF2gH5jK8lM1nB4vC7xZ0qW3eR6tY9uI2oP5aS8d"
# Production also needs its own key for signing audit anchors, the encryption keyring and
# the blind-index key; these are test-only values.
ANCHOR_KEY = "a" + "Nc7vX2bM9qL4wE8rT1yU6iO3pA5sD0fG7hJ2kL9zX4cV1bN8mQ5wE3rT6yU0iO"
PRODUCTION_ENCRYPTION = {
    "ENCRYPTION_KEYRING": '{"active": "p1", "keys": {"p1": "cHJvZC10ZXN0LWtlay1wMS0wMDAwMDAwMDAwMDAwMDA="}}',
    "BLIND_INDEX_KEY": "cHJvZC10ZXN0LWJsaW5kLWluZGV4LWtleS0wMDAwMDA=",
}


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    ignored = {"SECRET_KEY", "DJANGO_SETTINGS_MODULE", "AUDIT_ANCHOR_KEY", "AUDIT_ANCHOR_KEY_FILE",
               "ENCRYPTION_KEYRING", "ENCRYPTION_KEYRING_FILE", "BLIND_INDEX_KEY", "BLIND_INDEX_KEY_FILE"}
    full_env = {k: v for k, v in os.environ.items() if k not in ignored}
    # The audit anchor key is given unless a test clears it with AUDIT_ANCHOR_KEY="".
    full_env.update({"AUDIT_ANCHOR_KEY": ANCHOR_KEY, **env})
    full_env = {k: v for k, v in full_env.items() if v != ""}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=full_env,
                          capture_output=True, text=True, check=False)


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_seed_demo_builds_a_london_and_changes_nothing_the_second_time(monkeypatch):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    call_command("seed_demo")
    for borough in ["Lambeth", "Southwark", "Hackney"]:
        kinds = set(Agency.objects.filter(borough__name=borough).values_list("kind", flat=True))
        # Governance and the statistics agencies are not in every borough.
        statistics_only = {AgencyKind.SAFEGUARDING_PARTNERSHIP, AgencyKind.MOPAC}
        assert kinds >= set(AgencyKind.values) - {AgencyKind.GOVERNANCE, *statistics_only}, borough
    snapshot = (
        list(User.objects.order_by("pk").values_list("pk", "password", "is_staff")),
        Agency.objects.count(), Membership.objects.count(),
        Agency.history.count(), Membership.history.count(),
    )
    call_command("seed_demo")
    assert snapshot == (
        list(User.objects.order_by("pk").values_list("pk", "password", "is_staff")),
        Agency.objects.count(), Membership.objects.count(),
        Agency.history.count(), Membership.history.count(),
    )


@pytest.mark.django_db
@override_settings(DEBUG=True)
@pytest.mark.parametrize("demo", DEMO_USERS, ids=lambda d: d.username)
def test_every_demo_user_signs_in_and_sees_their_home(monkeypatch, demo):
    monkeypatch.setenv("DEMO_PASSWORD", "a demo password for tests")
    call_command("seed_demo")
    client = Client()
    response = client.post("/sign-in/", {"username": demo.username, "password": "a demo password for tests"})
    assert response.status_code == 302, demo.username
    if demo.username in DEMO_TOTP_SECRETS:
        # Roles that need a second factor: the code from the demo authenticator, as a person would type it.
        assert response["Location"].startswith(reverse("two-factor-verify"))
        out = StringIO()
        call_command("demo_totp", demo.username, stdout=out)
        response = client.post(response["Location"], {"otp_token": out.getvalue().strip()})
        assert response.status_code == 302 and response["Location"] == reverse("home"), demo.username
    else:
        assert response["Location"] == reverse("home")
    home = client.get(reverse("home"))
    assert home.status_code == 200 and demo.agency.replace("'", "&#x27;") in home.content.decode()


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_seed_demo_refuses_the_default_password_without_debug(monkeypatch):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="DEMO_PASSWORD"):
        call_command("seed_demo")
    assert not User.objects.exists()


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage("check", DEBUG="false", ALLOWED_HOSTS="safeguarding.example.org")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_refuses_the_development_key():
    result = run_manage("check", DEBUG="false", ALLOWED_HOSTS="safeguarding.example.org",
                        SECRET_KEY="development-only-" + "x" * 50)
    assert result.returncode != 0
    assert "development key" in result.stderr


def test_secret_key_can_come_from_a_file(tmp_path):
    key_file = tmp_path / "secret"
    key_file.write_text(PRODUCTION_KEY + "\n")
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", DEBUG="false",
                        ALLOWED_HOSTS="safeguarding.example.org", SECRET_KEY_FILE=str(key_file),
                        AUDIT_ANCHOR_KEY=ANCHOR_KEY, **PRODUCTION_ENCRYPTION)
    assert result.returncode == 0, result.stderr


def test_check_deploy_is_clean_with_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", DEBUG="false",
                        ALLOWED_HOSTS="safeguarding.example.org", SECRET_KEY=PRODUCTION_KEY,
                        AUDIT_ANCHOR_KEY=ANCHOR_KEY, **PRODUCTION_ENCRYPTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_an_audit_anchor_key():
    result = run_manage("check", DEBUG="false", ALLOWED_HOSTS="safeguarding.example.org",
                        SECRET_KEY=PRODUCTION_KEY, AUDIT_ANCHOR_KEY="", **PRODUCTION_ENCRYPTION)
    assert result.returncode != 0
    assert "AUDIT_ANCHOR_KEY is not set" in result.stderr


def test_audit_anchor_key_can_come_from_a_file(tmp_path):
    key_file = tmp_path / "anchor"
    key_file.write_text(ANCHOR_KEY + "\n")
    result = run_manage("check", DEBUG="false", ALLOWED_HOSTS="safeguarding.example.org",
                        SECRET_KEY=PRODUCTION_KEY, AUDIT_ANCHOR_KEY="", AUDIT_ANCHOR_KEY_FILE=str(key_file),
                        **PRODUCTION_ENCRYPTION)
    assert result.returncode == 0, result.stderr


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_demo_authenticators_are_refused_without_debug(monkeypatch):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    monkeypatch.setenv("DEMO_PASSWORD", "a demo password for tests")
    call_command("seed_demo")
    assert not TOTPDevice.objects.exists()  # members set up their own at first sign-in
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("demo_totp", "mash.lambeth")


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_demo_totp_prints_the_code_of_the_published_key(monkeypatch):
    import base64
    import hmac
    import struct
    import time

    from agencies.demo import DEMO_TOTP_SECRETS

    monkeypatch.setenv("DEMO_PASSWORD", "a demo password for tests")
    call_command("seed_demo")
    out = StringIO()
    call_command("demo_totp", "mash.lambeth", stdout=out)
    # RFC 6238 computed independently from the key published in README.md.
    key = base64.b32decode(DEMO_TOTP_SECRETS["mash.lambeth"])
    codes = set()
    for step in (-1, 0, 1):
        counter = int(time.time()) // 30 + step
        digest = hmac.new(key, struct.pack(">Q", counter), "sha1").digest()
        offset = digest[-1] & 0x0F
        codes.add(f"{(struct.unpack('>I', digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}")
    assert out.getvalue().strip() in codes
    readme = (ROOT / "README.md").read_text()
    assert all(secret in readme for secret in DEMO_TOTP_SECRETS.values())


def test_kept_database_connections_are_checked_before_a_request_uses_them():
    # DATABASE_CONN_MAX_AGE (60 in the web unit) keeps connections between requests; without the health
    # check the first request after a database restart on each worker would fail.
    from django.conf import settings

    assert all(database["CONN_HEALTH_CHECKS"] for database in settings.DATABASES.values())
