"""Referral routing services: the transition table (every allowed and forbidden move), working-day
deadlines, shares, automatic referrals, notifications without personal data, and bad input."""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone

from audit.choices import Action
from referrals import routing
from referrals.choices import Pathway, ReferralDecision, ReferralState
from referrals.models import Referral, ReferralTransition, SubjectShare
from referrals.workdays import add_working_days, is_working_day, working_deadline
from tests.audit_helpers import assert_audit, audit_checkpoint, new_audit_events
from tests.factories import advance_referral, new_referral, new_subject, route_to

LONDON = zoneinfo.ZoneInfo("Europe/London")
S = ReferralState
ACTORS = {routing.MASH: "mash_lambeth", routing.RECEIVER: "csc_lambeth", routing.REFERRER: "dsl_lambeth"}


# --- working days -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("received", "due"), [
    # Friday afternoon: the weekend does not count.
    (dt.datetime(2026, 11, 27, 15, 0, tzinfo=LONDON), dt.datetime(2026, 11, 30, 15, 0, tzinfo=LONDON)),
    # Saturday: due on Monday.
    (dt.datetime(2026, 11, 28, 10, 0, tzinfo=LONDON), dt.datetime(2026, 11, 30, 10, 0, tzinfo=LONDON)),
    # Christmas Eve 2026 (Thursday): Christmas Day, the weekend and Boxing Day observed on Monday 28th.
    (dt.datetime(2026, 12, 24, 10, 0, tzinfo=LONDON), dt.datetime(2026, 12, 29, 10, 0, tzinfo=LONDON)),
    # Maundy Thursday 2027: Good Friday 26 March and Easter Monday 29 March.
    (dt.datetime(2027, 3, 25, 9, 30, tzinfo=LONDON), dt.datetime(2027, 3, 30, 9, 30, tzinfo=LONDON)),
    # An ordinary Tuesday.
    (dt.datetime(2026, 11, 24, 9, 0, tzinfo=LONDON), dt.datetime(2026, 11, 25, 9, 0, tzinfo=LONDON)),
])
def test_decision_due_one_working_day_after_receipt(received, due):
    assert working_deadline(received, 1) == due


def test_forty_five_working_days_over_christmas_and_new_year():
    # 2 Dec 2026 .. 5 Feb 2027 minus weekends, 25 and 28 December and 1 January.
    assert add_working_days(dt.date(2026, 12, 1), 45) == dt.date(2027, 2, 5)
    assert not is_working_day(dt.date(2026, 12, 28))  # Boxing Day (substitute)
    assert not is_working_day(dt.date(2027, 3, 26))   # Good Friday
    assert is_working_day(dt.date(2026, 12, 29))


# --- making a referral ------------------------------------------------------------------------------

def test_make_referral_is_audited_with_deadline_and_timeline(world):
    subject = new_subject(world, 1)
    audit_checkpoint()
    referral = new_referral(world, subject)
    assert_audit(Action.CREATE, actor=world.user("dsl_lambeth"), object_type="referral",
                 reference=referral.reference)
    assert referral.reference.startswith("R-") and referral.state == S.SUBMITTED
    assert referral.to_agency == world.agencies["lambeth_mash"]
    assert referral.decision_due_at == working_deadline(referral.received_at, 1)
    assert [t.to_state for t in referral.transitions.all()] == [S.SUBMITTED]
    assert referral.history.count() == 1


def test_second_referral_while_one_is_open_is_refused(world):
    subject = new_subject(world, 1)
    new_referral(world, subject)
    audit_checkpoint()
    with pytest.raises(ValidationError, match="already an open referral"):
        new_referral(world, subject)
    assert Referral.objects.filter(subject=subject).count() == 1
    assert new_audit_events() == []


def test_practitioner_cannot_refer(world):
    subject = new_subject(world, 1)
    with pytest.raises(Exception, match="Only designated"):
        new_referral(world, subject, actor="teacher_lambeth")
    assert not Referral.objects.exists()


def test_overridden_consent_needs_a_reason(world):
    subject = new_subject(world, 1)
    with pytest.raises(ValidationError, match="overriding consent"):
        routing.do_make_referral(subject, summary="x", legal_basis="safeguarding", consent="overridden",
                                 actor=world.user("dsl_lambeth"))
    assert not Referral.objects.exists()


# --- automatic referral from the register -----------------------------------------------------------

def test_automatic_referral_is_raised_once(world):
    subject = new_subject(world, 1)
    audit_checkpoint()
    referral = routing.do_raise_automatic_referral(subject)
    assert referral is not None and referral.automatic and referral.referred_by is None
    assert referral.from_agency == world.agencies["lambeth_mash"] == referral.to_agency
    assert_audit(Action.CREATE, object_type="referral", reference=referral.reference)
    assert routing.do_raise_automatic_referral(subject) is None
    assert new_audit_events() == []
    assert Referral.objects.filter(subject=subject).count() == 1


