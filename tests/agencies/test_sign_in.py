"""Signing in and out, throttling with a cool-off, idle timeout, and who may not sign in at all."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agencies import services
from agencies.choices import RoleCode
from audit.models import AccessEvent
from tests.personas import PASSWORD

pytestmark = pytest.mark.django_db
LOGIN = "/sign-in/"


def sign_in(client: Client, username: str, password: str = PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def test_a_member_signs_in_and_lands_on_home(world):
    client = Client()
    response = sign_in(client, "teacher_lambeth")
    assert response.status_code == 302 and response["Location"] == reverse("home")
    home = client.get(reverse("home"))
    assert home.status_code == 200
    assert "Lambeth Test Academy" in home.content.decode()


def test_sign_in_issues_a_new_session_key(world):
    client = Client()
    client.get(LOGIN)
    client.session.save()
    before = client.session.session_key
    sign_in(client, "teacher_lambeth")
    assert client.session.session_key != before


def test_a_wrong_password_gives_a_clear_message_and_no_session(world):
    client = Client()
    response = sign_in(client, "teacher_lambeth", "not the password")
    assert response.status_code == 200
    assert "Enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("username", ["no_membership", "inactive_membership"])
def test_accounts_without_an_active_membership_cannot_sign_in(world, username):
    response = sign_in(Client(), username)
    assert response.status_code == 200
    assert "not linked to an active agency" in response.content.decode()


def test_a_deactivated_account_cannot_sign_in(world):
    response = sign_in(Client(), "deactivated_user")
    assert response.status_code == 200
    assert "_auth_user_id" not in Client().session


def test_repeated_failures_pause_the_account_then_it_works_again(world):
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(attacker, "teacher_lambeth", "guess")
    locked = sign_in(attacker, "teacher_lambeth")  # even the right password is paused
    assert locked.status_code == 429
    assert "Signing in is paused" in locked.content.decode()
    assert "15 minutes" in locked.content.decode()

    # The account is paused from another address too.
    assert sign_in(Client(REMOTE_ADDR="198.51.100.7"), "teacher_lambeth").status_code == 429
    # The address is never paused as a whole: another account signs in from it.
    assert sign_in(attacker, "gp_lambeth").status_code == 302

    # After the cool-off period it works again: never a permanent lock.
    past = timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    for attempt in AccessAttempt.objects.all():
        attempt.attempt_time = past
        attempt.save(update_fields=["attempt_time"])
    assert sign_in(Client(REMOTE_ADDR="203.0.113.9"), "teacher_lambeth").status_code == 302


# ---------------------------------------------------------------------------------------------------
# Behind the TLS proxy (TRUSTED_PROXY_COUNT=1): every request reaches Django from the proxy's address.
# ---------------------------------------------------------------------------------------------------
PROXY = "10.0.0.2"


def via_proxy(client_address: str, forged: str = "") -> Client:
    """A browser at ``client_address`` behind the proxy; ``forged`` is what the browser itself put in
    X-Forwarded-For (the proxy appends the address it saw)."""
    forwarded = f"{forged}, {client_address}" if forged else client_address
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)


def test_behind_the_proxy_made_up_usernames_from_one_address_block_nobody(world, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    attacker = via_proxy("203.0.113.9")
    for number in range(settings.AXES_FAILURE_LIMIT + 2):
        assert sign_in(attacker, f"nobody{number}", "guess").status_code == 200
    # A correct sign-in from another address, and even from the attacker's own, goes through.
    assert sign_in(via_proxy("198.51.100.7"), "teacher_lambeth").status_code == 302
    assert sign_in(via_proxy("203.0.113.9"), "gp_lambeth").status_code == 302
    # What axes recorded is the client's address, not the proxy's.
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.9"}


def test_behind_the_proxy_a_forged_leftmost_address_changes_nothing(world, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for number in range(settings.AXES_FAILURE_LIMIT):
        sign_in(via_proxy("203.0.113.9", forged=f"192.0.2.{number}"), "teacher_lambeth", "guess")
    # Every failure counted against the real address: the forged ones were ignored.
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.9"}
    assert sign_in(via_proxy("203.0.113.9", forged="192.0.2.200"), "teacher_lambeth").status_code == 429
    # The trail names the real address too.
    failed = AccessEvent.objects.filter(action="login_failed")
    assert failed.exists()
    assert set(failed.values_list("client_address", flat=True)) == {"203.0.113.9"}


def test_without_a_trusted_proxy_forwarded_headers_are_ignored(world, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    spoofer = Client(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="192.0.2.1")
    sign_in(spoofer, "teacher_lambeth", "guess")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.9"}


def test_sessions_end_after_thirty_idle_minutes(world, client_for):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST
    client = client_for("teacher_lambeth")
    assert client.get(reverse("home")).status_code == 200
    session = Session.objects.get(session_key=client.session.session_key)
    session.expire_date = timezone.now() - timedelta(seconds=1)
    session.save()
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_removing_a_membership_ends_the_session_at_once(world, client_for):
    client = client_for("teacher_lambeth")
    assert client.get(reverse("home")).status_code == 200
    key = client.session.session_key
    services.do_set_membership(user=world.user("teacher_lambeth"), agency=world.agencies["lambeth_school"],
                               roles=[RoleCode.PRACTITIONER], is_active=False, actor=None)
    assert not Session.objects.filter(session_key=key).exists()
    response = client.get(reverse("home"), follow=True)
    assert response.redirect_chain[0][0].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session


def test_a_membership_ended_outside_the_services_still_ends_access_at_the_next_request(world, client_for):
    from agencies.models import Membership

    client = client_for("teacher_lambeth")
    Membership.objects.filter(user=world.user("teacher_lambeth")).update(is_active=False)
    response = client.get(reverse("home"), follow=True)
    assert response.redirect_chain[0][0].startswith(reverse("login"))
    assert "not linked to an active agency" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_deactivating_an_agency_ends_its_members_access(world, client_for):
    client = client_for("teacher_lambeth")
    services.do_update_agency(world.agencies["lambeth_school"], is_active=False, actor=None)
    assert client.get(reverse("home")).status_code == 302


def test_sign_out_ends_the_session(world, client_for):
    client = client_for("teacher_lambeth")
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_passwords_are_hashed_with_argon2_in_production_settings():
    from config import settings as production_settings

    assert production_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_sign_in_page_shows_the_service_look(world):
    page = Client().get(LOGIN)
    html = page.content.decode()
    assert 'class="govuk-skip-link"' in html and "Safeguarding risk register" in html
    assert "/static/css/app.css" in html
    assert page["Cache-Control"].startswith("no-store")
    assert "object-src 'none'" in page["Content-Security-Policy"]
    assert "nonce-" in page["Content-Security-Policy"]
