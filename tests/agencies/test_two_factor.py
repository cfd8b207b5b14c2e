"""Two-factor authentication: sign-in with a code, enrolment, recovery codes, throttling, the gate, step-up."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.sessions.models import Session
from django.test import Client, override_settings
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies import services
from agencies.sessions import FRESH_AUTH_AT
from agencies.two_factor import current_code
from tests.audit_helpers import assert_audit, audit_checkpoint, new_audit_events
from tests.personas import PASSWORD
from tests.two_factor_helpers import code_for, ensure_authenticator, set_session_value

pytestmark = pytest.mark.django_db
VERIFY = "/sign-in/verify/"
SETUP = "/sign-in/set-up/"


def sign_in(client: Client, username: str):
    return client.post("/sign-in/", {"username": username, "password": PASSWORD})


def enrol(client: Client, user) -> list[str]:
    """Set up an authenticator through the pages, as a person would; return the recovery codes shown."""
    page = client.get(SETUP)
    assert page.status_code == 200
    key = client.session["pending_totp_key"]
    code = current_code(TOTPDevice(user=user, key=key))
    shown = client.post(SETUP, {"otp_token": code})
    assert shown.status_code == 200
    return re.findall(r"<code>([a-z2-7]{5}-[a-z2-7]{5})</code>", shown.content.decode())


def test_a_mash_lead_with_an_authenticator_gives_a_code_after_the_password(world):
    user = world.user("mash_lambeth")
    ensure_authenticator(user)
    client = Client()
    response = sign_in(client, "mash_lambeth")
    assert response.status_code == 302 and response["Location"] == f"{VERIFY}?next=%2F"
    # Nothing else is reachable yet: pages send back to verify, other methods are refused.
    register = client.get(reverse("register"))
    assert register.status_code == 302 and register["Location"].startswith(VERIFY + "?next=")
    assert client.post(reverse("register")).status_code == 403
    before = client.session.session_key
    audit_checkpoint()

    response = client.post(VERIFY + "?next=%2Fregister%2F", {"otp_token": code_for(user)})
    assert response.status_code == 302 and response["Location"] == "/register/"
    assert DEVICE_ID_SESSION_KEY in client.session
    assert client.session.session_key != before  # a new session key once the second factor is given
    assert Session.objects.filter(session_key=client.session.session_key).exists()
    assert not Session.objects.filter(session_key=before).exists()
    assert client.get(reverse("register")).status_code == 200
    event = assert_audit("login", actor=user, object_type="user", reference=user.pk)
    assert event.detail == {"factor": "totp", "purpose": "sign_in", "service": "do_verify_second_factor"}


def test_a_wrong_code_is_a_clear_message_and_a_failed_sign_in(world, client_for):
    user = world.user("auditor")
    client = client_for("auditor", verified=False)
    response = client.post(VERIFY, {"otp_token": "000000" if code_for(user) != "000000" else "111111"})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    event = assert_audit("login_failed", actor=user, object_type="user", reference=user.pk, outcome="denied")
    assert event.detail == {
        "factor": "totp", "purpose": "sign_in", "throttled": False, "service": "do_verify_second_factor"}
    for typed, message in [("", "Enter the 6-digit code"), ("12ab", "Enter the 6 digits")]:
        page = client.post(VERIFY, {"otp_token": typed})
        assert message in page.content.decode()
        assert DEVICE_ID_SESSION_KEY not in client.session


@override_settings(OTP_TOTP_THROTTLE_FACTOR=60)
def test_wrong_codes_are_throttled_even_the_right_code_must_wait(world, client_for):
    user = world.user("mash_lambeth")
    client = client_for("mash_lambeth", verified=False)
    right = code_for(user)
    client.post(VERIFY, {"otp_token": "999999" if right != "999999" else "888888"})
    response = client.post(VERIFY, {"otp_token": right})
    assert "Too many wrong codes. Wait" in response.content.decode()
    assert DEVICE_ID_SESSION_KEY not in client.session
    events = [e for e in new_audit_events() if e.action == "login_failed"]
    assert [e.detail["throttled"] for e in events] == [False, True]
    device = TOTPDevice.objects.get(user=user)
    assert device.throttling_failure_count == 1  # a throttled try does not even reach the check
    # Once the wait is over, the right code works.
    device.throttling_failure_timestamp = device.throttling_failure_timestamp.replace(year=2000)
    device.save()
    assert client.post(VERIFY, {"otp_token": right}).status_code == 302


def test_a_code_cannot_be_used_twice(world, client_for):
    user = world.user("mash_lambeth")
    first = client_for("mash_lambeth", verified=False)
    code = code_for(user)
    assert first.post(VERIFY, {"otp_token": code}).status_code == 302
    again = client_for("mash_lambeth", verified=False).post(VERIFY, {"otp_token": code})
    assert again.status_code == 200 and "That code is not right" in again.content.decode()


def test_a_lead_without_an_authenticator_must_set_one_up_and_gets_ten_recovery_codes_once(world):
    user = world.user("dsl_lambeth")
    client = Client()
    response = sign_in(client, "dsl_lambeth")
    assert response["Location"] == f"{SETUP}?next=%2F"
    assert client.get(reverse("home"))["Location"].startswith(SETUP + "?next=")
    page = client.get(SETUP).content.decode()
    assert 'src="data:image/svg+xml' in page  # the QR code needs no inline markup or style
    manual = re.search(r"data-manual-key>([A-Z2-7 ]+)<", page).group(1).replace(" ", "")
    assert len(manual) == 32
    assert not TOTPDevice.objects.filter(user=user).exists()  # nothing is stored until a code proves it

    wrong = client.post(SETUP, {"otp_token": "12345"})
    assert "That code is not right" in wrong.content.decode()
    assert not TOTPDevice.objects.filter(user=user).exists()

    codes = enrol(client, user)
    assert len(codes) == 10 and len(set(codes)) == 10
    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed
    event = assert_audit("create", actor=user, object_type="totp_device", reference=device.pk)
    assert event.detail == {"user": user.pk, "recovery_codes": 10, "service": "do_enrol_totp_device"}
    # Stored only as keyed hashes.
    stored = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert len(stored) == 10 and not stored & {c.replace("-", "") for c in codes}
    assert client.get(reverse("home")).status_code == 200
    # The codes are never shown again.
    assert client.get(SETUP).status_code == 302
    assert "<code>" not in client.get(reverse("account-security")).content.decode()


def test_a_recovery_code_works_once(world):
    user = world.user("dsl_lambeth")
    first = Client()
    sign_in(first, "dsl_lambeth")
    codes = enrol(first, user)

    client = Client()
    sign_in(client, "dsl_lambeth")
    audit_checkpoint()
    response = client.post(VERIFY, {"otp_token": codes[0].upper().replace("-", " ")}, follow=True)
    assert response.redirect_chain[-1][0] == "/"
    assert "You used a recovery code. You have 9 left." in response.content.decode()
    event = assert_audit("login", actor=user, object_type="user", reference=user.pk)
    assert event.detail == {
        "factor": "recovery_code", "purpose": "sign_in", "recovery_codes_left": 9, "service": "do_verify_second_factor"}

    again = Client()
    sign_in(again, "dsl_lambeth")
    refused = again.post(VERIFY, {"otp_token": codes[0]})
    assert refused.status_code == 200 and "That code is not right" in refused.content.decode()
    assert_audit("login_failed", actor=user, outcome="denied")
    assert StaticToken.objects.filter(device__user=user).count() == 9


def test_new_recovery_codes_replace_the_old_ones(world, client_for):
    user = world.user("mash_lambeth")
    client = client_for("mash_lambeth")
    old = services.do_regenerate_recovery_codes(user=user, actor=user)
    page = client.post(reverse("account-recovery-codes"))
    new = re.findall(r"<code>([a-z2-7]{5}-[a-z2-7]{5})</code>", page.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert services.do_verify_second_factor(user=user, token=new[0], purpose="sign_in", actor=user).ok
    assert services.do_verify_second_factor(user=user, token=old[0], purpose="sign_in", actor=user).ok is False


def test_a_practitioner_may_choose_two_factor_and_is_then_asked_for_it(world, client_for):
    user = world.user("teacher_lambeth")
    client = client_for("teacher_lambeth")
    assert "Off" in client.get(reverse("account-security")).content.decode()
    enrol(client, user)
    assert "On (authenticator app)" in client.get(reverse("account-security")).content.decode()

    later = Client()
    assert sign_in(later, "teacher_lambeth")["Location"].startswith(VERIFY)
    assert later.get(reverse("home")).status_code == 302
    assert later.post(VERIFY, {"otp_token": code_for(user, offset_steps=1)}).status_code == 302
    assert later.get(reverse("home")).status_code == 200

    # They may turn it off again (after confirming it is them); a lead may not.
    turned_off = later.post(reverse("account-two-factor-remove"))
    assert turned_off.status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists() and not StaticDevice.objects.filter(user=user).exists()
    event = assert_audit("revoke", actor=user, object_type="two_factor", reference=user.pk)
    assert event.detail["by_self"] is True and event.detail["sessions_ended"] == 0
    assert later.get(reverse("home")).status_code == 200
    assert client_for("mash_lambeth").post(reverse("account-two-factor-remove")).status_code == 403


def test_step_up_is_asked_for_when_the_last_proof_is_older_than_the_limit(world, client_for, settings):
    user = world.user("mash_lambeth")
    client = client_for("mash_lambeth")
    assert client.get(reverse("register-export")).status_code == 200
    audit_checkpoint()
    set_session_value(client, FRESH_AUTH_AT, time.time() - settings.STEP_UP_MINUTES * 60 - 1)

    response = client.get(reverse("register-export") + "?level=high")
    assert response.status_code == 302
    target = urlparse(response["Location"])
    assert target.path == reverse("step-up")
    assert parse_qs(target.query)["next"] == ["/register/export.csv?level=high"]
    event = assert_audit("export", actor=user, object_type="register")
    assert event.detail["step_up"] == "required"

    page = client.get(response["Location"])
    assert "Confirm it is you" in page.content.decode()
    back = client.post(reverse("step-up"), {"otp_token": code_for(user, offset_steps=1),
                                            "next": "/register/export.csv?level=high"})
    assert back.status_code == 302 and back["Location"] == "/register/export.csv?level=high"
    assert client.get(back["Location"])["Content-Type"].startswith("text/csv")
    assert_audit("login", actor=user, object_type="user")


@pytest.mark.parametrize("url_name", ["audit-export"])
def test_the_audit_export_asks_for_step_up_too(world, client_for, url_name):
    client = client_for("auditor")
    set_session_value(client, FRESH_AUTH_AT, 0)
    response = client.get(reverse(url_name))
    assert response.status_code == 302 and response["Location"].startswith(reverse("step-up"))
    # Someone who may not see the page still gets 404, never a step-up.
    stale = client_for("mash_lambeth")
    set_session_value(stale, FRESH_AUTH_AT, 0)
    assert stale.get(reverse(url_name)).status_code == 404


def test_step_up_by_password_for_members_without_an_authenticator(world, client_for):
    user = world.user("teacher_lambeth")
    client = client_for("teacher_lambeth")
    set_session_value(client, FRESH_AUTH_AT, 0)
    page = client.get(reverse("step-up"))
    assert 'name="password"' in page.content.decode()
    wrong = client.post(reverse("step-up"), {"password": "nope", "next": "/subjects/"})
    assert "Your password is not right" in wrong.content.decode()
    assert_audit("login_failed", actor=user, outcome="denied")
    ok = client.post(reverse("step-up"), {"password": PASSWORD, "next": "/subjects/"})
    assert ok.status_code == 302 and ok["Location"] == "/subjects/"
    assert time.time() - client.session[FRESH_AUTH_AT] < 60


def test_step_up_signs_out_after_too_many_wrong_answers(world, client_for, settings):
    client = client_for("teacher_lambeth")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(reverse("step-up"), {"password": "nope"}).status_code == 200
    last = client.post(reverse("step-up"), {"password": "nope"})
    assert last.status_code == 302 and last["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_step_up_returns_only_to_this_site(world, client_for, next_url):
    client = client_for("teacher_lambeth")
    response = client.post(reverse("step-up"), {"password": PASSWORD, "next": next_url})
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_merging_asks_for_step_up(world, client_for):
    from tests.cases import build_cases

    cases = build_cases(world)
    client = client_for("mash_lambeth")
    set_session_value(client, FRESH_AUTH_AT, 0)
    url = reverse("subject-merge", kwargs={"reference": cases.subjects["lambeth_school"].reference})
    assert client.get(url)["Location"].startswith(reverse("step-up"))
    assert client.post(url, {"duplicate": "x"})["Location"].startswith(reverse("step-up"))
    # Not visible: 404 first, whatever the freshness.
    hidden = reverse("subject-merge", kwargs={"reference": cases.subjects["southwark_school"].reference})
    assert client.get(hidden).status_code == 404


def test_correcting_her_identity_asks_for_step_up_after_the_404_and_403(world, client_for):
    from tests.cases import build_cases

    cases = build_cases(world)
    client = client_for("mash_lambeth")
    set_session_value(client, FRESH_AUTH_AT, 0)
    url = reverse("subject-rectify", kwargs={"reference": cases.subjects["lambeth_school"].reference})
    assert client.get(url)["Location"].startswith(reverse("step-up"))
    assert client.post(url, {"given_name": "x"})["Location"].startswith(reverse("step-up"))
    hidden = reverse("subject-rectify", kwargs={"reference": cases.subjects["southwark_school"].reference})
    assert client.get(hidden).status_code == 404
    teacher = client_for("teacher_lambeth")
    set_session_value(teacher, FRESH_AUTH_AT, 0)
    assert teacher.get(url).status_code == 403  # she is visible to the teacher; the correction is not hers


@pytest.mark.parametrize("url_name", ["subject-restriction", "subject-boroughs"])
def test_restricting_and_moving_her_record_ask_for_step_up_after_the_404_and_403(world, client_for, url_name):
    """Restricting processing stops her being scored, referred or shared; moving her record or sharing it
    with another borough gives it to other people: a stolen session must not do either quietly."""
    from tests.cases import build_cases

    cases = build_cases(world)
    client = client_for("mash_lambeth")
    set_session_value(client, FRESH_AUTH_AT, 0)
    url = reverse(url_name, kwargs={"reference": cases.subjects["lambeth_school"].reference})
    assert client.get(url)["Location"].startswith(reverse("step-up"))
    assert client.post(url, {"reason": "objection"})["Location"].startswith(reverse("step-up"))
    hidden = reverse(url_name, kwargs={"reference": cases.subjects["southwark_school"].reference})
    assert client.get(hidden).status_code == 404
    teacher = client_for("teacher_lambeth")
    set_session_value(teacher, FRESH_AUTH_AT, 0)
    assert teacher.get(url).status_code == 403


def test_two_administrators_reset_a_lost_authenticator_and_end_the_sessions(world, client_for):
    user = world.user("mash_lambeth")
    client = client_for("mash_lambeth")
    key = client.session.session_key
    admin = client_for("administrator")
    response = admin.post(reverse("admin:auth_user_changelist"),
                          {"action": "request_two_factor_reset", "_selected_action": [user.pk]})
    assert response.status_code == 302
    assert TOTPDevice.objects.filter(user=user).exists()  # one administrator alone changes nothing
    from agencies.models import TwoFactorResetRequest

    reset = TwoFactorResetRequest.objects.get(user=user)
    assert_audit("create", actor=world.user("administrator"), object_type="two_factor_reset")
    response = client_for("administrator_2").post(reverse("approval-approve", args=[reset.reference]))
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not Session.objects.filter(session_key=key).exists()
    event = [e for e in new_audit_events() if e.object_type == "two_factor"][0]
    assert event.action == "revoke" and event.actor_id == world.user("administrator_2").pk
    assert event.detail["sessions_ended"] == 1 and event.detail["by_self"] is False
    # At the next sign-in they set up a new authenticator.
    assert sign_in(Client(), "mash_lambeth")["Location"].startswith(SETUP)


def test_unknown_roles_in_the_setting_stop_start_up(settings):
    from agencies.apps import check_two_factor_roles

    settings.OTP_REQUIRED_ROLES = ["mash_lead", "mash-lead"]
    errors = check_two_factor_roles()
    assert [e.id for e in errors] == ["agencies.E001"] and "mash-lead" in errors[0].msg


def test_the_roles_that_require_two_factor_come_from_the_setting(world, settings):
    settings.OTP_REQUIRED_ROLES = ["practitioner"]
    assert sign_in(Client(), "teacher_lambeth")["Location"].startswith(SETUP)
    assert sign_in(Client(), "auditor")["Location"] == reverse("home")