def test_automatic_referral_is_not_raised_while_a_manual_one_is_open(world):
    subject = new_subject(world, 1)
    new_referral(world, subject)
    assert routing.do_raise_automatic_referral(subject) is None


def test_automatic_referral_is_raised_again_after_closure(world):
    subject = new_subject(world, 1)
    advance_referral(world, new_referral(world, subject), "withdrawn")
    assert routing.do_raise_automatic_referral(subject) is not None


# --- the transition table ---------------------------------------------------------------------------

STATES = list(S.values)
TARGETS = [s for s in STATES if s != S.SUBMITTED]  # nothing moves back to submitted


def test_nothing_moves_back_to_submitted():
    assert not [t for t in routing.TRANSITIONS if t[1] == S.SUBMITTED]


def _attempt(world, referral, to, actor):
    kwargs = {"version": referral.version, "actor": actor}
    if to == S.SCREENING:
        return routing.do_start_screening(referral, reason="", **kwargs)
    if to == S.DECIDED:
        return routing.do_decide_referral(referral, reason="Harm", **route_to(world, referral, Pathway.CSC_STRATEGY),
                                          **kwargs)
    if to in (S.ACCEPTED, S.DECLINED):
        return routing.do_respond_to_referral(referral, accept=to == S.ACCEPTED, reason="Reason", **kwargs)
    if to == S.CLOSED:
        return routing.do_close_referral(referral, reason="Done", **kwargs)
    return routing.do_withdraw_referral(referral, reason="No longer needed", **kwargs)


@pytest.mark.parametrize(("from_state", "to_state", "who"),
                         list(itertools.product(STATES, TARGETS, list(ACTORS))))
def test_transition_table(world, from_state, to_state, who):
    referral = advance_referral(world, new_referral(world, new_subject(world, 1)), from_state)
    assert referral.state == from_state
    allowed = who in routing.ALLOWED.get((from_state, to_state), set())
    actor = world.user(ACTORS[who])
    before = (referral.version, referral.transitions.count())
    audit_checkpoint()
    if allowed:
        moved = _attempt(world, referral, to_state, actor)
        assert moved.state == to_state and moved.version == before[0] + 1
        assert moved.transitions.count() == before[1] + 1
        last = moved.transitions.order_by("-at").first()
        assert (last.from_state, last.to_state, last.actor) == (from_state, to_state, actor)
        assert_audit(routing._ACTIONS[to_state], actor=actor, object_type="referral", reference=referral.reference)
    else:
        with pytest.raises(routing.TransitionNotAllowed):
            _attempt(world, referral, to_state, actor)
        referral.refresh_from_db()
        assert (referral.state, referral.version, referral.transitions.count()) == (from_state, *before)
        assert new_audit_events() == []


def test_stale_version_is_refused_and_changes_nothing(world):
    referral = advance_referral(world, new_referral(world, new_subject(world, 1)), "screening")
    audit_checkpoint()
    with pytest.raises(routing.StaleReferral):
        routing.do_decide_referral(referral, decision=ReferralDecision.NO_FURTHER_ACTION, reason="x",
                                   version=referral.version - 1, actor=world.user("mash_lambeth"))
    referral.refresh_from_db()
    assert referral.state == S.SCREENING and new_audit_events() == []


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"decision": ReferralDecision.ROUTED, "reason": ""}, "reason"),
    ({"decision": ReferralDecision.NO_FURTHER_ACTION, "reason": "  "}, "reason"),
    ({"decision": ReferralDecision.ROUTED, "reason": "x", "pathway": Pathway.POLICE_SOT}, "does not take"),
    ({"decision": ReferralDecision.ROUTED, "reason": "x", "pathway": "made_up"}, "Choose the pathway"),
    ({"decision": ReferralDecision.SIGNPOSTED, "reason": "x", "pathway": Pathway.EARLY_HELP}, "Only a referral"),
    ({"decision": "maybe", "reason": "x"}, "Choose a decision"),
])
def test_bad_decisions_change_nothing(world, kwargs, message):
    referral = advance_referral(world, new_referral(world, new_subject(world, 1)), "screening")
    kwargs = {"receiving_agency": world.agencies["lambeth_csc"] if "pathway" in kwargs else None, **kwargs}
    audit_checkpoint()
    with pytest.raises(ValidationError, match=message):
        routing.do_decide_referral(referral, version=referral.version, actor=world.user("mash_lambeth"), **kwargs)
    referral.refresh_from_db()
    assert referral.state == S.SCREENING and referral.decision == "" and new_audit_events() == []
    assert not SubjectShare.objects.filter(content_object=referral.subject).exists()


