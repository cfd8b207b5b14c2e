"""The MASH's decisions about a young person's risk and protective factors, through the services
(``risk.services.decisions``, called as the views call them, through ``referrals.intake`` for the two
that re-assess her): what each does, who is refused, and that a refusal writes nothing."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from agencies import capabilities
from agencies.models import Borough
from audit.models import AccessEvent
from referrals import intake
from referrals.intake import SubjectDetails
from referrals.models import Referral
from risk.models import Assessment, Indicator, ProtectiveFactor, RiskDecision, SubjectRisk
from risk.services import decisions
from tests.audit_helpers import assert_audit, audit_checkpoint, new_audit_events

pytestmark = pytest.mark.django_db

REASON = "Bereavement: her grandmother died; confirmed with the school."
GIFTS = "gifts-from-unknown-sources"  # significant: 5 while current (medium on its own)


def concern(world, given, signs, *, days_ago=0, worried=False, recorder="teacher_lambeth"):
    made, _ = intake.do_record_concern(
        details=SubjectDetails(given_name=given, family_name="Decisioncase", date_of_birth=dt.date(2010, 1, 1)),
        home_borough=Borough.objects.get(name="Lambeth"),
        observed_on=timezone.localdate() - dt.timedelta(days=days_ago),
        indicators=list(Indicator.objects.filter(code__in=signs)), narrative="Seen with older men.",
        seriously_worried=worried, idempotency_key=uuid.uuid4(), actor=world.user(recorder))
    return made.subject


def level_of(subject):
    return SubjectRisk.objects.get(subject=subject).level


def latest(subject):
    return Assessment.objects.filter(subject=subject).order_by("-id").first()


def raw_column(table, column, pk):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk.hex if connection.vendor == "sqlite" else pk])  # noqa: S608
        return str(cursor.fetchone()[0])


def assert_trail_holds_no_text(*texts):
    for event in AccessEvent.objects.all():
        blob = json.dumps(event.detail) + (event.purpose or "")
        for text in texts:
            assert text not in blob


# ---------------------------------------------------------------------------------------------------
# A sign explained and verified
# ---------------------------------------------------------------------------------------------------
def test_an_explained_sign_stops_counting_at_once_until_she_is_seen_with_it_again(world):
    mash = world.user("mash_lambeth")
    subject = concern(world, "Ama", [GIFTS], days_ago=10)
    assert (level_of(subject), SubjectRisk.objects.get(subject=subject).score) == ("medium", 5)
    audit_checkpoint()

    decision = intake.do_mark_sign_explained(subject=subject, indicator=Indicator.objects.get(code=GIFTS),
                                             reason=REASON, actor=mash, now=timezone.now() - dt.timedelta(days=5))

    assert [(e.action, e.object_type) for e in new_audit_events()] == [("create", "risk_decision"), ("update", "risk")]
    event = assert_audit("create", actor=mash, object_type="risk_decision", reference=subject.reference)
    assert event.detail == {"service": "do_mark_sign_explained", "sign": GIFTS}
    assert (decision.kind, decision.indicator.code, decision.decided_by) == ("explained", GIFTS, mash)
    risk = SubjectRisk.objects.get(subject=subject)
    assert (risk.level, risk.score) == ("none", 0)
    assert latest(subject).explanation["explained_and_verified"] == [GIFTS]
    # The reason is encrypted under her key and never in the trail.
    assert "grandmother" not in raw_column("risk_riskdecision", "reason", decision.pk)
    assert RiskDecision.objects.get(pk=decision.pk).reason == REASON
    assert_trail_holds_no_text("grandmother", REASON)

    # Seen with the sign again after the decision: it counts again.
    concern(world, "Ama", [GIFTS], days_ago=0)
    assert (level_of(subject), SubjectRisk.objects.get(subject=subject).score) == ("medium", 5)


# ---------------------------------------------------------------------------------------------------
# A level review
# ---------------------------------------------------------------------------------------------------
def test_a_review_lowers_a_held_level_at_once_but_never_below_what_current_signs_support(world):
    mash = world.user("mash_lambeth")
    # "Seriously worried" 40 days ago: its floor (28 days) has passed and time alone holds her at high for
    # a review period; the one current sign supports low.
    subject = concern(world, "Bola", ["absent-from-school"], days_ago=40, worried=True)
    assert level_of(subject) == "high"
    assert latest(subject).explanation["held"]["from"] == "evidence"
    audit_checkpoint()

    decision = intake.do_review_risk_level(subject=subject, level="none", reason="Reviewed at the MASH meeting.",
                                           actor=mash)

    assert level_of(subject) == "low"  # at once, but not below what the current sign supports
    assert (decision.kind, decision.level) == ("review", "none")
    assert [(e.action, e.object_type) for e in new_audit_events()] == [("create", "risk_decision"), ("update", "risk")]
    event = assert_audit("create", actor=mash, object_type="risk_decision", reference=subject.reference)
    assert event.detail == {"service": "do_review_risk_level", "level": "none"}
    assert event.purpose == "Risk level reviewed"
    assert_trail_holds_no_text("MASH meeting")
    assert "MASH meeting" not in raw_column("risk_riskdecision", "reason", decision.pk)


def test_a_review_can_hold_her_higher_and_a_rise_to_high_raises_the_automatic_referral(world):
    mash = world.user("mash_lambeth")
    subject = concern(world, "Cleo", ["absent-from-school"], days_ago=3)
    assert level_of(subject) == "low"
    intake.do_review_risk_level(subject=subject, level="very_high", reason="Strategy discussion agreed this.",
                                actor=mash)
    assert level_of(subject) == "very_high"
    assert latest(subject).explanation["held"] == {"from": "review", "level": "very_high",
                                                   "on": timezone.localdate().isoformat()}
    assert Referral.objects.filter(subject=subject, automatic=True).count() == 1


# ---------------------------------------------------------------------------------------------------
# Protective factors
# ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("persona", ["teacher_lambeth", "dsl_lambeth", "mash_lambeth"])
def test_a_protective_factor_is_recorded_and_never_changes_the_score(world, persona):
    subject = concern(world, "Dara", [GIFTS], days_ago=3)
    before = (SubjectRisk.objects.get(subject=subject).score, Assessment.objects.filter(subject=subject).count())
    audit_checkpoint()
    actor = world.user(persona)
    factor = decisions.do_record_protective_factor(
        subject=subject, kind="trusted_adult", note="Talks to her aunt every week.",
        observed_on=timezone.localdate() - dt.timedelta(days=1), actor=actor)
    event = assert_audit("create", actor=actor, object_type="protective_factor", reference=subject.reference)
    assert event.detail == {"service": "do_record_protective_factor", "kind": "trusted_adult"}
    assert new_audit_events() == []  # no assessment: never subtracted
    after = (SubjectRisk.objects.get(subject=subject).score, Assessment.objects.filter(subject=subject).count())
    assert after == before
    assert (factor.agency, factor.recorded_by, factor.note) == (capabilities.agency_of(actor), actor,
                                                                "Talks to her aunt every week.")
    assert "aunt" not in raw_column("risk_protectivefactor", "note", factor.pk)
    assert_trail_holds_no_text("aunt")


# ---------------------------------------------------------------------------------------------------
# Refusals: nothing written, nothing in the trail
# ---------------------------------------------------------------------------------------------------
def _explain(world, subject, persona, **overrides):
    kwargs = {"subject": subject, "indicator": Indicator.objects.get(code=GIFTS), "reason": REASON,
              "actor": world.user(persona), **overrides}
    return decisions.do_mark_sign_explained(**kwargs)


def _review(world, subject, persona, **overrides):
    kwargs = {"subject": subject, "level": "low", "reason": REASON, "actor": world.user(persona), **overrides}
    return decisions.do_review_risk_level(**kwargs)


def _factor(world, subject, persona, **overrides):
    kwargs = {"subject": subject, "kind": "attending_education", "note": "Back at school full time.",
              "observed_on": timezone.localdate(), "actor": world.user(persona), **overrides}
    return decisions.do_record_protective_factor(**kwargs)


def _merged(world, subject):
    duplicate = subject
    survivor = concern(world, "Survivor", ["absent-from-school"], days_ago=1)
    intake.do_merge_subjects(survivor=survivor, duplicate=duplicate, reason="Same girl, same school.",
                             actor=world.user("mash_lambeth"))
    duplicate.refresh_from_db()
    return duplicate


REFUSALS = [
    # (name, service, persona, overrides, error)
    ("explain: the other borough's MASH lead", _explain, "mash_southwark", {}, PermissionDenied),
    ("explain: a practitioner", _explain, "teacher_lambeth", {}, PermissionDenied),
    ("explain: a DSL", _explain, "dsl_lambeth", {}, PermissionDenied),
    ("explain: a receiving worker", _explain, "csc_lambeth", {}, PermissionDenied),
    ("explain: an auditor", _explain, "auditor", {}, PermissionDenied),
    ("explain: a reason too short", _explain, "mash_lambeth", {"reason": "  grief   "}, ValidationError),
    ("explain: hostile reason", _explain, "mash_lambeth", {"reason": "Bereavement \u202e confirmed"},
     ValidationError),
    ("explain: a sign never seen", _explain, "mash_lambeth",
     {"indicator": "self-harm"}, ValidationError),
    ("explain: merged record", _explain, "mash_lambeth", {"subject": "merged"}, ValidationError),
    ("review: the other borough's MASH lead", _review, "mash_southwark", {}, PermissionDenied),
    ("review: a practitioner", _review, "teacher_lambeth", {}, PermissionDenied),
    ("review: a receiving worker", _review, "csc_lambeth", {}, PermissionDenied),
    ("review: unknown level", _review, "mash_lambeth", {"level": "extreme"}, ValidationError),
    ("review: a reason too short", _review, "mash_lambeth", {"reason": "ok"}, ValidationError),
    ("review: hostile reason", _review, "mash_lambeth", {"reason": "Reviewed today\x00 at MASH"}, ValidationError),
    ("review: merged record", _review, "mash_lambeth", {"subject": "merged"}, ValidationError),
    ("factor: a receiving worker", _factor, "csc_lambeth", {}, PermissionDenied),
    ("factor: a practitioner who cannot see her", _factor, "teacher_southwark", {}, PermissionDenied),
    ("factor: a GP of another agency", _factor, "gp_lambeth", {}, PermissionDenied),
    ("factor: the other borough's MASH lead", _factor, "mash_southwark", {}, PermissionDenied),
    ("factor: an administrator", _factor, "administrator", {}, PermissionDenied),
    ("factor: unknown kind", _factor, "teacher_lambeth", {"kind": "wealthy_family"}, ValidationError),
    ("factor: a future date", _factor, "teacher_lambeth",
     {"observed_on": timezone.localdate() + dt.timedelta(days=1)}, ValidationError),
    ("factor: hostile note", _factor, "teacher_lambeth", {"note": "Back at school\u2066 full time"},
     ValidationError),
    ("factor: merged record", _factor, "mash_lambeth", {"subject": "merged"}, ValidationError),
]


@pytest.mark.parametrize(("name", "service", "persona", "overrides", "error"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refusals_write_nothing(world, name, service, persona, overrides, error):
    subject = concern(world, "Efua", [GIFTS], days_ago=3)
    overrides = dict(overrides)
    if overrides.get("subject") == "merged":
        subject = _merged(world, overrides.pop("subject") and subject)
    if isinstance(overrides.get("indicator"), str):
        overrides["indicator"] = Indicator.objects.get(code=overrides["indicator"])
    counts = (RiskDecision.objects.count(), ProtectiveFactor.objects.count(), Assessment.objects.count())
    audit_checkpoint()
    with pytest.raises(error):
        service(world, subject, persona, **overrides)
    assert (RiskDecision.objects.count(), ProtectiveFactor.objects.count(), Assessment.objects.count()) == counts
    assert new_audit_events() == []


# ---------------------------------------------------------------------------------------------------
# Double submits
# ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("service", [_explain, _review, _factor], ids=["explain", "review", "factor"])
def test_the_same_form_submitted_twice_records_once(world, service):
    subject = concern(world, "Fola", [GIFTS], days_ago=3)
    key = uuid.uuid4()
    first = service(world, subject, "mash_lambeth", idempotency_key=key)
    audit_checkpoint()
    again = service(world, subject, "mash_lambeth", idempotency_key=key)
    row = first[0] if isinstance(first, tuple) else first
    assert (again[0] if isinstance(again, tuple) else again).pk == row.pk
    if isinstance(again, tuple):
        assert again[1].assessment is None and again[1].change is None
    assert new_audit_events() == []
    assert type(row).objects.filter(subject=subject).count() == 1


def test_a_key_replayed_by_someone_else_or_about_another_girl_is_refused(world):
    subject = concern(world, "Gina", [GIFTS], days_ago=3)
    other = concern(world, "Hana", [GIFTS], days_ago=3)
    key = uuid.uuid4()
    _factor(world, subject, "mash_lambeth", idempotency_key=key)
    with pytest.raises(PermissionDenied):
        _factor(world, subject, "teacher_lambeth", idempotency_key=key)
    decision_key = uuid.uuid4()
    _review(world, subject, "mash_lambeth", idempotency_key=decision_key)
    with pytest.raises(PermissionDenied):
        _review(world, other, "mash_lambeth", idempotency_key=decision_key)
    assert RiskDecision.objects.filter(subject=other).count() == 0
    assert ProtectiveFactor.objects.filter(recorded_by=world.user("teacher_lambeth")).count() == 0


@pytest.mark.parametrize(("first", "then", "changed"), [
    (_factor, _factor, {"kind": "trusted_adult"}),
    (_factor, _factor, {"note": "Something else entirely."}),
    (_review, _review, {"level": "medium"}),
    (_review, _explain, {}),  # a review's key sent on the explain-a-sign form
    (_explain, _explain, {"reason": "Another reason, typed later."}),
], ids=["factor-kind", "factor-note", "review-level", "review-as-explain", "explain-reason"])
def test_a_key_sent_again_with_something_else_is_refused_not_dropped(world, first, then, changed):
    """Only the same form sent again is a replay; anything else would be lost while the page said
    'recorded', so it is refused and nothing is written."""
    subject = concern(world, "Ines", [GIFTS], days_ago=3)
    key = uuid.uuid4()
    first(world, subject, "mash_lambeth", idempotency_key=key)
    counts = (RiskDecision.objects.count(), ProtectiveFactor.objects.count())
    audit_checkpoint()
    with pytest.raises(ValidationError, match="already been sent"):
        then(world, subject, "mash_lambeth", idempotency_key=key, **changed)
    assert (RiskDecision.objects.count(), ProtectiveFactor.objects.count()) == counts
    assert new_audit_events() == []
