"""Sessions: absolute lifetime, the list of a user's sessions, ending them at once, production cookies."""

from __future__ import annotations

import time

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from agencies import services
from agencies.models import UserSession
from agencies.sessions import SIGNED_IN_AT
from tests.agencies.test_demo_and_settings import ANCHOR_KEY, PRODUCTION_ENCRYPTION, PRODUCTION_KEY, run_manage
from tests.audit_helpers import assert_audit
from tests.personas import PASSWORD
from tests.two_factor_helpers import set_session_value

pytestmark = pytest.mark.django_db


def test_sign_in_lists_the_session_and_sign_out_removes_it(world):
    client = Client()
    client.post("/sign-in/", {"username": "teacher_lambeth", "password": PASSWORD})
    key = client.session.session_key
    assert UserSession.objects.filter(user=world.user("teacher_lambeth"), session_key=key).exists()
    client.post(reverse("logout"))
    assert not UserSession.objects.filter(session_key=key).exists()


def test_a_session_ends_after_its_absolute_lifetime_however_active(world, client_for, settings):
    assert settings.SESSION_ABSOLUTE_HOURS == 10
    client = client_for("teacher_lambeth")
    set_session_value(client, SIGNED_IN_AT, time.time() - 10 * 3600 + 60)
    assert client.get(reverse("home")).status_code == 200
    set_session_value(client, SIGNED_IN_AT, time.time() - 10 * 3600 - 1)
    response = client.get(reverse("home"), follow=True)
    assert response.redirect_chain[0][0].startswith(reverse("login"))
    assert "signed out after 10 hours" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_session_without_a_sign_in_time_is_ended(world, client_for):
    client = client_for("teacher_lambeth")
    session = client.session
    del session[SIGNED_IN_AT]
    session.save()
    assert client.get(reverse("home")).status_code == 302


def test_deactivating_a_user_ends_every_session_at_once(world, client_for):
    user = world.user("teacher_lambeth")
    first, second = client_for("teacher_lambeth"), client_for("teacher_lambeth")
    keys = {first.session.session_key, second.session.session_key}
    other = client_for("gp_lambeth")
    assert len(keys) == 2 and Session.objects.filter(session_key__in=keys).count() == 2

    ended = services.do_set_user_active(user, is_active=False, actor=world.user("administrator"))
    assert ended == 2
    assert not Session.objects.filter(session_key__in=keys).exists()
    assert not UserSession.objects.filter(user=user).exists()
    event = assert_audit("update", actor=world.user("administrator"), object_type="user", reference=user.pk)
    assert event.detail == {"active": False, "sessions_ended": 2, "service": "do_set_user_active"}
    assert first.get(reverse("home")).status_code == 302
    assert other.get(reverse("home")).status_code == 200


def test_deactivating_a_user_in_administration_ends_their_sessions(world, client_for):
    user = world.user("teacher_lambeth")
    victim = client_for("teacher_lambeth")
    key = victim.session.session_key
    admin = client_for("administrator")
    response = admin.post(reverse("admin:auth_user_changelist"),
                          {"action": "deactivate_users", "_selected_action": [user.pk]})
    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.is_active and not Session.objects.filter(session_key=key).exists()


def test_deactivating_an_agency_ends_its_members_sessions(world, client_for):
    client = client_for("teacher_lambeth")
    dsl = client_for("dsl_lambeth")
    keys = [client.session.session_key, dsl.session.session_key]
    services.do_update_agency(world.agencies["lambeth_school"], is_active=False, actor=None)
    assert not Session.objects.filter(session_key__in=keys).exists()


def test_sessions_that_expired_are_forgotten_at_the_next_sign_in(world):
    user = world.user("teacher_lambeth")
    UserSession.objects.create(user=user, session_key="x" * 32)
    Client().post("/sign-in/", {"username": "teacher_lambeth", "password": PASSWORD})
    assert list(UserSession.objects.filter(user=user).values_list("session_key", flat=True)) != ["x" * 32]
    assert not UserSession.objects.filter(session_key="x" * 32).exists()


def test_production_cookies_are_host_only_and_secure():
    code = ("from django.conf import settings as s; print(s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME, "
            "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_AGE, "
            "s.SESSION_ABSOLUTE_HOURS, s.STEP_UP_MINUTES)")
    result = run_manage("shell", "-c", code, DEBUG="false", ALLOWED_HOSTS="safeguarding.example.org",
                        SECRET_KEY=PRODUCTION_KEY, AUDIT_ANCHOR_KEY=ANCHOR_KEY, **PRODUCTION_ENCRYPTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-8:] == ["__Host-sessionid", "__Host-csrftoken", "True", "True", "True", "1800",
                                          "10", "5"]
