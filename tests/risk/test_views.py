"""The register, its export and entry page, and the subject's risk page."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from audit.models import AccessEvent
from risk.models import RegisterEntry
from tests.audit_helpers import assert_audit
from tests.risk.test_services import concern

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_register(world):
    made = [concern(world, "teacher_lambeth", given=f"Reg{n}",
                    indicators=("missing-from-home-or-care",), seriously_worried=True)
            for n in range(3)]
    return [m.subject for m in made]


def test_register_names_each_girl_with_her_age_and_agencies_for_its_mash_leads(client_for, on_register):
    """MASH leads may see names: the register gives name, age and the agencies involved (the CSV export
    keeps to references unless a MASH lead asks for names, below); nothing of it reaches another borough."""
    response = client_for("mash_lambeth").get(reverse("register"))
    html = response.content.decode()
    assert response.status_code == 200
    for subject in on_register:
        assert subject.reference in html
    assert "Reg0 Riskcase" in html and "Lambeth Test Academy" in html
    row = next(r for r in response.context["rows"] if r["reference"] == on_register[0].reference)
    assert row["age"] is not None and row["agencies"] == ["Lambeth Test Academy"]
    assert_audit("list", object_type="register")
    other = client_for("mash_southwark").get(reverse("register")).content.decode()
    assert on_register[0].reference not in other and "Reg0" not in other


def test_register_filters_and_keyset_pages(client_for, on_register, world):
    client = client_for("mash_lambeth")
    assert on_register[0].reference not in client.get(reverse("register"), {"level": "low"}).content.decode()
    assert on_register[0].reference in client.get(reverse("register"), {"level": "high"}).content.decode()
    assert on_register[0].reference not in client.get(reverse("register"), {"overdue": "on"}).content.decode()
    assert on_register[0].reference in client.get(reverse("register"), {"new": "on"}).content.decode()
    agency = world.agencies["lambeth_school"].pk
    assert on_register[0].reference in client.get(reverse("register"), {"agency": agency}).content.decode()
    gp = world.agencies["lambeth_gp"].pk
    assert on_register[0].reference not in client.get(reverse("register"), {"agency": gp}).content.decode()
    import risk.views

    seen = []
    old, risk.views.PAGE_SIZE = risk.views.PAGE_SIZE, 2
    try:
        for sort in ("level", "review", "newest"):
            page = client.get(reverse("register"), {"sort": sort})
            cursor = page.context["next_cursor"]
            assert cursor
            second = client.get(reverse("register"), {"sort": sort, "after": cursor})
            refs = [r["reference"] for r in page.context["rows"]] + [r["reference"] for r in second.context["rows"]]
            assert sorted(refs) == sorted(s.reference for s in on_register)
            seen.append(refs)
        assert client.get(reverse("register"), {"after": "garbage~x"}).status_code == 200
    finally:
        risk.views.PAGE_SIZE = old


def test_register_page_costs_constant_queries(client_for, world, django_assert_max_num_queries):
    client = client_for("mash_lambeth")
    concern(world, "teacher_lambeth", given="Few", indicators=("missing-from-home-or-care",), seriously_worried=True)
    with django_assert_max_num_queries(24) as few:
        client.get(reverse("register"))
    for n in range(8):
        concern(world, "gp_lambeth", given=f"Many{n}",
                indicators=("missing-from-home-or-care",), seriously_worried=True)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("register"))


def test_export_is_audited_and_carries_no_names(client_for, on_register):
    response = client_for("mash_lambeth").get(reverse("register-export"))
    body = response.content.decode()
    assert response["Content-Type"].startswith("text/csv")
    assert on_register[0].reference in body and "Reg0" not in body
    assert_audit("export", object_type="register")


def test_export_with_names_only_when_asked_and_marked_in_the_trail(client_for, on_register, world,
                                                                    django_assert_max_num_queries):
    client = client_for("mash_lambeth")
    plain = list(csv.DictReader(io.StringIO(client.get(reverse("register-export")).content.decode())))
    assert "name" not in plain[0]
    assert assert_audit("export", object_type="register").detail["with_names"] is False

    with django_assert_max_num_queries(40) as few:
        response = client.get(reverse("register-export"), {"names": "yes", "level": ""})
    assert "with-names" in response["Content-Disposition"]
    rows = {row["reference"]: row for row in csv.DictReader(io.StringIO(response.content.decode()))}
    subject = on_register[0]
    row = rows[subject.reference]
    assert row["name"] == f"{subject.given_name} {subject.family_name}"
    assert row["age"].isdigit() and row["agencies involved"]
    event = assert_audit("export", object_type="register")
    # The trail marks that names left; it never holds one.
    assert event.detail["with_names"] is True
    assert subject.given_name not in str(AccessEvent.objects.filter(pk=event.pk).values().first())
    # More girls on the register cost no more queries: keys and agencies are fetched per chunk.
    for n in range(6):
        concern(world, "gp_lambeth", given=f"Named{n}",
                indicators=("missing-from-home-or-care",), seriously_worried=True)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("register-export"), {"names": "yes"})


def test_entry_page_review_remove_and_reinstate(client_for, on_register, world):
    client = client_for("mash_lambeth")
    subject = on_register[0]
    url = reverse("register-entry", kwargs={"reference": subject.reference})
    assert client.get(url).status_code == 200
    # Bad input: a clear message and nothing written.
    response = client.post(url, {"action": "remove", "remove-reason": "  "})
    assert response.status_code == 200 and "required" in response.content.decode()
    assert RegisterEntry.objects.get(subject=subject).is_on
    response = client.post(url, {"action": "review", "outcome": "continue", "notes": "Spoke to school."})
    assert response.status_code == 302
    assert_audit("update", object_type="register_entry", reference=subject.reference)
    # Without a coded reason (or with the code kept for old rows), nothing changes.
    for code in ("", "not_recorded"):
        response = client.post(url, {"action": "remove", "remove-reason_code": code,
                                     "remove-reason": "Support in place"})
        assert response.status_code == 200 and "Choose why she is coming off the register" in response.content.decode()
        assert RegisterEntry.objects.get(subject=subject).is_on
    client.post(url, {"action": "remove", "remove-reason_code": "risk_reduced", "remove-reason": "Support in place"})
    removed = RegisterEntry.objects.get(subject=subject)
    assert (removed.status, removed.removal_reason_code) == ("removed", "risk_reduced")
    client.post(url, {"action": "reinstate", "reinstate-reason": "New concerns"})
    assert RegisterEntry.objects.get(subject=subject).is_on
    html = client.get(url).content.decode()
    assert "Support in place" in html and "Spoke to school." in html
    assert client_for("mash_southwark").get(url).status_code == 404


def test_subject_risk_page_shows_the_explanation_and_chart_to_the_mash_lead_only(
        client_for, world, django_assert_max_num_queries):
    made = concern(world, "teacher_lambeth", given="Nia", indicators=("older-boyfriend-or-associate",))
    concern(world, "gp_lambeth", given="Nia", indicators=("older-boyfriend-or-associate", "missing-from-home-or-care"))
    url = reverse("subject-risk", kwargs={"reference": made.subject.reference})
    mash = client_for("mash_lambeth")
    # 20 before pathways; the MASH lead's page now also shows the recommended pathways: the referrals open
    # for her (1) and, on this process's first page, the active pathway catalogue (1, then cached).
    with django_assert_max_num_queries(22):
        response = mash.get(url)
    html = response.content.decode()
    assert "<svg" in html and "Corroborated" in html and "Lambeth Test Surgery" in html
    assert "style=" not in html
    assert_audit("view", object_type="risk", reference=made.subject.reference)
    teacher = client_for("teacher_lambeth").get(url).content.decode()
    # Never the level: it is drawn from every agency's concerns (DESIGN.md §5.6a).
    assert "Lambeth Test Surgery" not in teacher and "<svg" not in teacher
    assert "Medium" not in teacher and "Current level" not in teacher
    subject_page = client_for("teacher_lambeth").get(reverse("subject-detail", args=[made.subject.reference]))
    assert url in subject_page.content.decode()


def test_the_trajectory_is_drawn_by_the_date_seen_with_thresholds_beside_the_score(client_for, world):
    """A concern recorded today about signs seen 40 days ago is plotted 40 days ago; the thresholds are
    listed beside the score with her level marked; the page says when she was last assessed."""
    import datetime as dt

    from django.utils import timezone

    from risk.chart import points
    from risk.models import Assessment
    from tests.factories import new_concern

    made = new_concern(world, "teacher_lambeth", given="Seenia", family="Datecase", dob=dt.date(2011, 2, 2),
                       indicators=("older-boyfriend-or-associate",), days_ago=40)
    (point,) = points(list(Assessment.objects.filter(subject=made.subject)))
    assert point.seen == timezone.localdate() - dt.timedelta(days=40)
    assert point.assessed_at.date() == timezone.localdate()
    html = client_for("mash_lambeth").get(reverse("subject-risk", kwargs={"reference": made.subject.reference})
                                          ).content.decode()
    seen = point.seen
    assert f"{seen.day} {seen:%b %Y}" in html  # an axis label in words
    assert "Date the signs were seen" in html and "Last assessed" in html
    assert "From a score of" in html and "Her level" in html and "Very high" in html
    assert "veryhigh" not in html.split("Signs that counted")[0]


def test_the_register_entry_history_says_what_changed(client_for, world, on_register):
    from risk.services import register as register_services

    entry = RegisterEntry.objects.get(subject=on_register[0])
    register_services.do_set_lead_professional(entry=entry, lead=world.user("mash_lambeth"),
                                               actor=world.user("mash_lambeth"))
    register_services.do_remove_from_register(entry=RegisterEntry.objects.get(pk=entry.pk),
                                              reason_code="moved_away", reason="Moved away.",
                                              actor=world.user("mash_lambeth"))
    html = client_for("mash_lambeth").get(reverse("register-entry", kwargs={"reference": on_register[0].reference})
                                          ).content.decode()
    assert "Added to the register at high" in html
    assert "Lead professional: not named to Mash Persona" in html
    assert "Removed from the register" in html and "Reason: Moved away." in html
    assert "Rising</strong> means her level went up" in client_for("mash_lambeth").get(reverse("register")
                                                                                        ).content.decode()


@pytest.mark.django_db
def test_the_demo_register_is_consistent_and_not_all_rising(monkeypatch, settings):
    from django.core.management import call_command
    from django.utils import timezone

    from risk.queries import is_rising

    settings.DEBUG = True
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    call_command("seed_demo")
    now, today = timezone.now(), timezone.localdate()
    entries = list(RegisterEntry.objects.select_related("subject__risk"))
    assert all(e.next_review_on >= e.added_at.date() for e in entries)  # never due before she joined
    overdue = [e for e in entries if e.next_review_on < today]
    assert overdue and not any(is_rising(e.subject.risk, now) for e in overdue)
