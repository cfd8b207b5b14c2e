"""Every measure on a small fixed dataset built through the services, with numbers checked by hand.

Computed with the threshold 1 and no rounding, so that the raw counts show; the same data under the real
rules (threshold 10, rounding to 5) publishes nothing from 1 to 9. All the girls' concerns are recorded
today, so their identification falls in the current month and quarter."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from casework import services as casework_services
from partnership.choices import MEDIAN, P90, TOTAL
from partnership.models import PublishedCell, StatisticsRun
from partnership.services import do_aggregate_statistics
from partnership.tables import month_code, quarter_code
from referrals import routing
from referrals.choices import ConsentPosition, LegalBasis
from risk.map.models import LinkType, Place, PlaceKind
from risk.models import RegisterEntry
from risk.services.register import do_record_review, do_remove_from_register
from tests.audit_helpers import assert_audit
from tests.casework.cases import routed_girl, strategy_discussion
from tests.factories import advance_referral, new_concern, new_referral, raise_automatic_referral
from tests.risk.map_cases import link

MISSING = ("missing-from-home-or-care",)


def _born(years: int) -> dt.date:
    """A date of birth making her ``years`` old from about two months ago until ten months from now."""
    today = timezone.localdate()
    return (today - dt.timedelta(days=60)).replace(year=today.year - years, day=1)


@pytest.fixture
def dataset(world):
    """Six girls in Lambeth and one in Southwark:

    * A (school, 14): signs seen 10 days ago; two more concerns today about going missing (GP, school),
      which put her on the register at medium; referred by the school's DSL today, routed by the MASH to a
      child in need assessment today.
    * B (GP, 14): signs seen 4 days ago; referred by the MASH lead, routed today.
    * C (police, 16): signs seen 2 days ago; no referral.
    * D (Southwark youth offending, 16): no referral.
    * E (school, 14): signs seen 6 days ago; a referral received by telephone five days ago (so decided
      late), routed today.
    * F and G (school): one concern each puts them at high: on the register, with an automatic referral
      (undecided). F's entry is reviewed today; G is taken off the register today (she moved away).
    * C and E are both linked to one park by the Lambeth MASH: a context of concern (threshold 2).
    """
    mash = world.user("mash_lambeth")
    a = new_concern(world, "teacher_lambeth", given="Alinta", family="Quorrel", dob=_born(14), days_ago=10,
                    indicators=MISSING).subject
    new_concern(world, "gp_lambeth", subject=a, days_ago=0, indicators=MISSING)
    new_concern(world, "teacher_lambeth", subject=a, days_ago=0, indicators=MISSING)
    b = new_concern(world, "gp_lambeth", given="Berenike", family="Quorrel", dob=_born(14), days_ago=4,
                    indicators=("absent-from-school",)).subject
    c = new_concern(world, "police_lambeth", given="Cordelie", family="Quorrel", dob=_born(16), days_ago=2,
                    indicators=("absent-from-school",)).subject
    d = new_concern(world, "yot_southwark", given="Delphine", family="Quorrel", dob=_born(16), days_ago=1,
                    borough="Southwark", indicators=("absent-from-school",)).subject
    e = new_concern(world, "teacher_lambeth", given="Evadne", family="Quorrel", dob=_born(14), days_ago=6,
                    indicators=("absent-from-school",)).subject
    for subject, actor in ((a, "dsl_lambeth"), (b, "mash_lambeth")):
        advance_referral(world, new_referral(world, subject, actor=actor), "decided")
    late = routing.do_make_referral(e, summary="Telephoned in.", legal_basis=LegalBasis.SAFEGUARDING,
                                    consent=ConsentPosition.GIVEN, actor=world.user("dsl_lambeth"),
                                    received_at=timezone.now() - dt.timedelta(days=5))
    advance_referral(world, late, "decided")
    f = raise_automatic_referral(world, n=41).subject
    g = raise_automatic_referral(world, n=42).subject
    do_record_review(entry=RegisterEntry.objects.get(subject=f), outcome="continue", notes="Reviewed.", actor=mash)
    do_remove_from_register(entry=RegisterEntry.objects.get(subject=g), reason_code="moved_away",
                            reason="Moved out of London.", actor=mash)
    park = Place(name="Quorrel Rec", kind=PlaceKind.PARK)
    link(world, "mash_lambeth", c, park, LinkType.FREQUENTS)
    link(world, "mash_lambeth", e, park, LinkType.FREQUENTS)
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f, "g": g}


def _published(run: StatisticsRun, measure: str, area: str | None, period: str) -> dict[str, Decimal | None]:
    cells = PublishedCell.objects.filter(run=run, measure=measure, period=period)
    cells = cells.filter(borough__isnull=True) if area is None else cells.filter(borough__name=area)
    return {cell.category: cell.value for cell in cells}


def _nonzero(values: dict[str, Decimal | None]) -> dict[str, int | Decimal | None]:
    return {code: (int(v) if v is not None and v == v.to_integral_value() else v)
            for code, v in values.items() if v != 0}


def test_every_measure_on_the_fixed_dataset(world, dataset):
    # The register as the scoring model left it: A (three concerns about going missing) at medium, F (on,
    # reviewed) and G (taken off) at high; nobody else was ever on it.
    entries = {e.subject_id: (e.status, e.level) for e in RegisterEntry.objects.all()}
    assert entries == {dataset["a"].pk: ("on", "medium"), dataset["f"].pk: ("on", "high"),
                       dataset["g"].pk: ("removed", "high")}
    run = do_aggregate_statistics(threshold=1, rounding_base=1)
    assert_audit("create", object_type="statistics", reference=run.pk, service="do_aggregate_statistics")
    today = timezone.localdate()
    month, quarter = month_code(today), quarter_code(today)

    # Identified: A, B, C, E, F, G in Lambeth (school: A, E, F, G; GP: B; police: C); D in Southwark (YOT).
    lambeth = {"school": 4, "gp_practice": 1, "police": 1, "universal": 5, "police_or_yot": 1, TOTAL: 6}
    assert _nonzero(_published(run, "identified", "Lambeth", month)) == lambeth
    assert _nonzero(_published(run, "identified", "Lambeth", quarter)) == lambeth
    assert _nonzero(_published(run, "identified", "Southwark", month)) == {
        "youth_offending_team": 1, "police_or_yot": 1, TOTAL: 1}
    assert _nonzero(_published(run, "identified", None, month)) == {
        "school": 4, "gp_practice": 1, "police": 1, "youth_offending_team": 1, "universal": 5, "police_or_yot": 2,
        TOTAL: 7}
    # Ages when first seen: A, B, E 14; C and D 16; F and G as the factory made them (born 2011: 15).
    ages = _nonzero(_published(run, "age_at_identification", None, month))
    assert ages[TOTAL] == 7 and ages["13_15"] == 5 and ages["16_17"] == 2

    # First concern to first MASH decision (today): A 10 days, B 4, E 6. Median 6; 90th percentile
    # 6 + 0.8 × (10 − 6) = 9.2. Each went to a child in need assessment (a specialist pathway) at once.
    for measure in ("days_to_decision", "days_to_pathway"):
        assert _published(run, measure, "Lambeth", month) == {MEDIAN: Decimal("6.0"), P90: Decimal("9.2")}
        assert _published(run, measure, "Southwark", month) == {MEDIAN: None, P90: None}

    # Decisions: A and B within one working day; E, received five days ago, later.
    assert _nonzero(_published(run, "referral_decisions", "Lambeth", month)) == {"within": 2, "later": 1, TOTAL: 3}
    assert _nonzero(_published(run, "pathways_chosen", "Lambeth", month)) == {"social_care": 3, TOTAL: 3}
    assert _nonzero(_published(run, "strategy_discussions", None, month)) == {}

    # The register: A entered at medium, F and G at high; G left (0 days on it); A and F are on it at the
    # month's end; F's review was on time.
    assert _nonzero(_published(run, "register_entries", "Lambeth", month)) == {"medium": 1, "high": 2, TOTAL: 3}
    assert _nonzero(_published(run, "register_exits", "Lambeth", month)) == {"moved_away": 1, TOTAL: 1}
    assert _published(run, "days_on_register", "Lambeth", month) == {MEDIAN: Decimal("0.0"), P90: Decimal("0.0")}
    assert _nonzero(_published(run, "register_levels", "Lambeth", month)) == {"medium": 1, "high": 1, TOTAL: 2}
    assert _nonzero(_published(run, "register_levels", "Lambeth", quarter)) == {"medium": 1, "high": 1, TOTAL: 2}
    assert _nonzero(_published(run, "register_reviews", "Lambeth", month)) == {"on_time": 1, TOTAL: 1}

    # Repeat missing: A, twice today (her first concern, ten days ago, may fall in last month).
    assert _nonzero(_published(run, "repeat_missing", "Lambeth", month)) == {TOTAL: 1}
    # Contexts: the park, linked to C and E; never which park.
    assert _nonzero(_published(run, "contexts", "Lambeth", "current")) == {"place": 1, TOTAL: 1}
    assert not PublishedCell.objects.filter(run=run, category__icontains="Quorrel").exists()
    # No case work here: no outcomes.
    assert _nonzero(_published(run, "outcomes", None, month)) == {}


def test_case_work_measures_on_a_second_fixed_dataset(world):
    """Strategy discussions against their clock, outcomes by kind and exits by reason, by hand:

    * H and J, Lambeth girls at high, each routed by the Lambeth MASH today into a strategy discussion
      (accepted by children's social care), police disruption and the specialist service. H's discussion is
      held two hours later (within its clock); J's is not held yet (her clock still runs).
    * Outcomes: H engaged with the specialist service today (social care records it) and her missing
      episodes stopped today (the MASH records it); J moved placement 40 days ago. One outcome recorded
      for a Southwark girl K: back in education today.
    * H comes off the register today: her risk came down.
    """
    h_referral, j_referral = routed_girl(world), routed_girl(world)
    strategy_discussion(world, h_referral, hours_ago=0)
    h, j = h_referral.subject, j_referral.subject
    today = timezone.localdate()
    earlier = today - dt.timedelta(days=40)
    record = casework_services.do_record_outcome
    record(subject=h, kind="engaged_specialist", occurred_on=today, note="", actor=world.user("csc_lambeth"))
    record(subject=h, kind="missing_stopped", occurred_on=today, note="", actor=world.user("mash_lambeth"))
    record(subject=j, kind="moved_placement", occurred_on=earlier, note="", actor=world.user("mash_lambeth"))
    k = new_concern(world, "yot_southwark", given="Kassia", family="Quorrel", dob=_born(15), borough="Southwark",
                    indicators=("absent-from-school",)).subject
    record(subject=k, kind="back_in_education", occurred_on=today, note="", actor=world.user("mash_southwark"))
    do_remove_from_register(entry=RegisterEntry.objects.get(subject=h), reason_code="risk_reduced",
                            reason="Support in place.", actor=world.user("mash_lambeth"))

    run = do_aggregate_statistics(threshold=1, rounding_base=1)
    month, quarter = month_code(today), quarter_code(today)
    # Two strategy-discussion pathways decided today: H's held within its clock, J's clock still running.
    assert _nonzero(_published(run, "strategy_discussions", "Lambeth", month)) == {
        "within": 1, "running": 1, TOTAL: 2}
    # Outcomes on the day they happened, in her home borough.
    assert _nonzero(_published(run, "outcomes", "Lambeth", month)) == {
        "engaged_specialist": 1, "missing_stopped": 1, TOTAL: 2}
    assert _nonzero(_published(run, "outcomes", "Lambeth", month_code(earlier))) == {"moved_placement": 1, TOTAL: 1}
    lambeth_quarter = {"engaged_specialist": 1, "missing_stopped": 1, TOTAL: 2}
    if quarter_code(earlier) == quarter:
        lambeth_quarter |= {"moved_placement": 1, TOTAL: 3}
    assert _nonzero(_published(run, "outcomes", "Lambeth", quarter)) == lambeth_quarter
    assert _nonzero(_published(run, "outcomes", "Southwark", month)) == {"back_in_education": 1, TOTAL: 1}
    assert _nonzero(_published(run, "outcomes", None, month)) == {
        "engaged_specialist": 1, "missing_stopped": 1, "back_in_education": 1, TOTAL: 3}
    # H's exit, by the reason chosen.
    assert _nonzero(_published(run, "register_exits", "Lambeth", month)) == {"risk_reduced": 1, TOTAL: 1}
    # Under the real rules every one of these small counts is withheld.
    real = do_aggregate_statistics()
    assert _published(real, "outcomes", "Lambeth", month)[TOTAL] is None
    assert _published(real, "strategy_discussions", "Lambeth", month)["within"] is None


def test_exits_recorded_before_reasons_were_coded_count_as_not_recorded(world):
    """A removal whose row history carries no code (written before reasons were coded; the migration marks
    such rows 'not recorded', and the statistics read a blank the same way)."""
    entry = RegisterEntry.objects.get(subject=raise_automatic_referral(world, n=43).subject)
    do_remove_from_register(entry=entry, reason_code="in_error", reason="Added in error.",
                            actor=world.user("mash_lambeth"))
    RegisterEntry.history.filter(id=entry.pk, status="removed").update(removal_reason_code="")
    run = do_aggregate_statistics(threshold=1, rounding_base=1)
    assert _nonzero(_published(run, "register_exits", "Lambeth", month_code(timezone.localdate()))) == {
        "not_recorded": 1, TOTAL: 1}


def test_the_same_data_under_the_real_rules_publishes_no_small_number(world, dataset):
    run = do_aggregate_statistics()
    assert (run.threshold, run.rounding_base) == (10, 5)
    counts = PublishedCell.objects.filter(run=run).exclude(category__in=[MEDIAN, P90])
    assert not counts.filter(value__gt=0, value__lt=10).exists()
    assert not counts.exclude(value=None).exclude(value=0).exists()  # every figure is below 10 here
    assert run.suppressed > 0
    # A group of three decisions gives no median.
    assert not PublishedCell.objects.filter(run=run, category__in=[MEDIAN, P90]).exclude(value=None).exists()
    month = month_code(timezone.localdate())
    assert _published(run, "identified", None, month)[TOTAL] is None


def test_a_new_run_replaces_the_old_ones_beyond_three(world):
    runs = [do_aggregate_statistics(threshold=1, rounding_base=1) for _ in range(4)]
    assert list(StatisticsRun.objects.values_list("pk", flat=True).order_by("pk")) == [r.pk for r in runs[1:]]
    assert not PublishedCell.objects.filter(run_id=runs[0].pk).exists()
