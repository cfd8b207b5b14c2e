"""The pages of the MASH's decisions about her risk and of protective factors: who reaches them, what a
good and a bad submission do, double submits, and the risk page that shows them (with its query budget)."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AccessEvent
from risk.models import Indicator, ProtectiveFactor, RiskDecision, SubjectRisk
from risk.services import decisions
from tests.audit_helpers import audit_checkpoint, new_audit_events
from tests.risk.test_decisions import GIFTS, concern

pytestmark = pytest.mark.django_db


@pytest.fixture
def girl(world):
    return concern(world, "Iman", [GIFTS, "absent-from-school"], days_ago=10)


def url(name, subject):
    return reverse(name, kwargs={"reference": subject.reference})


def explain_data(**extra):
    return {"indicator": GIFTS, "reason": "Gifts from her uncle, confirmed by her mother.",
            "idempotency_key": str(uuid.uuid4()), **extra}


def test_the_mash_lead_marks_a_sign_explained_and_is_sent_back_to_the_risk_page(client_for, girl):
    client = client_for("mash_lambeth")
    page = client.get(url("risk-explain-sign", girl)).content.decode()
    assert 'value="gifts-from-unknown-sources"' in page and 'value="absent-from-school"' in page
    assert 'value="self-harm"' not in page  # only the signs seen in concerns about her
    audit_checkpoint()
    response = client.post(url("risk-explain-sign", girl), explain_data())
    assert response.status_code == 302 and response["Location"] == url("subject-risk", girl)
    assert [(e.action, e.object_type) for e in new_audit_events()] == [
        ("create", "risk_decision"), ("update", "risk"), ("view", "risk_decision")]
    assert SubjectRisk.objects.get(subject=girl).score == 1  # absent from school still counts
    shown = client.get(response["Location"]).content.decode()
    assert "marked explained and verified" in shown
    assert "Gifts from her uncle, confirmed by her mother." in shown


def test_a_double_submit_records_once_and_answers_the_same(client_for, girl):
    client = client_for("mash_lambeth")
    data = explain_data()
    first = client.post(url("risk-explain-sign", girl), data)
    second = client.post(url("risk-explain-sign", girl), data)
    assert (first.status_code, second.status_code) == (302, 302)
    assert first["Location"] == second["Location"]
    assert RiskDecision.objects.filter(subject=girl).count() == 1
    assert AccessEvent.objects.filter(object_type="risk_decision", action="create").count() == 1


@pytest.mark.parametrize(("name", "data", "message"), [
    ("risk-explain-sign", explain_data(reason="grief"), "at least 10 characters"),
    ("risk-explain-sign", explain_data(indicator="self-harm"), "Choose a sign from the list."),
    ("risk-explain-sign", explain_data(idempotency_key=""), "This form has expired"),
    ("risk-review-level", {"level": "extreme", "reason": "Reviewed at the MASH meeting.",
                           "idempotency_key": str(uuid.uuid4())}, "Choose a level from the list."),
    ("risk-review-level", {"level": "low", "reason": "Reviewed \u202e at MASH.",
                           "idempotency_key": str(uuid.uuid4())}, "hidden or control characters"),
    ("protective-factor-create", {"kind": "trusted_adult", "note": "", "observed_on": "2999-01-01",
                                  "idempotency_key": str(uuid.uuid4())}, "today or in the past"),
    ("protective-factor-create", {"kind": "rich", "note": "", "observed_on": "2026-01-01",
                                  "idempotency_key": str(uuid.uuid4())}, "Choose one of the options given."),
])
def test_bad_input_shows_the_form_again_with_a_clear_message_and_writes_nothing(client_for, girl, name, data,
                                                                               message):
    client = client_for("mash_lambeth")
    audit_checkpoint()
    response = client.post(url(name, girl), data)
    html = response.content.decode()
    assert response.status_code == 200 and "govuk-error-summary" in html and message in html
    assert not RiskDecision.objects.filter(subject=girl).exists()
    assert not ProtectiveFactor.objects.filter(subject=girl).exists()
    assert [e.action for e in new_audit_events()] == ["view"]


def test_a_review_at_once_and_its_who_and_when_on_the_risk_page(client_for, girl, world):
    client = client_for("mash_lambeth")
    response = client.post(url("risk-review-level", girl), {
        "level": "none", "reason": "Uncle confirmed; school reports her settled.",
        "idempotency_key": str(uuid.uuid4())})
    assert response.status_code == 302
    page = client.get(url("subject-risk", girl)).content.decode()
    assert "Latest level review" in page and "Uncle confirmed; school reports her settled." in page
    assert world.user("mash_lambeth").username in page or world.user("mash_lambeth").get_full_name() in page


def test_a_practitioner_records_a_protective_factor_from_the_subject_page(client_for, girl):
    client = client_for("teacher_lambeth")
    subject_page = client.get(url("subject-detail", girl)).content.decode()
    assert url("protective-factor-create", girl) in subject_page
    seen = (timezone.localdate() - dt.timedelta(days=2)).isoformat()
    response = client.post(url("protective-factor-create", girl), {
        "kind": "trusted_adult", "note": "Talks to her <b>form tutor</b>.", "observed_on": seen,
        "idempotency_key": str(uuid.uuid4())})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Protective factor recorded" in page
    assert "Talks to her &lt;b&gt;form tutor&lt;/b&gt;." in page
    # Never a level, never a link to the MASH's decisions for a practitioner.
    assert url("risk-explain-sign", girl) not in page and url("risk-review-level", girl) not in page


@pytest.mark.parametrize(("persona", "links"), [
    ("mash_lambeth", {"risk-explain-sign", "risk-review-level", "protective-factor-create"}),
    ("teacher_lambeth", {"protective-factor-create"}),
    ("dsl_lambeth", {"protective-factor-create"}),
])
def test_the_risk_page_links_each_form_only_for_those_allowed(client_for, girl, persona, links):
    page = client_for(persona).get(url("subject-risk", girl)).content.decode()
    shown = {name for name in ("risk-explain-sign", "risk-review-level", "protective-factor-create")
             if url(name, girl) in page}
    assert shown == links


def test_a_receiving_worker_sees_the_decisions_but_gets_no_forms(client_for, world, cases_shared):
    subject = cases_shared
    decisions.do_record_protective_factor(subject=subject, kind="stable_placement", note="Foster placement.",
                                          observed_on=timezone.localdate(), actor=world.user("mash_southwark"))
    decisions.do_review_risk_level(subject=subject, level="medium", reason="Strategy discussion held.",
                                   actor=world.user("mash_southwark"))
    page = client_for("csc_lambeth").get(url("subject-risk", subject)).content.decode()
    assert "Foster placement." in page and "Strategy discussion held." in page
    for name in ("risk-explain-sign", "risk-review-level", "protective-factor-create"):
        assert url(name, subject) not in page
    assert client_for("csc_lambeth").get(url("protective-factor-create", subject)).status_code == 403


@pytest.fixture
def cases_shared(world):
    from tests.cases import build_cases

    return build_cases(world).subjects["shared"]


def _risk_page_queries(client, subject):
    client.get(url("subject-risk", subject))  # per-process caches (the scoring model, the catalogue)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url("subject-risk", subject)).status_code == 200
    return len(captured)


def test_the_risk_page_keeps_its_query_count_flat_however_many_decisions_and_factors(client_for, world):
    mash = world.user("mash_lambeth")
    client = client_for("mash_lambeth")
    few = concern(world, "Jada", [GIFTS], days_ago=10)
    many = concern(world, "Kemi", [GIFTS, "absent-from-school", "self-harm"], days_ago=10)
    baseline = _risk_page_queries(client, few)
    for code in (GIFTS, "self-harm"):  # absent from school still counts, as her sign does for the other girl
        decisions.do_mark_sign_explained(subject=many, indicator=Indicator.objects.get(code=code),
                                         reason="Explained and checked with her family.", actor=mash)
    for level in ("low", "none"):
        decisions.do_review_risk_level(subject=many, level=level, reason="Reviewed at the MASH meeting.", actor=mash)
    for kind, persona in (("trusted_adult", "teacher_lambeth"), ("attending_education", "dsl_lambeth"),
                          ("stable_placement", "mash_lambeth")):
        decisions.do_record_protective_factor(subject=many, kind=kind, note="Seen this week.",
                                              observed_on=timezone.localdate(), actor=world.user(persona))
    assert _risk_page_queries(client, many) == baseline


@pytest.mark.django_db(transaction=True)
def test_parallel_posts_of_one_form_record_one_protective_factor(world):
    if connection.vendor != "postgresql":
        pytest.skip("Concurrent writers need PostgreSQL; SQLite serialises them.")
    subject = concern(world, "Lola", [GIFTS], days_ago=3)
    data = {"kind": "trusted_adult", "note": "Talks to her form tutor.",
            "observed_on": timezone.localdate().isoformat(), "idempotency_key": str(uuid.uuid4())}
    statuses: list[int] = []

    def post() -> None:
        from django.db import connections

        client = Client()
        client.force_login(world.user("teacher_lambeth"), backend="agencies.backends.RoleBackend")
        try:
            statuses.append(client.post(url("protective-factor-create", subject), data).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert ProtectiveFactor.objects.filter(subject=subject).count() == 1
    assert AccessEvent.objects.filter(object_type="protective_factor", action="create").count() == 1
    assert statuses == [302] * 6
