"""The auditors' pages: filters, pagination, export, disclosure log, anomalies and chain status."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from agencies.models import Borough
from audit.api import record
from audit.models import AccessEvent, VerificationRun
from tests.audit_helpers import as_service, assert_audit
from tests.personas import MEMBER_PERSONAS

pytestmark = pytest.mark.django_db
SUBJECT_NAME = "Tallulah Canaryname"


@pytest.fixture
def auditor(client_for):
    return client_for("auditor")


@pytest.fixture
def trail(world):
    lambeth = Borough.objects.get(name="Lambeth")
    mash = world.user("mash_lambeth")
    for n in range(7):
        record("view", actor=mash, object_type="subject", reference=f"SUB-{n:04d}", borough=lambeth)
    record("view", actor=world.user("teacher_lambeth"), object_type="subject", reference="SUB-0001",
           borough=lambeth, outcome="denied")
    as_service("do_decide_referral", lambda: record("decide", actor=mash, object_type="referral",
                                                    reference="REF-0001", borough=lambeth,
                                                    purpose="Section 47 enquiry"))


def test_the_auditor_finds_the_pages_from_home_and_the_navigation(auditor):
    page = auditor.get(reverse("home")).content.decode()
    for name in ["audit-log", "audit-object", "audit-anomalies", "audit-chain"]:
        assert f'href="{reverse(name)}"' in page
    assert "Access trail" in page


def test_nobody_else_is_shown_the_links(client_for):
    for persona in MEMBER_PERSONAS:
        if persona != "auditor":
            assert reverse("audit-log") not in client_for(persona).get(reverse("home")).content.decode()


@pytest.mark.parametrize("persona", [p for p in MEMBER_PERSONAS if p != "auditor"])
def test_non_auditors_get_404_on_a_disclosure_log_and_it_is_recorded(client_for, trail, persona):
    response = client_for(persona).get(reverse("audit-object", args=["subject", "SUB-0001"]))
    assert response.status_code == 404
    assert_audit("view", object_type="disclosure_log", outcome="denied")


def test_the_trail_lists_events_with_filters(auditor, trail, world):
    page = auditor.get(reverse("audit-log"), {"actor": "mash_lambeth", "action": "decide"})
    assert page.status_code == 200
    body = page.content.decode()
    assert "REF-0001" in body and "SUB-0003" not in body and "Section 47 enquiry" in body
    event = assert_audit("list", actor=world.user("auditor"), object_type="access_event")
    assert event.detail == {"filters": "actor,action"}
    denied = auditor.get(reverse("audit-log"), {"outcome": "denied",
                                                "agency": world.agencies["lambeth_school"].pk})
    assert "SUB-0001" in denied.content.decode() and "SUB-0002" not in denied.content.decode()
    today = timezone.localdate().isoformat()
    same_day = {"date_from": today, "date_to": today}
    assert "SUB-0002" in auditor.get(reverse("audit-log"), same_day).content.decode()
    assert "SUB-0002" not in auditor.get(reverse("audit-log"), {"date_to": "2020-01-01"}).content.decode()


@pytest.mark.parametrize(("params", "message"), [
    ({"action": "steal"}, "Choose an action from the list."),
    ({"outcome": "maybe"}, "Choose allowed or denied."),
    ({"reference": "Jane Doe"}, "not a name"),
    ({"date_from": "2025-02-30"}, "real date"),
    ({"date_from": "2025-03-02", "date_to": "2025-03-01"}, "after the start date"),
    ({"agency": "999999"}, "Choose an agency"),
    ({"before": "abc"}, "not valid"),
    ({"actor": "a b"}, "user account name"),
])
def test_bad_filters_are_refused_with_a_clear_message(auditor, trail, params, message):
    response = auditor.get(reverse("audit-log"), params)
    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body and message in body and 'data-event="' not in body


@override_settings(AUDIT_PAGE_SIZE=3)
def test_keyset_pages_cover_every_event_once_with_constant_queries(auditor, trail):
    seen, url, counts = [], reverse("audit-log") + "?action=view", []
    while url:
        with CaptureQueriesContext(connection) as queries:
            response = auditor.get(url)
        counts.append(len(queries))
        body = response.content.decode()
        seen += [int(part.split('"')[0]) for part in body.split('data-event="')[1:]]
        marker = 'rel="next"'
        url = None
        if marker in body:
            href = body.split(marker)[0].rsplit('href="', 1)[1].split('"')[0]
            url = reverse("audit-log") + href.replace("&amp;", "&")
    expected = list(AccessEvent.objects.filter(action="view").exclude(object_type="access_event")
                     .order_by("-id").values_list("id", flat=True))
    assert [i for i in seen if i in expected] == [i for i in expected if i in seen]
    assert set(expected) <= set(seen)
    assert len(set(counts[:-1])) <= 1 and max(counts) - min(counts) <= 1, counts


def test_export_is_a_csv_of_the_filtered_trail_and_is_itself_recorded(auditor, trail, world):
    response = auditor.get(reverse("audit-export"), {"object_type": "subject"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert {row["object_type"] for row in rows} == {"subject"} and len(rows) == 8
    assert all(len(row["hash"]) == 64 for row in rows)
    event = assert_audit("export", actor=world.user("auditor"), object_type="access_event")
    assert event.detail == {"filters": "object_type"}


def test_the_disclosure_log_shows_who_saw_an_object(auditor, trail, world):
    response = auditor.get(reverse("audit-object", args=["subject", "SUB-0001"]))
    body = response.content.decode()
    assert response.status_code == 200 and "mash_lambeth" in body and "teacher_lambeth" in body
    assert "Lambeth Test MASH" in body and "SUB-0002" not in body
    assert_audit("view", actor=world.user("auditor"), object_type="disclosure_log", reference="SUB-0001")
    lookup = auditor.get(reverse("audit-object"), {"object_type": "subject", "reference": "SUB-0001"})
    assert lookup.status_code == 302 and lookup["Location"].endswith("/audit/object/subject/SUB-0001/")


def test_auditors_never_see_a_subjects_name(auditor, trail):
    # The trail cannot hold a name (references only), so no auditor page can show one.
    with pytest.raises(Exception):  # noqa: B017 - ValidationError, whatever wraps it
        record("view", actor=None, object_type="subject", reference=SUBJECT_NAME)
    pages = [reverse(n) for n in ["audit-log", "audit-anomalies", "audit-chain", "audit-object"]]
    pages.append(reverse("audit-object", args=["subject", "SUB-0001"]))
    for url in pages:
        assert "Canaryname" not in auditor.get(url).content.decode()


@override_settings(AUDIT_ANOMALY_RULES={
    "lookback_days": 7, "subjects_per_hour": 3, "subject_object_types": ["subject"], "denials_per_hour": 2,
    "working_hours": (7, 19), "working_days": [1, 2, 3, 4, 5], "max_rows": 50,
})
def test_anomaly_rules_flag_what_they_should(auditor, world):
    mash, teacher = world.user("mash_lambeth"), world.user("teacher_lambeth")
    # A Wednesday, 10:00 and 23:30 London time (GMT in November).
    day = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    now = day + timedelta(hours=14)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: day)
        for n in range(4):
            record("view", actor=mash, object_type="subject", reference=f"SUB-{n}")
        for _ in range(2):
            record("view", actor=teacher, object_type="subject", reference="SUB-9", outcome="denied")
        as_service("do_open_break_glass", lambda: record("break_glass", actor=mash, object_type="subject",
                                                         reference="SUB-7", purpose="Emergency"))
        patch.setattr(timezone, "now", lambda: day.replace(hour=23, minute=30))
        record("view", actor=teacher, object_type="subject", reference="SUB-LATE")
        patch.setattr(timezone, "now", lambda: now)
        body = auditor.get(reverse("audit-anomalies")).content.decode()
    assert body.count('data-rule="many-subjects"') == 1 and "mash_lambeth" in body
    assert body.count('data-rule="repeated-denials"') == 1
    assert "SUB-LATE" in body and "SUB-7" in body and "Emergency" in body
    assert "SUB-0 " not in body


def test_chain_status_shows_chains_and_verification_runs(auditor, trail, world):
    assert "not been verified yet" in auditor.get(reverse("audit-chain")).content.decode()
    response = auditor.post(reverse("audit-verify"))
    assert response.status_code == 302
    run = VerificationRun.objects.get()
    assert run.intact and run.run_by == "auditor"
    body = auditor.get(reverse("audit-chain")).content.decode()
    assert "Intact" in body and "Lambeth" in body and "System events" in body
    # One event for the one change: the run, named by its service (the page's request adds none).
    verify = AccessEvent.objects.get(action="verify", actor=world.user("auditor"))
    assert verify.detail["service"] == "do_verify_trail"
