"""The scoring engine as tables of scenarios: plain data in, level and explanation out (no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from risk.scoring import V1_CONFIG, ConcernFact, assess, level_for_score

TODAY = dt.date(2026, 11, 27)
W, V = "warning_sign", "vulnerability"
SCHOOL, GP, POLICE = 1, 2, 3


def c(days_ago: int, *signs: tuple[str, str], agency: int = SCHOOL, worried: bool = False,
      ref: str = "") -> ConcernFact:
    return ConcernFact(reference=ref or f"C-{days_ago}-{agency}-{len(signs)}", agency_id=agency,
                       observed_on=TODAY - dt.timedelta(days=days_ago), seriously_worried=worried,
                       indicators=tuple(signs))


MISSING = ("missing-from-home-or-care", W)        # weight 4
ABSENT = ("absent-from-school", W)                # default 3
INJURY = ("physical-injuries", W)                 # default 3
BOYFRIEND = ("older-boyfriend-or-associate", W)   # weight 5
CARRYING = ("carrying-for-others", W)             # weight 5
GIFTS = ("gifts-from-unknown-sources", W)         # weight 4
CARE = ("residential-care", V)                    # default 2
GANG_FAMILY = ("gang-association-relatives-peers-partners", V)  # weight 3

SCENARIOS = [
    # (name, concerns, days moved forward, expected level, expected score or None)
    ("no concerns, no risk", [], 0, "none", 0.0),
    ("one fresh warning sign is low", [c(0, ABSENT)], 0, "low", 3.0),
    ("a warning sign halves after one half-life", [c(90, ABSENT)], 0, "low", 1.5),
    ("a vulnerability does not decay", [c(300, CARE)], 0, "low", 2.0),
    ("signs beyond two years stop counting", [c(800, ABSENT)], 0, "none", 0.0),
    ("weights add up to medium", [c(0, BOYFRIEND, GIFTS)], 0, "medium", 9.0),
    ("weights add up to high", [c(0, BOYFRIEND, CARRYING, GIFTS, GANG_FAMILY)], 0, "high", 17.0),
    ("weights add up to very high",
     [c(0, BOYFRIEND, CARRYING, GIFTS, MISSING, GANG_FAMILY, ("unexplained-phones-or-money", W))], 0,
     "very_high", 25.0),
    ("corroboration: the same sign from two agencies counts 1.5 times",
     [c(0, BOYFRIEND, agency=SCHOOL), c(0, BOYFRIEND, agency=GP)], 0, "low", 7.5),
    ("the same sign twice from one agency counts once", [c(5, ABSENT), c(0, ABSENT)], 0, "low", 3.0),
    ("three different warning signs in a year lift to medium",
     [c(200, ABSENT), c(150, INJURY), c(100, ("self-harm", W))], 0, "medium", None),
    ("seriously worried lifts to high", [c(0, ABSENT, worried=True)], 0, "high", 3.0),
    ("seriously worried with no signs at all still lifts to high", [c(0, worried=True)], 0, "high", 0.0),
    ("three concerns in a year lift to medium (escalation)",
     [c(300, CARE, ref="a"), c(200, CARE, ref="b"), c(100, CARE, ref="c")], 0, "medium", 2.0),
    ("two missing episodes lift to high", [c(60, MISSING), c(3, MISSING)], 0, "high", None),
    ("two agencies reporting the same missing night is one episode",
     [c(3, MISSING, agency=SCHOOL), c(3, MISSING, agency=POLICE)], 0, "low", 5.86),
]


@pytest.mark.parametrize(("name", "concerns", "forward", "level", "score"), SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_scenarios(name, concerns, forward, level, score):
    result = assess(concerns, V1_CONFIG, TODAY + dt.timedelta(days=forward))
    assert result.level == level, result.explanation
    if score is not None:
        assert result.score == pytest.approx(score, abs=0.02)


def test_decay_lowers_the_level_over_time_and_a_new_concern_raises_it_again():
    history = [c(0, BOYFRIEND, CARRYING, GIFTS, GANG_FAMILY)]
    levels = [assess(history, V1_CONFIG, TODAY + dt.timedelta(days=d)).level for d in (0, 60, 400)]
    assert levels == ["high", "medium", "low"]  # the vulnerability stays: never back to none
    later = TODAY + dt.timedelta(days=400)
    history.append(c(-400, BOYFRIEND, CARRYING))
    assert assess(history, V1_CONFIG, later).level == "medium"


@pytest.mark.parametrize("base", [
    [c(0, BOYFRIEND, CARRYING, GIFTS, MISSING, GANG_FAMILY, ("unexplained-phones-or-money", W))],
    [c(0, BOYFRIEND, CARRYING, GIFTS, GANG_FAMILY)],
])
def test_professional_judgement_never_lowers_a_level(base):
    before = assess(base, V1_CONFIG, TODAY)
    after = assess([*base, c(0, worried=True, ref="judgement")], V1_CONFIG, TODAY)
    assert after.rank >= before.rank
    assert after.rank >= 3


def test_the_explanation_names_each_indicator_agency_age_contribution_rules_and_version():
    result = assess([c(10, BOYFRIEND, agency=GP), c(0, BOYFRIEND, agency=SCHOOL, worried=True)], V1_CONFIG, TODAY)
    assert result.explanation["model_version"] == 1
    [item] = result.explanation["indicators"]
    assert item["code"] == "older-boyfriend-or-associate"
    assert item["agency"] == SCHOOL and item["agencies"] == [SCHOOL, GP] and item["age_days"] == 0
    assert item["corroborated"] is True and item["contribution"] == 7.5
    assert [lift["rule"] for lift in result.explanation["lifts"]] == ["seriously_worried"]


@pytest.mark.parametrize(("score", "level"), [(0, "none"), (0.99, "none"), (1, "low"), (7.99, "low"), (8, "medium"),
                                              (15, "high"), (23.9, "high"), (24, "very_high"), (99, "very_high")])
def test_thresholds(score, level):
    assert level_for_score(score, V1_CONFIG["thresholds"]) == level


def test_thresholds_are_configuration():
    config = {**V1_CONFIG, "thresholds": {"low": 1, "medium": 2, "high": 3, "very_high": 4}, "lifts": []}
    assert assess([c(0, ABSENT)], config, TODAY).level == "high"


# --- Model v2: the association map (a context of concern, an associate of concern) -----------------------
from risk.scoring import V2_CONFIG  # noqa: E402

CONTEXT = {"kind": "context_of_concern", "node": "P-AAAA-AAAA", "node_type": "place", "subjects": 3}
ASSOCIATE = {"kind": "associate_of_concern", "node": "A-BBBB-BBBB", "node_type": "associate", "subjects": 2}


def test_map_links_are_explained_and_lift_at_most_to_medium():
    # Nothing else known: map links alone, however many, reach medium and no further.
    many = [CONTEXT, ASSOCIATE, {**CONTEXT, "node": "G-CCCC-CCCC"}, {**ASSOCIATE, "node": "A-DDDD-DDDD"},
            {**CONTEXT, "node": "P-EEEE-EEEE"}]
    result = assess([], V2_CONFIG, TODAY, many)
    assert result.level == "medium"
    assert {item["node"] for item in result.explanation["map"]} == {f["node"] for f in many}
    assert result.explanation["model_version"] == 2


def test_map_links_never_lower_a_level_and_add_to_a_high_one_only_by_score():
    worried = [c(0, BOYFRIEND, worried=True)]
    assert assess(worried, V2_CONFIG, TODAY, [CONTEXT]).level == assess(worried, V1_CONFIG, TODAY).level == "high"


def test_removing_the_link_lowers_the_level_at_the_next_assessment():
    signs = [c(0, BOYFRIEND)]
    with_link = assess(signs, V2_CONFIG, TODAY, [CONTEXT, ASSOCIATE])
    without = assess(signs, V2_CONFIG, TODAY, [])
    assert with_link.score > without.score and with_link.level == "medium" and without.level == "low"
    assert without.explanation["map"] == []


def test_the_same_node_counts_once():
    assert assess([], V2_CONFIG, TODAY, [CONTEXT, CONTEXT]).score == 3.0