def test_decline_needs_a_reason(world):
    referral = advance_referral(world, new_referral(world, new_subject(world, 1)), "decided")
    with pytest.raises(ValidationError, match="reason"):
        routing.do_respond_to_referral(referral, accept=False, reason="", version=referral.version,
                                       actor=world.user("csc_lambeth"))
    referral.refresh_from_db()
    assert referral.state == S.DECIDED


# --- shares and timescales --------------------------------------------------------------------------

def _share(referral):
    return SubjectShare.objects.filter(content_object=referral.subject,
                                       group=referral.receiving_agency.group).first()


def test_routing_shares_and_decline_revokes(world):
    referral = advance_referral(world, new_referral(world, new_subject(world, 1)), "screening")
    audit_checkpoint()
    referral = routing.do_decide_referral(
        referral, reason="Assess", version=referral.version, actor=world.user("mash_lambeth"),
        **route_to(world, referral, Pathway.CSC_ASSESSMENT))
    assert_audit(Action.SHARE, object_type="subject", reference=referral.subject.reference)
    share = _share(referral)
    assert share is not None and referral.reference in share.purpose
    assert share.expires_at > timezone.now() + dt.timedelta(days=89)
    routing.do_respond_to_referral(referral, accept=False, reason="Not ours", version=referral.version,
                                   actor=world.user("csc_lambeth"))
    assert_audit(Action.REVOKE, object_type="subject", reference=referral.subject.reference)
    assert _share(referral) is None


def test_acceptance_sets_the_assessment_deadline(world):
    referral = advance_referral(world, new_referral(world, new_subject(world, 1)), "accepted")
    assert referral.assessment_due_on == add_working_days(timezone.localdate(), 45)


def test_closing_ends_the_share_after_the_grace_period(world):
    referral = advance_referral(world, new_referral(world, new_subject(world, 1)), "closed")
    share = _share(referral)
    assert share is not None
    assert abs(share.expires_at - (referral.closed_at + dt.timedelta(days=14))) < dt.timedelta(seconds=1)


@override_settings(REFERRAL_SHARE_GRACE_DAYS=0)
def test_closing_with_no_grace_ends_the_share_at_once(world):
    referral = advance_referral(world, new_referral(world, new_subject(world, 1)), "closed")
    assert _share(referral) is None


def test_overdue_flag(world):
    referral = routing.do_make_referral(
        new_subject(world, 1), summary="x", legal_basis="safeguarding", consent="given",
        received_at=timezone.now() - dt.timedelta(days=5), actor=world.user("dsl_lambeth"))
    assert referral.is_overdue
    assert list(routing.overdue_referrals()) == [referral]


# --- notifications ----------------------------------------------------------------------------------

def test_notifications_carry_a_reference_and_link_only(world, django_capture_on_commit_callbacks, settings):
    for name in ["dsl_lambeth", "mash_lambeth", "csc_lambeth"]:
        user = world.user(name)
        user.email = f"{name}@example.org"
        user.save()
    subject = new_subject(world, 1)
    with django_capture_on_commit_callbacks(execute=True):
        referral = new_referral(world, subject, summary="Seen with older men near the station")
        referral = advance_referral(world, referral, "closed")
    assert len(mail.outbox) >= 4
    secrets_ = [subject.given_name, subject.family_name, "older men", "Needs an assessment", "Assessment complete",
                "Lambeth Test Social Care", subject.reference]
    for message in mail.outbox:
        text = message.subject + message.body
        assert referral.reference in text and settings.SITE_URL in message.body
        for secret in secrets_:
            assert secret not in text
    recipients = {r for m in mail.outbox for r in m.to}
    assert {"dsl_lambeth@example.org", "mash_lambeth@example.org", "csc_lambeth@example.org"} <= recipients


def test_transition_reason_is_encrypted_at_rest(world):
    from django.db import connection

    referral = advance_referral(world, new_referral(world, new_subject(world, 1)), "withdrawn")
    with connection.cursor() as cursor:
        cursor.execute("SELECT reason FROM referrals_referraltransition WHERE to_state = 'withdrawn'")
        (stored,) = cursor.fetchone()
    assert "Family moved away" not in str(stored)
    assert ReferralTransition.objects.get(referral=referral, to_state="withdrawn").reason == "Family moved away"


def test_overdue_alert_names_references_only(world, settings):
    from django.core.management import call_command

    lead = world.user("mash_lambeth")
    lead.email = "mash@example.org"
    lead.save()
    subject = new_subject(world, 1)
    referral = routing.do_make_referral(subject, summary="Secret summary", legal_basis="safeguarding",
                                        consent="given", received_at=timezone.now() - dt.timedelta(days=5),
                                        actor=world.user("dsl_lambeth"))
    mail.outbox.clear()
    call_command("alert_overdue_referrals")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["mash@example.org"]
    body = mail.outbox[0].body
    assert referral.reference in body and settings.SITE_URL in body
    for secret in [subject.given_name, subject.family_name, subject.reference, "Secret summary"]:
        assert secret not in body
