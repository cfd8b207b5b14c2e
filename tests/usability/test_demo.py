"""The demo: its not-found page is the service's own, and its emails link to the port it serves on."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse

from agencies import services as agency_services
from agencies.choices import RoleCode

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)
MAKE = shutil.which("make") or "make"


def _dry_run(*arguments: str) -> str:
    """What ``make`` would run, without running it."""
    return subprocess.run([MAKE, "-n", *arguments], cwd=ROOT, capture_output=True, text=True,  # noqa: S603
                          check=True).stdout
# What Django's technical 404 page says; none of it may reach a visitor of the demo.
TECHNICAL = ("Using the URLconf", "Django tried these URL patterns", "DEBUG = True", "urlpatterns")


def _assert_service_404(response) -> None:
    body = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in body and "Go to the home page" in body
    for words in TECHNICAL:
        assert words not in body, words


@override_settings(DEBUG=True)
@pytest.mark.parametrize("path", ["/no-such-page/", "/no/such/page.json", "/static-not-here/x.css"])
def test_an_unknown_address_gets_the_service_404_even_with_debug_on(path):
    _assert_service_404(Client().get(path))


@override_settings(DEBUG=True)
def test_a_record_nobody_may_see_gets_the_service_404_with_debug_on(client_for):
    response = client_for("teacher_lambeth").get(reverse("subject-detail", kwargs={"reference": "S-AAAA-AAAA"}))
    _assert_service_404(response)


@override_settings(DEBUG=True)
def test_a_signed_in_member_gets_the_service_404_with_debug_on(client_for):
    _assert_service_404(client_for("mash_lambeth").get("/this/does/not/exist/"))


@override_settings(DEBUG=True)
def test_the_set_password_page_keeps_its_own_404(client_for):
    response = Client().get(reverse("set-password", kwargs={"token": "x" * 43}))
    assert response.status_code == 404 and "This link has expired or has been used" in response.content.decode()


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_the_demo_target_gives_emails_the_port_it_serves_on(world, django_capture_on_commit_callbacks):
    commands = _dry_run("demo", "PORT=8123")
    serve = next(line for line in commands.splitlines() if "runserver" in line)
    seed = next(line for line in commands.splitlines() if "seed_demo" in line)
    assert "127.0.0.1:8123" in serve
    site_url = re.search(r"SITE_URL=(\S+)", serve)
    assert site_url is not None and site_url.group(1) == "http://127.0.0.1:8123"
    assert "SITE_URL=http://127.0.0.1:8123" in seed
    # A notification built under that setting links to that port (a set-password email, say).
    user = agency_services.do_create_user(
        username="demo.port", agency=world.agencies["lambeth_school"], roles=[RoleCode.PRACTITIONER],
        email="port@school.test", actor=None)
    with override_settings(SITE_URL=site_url.group(1)), django_capture_on_commit_callbacks(execute=True):
        link = agency_services.do_create_invitation(user=user, actor=None)
    assert link.url.startswith("http://127.0.0.1:8123/set-password/")
    assert mail.outbox and link.url in mail.outbox[-1].body


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_site_url_can_still_be_set_for_the_demo():
    commands = _dry_run("demo", "SITE_URL=https://demo.example.org")
    assert "SITE_URL=https://demo.example.org" in next(line for line in commands.splitlines() if "runserver" in line)
