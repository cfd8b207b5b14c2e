
"""Properties of the scoring engine under model v3 (hypothesis): adding a sign or a judgement never lowers
the level; floors always hold; time alone lowers a level by at most one step per review period; lifelong
vulnerabilities never expire; the same missing episode reported twice counts once."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from risk.catalogue import INDICATOR_CLASSES, V1_INDICATORS, V2_INDICATORS
from risk.scoring import LEVEL_RANK, V3_CONFIG, ConcernFact, Decision, assess, evaluator

KINDS = {code: kind for code, kind, *_rest in [*V1_INDICATORS, *V2_INDICATORS]}
CODES = sorted(KINDS)
SIGNS = sorted(code for code in CODES if INDICATOR_CLASSES[code] != "vulnerability")
START = dt.date(2026, 1, 1)
JUDGEMENTS = ["", "worried", "seriously_worried", "immediate_danger"]
STEPS = V3_CONFIG["step_down_days"]
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _ind(codes: list[str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((code, KINDS[code]) for code in set(codes)))


concern_st = st.builds(
    lambda n, agency, day, codes, judgement, age: ConcernFact(
        reference=f"C{n:04d}", agency_id=agency, observed_on=START + dt.timedelta(days=day),
        indicators=_ind(codes), judgement=judgement, age=age),
    st.integers(0, 9999), st.integers(1, 5), st.integers(0, 400), st.lists(st.sampled_from(CODES), max_size=4),
    st.sampled_from(JUDGEMENTS), st.one_of(st.none(), st.integers(10, 19)))
facts_st = st.lists(concern_st, min_size=1, max_size=6, unique_by=lambda c: c.reference)
day_st = st.integers(0, 900)


def level(facts, day, decisions=()) -> int:
    return LEVEL_RANK[assess(facts, V3_CONFIG, START + dt.timedelta(days=day), (), decisions).level]


@FAST
@given(facts_st, concern_st, day_st)
def test_adding_a_concern_never_lowers_the_level(facts, extra, day):
    extra = ConcernFact(reference="Z9999", agency_id=extra.agency_id, observed_on=extra.observed_on,
                        indicators=extra.indicators, judgement=extra.judgement, age=extra.age)
    assert level([*facts, extra], day) >= level(facts, day)


@FAST
@given(facts_st, st.data(), day_st)
def test_adding_a_sign_or_a_judgement_to_a_concern_never_lowers_the_level(facts, data, day):
    i = data.draw(st.integers(0, len(facts) - 1))
    code = data.draw(st.sampled_from(CODES))
    judgement = data.draw(st.sampled_from(JUDGEMENTS))
    old = facts[i]
    stronger = ConcernFact(reference=old.reference, agency_id=old.agency_id, observed_on=old.observed_on,
                           indicators=_ind([*(c for c, _k in old.indicators), code]), age=old.age,
                           judgement=max(old.judgement, judgement, key=JUDGEMENTS.index))
    assert level([*facts[:i], stronger, *facts[i + 1:]], day) >= level(facts, day)


@FAST
@given(facts_st, day_st)
def test_floors_always_hold(facts, day):
    today = START + dt.timedelta(days=day)
    rank = level(facts, day)
    for concern in facts:
        age_days = (today - concern.observed_on).days
        if age_days < 0:
            continue
        codes = {c for c, _k in concern.indicators}
        if concern.judgement == "immediate_danger" and age_days <= 28:
            assert rank == LEVEL_RANK["very_high"]
        if concern.judgement == "seriously_worried" and age_days <= 28:
            assert rank >= LEVEL_RANK["high"]
        if codes & {"sexual-assault-disclosed", "sexual-activity-with-adult-under-16"} and age_days <= 183:
            assert rank >= LEVEL_RANK["high"]
        if concern.age is not None and concern.age < 13 and set(SIGNS) & codes and age_days <= 183:
            assert rank >= LEVEL_RANK["medium"]


@FAST
@given(facts_st, day_st, st.integers(0, 400))
def test_time_alone_lowers_a_level_by_at_most_one_step_per_review_period(facts, day, gap):
    last = max(c.observed_on for c in facts)
    first_day = max(day, (last - START).days)  # after the last observation: only time passes
    before = level(facts, first_day)
    after = level(facts, first_day + gap)
    assert after <= before
    if before > 0:
        # At most one step within the review period of the level below.
        period = STEPS[list(LEVEL_RANK)[before - 1]] if before - 1 > 0 else 10**6
        if gap < period:
            assert after >= before - 1


@FAST
@given(facts_st, st.integers(0, 3650))
def test_lifelong_vulnerabilities_never_expire(facts, years_later):
    lifelong = ConcernFact(reference="L0001", agency_id=1, observed_on=START, age=12,
                           indicators=_ind(["learning-disability", "history-of-abuse"]))
    result = assess([lifelong], V3_CONFIG, START + dt.timedelta(days=years_later))
    assert {i["code"] for i in result.explanation["indicators"]} == {"learning-disability", "history-of-abuse"}
    assert result.score >= 2.0


@FAST
@given(st.integers(1, 5), st.integers(0, 1), day_st, facts_st)
def test_the_same_missing_episode_reported_twice_counts_once(agency, next_day, day, others):
    others = [c for c in others if not {"missing-from-home-or-care", "missing-overnight-or-found-with-adults"}
              & {code for code, _k in c.indicators}]
    missing = ConcernFact(reference="M0001", agency_id=agency, observed_on=START + dt.timedelta(days=200),
                          indicators=_ind(["missing-overnight-or-found-with-adults"]))
    again = ConcernFact(reference="M0002", agency_id=agency, observed_on=missing.observed_on + dt.timedelta(days=next_day),  # noqa: E501
                        indicators=_ind(["missing-overnight-or-found-with-adults"]))
    when = START + dt.timedelta(days=201 + day)
    # Its second report (the same night, or the next day, by the same agency) adds nothing to what the
    # later report says alone: not to the score, not to the episodes, not to the level.
    once = assess([*others, again], V3_CONFIG, when)
    twice = assess([*others, missing, again], V3_CONFIG, when)
    assert (twice.score, twice.level) == (once.score, once.level)
    episodes = [lift["value"] for lift in twice.explanation["lifts"] if lift.get("rule") == "missing_episodes"]
    assert all(value == 1 for value in episodes)


def test_a_level_review_lets_the_level_fall_at_once_but_never_below_the_evidence():
    facts = [ConcernFact("C1", 1, START, indicators=_ind(["older-boyfriend-or-associate", "carrying-for-others"]))]
    at = START + dt.timedelta(days=200)  # signs are "recent" now: the evidence supports low
    assert assess(facts, V3_CONFIG, at).level == "medium"  # held
    reviewed = [Decision("review", at, level="low")]
    assert assess(facts, V3_CONFIG, at, (), reviewed).level == "low"
    # A review cannot overrule current signs.
    assert assess(facts, V3_CONFIG, START + dt.timedelta(days=10), (), [Decision("review", START, level="none")]
                  ).level == "medium"


def test_a_sign_explained_and_verified_stops_counting_until_it_is_seen_again():
    grief = [ConcernFact("C1", 1, START, indicators=_ind(["bereavement-or-loss", "change-in-appearance"]))]
    marked = [Decision("explained", START + dt.timedelta(days=1), code="change-in-appearance")]
    result = assess(grief, V3_CONFIG, START + dt.timedelta(days=2), (), marked)
    assert result.explanation["explained_and_verified"] == ["change-in-appearance"]
    assert result.score == 1.0
    later = [*grief, ConcernFact("C2", 2, START + dt.timedelta(days=5), indicators=_ind(["change-in-appearance"]))]
    assert assess(later, V3_CONFIG, START + dt.timedelta(days=6), (), marked).score == 2.0


decision_st = st.lists(st.builds(
    lambda kind, day, code, lvl: Decision(kind=kind, on=START + dt.timedelta(days=day),
                                          code=code if kind == "explained" else "",
                                          level=lvl if kind == "review" else ""),
    st.sampled_from(["explained", "review"]), st.integers(0, 500), st.sampled_from(CODES),
    st.sampled_from(["none", "low", "medium", "high"])), max_size=3)


@FAST
@given(facts_st, decision_st, st.lists(day_st, min_size=2, max_size=12))
def test_one_evaluator_asked_about_many_days_in_any_order_answers_as_a_fresh_one(facts, decisions, days):
    """``next_due_on`` asks one evaluator about a dozen days, and it remembers what it worked out (each
    day's evidence, and the day the evidence stopped supporting a level): the answers must not depend on
    what it was asked before."""
    engine = evaluator(facts, V3_CONFIG, (), decisions)
    for day in days:
        on = START + dt.timedelta(days=day)
        asked, fresh = engine.at(on), assess(facts, V3_CONFIG, on, (), decisions)
        assert (asked.level, asked.score, asked.explanation) == (fresh.level, fresh.score, fresh.explanation)
