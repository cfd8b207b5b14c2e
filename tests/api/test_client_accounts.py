"""An API client's account is an agency system's, never a person's. It holds the roles its scopes need (a
practitioner's to submit, the agency DSL's to read outcomes) so that ``restrict`` and the services decide
what it reaches through the API; outside the API it is nobody: it never signs in to the web, is never told
anything (inbox or email), is never listed among the people a lead, an owner or a recipient is chosen from,
and the accounts pages never add a role to it (a role taken away ends its scope at the next call)."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.test import Client, RequestFactory
from django.urls import reverse

from agencies import services as agency_services
from agencies.choices import RoleCode
from agencies.models import Agency
from agencies.sessions import SIGNED_IN_AT
from casework import services as casework_services
from notifications.models import Notification
from referrals import routing, transfers
from risk import queries as risk_queries
from risk.services import register as register_services
from tests.api.clients import ApiCaller, register
from tests.audit_helpers import assert_audit, audit_checkpoint, new_audit_events
from tests.factories import new_concern, new_referral, new_subject, route_to
from tests.personas import PASSWORD


@pytest.fixture
def system(world):
    account = register(world).client.account
    audit_checkpoint()
    return account


def test_a_client_account_cannot_sign_in_to_the_web_even_with_a_password(world, system):
    # However a password came to be set on it (a shell, an old backup), the web refuses it.
    system.set_password(PASSWORD)
    system.save()
    assert authenticate(RequestFactory().post("/"), username=system.username, password=PASSWORD) is None
    browser = Client()
    response = browser.post(reverse("login"), {"username": system.username, "password": PASSWORD})
    assert response.status_code == 200  # the form again, with the usual words for a wrong password
    assert "_auth_user_id" not in browser.session


def test_a_client_accounts_session_is_ended_at_its_next_page(world, system):
    # A session made for it before it was a system's (or by a shell) is worth nothing at the next page.
    browser = Client()
    browser.force_login(system, backend="agencies.backends.RoleBackend")
    session = browser.session
    session[SIGNED_IN_AT] = time.time()
    session.save()
    response = browser.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert response.wsgi_request.user.is_anonymous


def test_no_set_password_link_is_made_for_a_client_account(world, system):
    system.email = "system@example.org"
    system.save()
    with pytest.raises(ValidationError):
        agency_services.do_create_invitation(user=system, actor=world.user("administrator"))
    assert_audit(action="create", object_type="invitation", outcome="denied", only=True)


def test_the_accounts_pages_do_not_widen_a_client_accounts_roles_or_bring_it_back(world, system):
    with pytest.raises(ValidationError):
        agency_services.do_set_membership(user=system, agency=world.agencies["lambeth_school"],
                                          roles=[RoleCode.DSL, RoleCode.PRACTITIONER, RoleCode.MASH_LEAD],
                                          actor=world.user("administrator"))
    with pytest.raises(ValidationError):
        agency_services.do_set_membership(user=system, agency=world.agencies["lambeth_school"],
                                          roles=[RoleCode.DSL, RoleCode.RECEIVING_WORKER],
                                          actor=world.user("administrator"))
    events = new_audit_events()
    assert [(e.action, e.outcome, e.detail["reason"]) for e in events] == [
        ("update", "denied", "system_account")] * 2
    audit_checkpoint()
    system.is_active = False
    system.save()
    with pytest.raises(ValidationError):
        agency_services.do_set_user_active(system, is_active=True, actor=world.user("administrator"))
    assert_audit(action="update", object_type="user", outcome="denied", only=True)
    system.refresh_from_db()
    assert not system.is_active


def test_a_client_account_is_never_told_what_its_agencys_dsls_are_told(world, system):
    concern = new_concern(world, "teacher_lambeth")
    assert Notification.objects.filter(recipient=world.user("dsl_lambeth"), reference=concern.reference).exists()
    referral = new_referral(world, concern.subject, "dsl_lambeth")
    mash = world.user("mash_lambeth")
    referral = routing.do_start_screening(referral, version=referral.version, actor=mash)
    routing.do_decide_referral(referral, reason="Needs support.", version=referral.version, actor=mash,
                               **route_to(world, referral, "early_help"))
    assert Notification.objects.filter(recipient=world.user("dsl_lambeth"), reference=referral.reference).exists()
    assert not Notification.objects.filter(recipient=system).exists()


def test_a_client_account_is_in_no_list_of_people(world, system):
    school = world.agencies["lambeth_school"]
    lambeth = school.borough_id
    assert world.user("dsl_lambeth") in transfers._school_dsls([school.pk])
    assert system not in transfers._school_dsls([school.pk])
    assert system not in routing._members([school.pk], RoleCode.DSL)
    assert system not in casework_services._members([school.pk], RoleCode.DSL, RoleCode.RECEIVING_WORKER)
    assert system not in casework_services.owner_candidates(lambeth)
    assert world.user("dsl_lambeth") in casework_services.owner_candidates(lambeth)
    assert system not in risk_queries.lead_candidates(lambeth)
    assert system not in register_services.mash_leads(lambeth)


def test_registration_marks_the_account_as_a_systems_and_the_api_still_works(world):
    registered = register(world)
    assert registered.client.account.membership.is_system_account
    assert_audit(action="create", object_type="api_client", reference=registered.client.reference)
    subject = new_subject(world, recorder="teacher_lambeth")
    assert subject is not None
    api = ApiCaller(registered)
    assert api.get(reverse("api-concerns")).status_code == 200


def test_people_are_not_system_accounts(world):
    assert not world.user("dsl_lambeth").membership.is_system_account
    assert Agency.objects.filter(pk=world.agencies["lambeth_school"].pk).exists()
