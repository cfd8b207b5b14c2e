"""Home pages per role, navigation, administration, health and the error pages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings
from django.urls import NoReverseMatch, reverse

from agencies.demo import DEMO_USERS
from agencies.roles import ROLE_DESCRIPTIONS
from tests.personas import PERSONAS

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_each_role_lands_on_a_home_page_with_agency_role_and_actions(client_for, world, persona):
    html = client_for(persona).get(reverse("home")).content.decode()
    membership = world.user(persona).membership
    assert membership.agency.name in html
    for role in membership.roles.all():
        assert role.label in html
        assert str(ROLE_DESCRIPTIONS[role.code]).split(",")[0].replace("'", "&#x27;") in html


def test_only_administrators_see_the_administration_link(client_for):
    assert reverse("admin:index") in client_for("administrator").get(reverse("home")).content.decode()
    assert reverse("admin:index") not in client_for("mash_lambeth").get(reverse("home")).content.decode()


def test_administrators_manage_agencies_but_not_superuser_flags(client_for, world):
    admin = client_for("administrator")
    user = world.user("teacher_lambeth")
    page = admin.get(reverse("admin:auth_user_change", args=[user.pk])).content.decode()
    assert 'name="is_superuser"' not in page and 'name="is_staff"' not in page
    assert admin.get(reverse("admin:agencies_agency_add")).status_code == 200
    # Groups hold object-level shares; they are managed by services, never edited by hand.
    with pytest.raises(NoReverseMatch):
        reverse("admin:auth_group_changelist")


def test_administrators_add_an_agency_through_the_admin(client_for, world):
    from agencies.models import Agency, Borough

    lambeth = Borough.objects.get(name="Lambeth")
    response = client_for("administrator").post(
        reverse("admin:agencies_agency_add"),
        {"name": "Oval Test College", "kind": "school", "borough": lambeth.pk, "official_code": "",
         "is_active": "on"},
    )
    assert response.status_code == 302
    agency = Agency.objects.get(name="Oval Test College")
    assert agency.group_id is not None
    assert agency.history.get().history_user == world.user("administrator")


def test_administrators_set_a_membership_through_the_admin(client_for, world):
    from agencies.models import Membership

    user = world.user("teacher_southwark")
    membership = Membership.objects.get(user=user)
    response = client_for("administrator").post(
        reverse("admin:agencies_membership_change", args=[membership.pk]),
        {"user": user.pk, "agency": world.agencies["southwark_yot"].pk, "roles": ["practitioner", "dsl"],
         "is_active": "on"},
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.agency == world.agencies["southwark_yot"]
    # The case role added waits for a second administrator (tests/agencies/test_separation_of_duties.py).
    assert membership.role_codes == {"practitioner"}
    assert membership.grant_requests.get().role_id == "dsl"
    assert list(user.groups.all()) == [world.agencies["southwark_yot"].group]


def test_health_answers_without_details(client_for):
    response = Client().get(reverse("health"))
    assert response.status_code == 200 and response.content == b"ok\n"


def test_health_answers_503_when_the_database_does_not():
    # A real outage: a database file in a directory that does not exist.
    code = (
        "import django; django.setup();"
        "from django.test import Client; r = Client().get('/health/');"
        "print(r.status_code, r.content.decode().strip())"
    )
    env = {**os.environ, "DATABASE_URL": "sqlite:////nonexistent-directory/db.sqlite3",
           "DJANGO_SETTINGS_MODULE": "config.settings_test", "DEBUG": "true", "ALLOWED_HOSTS": "testserver"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "503 unavailable"


def test_not_found_page_is_in_the_service_look_and_reveals_nothing(client_for):
    response = client_for("teacher_lambeth").get("/subjects/S-SECRET-123/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html and "S-SECRET-123" not in html
    assert 'class="govuk-skip-link"' in html


@override_settings(DEBUG=False)
def test_server_error_page_is_plain_and_in_the_service_look():
    from config.errors import server_error

    response = server_error(None)
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.content.decode()


def test_demo_users_cover_the_named_logins():
    names = {user.username for user in DEMO_USERS}
    assert {"teacher.lambeth", "teacher.southwark", "gp.lambeth", "nurse.lambeth", "police.lambeth",
            "yot.southwark", "dsl.lambeth", "mash.lambeth", "mash.southwark", "csc.lambeth", "auditor",
            "admin"} <= names
