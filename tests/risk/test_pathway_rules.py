"""The pathway catalogue v1 and its recommendation rules, as tables (each rule, its reasons, at
ages 12, 15, 17 and 18), and properties of ``risk.pathways.recommend`` (hypothesis). Pure: no database."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agencies.choices import AgencyKind
from referrals.choices import Pathway
from risk import pathways
from risk.catalogue import INDICATOR_CLASSES
from risk.pathways import PathwayFacts, recommend

CATALOGUE = pathways.load(pathways.V1_CATALOGUE)
CATALOGUE_V2 = pathways.load(pathways.V2_CATALOGUE)
AGES = (12, 15, 17, 18)


def facts(*, level: str = "none", codes: tuple[str, ...] = (), judgements: tuple[str, ...] = (),
          map_kinds: tuple[str, ...] = (), age: int | None = 15, open_pathways: tuple[str, ...] = ()) -> PathwayFacts:
    return PathwayFacts(level=level, codes=frozenset(codes), judgements=frozenset(judgements),
                        map_kinds=frozenset(map_kinds), age=age, open_pathways=frozenset(open_pathways))


def fired(result: pathways.Proposal) -> dict[str, list[str]]:
    """pathway -> the rules that fired for it (recommended or already open)."""
    return {item.pathway.code: [reason.rule for reason in item.reasons]
            for item in (*result.recommended, *result.already_open)}


# (rule, pathway, her facts apart from her age, fires at 12, 15, 17, 18). Each row is the least that
# makes the rule fire where its ages allow; the statuses are written out, not computed.
Y, N = True, False
RULES: list[tuple[str, str, dict[str, Any], tuple[bool, bool, bool, bool]]] = [
    ("early-help-low", "early_help", {"level": "low"}, (Y, Y, Y, N)),
    ("assessment-medium", "csc_assessment", {"level": "medium"}, (Y, Y, Y, N)),
    ("strategy-high", "csc_strategy", {"level": "high"}, (Y, Y, Y, N)),
    ("strategy-same-day-very-high", "csc_strategy", {"level": "very_high"}, (Y, Y, Y, N)),
    ("strategy-same-day-danger", "csc_strategy", {"level": "low", "judgements": ("immediate_danger",)},
     (Y, Y, Y, N)),
    ("conference-after-strategy", "cp_conference", {"level": "high", "open_pathways": ("csc_strategy",)},
     (Y, Y, Y, N)),
    ("mace-exploitation-signs", "mace", {"level": "medium", "codes": ("county-lines",)}, (Y, Y, Y, N)),
    ("mace-person-of-concern", "mace", {"map_kinds": ("associate_of_concern",)}, (Y, Y, Y, N)),
    ("nrm-trafficking-signs", "nrm", {"codes": ("adult-controlled-places",)}, (Y, Y, Y, Y)),
    ("police-sexual-offence", "police_sot", {"codes": ("image-based-abuse",)}, (Y, Y, Y, Y)),
    ("police-criminal-exploitation", "police_cce", {"codes": ("debt-threats-intimidation",)}, (Y, Y, Y, Y)),
    ("police-disrupt-signs", "police_disruption", {"codes": ("picked-up-in-cars-by-unknown-adults",)},
     (Y, Y, Y, N)),
    ("police-disrupt-map", "police_disruption", {"map_kinds": ("adult_associate_under_16",)}, (Y, Y, Y, N)),
    ("police-threat-danger", "police_threat", {"judgements": ("immediate_danger",)}, (Y, Y, Y, Y)),
    ("police-threat-very-high", "police_threat",
     {"level": "very_high", "codes": ("used-to-set-up-or-hold-weapons",)}, (Y, Y, Y, Y)),
    ("specialist-gang-signs", "specialist_cse", {"level": "medium", "codes": ("territorial-restrictions",)},
     (Y, Y, Y, Y)),
    ("specialist-map", "specialist_cse", {"map_kinds": ("gang_involved_partner",)}, (Y, Y, Y, Y)),
    ("youth-offending", "youth_offending", {"codes": ("involvement-in-offending",)}, (Y, Y, Y, N)),
    ("sexual-health", "sexual_health", {"codes": ("repeat-sti-pregnancy-termination",)}, (Y, Y, Y, Y)),
    ("camhs", "camhs", {"codes": ("self-harm",)}, (Y, Y, Y, N)),
    ("havens", "havens", {"codes": ("sexual-assault-disclosed",)}, (Y, Y, Y, Y)),
    ("pre-birth", "pre_birth", {"codes": ("pregnancy-under-16",)}, (Y, Y, Y, Y)),
    ("marac-16-17", "marac", {"codes": ("controlling-or-violent-relationship",)}, (N, N, Y, N)),
    ("marac-16-17-partner-on-map", "marac", {"map_kinds": ("gang_involved_partner",)}, (N, N, Y, N)),
    ("marac-16-17-alongside", "csc_assessment", {"level": "low", "codes": ("older-boyfriend-or-associate",)},
     (N, N, Y, N)),
    ("marac-adult", "marac", {"codes": ("controlling-or-violent-relationship",)}, (N, N, N, Y)),
    ("adult-safeguarding", "adult_safeguarding", {"level": "medium"}, (N, N, N, Y)),
    ("leaving-care", "leaving_care", {"codes": ("residential-care",)}, (N, N, N, Y)),
    ("context-of-concern", "context", {"map_kinds": ("context_of_concern",)}, (Y, Y, Y, Y)),
]

CASES = [pytest.param(rule, pathway, given_facts, age, expected, id=f"{rule}-{age}")
         for rule, pathway, given_facts, expect in RULES for age, expected in zip(AGES, expect, strict=True)]


def test_every_rule_of_the_catalogue_has_a_row():
    assert sorted(rule for rule, *_rest in RULES) == sorted(rule.code for rule in CATALOGUE.rules)
    assert {rule.code: rule.pathway for rule in CATALOGUE.rules} == {rule: p for rule, p, *_rest in RULES}


@pytest.mark.parametrize(("rule", "pathway", "given_facts", "age", "expected"), CASES)
def test_each_rule_with_its_reason_at_12_15_17_and_18(rule, pathway, given_facts, age, expected):
    result = recommend(facts(age=age, **given_facts), CATALOGUE)
    assert (rule in fired(result).get(pathway, [])) is expected
    if expected:
        item = next(i for i in (*result.recommended, *result.already_open) if i.pathway.code == pathway)
        reason = next(r for r in item.reasons if r.rule == rule)
        spec = next(r for r in CATALOGUE.rules if r.code == rule)
        assert reason.text == spec.reason and reason.sources == spec.sources and reason.sources
        # What made it fire is named: the sign, judgement, map kind or open pathway the row gave, her age
        # where the rule depends on it, her level where it does.
        for key, name in (("codes", "codes"), ("judgements", "judgements"), ("map_kinds", "map"),
                          ("open_pathways", "open")):
            if key in given_facts and name in reason.matched:
                assert reason.matched[name] == sorted(given_facts[key])
        assert set(reason.matched) >= ({"codes"} if "any_code" in spec.when else set())
        if "age_from" in spec.when or "age_below" in spec.when:
            assert reason.matched["age"] == age
        if "min_level" in spec.when or "max_level" in spec.when:
            assert reason.matched["level"] == given_facts["level"]


@pytest.mark.parametrize(("level", "judgement", "age", "clock", "urgent"), [
    ("high", "", 15, "Within 1 working day of the MASH's decision", False),
    ("very_high", "", 12, "The same day as the MASH's decision", True),
    ("medium", "immediate_danger", 17, "The same day as the MASH's decision", True),
])
def test_a_strategy_discussion_is_same_day_at_very_high_or_in_immediate_danger(level, judgement, age, clock, urgent):
    result = recommend(facts(level=level, judgements=(judgement,) if judgement else (), age=age), CATALOGUE)
    strategy = next(item for item in result.recommended if item.pathway.code == "csc_strategy")
    assert strategy.clock.label == clock and strategy.urgent is urgent
    if urgent:  # the most urgent come first
        assert result.recommended[0].urgent


@pytest.mark.parametrize(("age", "nrm", "police_sot", "marac"), [
    (12, "none", "none", None),
    (15, "none", "none", None),
    (17, "none", "none", "none"),
    (18, "informed", "informed", "views_sought"),
    (None, "none", "none", None),
])
def test_consent_depends_on_her_age(age, nrm, police_sot, marac):
    result = recommend(facts(age=age, codes=("county-lines", "sexual-assault-disclosed",
                                             "controlling-or-violent-relationship")), CATALOGUE)
    consent = {item.pathway.code: item.consent for item in result.recommended}
    assert consent["nrm"] == nrm and consent["police_sot"] == police_sot
    assert consent.get("marac") == marac


def test_a_pathway_already_open_is_shown_apart_and_not_proposed_again():
    result = recommend(facts(level="high", open_pathways=("csc_strategy",)), CATALOGUE)
    assert "csc_strategy" not in result.codes
    assert [item.pathway.code for item in result.already_open] == ["csc_strategy"]
    assert "cp_conference" in result.codes  # the conference follows the open strategy discussion


def test_a_girl_with_no_signs_and_no_level_is_proposed_nothing():
    assert recommend(facts(), CATALOGUE).recommended == ()


def test_facts_come_from_the_assessment_explanation():
    explanation = {
        "indicators": [{"code": "county-lines", "class": "significant"}, {"code": "self-harm"}],
        "lifts": [{"rule": "judgement", "judgement": "immediate_danger", "level": "very_high"},
                  {"rule": "missing_episodes", "value": 3}],
        "map": [{"kind": "context_of_concern", "node": "P-1"}],
    }
    got = pathways.facts_from_assessment("very_high", explanation, age=14, open_pathways=["early_help", ""])
    assert got == facts(level="very_high", codes=("county-lines", "self-harm"), judgements=("immediate_danger",),
                        map_kinds=("context_of_concern",), age=14, open_pathways=("early_help",))
    assert pathways.facts_from_assessment("", None, age=None) == facts(age=None)


# ---------------------------------------------------------------------------------------------------
# The catalogue itself
# ---------------------------------------------------------------------------------------------------
def test_the_catalogue_has_every_pathway_the_issue_names():
    assert {p.code for p in CATALOGUE.pathways} == {
        "early_help", "csc_assessment", "csc_strategy", "cp_conference", "mace", "nrm", "police_sot", "police_cce",
        "police_disruption", "police_threat", "specialist_cse", "youth_offending", "sexual_health", "camhs",
        "havens", "pre_birth", "marac", "adult_safeguarding", "leaving_care", "context"}
    for spec in CATALOGUE.pathways:
        assert spec.label and spec.hint and spec.receiver and spec.sources
        assert set(spec.agency_kinds) <= set(AgencyKind.values)
        assert len(spec.code) <= 20  # fits ``Referral.pathway``


def test_the_clocks_of_the_statutory_pathways():
    clocks = {p.code: p.clock.label for p in CATALOGUE.pathways}
    assert clocks["csc_assessment"] == "Within 45 working days of the service accepting the referral"
    assert clocks["cp_conference"] == "Within 15 working days of the strategy discussion"
    assert clocks["csc_strategy"] == "Within 1 working day of the MASH's decision"
    assert clocks["havens"] == "Within 7 days of the assault"
    assert clocks["police_threat"] == "The same day as the MASH's decision"
    assert clocks["mace"] == "No statutory clock"


def test_every_old_pathway_code_is_a_catalogue_entry_with_the_same_receiving_agencies():
    # What routing allowed before the catalogue existed, written out: decided referrals keep their pathway.
    before = {
        "csc_assessment": {"childrens_social_care"}, "csc_strategy": {"childrens_social_care"},
        "early_help": {"childrens_social_care", "voluntary_sector"}, "specialist_cse": {"voluntary_sector"},
        "police_sot": {"police"}, "sexual_health": {"health"}, "youth_offending": {"youth_offending_team"},
    }
    assert set(Pathway.values) == set(before)
    assert {code: CATALOGUE.agency_kinds(code) for code in Pathway.values} == before


def test_every_sign_a_rule_names_is_in_the_indicator_catalogue():
    known = set(INDICATOR_CLASSES)
    for rule in CATALOGUE.rules:
        assert set(rule.when.get("any_code", ())) <= known, rule.code


@pytest.mark.parametrize(("change", "message"), [
    (lambda c: c["rules"][0]["when"].update(min_age=3), "Unknown condition"),
    (lambda c: c["rules"][0].update(pathway="nowhere"), "does not have"),
    (lambda c: c["rules"][0]["when"].update(min_level="severe"), "Unknown level"),
    (lambda c: c["rules"][0].update(sources=[]), "must cite"),
    (lambda c: c["rules"][0].update(sources=["hearsay"]), "must cite"),
    (lambda c: c["pathways"][0].update(agency_kinds=["school_office"]), "unknown kind"),
    (lambda c: c["pathways"][0].update(consent_child="maybe"), "Unknown consent"),
    (lambda c: c["pathways"][0].update(clock={"unit": "weeks"}), "Unknown clock unit"),
    (lambda c: c["pathways"].append(dict(c["pathways"][0])), "appears twice"),
    (lambda c: c["rules"].append(dict(c["rules"][0])), "appears twice"),
    (lambda c: c["sources"].update(wt2023={"title": ""}), "title and a citation"),
])
def test_a_catalogue_with_a_mistake_does_not_load(change, message):
    config = copy.deepcopy(pathways.V1_CATALOGUE)
    change(config)
    with pytest.raises(ValueError, match=message):
        pathways.load(config)


def test_the_catalogue_page_text_of_a_rule():
    spec = next(r for r in CATALOGUE.rules if r.code == "marac-16-17")
    assert pathways.describe_conditions(spec.when, {"controlling-or-violent-relationship": "Controlling"}, {}) == (
        "aged 16 to 17; any of the signs: Controlling, older-boyfriend-or-associate")
    spec = next(r for r in CATALOGUE.rules if r.code == "conference-after-strategy")
    assert pathways.describe_conditions(spec.when, {}, {"csc_strategy": "Strategy"}) == (
        "level high or above; under 18 (or age not known); already open: Strategy")


# ---------------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------------
SIGNS = sorted({code for rule in CATALOGUE.rules for code in rule.when.get("any_code", ())} | {"absent-from-school"})
MAP_KINDS = sorted(pathways.MAP_KIND_LABELS)
CODES = sorted(p.code for p in CATALOGUE.pathways)
CHILD_ONLY = {"early_help", "csc_assessment", "csc_strategy", "cp_conference", "mace", "camhs", "youth_offending",
              "police_disruption"}
ADULT_ONLY = {"adult_safeguarding", "leaving_care"}

fact_strategy = st.builds(
    facts,
    level=st.sampled_from(pathways.LEVELS),
    codes=st.lists(st.sampled_from(SIGNS), max_size=6).map(tuple),
    judgements=st.lists(st.sampled_from(["immediate_danger", "seriously_worried"]), max_size=2).map(tuple),
    map_kinds=st.lists(st.sampled_from(MAP_KINDS), max_size=3).map(tuple),
    age=st.one_of(st.none(), st.integers(min_value=8, max_value=25)),
    open_pathways=st.lists(st.sampled_from(CODES), max_size=3).map(tuple),
)


@settings(max_examples=300, deadline=None)
@given(fact_strategy, st.lists(st.sampled_from(SIGNS), max_size=3), st.lists(st.sampled_from(MAP_KINDS), max_size=2))
def test_more_signs_or_links_never_take_a_pathway_away(before, signs, kinds):
    after = facts(level=before.level, codes=tuple(before.codes | set(signs)), judgements=tuple(before.judgements),
                  map_kinds=tuple(before.map_kinds | set(kinds)), age=before.age,
                  open_pathways=tuple(before.open_pathways))
    assert set(recommend(before, CATALOGUE_V2).codes) <= set(recommend(after, CATALOGUE_V2).codes)


@settings(max_examples=300, deadline=None)
@given(fact_strategy)
def test_children_and_adults_get_their_own_routes(given_facts):
    # Version 2: version 1 let Marac at 16-17 through without children's services for a gang-involved
    # partner on her map (this property found it; see the example below).
    result = recommend(given_facts, CATALOGUE_V2)
    codes = set(result.codes) | {item.pathway.code for item in result.already_open}
    if given_facts.age is None or given_facts.age < 18:  # not knowing her age, she is treated as a child
        assert not codes & ADULT_ONLY
    else:
        assert not codes & CHILD_ONLY
        assert all(item.consent == item.pathway.consent_adult for item in result.recommended)
    if given_facts.age in (16, 17) and "marac" in codes:
        # Marac at 16-17 is alongside children's services, never instead of them.
        assert codes & {"csc_assessment", "csc_strategy"}


@settings(max_examples=300, deadline=None)
@given(fact_strategy)
def test_the_proposal_is_a_set_with_reasons_and_nothing_already_open(given_facts):
    result = recommend(given_facts, CATALOGUE)
    assert result == recommend(given_facts, CATALOGUE)  # pure
    assert len(result.codes) == len(set(result.codes))
    assert not set(result.codes) & given_facts.open_pathways
    assert {item.pathway.code for item in result.already_open} <= given_facts.open_pathways
    for item in (*result.recommended, *result.already_open):
        assert item.reasons and all(reason.sources and reason.text for reason in item.reasons)
    urgent = [item.urgent for item in result.recommended]
    assert urgent == sorted(urgent, reverse=True)  # the same-day pathways first
    if (given_facts.age is None or given_facts.age < 18) and (
            given_facts.level == "very_high" or "immediate_danger" in given_facts.judgements) \
            and "csc_strategy" not in given_facts.open_pathways:
        assert result.recommended[0].urgent and "csc_strategy" in result.codes


# --- version 2 (the active catalogue) and consent by age ---------------------------------


@pytest.mark.parametrize(("rule", "pathway", "given_facts", "age", "expected"), CASES)
def test_each_rule_fires_the_same_in_version_2(rule, pathway, given_facts, age, expected):
    result = recommend(facts(age=age, **given_facts), CATALOGUE_V2)
    assert (rule in fired(result).get(pathway, [])) is expected
    assert result.catalogue_version == 2


# Whose consent each pathway needs, as a child and from 18 (the decision form asks for her consent position
# wherever it is not "none"; the decision is refused without it). Written out, not read from the catalogue.
C_NONE, C_AGREE, C_INFORMED, C_VIEWS = "none", "agreement", "informed", "views_sought"
CONSENT: dict[str, tuple[str, str]] = {
    "early_help": (C_AGREE, C_AGREE), "csc_assessment": (C_NONE, C_NONE), "csc_strategy": (C_NONE, C_NONE),
    "cp_conference": (C_NONE, C_NONE), "mace": (C_NONE, C_NONE), "nrm": (C_NONE, C_INFORMED),
    "police_sot": (C_NONE, C_INFORMED), "police_cce": (C_NONE, C_INFORMED), "police_disruption": (C_NONE, C_NONE),
    "police_threat": (C_NONE, C_NONE), "specialist_cse": (C_AGREE, C_AGREE), "youth_offending": (C_AGREE, C_AGREE),
    "sexual_health": (C_AGREE, C_AGREE), "camhs": (C_AGREE, C_AGREE), "havens": (C_AGREE, C_AGREE),
    "pre_birth": (C_NONE, C_NONE), "marac": (C_NONE, C_VIEWS), "adult_safeguarding": (C_VIEWS, C_VIEWS),
    "leaving_care": (C_INFORMED, C_INFORMED), "context": (C_NONE, C_NONE),
}


@pytest.mark.parametrize("age", [*AGES, None])
@pytest.mark.parametrize("code", sorted(CONSENT))
def test_whose_consent_each_pathway_needs_at_her_age(code, age):
    child, adult = CONSENT[code]
    assert CATALOGUE_V2.pathway(code).consent_for(age) == (adult if age is not None and age >= 18 else child)


V2_ONLY_RULE = ("marac-16-17-partner-on-map-alongside", "csc_assessment",
                {"level": "low", "map_kinds": ("gang_involved_partner",)}, (N, N, Y, N))


@pytest.mark.parametrize(("age", "expected"), list(zip(AGES, V2_ONLY_RULE[3], strict=True)))
def test_version_2_keeps_children_s_services_beside_marac_at_16_17(age, expected):
    rule, pathway, given_facts, _ages = V2_ONLY_RULE
    assert (rule in fired(recommend(facts(age=age, **given_facts), CATALOGUE_V2)).get(pathway, [])) is expected
    # The example the property found in version 1: Marac at 16 with no children's service beside it.
    gap = facts(level="none", map_kinds=("gang_involved_partner",), age=16)
    assert "marac" in recommend(gap, CATALOGUE).codes and "csc_assessment" not in recommend(gap, CATALOGUE).codes
    assert {"marac", "csc_assessment"} <= set(recommend(gap, CATALOGUE_V2).codes)


def test_what_changed_in_version_2():
    assert [r.code for r in CATALOGUE_V2.rules if r not in CATALOGUE.rules] == [V2_ONLY_RULE[0]]
    assert all(r in CATALOGUE_V2.rules for r in CATALOGUE.rules)
    assert set(CONSENT) == {p.code for p in CATALOGUE_V2.pathways}
    assert CATALOGUE.agency_kinds("adult_safeguarding") == set()
    assert CATALOGUE_V2.agency_kinds("adult_safeguarding") == {"adult_social_care"}
    assert all(CATALOGUE.agency_kinds(p.code) == CATALOGUE_V2.agency_kinds(p.code)
               for p in CATALOGUE.pathways if p.code != "adult_safeguarding")
