"""Decisions into several pathways: the recommendation as the default, partial acceptance,
additions and omissions with reasons, refusals that leave nothing written, each pathway's clock (bank
holidays included), urgent and overdue pathways, per-pathway responses and access, adults' consent."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from unittest import mock

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from audit.choices import Action
from audit.models import AccessEvent
from referrals import clocks, intake, routing
from referrals.choices import ConsentPosition, PathwayStatus, ReferralState
from referrals.models import Referral, ReferralPathway, SubjectShare
from risk import queries
from risk.models import Indicator, RegisterEntry
from risk.pathways import Clock
from tests.audit_helpers import assert_audit, audit_checkpoint, new_audit_events
from tests.factories import new_concern
from tests.referrals.pathway_cases import (
    ALL_THREE,
    LEFT_OUT_MACE,
    add_services,
    decide,
    high_girl,
    respond,
    row,
)

LONDON = zoneinfo.ZoneInfo("Europe/London")
S = ReferralState


@pytest.fixture
def services(world):
    add_services(world)
    return world


def _born(age: int, *, days: int = 0) -> dt.date:
    """A date of birth that makes her ``age`` today (``days`` later: her birthday is that many days away)."""
    today = timezone.localdate()
    born = today.replace(year=today.year - age)
    return born + dt.timedelta(days=days)


# --- clocks -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("clock", "start", "due"), [
    # The same day: by the end of the day it started, whatever the hour.
    (Clock("same_day", 0, "decision"), dt.datetime(2026, 12, 1, 16, 0, tzinfo=LONDON),
     dt.datetime(2026, 12, 1, 23, 59, 59, tzinfo=LONDON)),
    (Clock("same_day", 0, "decision"), dt.datetime(2026, 12, 5, 9, 0, tzinfo=LONDON),  # a Saturday counts too
     dt.datetime(2026, 12, 5, 23, 59, 59, tzinfo=LONDON)),
    # Hours run through the night and the weekend.
    (Clock("hours", 4, "decision"), dt.datetime(2026, 12, 5, 22, 0, tzinfo=LONDON),
     dt.datetime(2026, 12, 6, 2, 0, tzinfo=LONDON)),
    # Calendar days (the Havens' forensic window).
    (Clock("days", 7, "assault"), dt.datetime(2026, 12, 24, 10, 0, tzinfo=LONDON),
     dt.datetime(2026, 12, 31, 10, 0, tzinfo=LONDON)),
    # One working day across the Easter bank holiday weekend: Maundy Thursday to the Tuesday.
    (Clock("working_days", 1, "decision"), dt.datetime(2027, 3, 25, 11, 0, tzinfo=LONDON),
     dt.datetime(2027, 3, 30, 11, 0, tzinfo=LONDON)),
    # Friday before the Christmas bank holidays (25 Dec, Boxing Day observed on Monday 28th): Tuesday.
    (Clock("working_days", 1, "decision"), dt.datetime(2026, 12, 24, 15, 0, tzinfo=LONDON),
     dt.datetime(2026, 12, 29, 15, 0, tzinfo=LONDON)),
    # An assessment's 45 working days over Christmas and New Year.
    (Clock("working_days", 45, "acceptance"), dt.datetime(2026, 12, 1, 9, 0, tzinfo=LONDON),
     dt.datetime(2027, 2, 5, 9, 0, tzinfo=LONDON)),
    # No clock.
    (Clock("none", 0, ""), dt.datetime(2026, 12, 1, 9, 0, tzinfo=LONDON), None),
])
def test_each_clock(clock, start, due):
    assert clocks.deadline(clock, start) == due


def test_a_clock_starts_at_its_own_event():
    at = dt.datetime(2026, 12, 1, 9, 0, tzinfo=LONDON)
    assessment = Clock("working_days", 45, "acceptance")
    conference = Clock("working_days", 15, "strategy_discussion")
    assert clocks.due_at_event(assessment, "decision", at) is None
    assert clocks.due_at_event(assessment, "acceptance", at) == dt.datetime(2027, 2, 5, 9, 0, tzinfo=LONDON)
    # The system records no strategy discussion: the conference's clock waits for it.
    assert clocks.due_at_event(conference, "decision", at) is None
    assert clocks.due_at_event(conference, "acceptance", at) is None
    assert clocks.hours_left(at + dt.timedelta(hours=5, minutes=30), at) == 5
    assert clocks.hours_left(at - dt.timedelta(hours=2), at) == -2


# --- the decision: the recommendation as the default ------------------------------------------------

def test_her_recommendation_at_high(services):
    referral = high_girl(services)
    proposal = queries.pathway_proposal(referral.subject, services.user("mash_lambeth"), today=timezone.localdate())
    assert proposal is not None
    assert set(proposal.codes) == {"csc_strategy", "mace", "police_disruption", "specialist_cse"}


def test_accepting_the_recommendation_routes_every_pathway_with_its_own_share_and_clock(services):
    referral = high_girl(services)
    audit_checkpoint()
    referral = decide(services, referral, {**ALL_THREE, "mace": "lambeth_csc"})
    event = assert_audit(Action.DECIDE, object_type="referral", reference=referral.reference,
                         service="do_decide_referral")
    assert sorted(event.detail["pathways"].split(",")) == ["csc_strategy", "mace", "police_disruption",
                                                            "specialist_cse"]
    assert (event.detail["added"], event.detail["left_out"], event.detail["catalogue"]) == ("", "", 2)
    rows = {r.pathway: r for r in referral.pathways.all()}
    assert set(rows) == {"csc_strategy", "mace", "police_disruption", "specialist_cse"}
    assert all(r.recommended and r.status == PathwayStatus.AWAITING and r.catalogue_version == 2 for r in rows.values())
    # One share per receiving agency (children's social care holds two pathways, one share).
    shares = SubjectShare.objects.filter(content_object=referral.subject)
    assert shares.count() == 3
    assert rows["csc_strategy"].share == rows["mace"].share
    assert "Strategy discussion" in rows["mace"].share.purpose or "strategy discussion" in rows["mace"].share.purpose
    # The strategy discussion's clock: one working day from the decision; the MACE panel has none.
    assert rows["csc_strategy"].due_at == clocks.deadline(Clock("working_days", 1, "decision"), referral.decided_at)
    assert rows["mace"].due_at is None and rows["mace"].clock_unit == "none"
    # Consent recorded where the pathway needs it at her age (a voluntary specialist service), not elsewhere.
    assert (rows["specialist_cse"].consent, rows["csc_strategy"].consent) == (ConsentPosition.GIVEN, "")
    # The referral keeps its first pathway, as before.
    assert (referral.pathway, referral.receiving_agency) == ("csc_strategy", services.agencies["lambeth_csc"])


@pytest.mark.parametrize(("routes", "left_out", "added", "expect_left", "expect_added"), [
    # Partial acceptance: the MACE panel left out, with its reason.
    (ALL_THREE, LEFT_OUT_MACE, {}, {"mace"}, set()),
    # Two left out.
    ({"csc_strategy": "lambeth_csc"}, {**LEFT_OUT_MACE, "police_disruption": "Police already involved.",
                                       "specialist_cse": "She declined the project."}, {},
     {"mace", "police_disruption", "specialist_cse"}, set()),
    # An addition the system did not recommend, with its reason.
    ({**ALL_THREE, "mace": "lambeth_csc", "csc_assessment": "lambeth_csc"}, {},
     {"csc_assessment": "Her needs beyond the harm: a child in need assessment too."}, set(), {"csc_assessment"}),
])
def test_partial_acceptance_and_additions_keep_their_reasons(services, routes, left_out, added, expect_left,
                                                             expect_added):
    referral = high_girl(services)
    audit_checkpoint()
    referral = decide(services, referral, routes, left_out=left_out, added=added)
    event = assert_audit(Action.DECIDE, object_type="referral", reference=referral.reference,
                         service="do_decide_referral")
    assert set(filter(None, event.detail["left_out"].split(","))) == expect_left
    assert set(filter(None, event.detail["added"].split(","))) == expect_added
    # The trail holds codes only, never the reasons typed.
    assert not any(why in str(e.detail) for e in AccessEvent.objects.all() for why in [*left_out.values(),
                                                                                       *added.values()])
    left = {r.pathway: r for r in referral.pathways.filter(status=PathwayStatus.LEFT_OUT)}
    assert set(left) == expect_left
    for code in expect_left:
        assert left[code].reason == left_out[code] and left[code].receiving_agency is None and left[code].share is None
    for code in expect_added:
        assert row(referral, code).reason == added[code] and not row(referral, code).recommended
    # The reasons are encrypted at rest.
    with connection.cursor() as cursor:
        cursor.execute("SELECT reason FROM referrals_referralpathway WHERE referral_id = %s",
                       [referral.pk.hex if connection.vendor == "sqlite" else referral.pk])
        stored = " ".join(str(value) for (value,) in cursor.fetchall())
    for why in [*left_out.values(), *added.values()]:
        assert why not in stored


REFUSALS = [
    # (routes, left_out, added, consent, error key, message)
    ({"csc_strategy": "lambeth_csc"}, {}, {}, "given", "why-mace", "Say why you are leaving out"),
    ({**ALL_THREE, "csc_assessment": "lambeth_csc"}, LEFT_OUT_MACE, {}, "given", "why-csc_assessment",
     "Say why you are adding"),
    ({**ALL_THREE, "mace": "lambeth_police"}, {}, {}, "given", "agency-mace", "does not take the pathway"),
    ({**ALL_THREE, "mace": "southwark_yot"}, {}, {}, "given", "agency-mace", "does not take"),
    ({**ALL_THREE, "mace": "southwark_mash"}, {}, {}, "given", "agency-mace", "does not take"),
    (ALL_THREE, LEFT_OUT_MACE, {}, "", "consent-specialist_cse", "needs her consent"),
    (ALL_THREE, LEFT_OUT_MACE, {}, ConsentPosition.OVERRIDDEN, "consent-specialist_cse", "needs her consent"),
    ({}, {}, {}, "given", "__all__", "Choose at least one pathway"),
    ({"made_up": "lambeth_csc"}, {}, {}, "given", "__all__", "Choose the pathway"),
]


@pytest.mark.parametrize(("routes", "left_out", "added", "consent", "key", "message"), REFUSALS)
def test_refusals_leave_nothing_written(services, routes, left_out, added, consent, key, message):
    referral = high_girl(services)
    before = (referral.version, referral.transitions.count(), SubjectShare.objects.count())
    audit_checkpoint()
    with pytest.raises(ValidationError) as refused:
        decide(services, referral, routes, left_out=left_out, added=added, consent=consent)
    assert key in refused.value.message_dict and any(message in m for m in refused.value.message_dict[key])
    referral.refresh_from_db()
    assert referral.state == S.SCREENING and referral.decision == ""
    assert (referral.version, referral.transitions.count(), SubjectShare.objects.count()) == before
    assert not ReferralPathway.objects.filter(referral=referral).exists()
    assert new_audit_events() == []


def test_a_share_with_an_agency_of_another_borough_is_refused(services):
    from agencies import services as agency_services
    from agencies.models import Borough

    southwark_csc = agency_services.do_create_agency(name="Southwark Test Social Care", kind="childrens_social_care",
                                                     borough=Borough.objects.get(name="Southwark"), actor=None)
    services.agencies["southwark_csc"] = southwark_csc
    referral = high_girl(services)
    with pytest.raises(ValidationError, match="not in her borough"):
        decide(services, referral, {**ALL_THREE, "csc_strategy": "southwark_csc"}, left_out=LEFT_OUT_MACE)
    assert not ReferralPathway.objects.filter(referral=referral).exists()


def test_a_double_submit_decides_once(services):
    referral = high_girl(services)
    decide(services, referral, ALL_THREE, left_out=LEFT_OUT_MACE)
    audit_checkpoint()
    with pytest.raises(routing.StaleReferral):
        decide(services, referral, ALL_THREE, left_out=LEFT_OUT_MACE)  # the same page, posted again
    assert ReferralPathway.objects.filter(referral=referral).count() == 4 and new_audit_events() == []


def test_no_further_action_needs_no_pathway_reasons(services):
    referral = high_girl(services)
    referral = routing.do_decide_referral(referral, decision="nfa", reason="Already open to children's services.",
                                          version=referral.version, actor=services.user("mash_lambeth"))
    assert referral.decision == "nfa" and not referral.pathways.exists()


def test_a_recommended_pathway_no_service_takes_is_left_out_saying_so(world):
    # Without the specialist service of pathway_cases, no Lambeth agency takes the specialist pathway.
    referral = high_girl(world)
    referral = decide(world, referral, {k: v for k, v in ALL_THREE.items() if k != "specialist_cse"},
                      left_out=LEFT_OUT_MACE)
    left = row(referral, "specialist_cse")
    assert left.status == PathwayStatus.LEFT_OUT and left.reason == routing.NO_SERVICE_REASON


# --- urgent pathways ---------------------------------------------------------------------------------

def _in_danger(world, n: int = 1) -> Referral:
    """A Lambeth girl a teacher believes is in immediate danger: the strategy discussion the same day."""
    concern, _ = intake.do_record_concern(
        details=intake.SubjectDetails(given_name=f"Urgenta{n}", family_name="Samedaycase",
                                      date_of_birth=dt.date(2011, 4, n)),
        home_borough=world.agencies["lambeth_mash"].borough, observed_on=timezone.localdate(),
        indicators=list(Indicator.objects.filter(code__in=["missing-from-home-or-care"])),
        narrative="Seen getting into a car with a man who threatened her.", seriously_worried=True,
        judgement="immediate_danger", idempotency_key=uuid.uuid4(), actor=world.user("teacher_lambeth"))
    referral = Referral.objects.get(subject=concern.subject, automatic=True)
    return routing.do_start_screening(referral, version=referral.version, actor=world.user("mash_lambeth"))


def test_an_urgent_pathway_is_notified_at_once_and_leads_the_inbox(services, client_for,
                                                                   django_capture_on_commit_callbacks):
    referral = _in_danger(services)
    proposal = queries.pathway_proposal(referral.subject, services.user("mash_lambeth"), today=timezone.localdate())
    strategy = next(item for item in proposal.recommended if item.pathway.code == "csc_strategy")
    assert strategy.urgent and strategy.clock.unit == "same_day"
    routes = {item.pathway.code: {"csc_strategy": "lambeth_csc", "mace": "lambeth_csc"}.get(
        item.pathway.code, "lambeth_police") for item in proposal.recommended
        if item.pathway.code in ("csc_strategy", "mace", "police_threat", "police_disruption")}
    left = {item.pathway.code: "Not now." for item in proposal.recommended if item.pathway.code not in routes}
    for name in ["csc_lambeth", "dsl_lambeth", "mash_lambeth"]:
        user = services.user(name)
        user.email = f"{name}@example.test"
        user.save()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        referral = decide(services, referral, routes, left_out=left)
    row_ = row(referral, "csc_strategy")
    assert row_.urgent and row_.due_at.date() == timezone.localdate()
    urgent_mail = [m for m in mail.outbox if m.subject.startswith("URGENT")]
    assert urgent_mail and "csc_lambeth@example.test" in {a for m in urgent_mail for a in m.to}
    for message in urgent_mail:
        assert referral.reference in message.subject and referral.reference in message.body
        for secret in [referral.subject.given_name, "threatened", "Samedaycase", referral.subject.reference]:
            assert secret not in message.subject + message.body
    # At the top of the receiving service's inbox and the MASH's, with the deadline in hours.
    for persona in ["csc_lambeth", "mash_lambeth"]:
        html = client_for(persona).get(reverse("referral-list")).content.decode()
        assert "Urgent pathways" in html
        assert html.index("Urgent pathways") < html.index('aria-label="Referral lists"')
        assert referral.reference in html and " hour" in html


# --- responses, per pathway --------------------------------------------------------------------------

def test_each_service_answers_for_its_own_pathway(services):
    referral = decide(services, high_girl(services), ALL_THREE, left_out=LEFT_OUT_MACE)
    csc, spec = services.user("csc_lambeth"), services.user("spec_lambeth")
    assert Referral.objects.restrict(spec, "respond").filter(pk=referral.pk).exists()
    audit_checkpoint()
    respond(services, referral, "csc_strategy", "accept")
    assert_audit(Action.DECIDE, actor=csc, object_type="referral", reference=referral.reference,
                 service="do_respond_to_pathway", only=True)
    referral.refresh_from_db()
    assert referral.state == S.ACCEPTED and row(referral, "csc_strategy").status == PathwayStatus.ACCEPTED
    # The specialist service declines its own: its share ends at once; the referral stays accepted.
    respond(services, referral, "specialist_cse", "decline", actor="spec_lambeth", reason="She did not want it.")
    events = [(e.action, e.actor_id, e.reference, e.detail.get("service")) for e in new_audit_events()]
    assert events == [(Action.REVOKE, spec.pk, referral.subject.reference, "do_revoke_share"),
                      (Action.DECIDE, spec.pk, referral.reference, "do_respond_to_pathway")]
    audit_checkpoint()
    referral.refresh_from_db()
    assert referral.state == S.ACCEPTED
    assert not SubjectShare.objects.filter(content_object=referral.subject,
                                           group=services.agencies["lambeth_specialist"].group).exists()
    assert not Referral.objects.restrict(spec, "view").filter(pk=referral.pk).exists()
    # Children's social care completes: its share ends after the grace period.
    respond(services, referral, "csc_strategy", "complete")
    assert_audit(Action.UPDATE, actor=csc, object_type="referral", reference=referral.reference,
                 service="do_respond_to_pathway")
    share = SubjectShare.objects.get(content_object=referral.subject, group=services.agencies["lambeth_csc"].group)
    assert share.expires_at < timezone.now() + dt.timedelta(days=15)
    assert not Referral.objects.restrict(csc, "respond").filter(pk=referral.pk).exists()


def test_declined_by_every_service_the_referral_goes_back_to_the_mash(services):
    referral = decide(services, high_girl(services), {"csc_strategy": "lambeth_csc", "specialist_cse":
                                                      "lambeth_specialist"},
                      left_out={**LEFT_OUT_MACE, "police_disruption": "Police already involved."})
    respond(services, referral, "csc_strategy", "decline", reason="Open to another team.")
    referral.refresh_from_db()
    assert referral.state == S.DECIDED
    respond(services, referral, "specialist_cse", "decline", actor="spec_lambeth", reason="Full.")
    referral.refresh_from_db()
    assert referral.state == S.DECLINED
    assert [t.to_state for t in referral.transitions.order_by("at")][-1] == S.DECLINED


@pytest.mark.parametrize(("actor", "code", "response", "reason", "error"), [
    ("spec_lambeth", "csc_strategy", "accept", "", routing.TransitionNotAllowed),  # not theirs
    ("asc_lambeth", "csc_strategy", "accept", "", routing.TransitionNotAllowed),   # not routed to them
    ("mash_lambeth", "csc_strategy", "accept", "", routing.TransitionNotAllowed),  # the MASH does not answer
    ("csc_lambeth", "csc_strategy", "complete", "", routing.TransitionNotAllowed),  # not accepted yet
    ("csc_lambeth", "csc_strategy", "decline", "  ", ValidationError),              # no reason
    ("csc_lambeth", "csc_strategy", "maybe", "", ValidationError),
])
def test_bad_responses_change_nothing(services, actor, code, response, reason, error):
    referral = decide(services, high_girl(services), ALL_THREE, left_out=LEFT_OUT_MACE)
    pathway = row(referral, code)
    audit_checkpoint()
    with pytest.raises(error):
        routing.do_respond_to_pathway(pathway, response=response, reason=reason, version=pathway.version,
                                      actor=services.user(actor))
    assert row(referral, code).status == PathwayStatus.AWAITING and new_audit_events() == []


def test_a_stale_response_is_refused(services):
    referral = decide(services, high_girl(services), ALL_THREE, left_out=LEFT_OUT_MACE)
    pathway = row(referral, "csc_strategy")
    respond(services, referral, "csc_strategy", "accept")
    with pytest.raises(routing.StaleReferral):
        routing.do_respond_to_pathway(pathway, response="decline", reason="x", version=pathway.version,
                                      actor=services.user("csc_lambeth"))
    assert row(referral, "csc_strategy").status == PathwayStatus.ACCEPTED


def test_responding_from_the_referral_page(services, client_for):
    referral = decide(services, high_girl(services), ALL_THREE, left_out=LEFT_OUT_MACE)
    client = client_for("csc_lambeth")
    page = client.get(reverse("referral-detail", kwargs={"reference": referral.reference})).content.decode()
    assert 'name="response" value="accept"' in page and "Strategy discussion" in page.replace("strategy", "Strategy")
    pathway = row(referral, "csc_strategy")
    url = reverse("referral-pathway-respond", kwargs={"reference": referral.reference})
    refused = client.post(url, {"pathway": pathway.pk, "response": "decline", "version": pathway.version,
                                "reason": ""})
    assert refused.status_code == 200 and "Give the reason for declining." in refused.content.decode()
    wrong = client.post(url, {"pathway": row(referral, "specialist_cse").pk, "response": "accept",
                              "version": 1, "reason": ""})
    assert wrong.status_code == 200 and "not yours to answer for" in wrong.content.decode()
    done = client.post(url, {"pathway": pathway.pk, "response": "accept", "version": pathway.version, "reason": ""})
    assert done.status_code == 302 and row(referral, "csc_strategy").status == PathwayStatus.ACCEPTED
    # Closing the referral closes what is still live, and every share ends after the grace period.
    referral.refresh_from_db()
    routing.do_close_referral(referral, reason="Done", version=referral.version, actor=services.user("mash_lambeth"))
    assert not ReferralPathway.objects.filter(referral=referral, status__in=["awaiting", "accepted"]).exists()
    assert all(s.expires_at < timezone.now() + dt.timedelta(days=15)
               for s in SubjectShare.objects.filter(content_object=referral.subject))


# --- overdue pathways --------------------------------------------------------------------------------

def _decided_yesterday(world) -> Referral:
    referral = high_girl(world)
    then = timezone.now() - dt.timedelta(days=3)
    with mock.patch("referrals.routing.timezone.now", return_value=then):
        return decide(world, referral, ALL_THREE, left_out=LEFT_OUT_MACE)


def test_an_overdue_pathway_shows_in_the_inbox_the_register_and_the_alert(services, client_for, settings):
    referral = _decided_yesterday(services)
    late = row(referral, "csc_strategy")
    assert late.is_overdue and list(routing.overdue_pathways()) == [late]
    mash = client_for("mash_lambeth")
    inbox = mash.get(reverse("referral-list") + "?tab=pathways-overdue").content.decode()
    assert referral.reference in inbox and "Pathway overdue" in inbox
    register = mash.get(reverse("register")).content.decode()
    assert "Pathway overdue" in register
    csc_inbox = client_for("csc_lambeth").get(reverse("referral-list") + "?tab=pathways-overdue").content.decode()
    assert referral.reference in csc_inbox
    for name in ["mash_lambeth", "csc_lambeth"]:
        user = services.user(name)
        user.email = f"{name}@example.org"
        user.save()
    mail.outbox.clear()
    call_command("alert_overdue_referrals")
    to = {address: m for m in mail.outbox for address in m.to}
    assert {"mash_lambeth@example.org", "csc_lambeth@example.org"} <= set(to)
    for message in mail.outbox:
        assert referral.reference in message.body and settings.SITE_URL in message.body
        for secret in [referral.subject.given_name, referral.subject.reference, "strategy", "Strategy"]:
            assert secret not in message.subject + message.body


def test_the_register_marker_costs_no_query_per_row(services, client_for, django_assert_max_num_queries):
    client = client_for("mash_lambeth")
    _decided_yesterday(services)
    with django_assert_max_num_queries(40) as few:
        client.get(reverse("register"))
    for _n in range(4):
        _decided_yesterday(services)
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(reverse("register")).content.decode()
    assert html.count("Pathway overdue") >= 5


# --- adults ------------------------------------------------------------------------------------------

def test_at_18_adult_routes_need_her_consent(services):
    referral = high_girl(services, dob=_born(18))
    mash = services.user("mash_lambeth")
    proposal = queries.pathway_proposal(referral.subject, mash, today=timezone.localdate())
    codes = set(proposal.codes)
    assert "adult_safeguarding" in codes and not codes & {"csc_strategy", "mace"}
    routes = {"adult_safeguarding": "lambeth_asc"}
    left = {code: "Not now." for code in codes if code not in routes}
    # Her views are sought: refused without her consent position; going ahead without her consent is allowed.
    with pytest.raises(ValidationError, match="Record her consent position"):
        decide(services, referral, routes, left_out=left, consent="")
    assert not ReferralPathway.objects.filter(referral=referral).exists()
    referral = decide(services, referral, routes, left_out=left, consent=ConsentPosition.OVERRIDDEN)
    assert row(referral, "adult_safeguarding").consent == ConsentPosition.OVERRIDDEN


@pytest.mark.parametrize(("age", "needs"), [(12, "none"), (15, "none"), (17, "none"), (18, "informed")])
def test_reporting_to_the_police_needs_her_informed_consent_only_as_an_adult(services, age, needs):
    from risk.pathways import V2_CATALOGUE, load

    spec = load(V2_CATALOGUE).pathway("police_disruption" if age < 18 else "police_sot")
    assert spec.consent_for(age) == (needs if age >= 18 else "none")
    if age < 18:
        return
    referral = high_girl(services, dob=_born(age))
    proposal = queries.pathway_proposal(referral.subject, services.user("mash_lambeth"), today=timezone.localdate())
    left = dict.fromkeys(proposal.codes, "Not now.")
    with pytest.raises(ValidationError, match="needs her consent"):
        decide(services, referral, {"police_sot": "lambeth_police"}, left_out=left,
               added={"police_sot": "She told us."}, consent=ConsentPosition.NOT_SOUGHT_RISK)
    referral = decide(services, referral, {"police_sot": "lambeth_police"}, left_out=left,
                      added={"police_sot": "She told us."}, consent=ConsentPosition.GIVEN)
    assert row(referral, "police_sot").consent == ConsentPosition.GIVEN


def test_a_girl_who_turns_18_keeps_her_register_entry_and_record(services, client_for):
    # 17 today, 18 the day after tomorrow.
    concern = new_concern(services, "teacher_lambeth", given="Birthda", family="Turningcase",
                          dob=_born(18, days=2), indicators=("older-boyfriend-or-associate",),
                          seriously_worried=True, days_ago=0)
    subject = concern.subject
    mash = client_for("mash_lambeth")
    entry = RegisterEntry.objects.get(subject=subject)
    register = mash.get(reverse("register")).content.decode()
    assert subject.reference in register
    later = timezone.localdate() + dt.timedelta(days=3)
    with mock.patch("django.utils.timezone.localdate", return_value=later):
        register = mash.get(reverse("register")).content.decode()
        page = mash.get(reverse("subject-detail", kwargs={"reference": subject.reference}))
        risk_page = mash.get(reverse("subject-risk", kwargs={"reference": subject.reference}))
        assert queries.register_entries(entry.borough_id, today=later, now=timezone.now()).filter(
            subject=subject).exists()
    assert subject.reference in register
    row_html = register[register.index(subject.reference):][:900]
    assert "Adult: consent needed for referrals" in row_html
    assert page.status_code == 200 and risk_page.status_code == 200
    assert "Adult safeguarding" in risk_page.content.decode()
    entry.refresh_from_db()
    assert entry.status == "on"


def test_each_service_lists_its_own_pathways_whatever_the_others_did(services, client_for):
    referral = decide(services, high_girl(services), ALL_THREE, left_out=LEFT_OUT_MACE)
    respond(services, referral, "csc_strategy", "accept")  # the referral is now accepted

    def listed(persona, tab):
        html = client_for(persona).get(reverse("referral-list") + f"?tab={tab}").content.decode()
        return referral.reference in html.split('aria-label="Referral lists"')[1]

    assert listed("spec_lambeth", "to-respond") and not listed("spec_lambeth", "accepted")
    assert listed("csc_lambeth", "accepted") and not listed("csc_lambeth", "to-respond")
