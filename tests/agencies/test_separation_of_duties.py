"""Separation of duties (DESIGN.md §6): administrators hold no case power, case roles and second-factor
resets need a second administrator, and nobody types another person's password."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies import services
from agencies.choices import RequestStatus, RoleCode
from agencies.models import Membership, PasswordInvitation, RoleGrantRequest, TwoFactorResetRequest
from agencies.sessions import FRESH_AUTH_AT
from tests.agencies.account_cases import request_dsl_role, token_of
from tests.audit_helpers import assert_audit, audit_checkpoint, new_audit_events
from tests.two_factor_helpers import ensure_authenticator, set_session_value

User = get_user_model()
pytestmark = pytest.mark.django_db
NEW_PASSWORD = "a quiet lantern over seven bridges"


def _roles(user) -> set[str]:
    return set(Membership.objects.get(user=user).roles.values_list("code", flat=True))


# --- The attack, and the rule behind it ---------------------------------------------------------------


def test_an_administrator_cannot_give_themselves_a_case_role_through_the_change_form(world, client_for):
    """The reported attack: one POST to the membership change form added mash_lead to the admin's own
    membership, and /subjects/ then answered 200. Now it is refused, recorded, and changes nothing."""
    from tests.cases import build_cases

    cases = build_cases(world)
    admin = world.user("administrator")
    membership = Membership.objects.get(user=admin)
    client = client_for("administrator")
    audit_checkpoint()
    response = client.post(reverse("admin:agencies_membership_change", args=[membership.pk]), {
        "user": admin.pk, "agency": world.agencies["lambeth_mash"].pk,
        "roles": [RoleCode.ADMINISTRATOR, RoleCode.MASH_LEAD], "is_active": "on"})
    assert response.status_code == 200  # the form again, with the refusal
    assert "cannot add a case role to your own account" in response.content.decode()
    membership.refresh_from_db()
    assert _roles(admin) == {RoleCode.ADMINISTRATOR}
    assert membership.agency == world.agencies["governance"]
    assert not RoleGrantRequest.objects.exists()
    event = assert_audit("update", actor=admin, object_type="membership", reference=admin.pk, outcome="denied")
    assert event.detail["reason"] == "own_account"
    assert client.get(reverse("subject-list")).status_code == 404
    subject = cases.subjects["lambeth_school"]
    assert client.get(reverse("subject-detail", kwargs={"reference": subject.reference})).status_code == 404


def test_dropping_the_administrator_role_for_a_case_role_in_one_step_is_refused(world, client_for):
    admin = world.user("administrator")
    membership = Membership.objects.get(user=admin)
    response = client_for("administrator").post(
        reverse("admin:agencies_membership_change", args=[membership.pk]),
        {"user": admin.pk, "agency": world.agencies["lambeth_mash"].pk, "roles": [RoleCode.MASH_LEAD],
         "is_active": "on"})
    assert response.status_code == 200
    assert _roles(admin) == {RoleCode.ADMINISTRATOR}


@pytest.mark.parametrize("role", sorted(RoleCode.values))
def test_no_case_role_on_the_administrators_own_account(world, role):
    admin = world.user("administrator")
    if role == RoleCode.ADMINISTRATOR:
        services.do_set_membership(user=admin, agency=world.agencies["governance"], roles=[role], actor=admin)
        assert _roles(admin) == {RoleCode.ADMINISTRATOR}
        return
    with pytest.raises(ValidationError):
        services.do_set_membership(user=admin, agency=world.agencies["governance"],
                                   roles=[RoleCode.ADMINISTRATOR, role], actor=admin)
    with pytest.raises(ValidationError):
        services.do_set_membership(user=admin, agency=world.agencies["governance"], roles=[role], actor=admin)
    assert _roles(admin) == {RoleCode.ADMINISTRATOR}
    assert not RoleGrantRequest.objects.exists()


@pytest.mark.parametrize("role", sorted(set(RoleCode.values) - {RoleCode.ADMINISTRATOR}))
def test_no_case_role_on_another_administrators_account(world, role):
    other = world.user("administrator_2")
    with pytest.raises(ValidationError) as refused:
        services.do_set_membership(user=other, agency=world.agencies["governance"],
                                   roles=[RoleCode.ADMINISTRATOR, role], actor=world.user("administrator"))
    assert "administrator" in str(refused.value)
    assert _roles(other) == {RoleCode.ADMINISTRATOR}
    event = assert_audit("update", actor=world.user("administrator"), object_type="membership", outcome="denied")
    assert event.detail["reason"] == "administrator_account"


def test_not_even_the_system_combines_the_administrator_role_with_a_case_role(world):
    with pytest.raises(ValidationError):
        services.do_set_membership(user=world.user("administrator"), agency=world.agencies["governance"],
                                   roles=[RoleCode.ADMINISTRATOR, RoleCode.AUDITOR], actor=None)
    with pytest.raises(ValidationError):
        services.do_create_user(username="both.roles", agency=world.agencies["governance"],
                                roles=[RoleCode.ADMINISTRATOR, RoleCode.DSL], actor=None)
    assert not User.objects.filter(username="both.roles").exists()


def test_the_administrator_role_is_refused_to_someone_who_holds_a_case_role(world):
    teacher = world.user("teacher_lambeth")
    with pytest.raises(ValidationError):
        services.do_set_membership(user=teacher, agency=world.agencies["lambeth_school"],
                                   roles=[RoleCode.PRACTITIONER, RoleCode.ADMINISTRATOR],
                                   actor=world.user("administrator"))
    assert _roles(teacher) == {RoleCode.PRACTITIONER}


def test_only_administrators_set_memberships(world):
    with pytest.raises(ValidationError):
        services.do_set_membership(user=world.user("teacher_lambeth"), agency=world.agencies["lambeth_school"],
                                   roles=[RoleCode.DSL], actor=world.user("mash_lambeth"))


# --- Four eyes on case roles ----------------------------------------------------------------------------


def test_a_case_role_added_by_an_administrator_waits_for_a_second_one(world):
    admin = world.user("administrator")
    teacher = world.user("teacher_lambeth")
    services.do_set_membership(user=teacher, agency=world.agencies["lambeth_school"],
                               roles=[RoleCode.PRACTITIONER, RoleCode.DSL], actor=admin)
    assert _roles(teacher) == {RoleCode.PRACTITIONER}
    event = assert_audit("update", actor=admin, object_type="membership", reference=teacher.membership.pk)
    assert event.detail["requested"] == "dsl" and event.detail["roles"] == "practitioner"
    grant = RoleGrantRequest.objects.get()
    assert (grant.user, grant.role_id, grant.requested_by, grant.status) == (teacher, "dsl", admin, "pending")
    assert grant.expires_at - grant.requested_at == timedelta(days=7)
    # (The update event was consumed above; the request has its own.)


def test_asking_writes_one_event_for_the_request(world):
    grant = request_dsl_role(world, "teacher_lambeth", "administrator")
    events = [(e.action, e.object_type) for e in new_audit_events()]
    assert events == [("update", "membership"), ("create", "role_grant")]
    assert new_audit_events()[-1].reference == str(grant.reference)
    # Asking again for the same role keeps the one request.
    request_dsl_role(world, "teacher_lambeth", "administrator")
    assert RoleGrantRequest.objects.count() == 1


def test_the_administrator_who_asked_cannot_approve(world):
    admin = world.user("administrator")
    grant = request_dsl_role(world, "teacher_lambeth", "administrator")
    audit_checkpoint()
    with pytest.raises(PermissionDenied):
        services.do_approve_role_grant(grant, actor=admin)
    event = assert_audit("decide", actor=admin, object_type="role_grant", reference=grant.reference,
                         outcome="denied")
    assert event.detail["reason"] == "own_request"
    grant.refresh_from_db()
    assert grant.status == RequestStatus.PENDING
    assert _roles(world.user("teacher_lambeth")) == {RoleCode.PRACTITIONER}


@pytest.mark.parametrize("persona", ["mash_lambeth", "auditor", "teacher_lambeth"])
def test_only_administrators_decide(world, persona):
    grant = request_dsl_role(world, "teacher_lambeth", "administrator")
    with pytest.raises(PermissionDenied):
        services.do_approve_role_grant(grant, actor=world.user(persona))
    assert _roles(world.user("teacher_lambeth")) == {RoleCode.PRACTITIONER}


def test_a_second_administrator_approves_and_the_role_is_given(world):
    grant = request_dsl_role(world, "teacher_lambeth", "administrator")
    audit_checkpoint()
    second = world.user("administrator_2")
    decided = services.do_approve_role_grant(grant, actor=second)
    assert decided.status == RequestStatus.APPROVED and decided.decided_by == second
    assert _roles(world.user("teacher_lambeth")) == {RoleCode.PRACTITIONER, RoleCode.DSL}
    decision, change = new_audit_events()
    assert (decision.action, decision.object_type, decision.reference) == ("decide", "role_grant", str(grant.reference))
    assert decision.actor_id == second.pk
    assert decision.detail["status"] == "approved" and decision.detail["role"] == "dsl"
    assert (change.action, change.object_type, change.actor_id) == ("update", "membership", second.pk)
    assert change.detail["granted"] == "dsl"
    audit_checkpoint()
    with pytest.raises(ValidationError):  # decided once only
        services.do_approve_role_grant(grant, actor=second)


def test_a_second_administrator_refuses_and_nothing_changes(world):
    grant = request_dsl_role(world, "teacher_lambeth", "administrator")
    audit_checkpoint()
    decided = services.do_refuse_role_grant(grant, actor=world.user("administrator_2"))
    assert decided.status == RequestStatus.REFUSED
    assert _roles(world.user("teacher_lambeth")) == {RoleCode.PRACTITIONER}
    event = assert_audit("decide", object_type="role_grant", reference=grant.reference)
    assert event.detail["status"] == "refused"
    assert new_audit_events() == []


def test_an_expired_request_cannot_be_approved(world):
    grant = request_dsl_role(world, "teacher_lambeth", "administrator")
    RoleGrantRequest.objects.filter(pk=grant.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    audit_checkpoint()
    decided = services.do_approve_role_grant(grant, actor=world.user("administrator_2"))
    assert decided.status == RequestStatus.EXPIRED
    assert _roles(world.user("teacher_lambeth")) == {RoleCode.PRACTITIONER}
    event = assert_audit("decide", object_type="role_grant", reference=grant.reference)
    assert event.detail["status"] == "expired" and event.actor_id is None
    # Asking again makes a new request.
    request_dsl_role(world, "teacher_lambeth", "administrator")
    assert RoleGrantRequest.objects.filter(status="pending").count() == 1


def test_approval_is_refused_when_the_account_became_an_administrator_meanwhile(world):
    teacher = world.user("teacher_lambeth")
    grant = request_dsl_role(world, "teacher_lambeth", "administrator")
    services.do_set_membership(user=teacher, agency=world.agencies["governance"], roles=[RoleCode.ADMINISTRATOR],
                               actor=world.user("administrator_2"))
    with pytest.raises(ValidationError):
        services.do_approve_role_grant(grant, actor=world.user("administrator_2"))
    assert _roles(teacher) == {RoleCode.ADMINISTRATOR}


def test_approval_is_refused_when_the_account_moved_agency_meanwhile(world):
    teacher = world.user("teacher_lambeth")
    grant = request_dsl_role(world, "teacher_lambeth", "administrator")
    services.do_set_membership(user=teacher, agency=world.agencies["southwark_school"],
                               roles=[RoleCode.PRACTITIONER], actor=world.user("administrator"))
    with pytest.raises(ValidationError):
        services.do_approve_role_grant(grant, actor=world.user("administrator_2"))
    assert _roles(teacher) == {RoleCode.PRACTITIONER}


def test_removing_a_role_needs_no_approval(world):
    dsl = world.user("dsl_lambeth")
    services.do_set_membership(user=dsl, agency=world.agencies["lambeth_school"], roles=[RoleCode.PRACTITIONER],
                               actor=world.user("administrator"))
    assert _roles(dsl) == {RoleCode.PRACTITIONER}
    assert not RoleGrantRequest.objects.exists()


def test_a_new_user_gets_no_case_role_and_no_password_from_an_administrator(world):
    admin = world.user("administrator")
    with pytest.raises(ValidationError):
        services.do_create_user(username="new.teacher", password="typed by the admin 123",
                                agency=world.agencies["lambeth_school"], roles=[RoleCode.PRACTITIONER], actor=admin)
    user = services.do_create_user(username="new.teacher", agency=world.agencies["lambeth_school"],
                                   roles=[RoleCode.PRACTITIONER], actor=admin)
    assert not user.has_usable_password()
    assert _roles(user) == set()
    created, asked = new_audit_events()
    assert (created.action, created.object_type, created.reference) == ("create", "user", str(user.pk))
    assert created.detail["requested"] == "practitioner"
    assert (asked.action, asked.object_type, asked.actor_id) == ("create", "role_grant", admin.pk)
    assert Client().post("/sign-in/", {"username": "new.teacher", "password": ""}).status_code == 200


def test_the_approval_pages_work_for_a_second_administrator(world, client_for):
    grant = request_dsl_role(world, "teacher_lambeth", "administrator")
    own = client_for("administrator").get(reverse("approval-list")).content.decode()
    assert "You asked for this" in own and reverse("approval-approve", args=[grant.reference]) not in own
    second = client_for("administrator_2")
    page = second.get(reverse("approval-list")).content.decode()
    assert reverse("approval-approve", args=[grant.reference]) in page and "teacher_lambeth" in page
    response = second.post(reverse("approval-approve", args=[grant.reference]), follow=True)
    assert "You approved the Designated safeguarding lead role for teacher_lambeth" in response.content.decode()
    assert "There are no case roles waiting for approval." in response.content.decode()
    assert _roles(world.user("teacher_lambeth")) == {RoleCode.PRACTITIONER, RoleCode.DSL}
    # The one who asked gets 403 and changes nothing.
    other = request_dsl_role(world, "gp_lambeth", "administrator")
    assert client_for("administrator").post(reverse("approval-refuse", args=[other.reference])).status_code == 403
    other.refresh_from_db()
    assert other.status == RequestStatus.PENDING


def test_deciding_asks_for_a_fresh_second_factor(world, client_for):
    grant = request_dsl_role(world, "teacher_lambeth", "administrator")
    client = client_for("administrator_2")
    set_session_value(client, FRESH_AUTH_AT, 0)
    response = client.post(reverse("approval-approve", args=[grant.reference]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("step-up"))
    grant.refresh_from_db()
    assert grant.status == RequestStatus.PENDING


def test_changing_a_membership_in_administration_asks_for_a_fresh_second_factor(world, client_for):
    teacher = world.user("teacher_lambeth")
    client = client_for("administrator")
    set_session_value(client, FRESH_AUTH_AT, 0)
    response = client.post(reverse("admin:agencies_membership_change", args=[teacher.membership.pk]),
                           {"user": teacher.pk, "agency": world.agencies["lambeth_school"].pk,
                            "roles": [RoleCode.PRACTITIONER, RoleCode.DSL], "is_active": "on"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("step-up"))
    assert not RoleGrantRequest.objects.exists()


def test_the_membership_form_turns_a_case_role_into_a_request(world, client_for):
    teacher = world.user("teacher_lambeth")
    response = client_for("administrator").post(
        reverse("admin:agencies_membership_change", args=[teacher.membership.pk]),
        {"user": teacher.pk, "agency": world.agencies["lambeth_school"].pk,
         "roles": [RoleCode.PRACTITIONER, RoleCode.MASH_LEAD], "is_active": "on"}, follow=True)
    assert "Waiting for a second administrator" in response.content.decode()
    assert _roles(teacher) == {RoleCode.PRACTITIONER}
    assert RoleGrantRequest.objects.get().role_id == RoleCode.MASH_LEAD


def test_reverting_a_membership_from_its_history_is_refused(world, client_for):
    dsl = world.user("dsl_lambeth")
    membership = dsl.membership
    services.do_set_membership(user=dsl, agency=world.agencies["lambeth_school"], roles=[RoleCode.PRACTITIONER],
                               actor=world.user("administrator"))
    old = membership.history.order_by("history_id").first()
    url = reverse("admin:agencies_membership_simple_history", args=[membership.pk, old.history_id])
    response = client_for("administrator").post(url, {"user": dsl.pk, "agency": membership.agency_id,
                                                      "roles": [RoleCode.PRACTITIONER, RoleCode.DSL],
                                                      "is_active": "on"})
    assert response.status_code == 403
    assert _roles(dsl) == {RoleCode.PRACTITIONER}


# --- Four eyes on second-factor resets ------------------------------------------------------------------


def test_a_two_factor_reset_needs_a_second_administrator(world, client_for):
    user = world.user("mash_lambeth")
    member = client_for("mash_lambeth")
    key = member.session.session_key
    admin, second = world.user("administrator"), world.user("administrator_2")
    response = client_for("administrator").post(reverse("admin:auth_user_changelist"),
                                                {"action": "request_two_factor_reset", "_selected_action": [user.pk]})
    assert response.status_code == 302
    assert TOTPDevice.objects.filter(user=user).exists()  # nothing yet
    reset = TwoFactorResetRequest.objects.get(user=user)
    assert_audit("create", actor=admin, object_type="two_factor_reset", reference=reset.reference)
    with pytest.raises(PermissionDenied):
        services.do_approve_two_factor_reset(reset, actor=admin)
    assert_audit("decide", actor=admin, object_type="two_factor_reset", outcome="denied")
    assert TOTPDevice.objects.filter(user=user).exists()

    services.do_approve_two_factor_reset(reset, actor=second)
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not Session.objects.filter(session_key=key).exists()
    decision, revoked = new_audit_events()
    assert (decision.action, decision.object_type, decision.reference) == (
        "decide", "two_factor_reset", str(reset.reference))
    assert decision.actor_id == second.pk and decision.detail["status"] == "approved"
    assert (revoked.action, revoked.object_type, revoked.reference) == ("revoke", "two_factor", str(user.pk))
    assert revoked.detail["sessions_ended"] == 1 and revoked.detail["by_self"] is False


def test_an_administrator_cannot_reset_someone_elses_second_factor_directly(world):
    user = world.user("mash_lambeth")
    ensure_authenticator(user)
    with pytest.raises(PermissionDenied):
        services.do_reset_two_factor(user=user, actor=world.user("administrator"))
    assert TOTPDevice.objects.filter(user=user).exists()


def test_a_refused_or_expired_reset_changes_nothing(world):
    user = world.user("mash_lambeth")
    ensure_authenticator(user)
    reset = services.do_request_two_factor_reset(user=user, actor=world.user("administrator"))
    with pytest.raises(ValidationError):  # one pending request per account
        services.do_request_two_factor_reset(user=user, actor=world.user("administrator_2"))
    services.do_refuse_two_factor_reset(reset, actor=world.user("administrator_2"))
    again = services.do_request_two_factor_reset(user=user, actor=world.user("administrator"))
    TwoFactorResetRequest.objects.filter(pk=again.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert services.do_approve_two_factor_reset(again, actor=world.user("administrator_2")).status == "expired"
    assert TOTPDevice.objects.filter(user=user).exists()


# --- Set-password links ------------------------------------------------------------------------------


def _invite(world, persona="teacher_lambeth", actor=None):
    return services.do_create_invitation(user=world.user(persona), actor=actor)


def test_a_link_sets_the_password_once(world):
    link = _invite(world)
    event = assert_audit("create", object_type="invitation", reference=link.invitation.pk)
    assert event.detail["user"] == world.user("teacher_lambeth").pk
    assert PasswordInvitation.objects.get().token_digest != token_of(link)  # only a digest is stored
    token = token_of(link)
    url = reverse("set-password", kwargs={"token": token})
    page = Client().get(url)
    assert page.status_code == 200 and "teacher_lambeth" in page.content.decode()
    assert page["Referrer-Policy"] == "no-referrer"
    response = Client().post(url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert_audit("update", object_type="invitation", reference=link.invitation.pk)
    assert User.objects.get(username="teacher_lambeth").check_password(NEW_PASSWORD)
    used = Client().post(url, {"new_password1": "another " + NEW_PASSWORD, "new_password2": "another " + NEW_PASSWORD})
    assert used.status_code == 404 and "This link has expired or has been used" in used.content.decode()
    assert User.objects.get(username="teacher_lambeth").check_password(NEW_PASSWORD)


def test_expired_revoked_and_unknown_links_look_the_same(world):
    expired = _invite(world, "gp_lambeth")
    PasswordInvitation.objects.filter(pk=expired.invitation.pk).update(expires_at=timezone.now())
    older = _invite(world, "police_lambeth")
    newer = _invite(world, "police_lambeth")  # makes the older one stop working
    answers = set()
    real = token_of(newer)
    # One character changed (to one it is not: a 256-bit token ends in "A" one time in sixteen).
    changed = real[:-1] + ("B" if real.endswith("A") else "A")
    for token in [token_of(expired), token_of(older), "not-a-real-token-" + "x" * 26, changed]:
        response = Client().get(reverse("set-password", kwargs={"token": token}))
        html = response.content.decode()
        # The same page, but for the per-response CSP nonce.
        answers.add((response.status_code, re.sub(r'nonce="[^"]*"', "", html)))
    assert len(answers) == 1 and answers.pop()[0] == 404
    assert Client().get(reverse("set-password", kwargs={"token": token_of(newer)})).status_code == 200


def test_a_weak_or_mismatched_password_is_refused_with_a_clear_message(world):
    url = reverse("set-password", kwargs={"token": token_of(_invite(world))})
    short = Client().post(url, {"new_password1": "short", "new_password2": "short"}).content.decode()
    assert "govuk-error-summary" in short and "too short" in short
    mismatch = Client().post(url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "!"})
    assert "Enter the same password in both boxes." in mismatch.content.decode()
    assert not PasswordInvitation.objects.get().used_at


def test_setting_the_password_ends_the_old_sessions(world, client_for):
    old = client_for("teacher_lambeth")
    key = old.session.session_key
    url = reverse("set-password", kwargs={"token": token_of(_invite(world))})
    Client().post(url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert not Session.objects.filter(session_key=key).exists()


def test_a_link_for_a_case_role_holder_is_only_emailed(world):
    admin = world.user("administrator")
    teacher = world.user("teacher_lambeth")
    with pytest.raises(ValidationError):  # no address to send it to
        services.do_create_invitation(user=teacher, actor=admin)
    teacher.email = "teacher@example.org"
    teacher.save()
    mail.outbox.clear()
    with pytest.raises(PermissionDenied):
        services.do_create_invitation(user=teacher, actor=world.user("mash_lambeth"))
    link = services.do_create_invitation(user=teacher, actor=admin)
    assert link.emailed_only


def test_the_invited_mash_lead_sets_up_a_second_factor_at_first_sign_in(world, django_capture_on_commit_callbacks):
    admin, second = world.user("administrator"), world.user("administrator_2")
    user = services.do_create_user(username="new.mash", email="new.mash@example.org",
                                   agency=world.agencies["lambeth_mash"], roles=[RoleCode.MASH_LEAD], actor=admin)
    with django_capture_on_commit_callbacks(execute=True):
        link = services.do_create_invitation(user=user, actor=admin)
    assert not link.emailed_only  # no case role held yet: shown to pass on
    assert len(mail.outbox) == 1 and link.url in mail.outbox[0].body and "new.mash" not in mail.outbox[0].body
    services.do_approve_role_grant(RoleGrantRequest.objects.get(user=user), actor=second)
    Client().post(reverse("set-password", kwargs={"token": token_of(link)}),
                  {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    client = Client()
    response = client.post("/sign-in/", {"username": "new.mash", "password": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"].startswith(reverse("two-factor-setup"))
    assert client.get(reverse("subject-list")).status_code == 302  # nothing before the second factor


def test_the_add_user_form_has_no_password_and_shows_the_link_once(world, client_for):
    client = client_for("administrator")
    form = client.get(reverse("admin:auth_user_add")).content.decode()
    assert 'name="password1"' not in form and 'name="password2"' not in form and 'name="roles"' in form
    response = client.post(reverse("admin:auth_user_add"), {
        "username": "new.nurse", "first_name": "New", "last_name": "Nurse", "email": "",
        "agency": world.agencies["lambeth_school"].pk, "roles": [RoleCode.PRACTITIONER]})
    assert response.status_code == 200
    html = response.content.decode()
    invitation = PasswordInvitation.objects.get(user__username="new.nurse")
    assert "/set-password/" in html and invitation.token_digest not in html
    user = User.objects.get(username="new.nurse")
    assert not user.has_usable_password() and _roles(user) == set()
    assert RoleGrantRequest.objects.get(user=user).role_id == RoleCode.PRACTITIONER


def test_administrators_never_type_a_password(world, client_for):
    client = client_for("administrator")
    teacher = world.user("teacher_lambeth")
    with pytest.raises(NoReverseMatch):
        reverse("admin:auth_user_password_change", args=[teacher.pk])
    assert client.get(f"/administration/auth/user/{teacher.pk}/password/").status_code in (302, 404)
    page = client.get(reverse("admin:auth_user_change", args=[teacher.pk])).content.decode()
    assert "password" not in page.lower().split("<form", 1)[1].split("</form>", 1)[0].replace(
        "set-password", "")
    response = client.post(reverse("admin:auth_user_changelist"),
                           {"action": "make_set_password_links", "_selected_action": [world.user("no_membership").pk]})
    assert response.status_code == 200 and "/set-password/" in response.content.decode()


# --- The auditors' review ------------------------------------------------------------------------------


def test_the_anomalies_page_lists_role_grants_and_two_factor_resets(world, client_for):
    grant = request_dsl_role(world, "teacher_lambeth", "administrator")
    services.do_approve_role_grant(grant, actor=world.user("administrator_2"))
    ensure_authenticator(world.user("mash_lambeth"))
    reset = services.do_request_two_factor_reset(user=world.user("mash_lambeth"), actor=world.user("administrator"))
    with pytest.raises(ValidationError):
        services.do_set_membership(user=world.user("administrator"), agency=world.agencies["governance"],
                                   roles=[RoleCode.MASH_LEAD], actor=world.user("administrator"))
    html = client_for("auditor").get(reverse("audit-anomalies")).content.decode()
    grants = html.split('data-rule="role-grants"', 1)[1].split("</div>", 1)[0]
    assert str(grant.reference) in grants and "Approved" in grants and "Requested" in grants
    assert "own_account" in grants
    resets = html.split('data-rule="two-factor-resets"', 1)[1].split("</div>", 1)[0]
    assert str(reset.reference) in resets


def test_the_address_of_a_case_role_holder_cannot_be_changed_by_an_administrator(world, client_for):
    # Links for case-role holders go only to that address: changing it would redirect them.
    client = client_for("administrator")
    teacher = world.user("teacher_lambeth")
    assert 'name="email"' not in client.get(reverse("admin:auth_user_change", args=[teacher.pk])).content.decode()
    lonely = world.user("no_membership")
    assert 'name="email"' in client.get(reverse("admin:auth_user_change", args=[lonely.pk])).content.decode()
