"""The auditor's pages: one event per sign-in, out-of-hours activity grouped by person and day, and trail
tables that stack on a phone (the layout itself is checked in a real browser, tests/browser)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from agencies.two_factor import current_code
from audit.api import record
from audit.models import AccessEvent
from tests.audit_helpers import assert_audit, new_audit_events
from tests.personas import PASSWORD
from tests.two_factor_helpers import ensure_authenticator

pytestmark = pytest.mark.django_db


def _logins(user) -> list[AccessEvent]:
    return [e for e in new_audit_events() if e.action == "login" and e.reference == str(user.pk)]


def test_a_password_only_sign_in_is_one_event(world):
    client = Client()
    assert client.post("/sign-in/", {"username": "teacher_lambeth", "password": PASSWORD}).status_code == 302
    user = world.user("teacher_lambeth")
    event = assert_audit("login", actor=user, object_type="user", reference=user.pk, only=True)
    assert event.detail["factor"] == "password" and event.detail["purpose"] == "sign_in"


def test_a_two_factor_sign_in_is_one_event_written_when_the_code_is_given(world):
    user = world.user("mash_lambeth")
    device = ensure_authenticator(user)
    client = Client()
    assert client.post("/sign-in/", {"username": "mash_lambeth", "password": PASSWORD}).status_code == 302
    # The password alone is not a sign-in: nothing is recorded yet.
    assert _logins(user) == []
    response = client.post(reverse("two-factor-verify"), {"otp_token": current_code(device)})
    assert response.status_code == 302
    logins = _logins(user)
    assert len(logins) == 1, [(e.action, e.detail) for e in logins]
    assert logins[0].detail["factor"] == "totp" and logins[0].detail["purpose"] == "sign_in"
    assert client.get(reverse("home")).status_code == 200
    assert len(_logins(user)) == 1


def test_a_wrong_code_after_the_right_password_is_a_failed_sign_in_not_a_sign_in(world):
    user = world.user("mash_lambeth")
    ensure_authenticator(user)
    client = Client()
    client.post("/sign-in/", {"username": "mash_lambeth", "password": PASSWORD})
    client.post(reverse("two-factor-verify"), {"otp_token": "000000"})
    assert _logins(user) == []
    assert [e.action for e in new_audit_events()] == ["login_failed"]


def test_a_first_sign_in_that_sets_up_an_authenticator_is_one_sign_in_and_the_set_up(world):
    user = world.user("auditor")
    client = Client()
    client.post("/sign-in/", {"username": "auditor", "password": PASSWORD})
    assert len(_logins(user)) == 1
    # The set-up itself is recorded as the new authenticator, not as a second sign-in.
    assert client.get(reverse("two-factor-setup")).status_code == 200
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from agencies.views_two_factor import PENDING_KEY

    key = client.session[PENDING_KEY]
    client.post(reverse("two-factor-setup"), {"otp_token": current_code(TOTPDevice(user=user, key=key))})
    actions = [e.action for e in new_audit_events()]
    assert actions.count("login") == 1 and "create" in actions


RULES = {"lookback_days": 7, "subjects_per_hour": 30, "subject_object_types": ["subject"], "denials_per_hour": 50,
         "working_hours": (7, 19), "working_days": [1, 2, 3, 4, 5], "max_rows": 50}


@override_settings(AUDIT_ANOMALY_RULES=RULES)
def test_outside_working_hours_is_one_row_per_person_and_day(client_for, world):
    mash, teacher = world.user("mash_lambeth"), world.user("teacher_lambeth")
    wednesday = datetime(2026, 11, 25, 21, 0, tzinfo=UTC)  # 21:00 London time (GMT)
    times = [wednesday + timedelta(minutes=m) for m in (0, 15, 90)]
    with pytest.MonkeyPatch.context() as patch:
        for n, at in enumerate(times):
            patch.setattr(timezone, "now", lambda at=at: at)
            record("view", actor=mash, object_type="subject", reference=f"SUB-NIGHT-{n}")
        patch.setattr(timezone, "now", lambda: wednesday + timedelta(days=1, hours=1))  # 22:00 on Thursday
        record("view", actor=mash, object_type="subject", reference="SUB-NEXT")
        record("view", actor=teacher, object_type="subject", reference="SUB-X", outcome="denied")
        patch.setattr(timezone, "now", lambda: wednesday.replace(hour=12))  # in hours: not listed
        record("view", actor=mash, object_type="subject", reference="SUB-DAY")
        patch.setattr(timezone, "now", lambda: wednesday + timedelta(days=2))
        body = client_for("auditor").get(reverse("audit-anomalies")).content.decode()
    rows = body.count("data-out-of-hours-day=")
    assert rows == 3, rows  # mash Wednesday, mash Thursday, teacher Thursday
    assert 'data-out-of-hours-day="mash_lambeth 2026-11-25"' in body
    assert 'data-out-of-hours-day="mash_lambeth 2026-11-26"' in body
    assert 'data-out-of-hours-day="teacher_lambeth 2026-11-26"' in body
    assert "Wednesday 25 November 2026" in body and "21:00 and 22:30" in body
    assert "SUB-NIGHT-0" in body and "SUB-NIGHT-2" in body and "SUB-DAY" not in body
    assert "1 refused" in body
    # Each row links to that person's events of that day on the trail.
    assert "?actor=mash_lambeth&amp;date_from=2026-11-25&amp;date_to=2026-11-25" in body


def test_trail_tables_carry_a_label_for_every_cell(client_for, world):
    record("view", actor=world.user("mash_lambeth"), object_type="subject", reference="SUB-LABEL")
    body = client_for("auditor").get(reverse("audit-log")).content.decode()
    assert "app-table--stacked" in body
    row = body.split('data-event="')[1].split("</tr>")[0]
    assert row.count("<td") == row.count("data-label=") == 8
