"""Sign-ins, failed sign-ins and sign-outs are recorded; what was typed never is."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AccessEvent
from tests.audit_helpers import assert_audit, new_audit_events
from tests.personas import PASSWORD

pytestmark = pytest.mark.django_db
CANARY = "Canary-Philippa-Quested-7731"


def every_stored_value() -> str:
    return "\n".join(str(row) for row in AccessEvent.objects.values())


def test_a_sign_in_and_a_sign_out_are_recorded(world):
    client = Client(REMOTE_ADDR="192.0.2.10")
    client.post("/sign-in/", {"username": "teacher_lambeth", "password": PASSWORD})
    user = world.user("teacher_lambeth")
    event = assert_audit("login", actor=user, object_type="user", reference=user.pk)
    assert event.client_address == "192.0.2.10" and len(event.request_id) == 32
    assert event.actor_agency_id == world.agencies["lambeth_school"].pk
    client.post(reverse("logout"))
    assert_audit("logout", actor=user, object_type="user", reference=user.pk)


def test_a_failed_sign_in_names_an_existing_account_only_by_id(world):
    Client().post("/sign-in/", {"username": "teacher_lambeth", "password": CANARY})
    event = assert_audit("login_failed", object_type="user", reference=world.user("teacher_lambeth").pk,
                         outcome="denied")
    assert event.actor_id is None and event.actor_username == ""
    assert CANARY not in every_stored_value()


def test_a_canary_used_in_requests_never_appears_in_any_event(world, client_for):
    client = Client()
    # As a username that is no account, as a password, and as stray form fields and query strings.
    client.post("/sign-in/", {"username": CANARY, "password": CANARY, "note": CANARY})
    client.post("/sign-in/", {"username": "teacher_lambeth", "password": PASSWORD, "next": f"/?q={CANARY}"})
    client.get(f"/?name={CANARY}")
    auditor = client_for("auditor")  # with the second factor given
    auditor.get(reverse("audit-log"), {"actor": CANARY})
    auditor.get(reverse("audit-log"), {"reference": CANARY})
    auditor.get(reverse("audit-export"), {"reference": CANARY})
    auditor.get(f"/audit/object/subject/{CANARY}/")
    auditor.get(reverse("audit-object"), {"object_type": "subject", "reference": f"{CANARY} Jones"})
    assert len(new_audit_events()) >= 7  # the failed sign-in, the sign-in, five pages
    assert CANARY.lower() not in every_stored_value().lower()
    failed = AccessEvent.objects.filter(action="login_failed").latest("id")
    assert failed.reference == "" and failed.object_type == ""


@pytest.mark.parametrize("persona", ["no_membership", "inactive_membership", "deactivated_user"])
def test_accounts_that_may_not_sign_in_are_recorded_as_failed(world, persona):
    Client().post("/sign-in/", {"username": persona, "password": PASSWORD})
    assert_audit("login_failed", object_type="user", reference=world.user(persona).pk, outcome="denied")
    assert not AccessEvent.objects.filter(action="login").exists()
