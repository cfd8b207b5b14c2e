"""The pathway catalogue and the recommendation rules: versioned data, and a pure function over them.

No ORM, no clock, no I/O (like ``risk.scoring``): ``recommend(facts, catalogue)`` proposes a *set* of
pathways for one young person, each with the rules that triggered it and why, from facts a query helper
gathered through ``restrict()`` (``risk.queries.pathway_facts``): her current level, the signs and lifts
her latest assessment counted, her age, the association map's contribution and the pathways already
open for her. The MASH decides; the system only proposes.

A catalogue version is one JSON document (``PathwayCatalogue.config``): its pathways (code, label,
plain-English hint, the kinds of agency that receive it, whose consent it needs, its clock, its sources)
and its rules (which pathway, when, why, from which source). Version 1 is ``V1_CATALOGUE``, loaded by
migration ``risk.0013``; version 2 (``V2_CATALOGUE``, migration ``risk.0014``, active) routes adult
safeguarding to adult social care. Nothing here is edited once published: a change is a new version
(a new constant and a data migration), activated with ``risk.services.pathways.do_activate_pathway_catalogue``.

The seven pathways a MASH decision could name before the catalogue existed (``referrals.choices.Pathway``)
are catalogue entries under the same codes, so every referral already decided keeps its pathway.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from agencies.choices import AgencyKind
from risk.choices import ClockUnit, PathwayConsent, RiskLevel

LEVELS: tuple[str, ...] = tuple(RiskLevel.values)
LEVEL_RANK: dict[str, int] = {level: rank for rank, level in enumerate(LEVELS)}
ADULT_FROM = 18  # Children Act 1989 s105: a child is a person under 18


# ---------------------------------------------------------------------------------------------------
# The shapes of a catalogue
# ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Clock:
    """How long the receiving service has, from when (``starts``: the decision, acceptance, the strategy
    discussion, the assault), or no clock."""

    unit: str = ClockUnit.NONE.value
    amount: int = 0
    starts: str = ""

    @property
    def label(self) -> str:
        """The clock in plain English ("within 15 working days of the strategy discussion")."""
        if self.unit == ClockUnit.NONE:
            return "No statutory clock"
        after = f" of {STARTS.get(self.starts, self.starts)}" if self.starts else ""
        if self.unit == ClockUnit.SAME_DAY:
            return f"The same day{' as ' + STARTS.get(self.starts, self.starts) if self.starts else ''}"
        unit = {ClockUnit.HOURS: "hour", ClockUnit.DAYS: "day", ClockUnit.WORKING_DAYS: "working day"}[
            ClockUnit(self.unit)]
        return f"Within {self.amount} {unit}{'' if self.amount == 1 else 's'}{after}"

    @property
    def rank(self) -> tuple[int, int]:
        """Smaller is more urgent: the same day, then hours, calendar days, working days, no clock."""
        order = [ClockUnit.SAME_DAY, ClockUnit.HOURS, ClockUnit.DAYS, ClockUnit.WORKING_DAYS, ClockUnit.NONE]
        return order.index(ClockUnit(self.unit)), self.amount


STARTS = {
    "decision": "the MASH's decision",
    "acceptance": "the service accepting the referral",
    "strategy_discussion": "the strategy discussion",
    "assault": "the assault",
}


@dataclass(frozen=True)
class PathwaySpec:
    """One pathway of a catalogue version."""

    code: str
    label: str
    hint: str
    group: str
    agency_kinds: tuple[str, ...]
    receiver: str
    consent_child: str
    consent_adult: str
    clock: Clock
    sources: tuple[str, ...]

    def consent_for(self, age: int | None) -> str:
        """Whose consent she needs at this age: an unknown age is treated as a child's."""
        return self.consent_adult if age is not None and age >= ADULT_FROM else self.consent_child


# The conditions a rule may state; all of them must hold for the rule to fire.
CONDITIONS = frozenset({
    "min_level", "max_level",    # her current level, inclusive
    "age_from", "age_below",     # her age today; unknown counts as under any ``age_below``, never ``age_from``
    "any_code",                  # one of these signs counted in her latest assessment
    "any_judgement",             # a recorder's judgement that lifted her level ("immediate_danger")
    "any_map",                   # a kind of map contribution (context_of_concern, associate_of_concern, ...)
    "open_any",                  # one of these pathways is already open for her
})


@dataclass(frozen=True)
class Rule:
    """When to propose a pathway, and why (the reason is shown to the MASH with what matched)."""

    code: str
    pathway: str
    when: Mapping[str, Any]
    reason: str
    sources: tuple[str, ...]
    clock: Clock | None = None  # a stricter clock when this rule fires (a same-day strategy discussion)


@dataclass(frozen=True)
class Catalogue:
    """One version of the pathway catalogue, checked."""

    version: int
    title: str
    sources: Mapping[str, Mapping[str, str]]  # key -> {"title", "citation"}
    pathways: tuple[PathwaySpec, ...]
    rules: tuple[Rule, ...]

    def pathway(self, code: str) -> PathwaySpec | None:
        return next((p for p in self.pathways if p.code == code), None)

    def agency_kinds(self, code: str) -> set[str]:
        """The kinds of agency that receive ``code`` (empty: unknown pathway, or no agency kind yet)."""
        spec = self.pathway(code)
        return set(spec.agency_kinds) if spec else set()


def _clock(raw: Mapping[str, Any] | None) -> Clock:
    raw = raw or {}
    unit = str(raw.get("unit", ClockUnit.NONE))
    if unit not in ClockUnit.values:
        raise ValueError(f"Unknown clock unit {unit!r} in the pathway catalogue.")
    starts = str(raw.get("from", ""))
    if starts and starts not in STARTS:
        raise ValueError(f"Unknown clock start {starts!r} in the pathway catalogue.")
    return Clock(unit=unit, amount=int(raw.get("amount", 0)), starts=starts)


def load(config: Mapping[str, Any]) -> Catalogue:
    """Check a catalogue version's configuration and turn it into a ``Catalogue``. Refuses unknown
    conditions, pathways, levels, consent rules, clock units and sources (a typo must not silently
    switch a rule off)."""
    sources = dict(config.get("sources", {}))
    if any(not isinstance(cite, Mapping) or not cite.get("title") or not cite.get("citation")
           for cite in sources.values()):
        raise ValueError("Every source of the pathway catalogue needs a title and a citation.")
    pathways = []
    for raw in config["pathways"]:
        for key in ("consent_child", "consent_adult"):
            if raw[key] not in PathwayConsent.values:
                raise ValueError(f"Unknown consent rule {raw[key]!r} for pathway {raw['code']!r}.")
        unknown = set(raw.get("sources", ())) - set(sources)
        if unknown or not raw.get("sources"):
            raise ValueError(f"Pathway {raw['code']!r} must cite known sources.")
        if set(raw.get("agency_kinds", ())) - set(AgencyKind.values):
            raise ValueError(f"Pathway {raw['code']!r} names an unknown kind of agency.")
        pathways.append(PathwaySpec(
            code=raw["code"], label=raw["label"], hint=raw.get("hint", ""), group=raw.get("group", ""),
            agency_kinds=tuple(raw.get("agency_kinds", ())), receiver=raw.get("receiver", ""),
            consent_child=raw["consent_child"], consent_adult=raw["consent_adult"], clock=_clock(raw.get("clock")),
            sources=tuple(raw.get("sources", ()))))
    codes = [p.code for p in pathways]
    if len(set(codes)) != len(codes):
        raise ValueError("A pathway code appears twice in the catalogue.")
    rules = []
    for raw in config["rules"]:
        when = dict(raw.get("when", {}))
        if set(when) - CONDITIONS:
            raise ValueError(f"Unknown condition {sorted(set(when) - CONDITIONS)} in rule {raw['code']!r}.")
        if raw["pathway"] not in codes or any(code not in codes for code in when.get("open_any", ())):
            raise ValueError(f"Rule {raw['code']!r} names a pathway the catalogue does not have.")
        for key in ("min_level", "max_level"):
            if key in when and when[key] not in LEVEL_RANK:
                raise ValueError(f"Unknown level {when[key]!r} in rule {raw['code']!r}.")
        unknown = set(raw.get("sources", ())) - set(sources)
        if unknown or not raw.get("sources"):
            raise ValueError(f"Rule {raw['code']!r} must cite known sources.")
        rules.append(Rule(code=raw["code"], pathway=raw["pathway"], when=when, reason=raw["reason"],
                          sources=tuple(raw["sources"]), clock=_clock(raw["clock"]) if raw.get("clock") else None))
    if len({r.code for r in rules}) != len(rules):
        raise ValueError("A rule code appears twice in the catalogue.")
    return Catalogue(version=int(config["version"]), title=config.get("title", ""), sources=sources,
                     pathways=tuple(pathways), rules=tuple(rules))


# ---------------------------------------------------------------------------------------------------
# Her facts, and the recommendation
# ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PathwayFacts:
    """What the rules look at: reference data only, never a name or a narrative."""

    level: str = RiskLevel.NONE.value
    codes: frozenset[str] = frozenset()
    judgements: frozenset[str] = frozenset()
    map_kinds: frozenset[str] = frozenset()
    age: int | None = None
    open_pathways: frozenset[str] = frozenset()


def facts_from_assessment(level: str, explanation: Mapping[str, Any] | None, *, age: int | None,
                          open_pathways: Iterable[str] = ()) -> PathwayFacts:
    """Her facts from her current level and her latest assessment's explanation (``risk.scoring``): the
    signs that counted, the judgements that lifted her level, the map's contributions."""
    explanation = explanation or {}
    return PathwayFacts(
        level=level or RiskLevel.NONE.value,
        codes=frozenset(item["code"] for item in explanation.get("indicators", []) if item.get("code")),
        judgements=frozenset(str(lift["judgement"]) for lift in explanation.get("lifts", [])
                             if lift.get("rule") == "judgement" and lift.get("judgement")),
        map_kinds=frozenset(item["kind"] for item in explanation.get("map", []) or [] if item.get("kind")),
        age=age, open_pathways=frozenset(code for code in open_pathways if code))


@dataclass(frozen=True)
class Reason:
    """One rule that fired, with what in her facts made it fire (``matched``: level, age, sign codes,
    judgements, map kinds, open pathways)."""

    rule: str
    text: str
    sources: tuple[str, ...]
    matched: Mapping[str, Any]


@dataclass(frozen=True)
class Recommendation:
    """A pathway proposed for her, with every reason, the consent she needs at her age and its clock."""

    pathway: PathwaySpec
    reasons: tuple[Reason, ...]
    clock: Clock
    consent: str
    already_open: bool = False

    @property
    def urgent(self) -> bool:
        """Same day, or within hours."""
        return self.clock.unit in (ClockUnit.SAME_DAY, ClockUnit.HOURS)


@dataclass(frozen=True)
class Proposal:
    """The set of pathways proposed (most urgent first, then in catalogue order), and those that rules
    call for but that are already open for her (shown apart: nothing to decide)."""

    catalogue_version: int
    recommended: tuple[Recommendation, ...] = ()
    already_open: tuple[Recommendation, ...] = ()
    facts: PathwayFacts = field(default_factory=PathwayFacts)

    @property
    def codes(self) -> list[str]:
        return [r.pathway.code for r in self.recommended]


def _fires(rule: Rule, facts: PathwayFacts) -> dict[str, Any] | None:
    """What matched, when every condition of ``rule`` holds; None otherwise."""
    when = rule.when
    matched: dict[str, Any] = {}
    rank = LEVEL_RANK.get(facts.level, 0)
    if "min_level" in when or "max_level" in when:
        if rank < LEVEL_RANK[when.get("min_level", LEVELS[0])] or rank > LEVEL_RANK[when.get("max_level", LEVELS[-1])]:
            return None
        matched["level"] = facts.level
    if "age_from" in when:
        if facts.age is None or facts.age < int(when["age_from"]):
            return None
        matched["age"] = facts.age
    if "age_below" in when:
        # An unknown age is a child's: she is treated as a child until her age is known (Working Together 2023).
        if facts.age is not None and facts.age >= int(when["age_below"]):
            return None
        matched["age"] = facts.age
    for key, name, have in (("any_code", "codes", facts.codes), ("any_judgement", "judgements", facts.judgements),
                            ("any_map", "map", facts.map_kinds), ("open_any", "open", facts.open_pathways)):
        if key in when:
            hits = sorted(set(when[key]) & have)
            if not hits:
                return None
            matched[name] = hits
    return matched


def recommend(facts: PathwayFacts, catalogue: Catalogue) -> Proposal:
    """Propose pathways for her: every rule whose conditions hold adds its pathway with its reason; a
    pathway keeps the strictest clock of the rules that fired for it. Pure: the same facts and catalogue
    always give the same proposal."""
    found: dict[str, list[tuple[Rule, dict[str, Any]]]] = {}
    for rule in catalogue.rules:
        matched = _fires(rule, facts)
        if matched is not None:
            found.setdefault(rule.pathway, []).append((rule, matched))
    recommended: list[Recommendation] = []
    already: list[Recommendation] = []
    for spec in catalogue.pathways:
        fired = found.get(spec.code)
        if not fired:
            continue
        clocks = [spec.clock] + [rule.clock for rule, _m in fired if rule.clock is not None]
        clock = min(clocks, key=lambda c: c.rank)
        item = Recommendation(
            pathway=spec, clock=clock, consent=spec.consent_for(facts.age),
            reasons=tuple(Reason(rule=rule.code, text=rule.reason, sources=rule.sources, matched=matched)
                          for rule, matched in fired),
            already_open=spec.code in facts.open_pathways)
        (already if item.already_open else recommended).append(item)
    position = {spec.code: n for n, spec in enumerate(catalogue.pathways)}
    recommended.sort(key=lambda r: (not r.urgent, position[r.pathway.code]))
    return Proposal(catalogue_version=catalogue.version, recommended=tuple(recommended),
                    already_open=tuple(already), facts=facts)


# ---------------------------------------------------------------------------------------------------
# Explaining a proposal in plain English (for the pages; labels of signs are passed in)
# ---------------------------------------------------------------------------------------------------
MAP_KIND_LABELS = {
    "context_of_concern": "a person, place or group linked to several young people",
    "associate_of_concern": "an associate who may pose a risk",
    "gang_involved_partner": "a gang-involved partner",
    "adult_associate_under_16": "an adult associate while she is under 16",
}
JUDGEMENT_LABELS = {"immediate_danger": "immediate danger", "seriously_worried": "seriously worried",
                    "worried": "worried"}
LEVEL_LABELS = dict(RiskLevel.choices)
CONSENT_LABELS = dict(PathwayConsent.choices)


def _matched_text(matched: Mapping[str, Any], sign_labels: Mapping[str, str],
                  pathway_labels: Mapping[str, str]) -> str:
    parts = []
    if "level" in matched:
        parts.append(f"level {LEVEL_LABELS.get(matched['level'], matched['level']).lower()}")
    if "age" in matched:
        parts.append("age not known (treated as a child)" if matched["age"] is None else f"aged {matched['age']}")
    if matched.get("codes"):
        parts.append("signs: " + ", ".join(sign_labels.get(code, code) for code in matched["codes"]))
    if matched.get("judgements"):
        parts.append("judgement: " + ", ".join(JUDGEMENT_LABELS.get(j, j) for j in matched["judgements"]))
    if matched.get("map"):
        parts.append("map: " + ", ".join(MAP_KIND_LABELS.get(kind, kind) for kind in matched["map"]))
    if matched.get("open"):
        parts.append("open: " + ", ".join(pathway_labels.get(code, code) for code in matched["open"]))
    return "; ".join(parts)


def describe_conditions(when: Mapping[str, Any], sign_labels: Mapping[str, str],
                        pathway_labels: Mapping[str, str]) -> str:
    """A rule's conditions in plain English, for the catalogue page ("level high or above; under 18; ...")."""
    parts = []
    low, high = when.get("min_level"), when.get("max_level")
    if low and high:
        parts.append(f"level {LEVEL_LABELS[low].lower()}" if low == high
                     else f"level {LEVEL_LABELS[low].lower()} to {LEVEL_LABELS[high].lower()}")
    elif low:
        parts.append(f"level {LEVEL_LABELS[low].lower()} or above")
    elif high:
        parts.append(f"level {LEVEL_LABELS[high].lower()} or below")
    if "age_from" in when and "age_below" in when:
        parts.append(f"aged {when['age_from']} to {int(when['age_below']) - 1}")
    elif "age_from" in when:
        parts.append(f"aged {when['age_from']} or over")
    elif "age_below" in when:
        parts.append(f"under {when['age_below']} (or age not known)")
    if when.get("any_code"):
        parts.append("any of the signs: " + ", ".join(sign_labels.get(c, c) for c in when["any_code"]))
    if when.get("any_judgement"):
        parts.append("a recorder's judgement: " + ", ".join(JUDGEMENT_LABELS.get(j, j) for j in when["any_judgement"]))
    if when.get("any_map"):
        parts.append("on her map: " + ", ".join(MAP_KIND_LABELS.get(k, k) for k in when["any_map"]))
    if when.get("open_any"):
        parts.append("already open: " + ", ".join(pathway_labels.get(c, c) for c in when["open_any"]))
    return "; ".join(parts) or "always"


def describe(proposal: Proposal, catalogue: Catalogue, sign_labels: Mapping[str, str]) -> dict[str, Any]:
    """The proposal as the pages show it: per pathway its label, hint, receiver, consent at her age, clock,
    and each reason with what matched and its sources' titles."""
    pathway_labels = {p.code: p.label for p in catalogue.pathways}

    def row(item: Recommendation) -> dict[str, Any]:
        return {
            "code": item.pathway.code, "label": item.pathway.label, "hint": item.pathway.hint,
            "receiver": item.pathway.receiver, "consent": CONSENT_LABELS.get(item.consent, item.consent),
            "clock": item.clock.label, "urgent": item.urgent,
            "reasons": [{"rule": reason.rule, "text": reason.text,
                         "matched": _matched_text(reason.matched, sign_labels, pathway_labels),
                         "sources": [catalogue.sources[key]["title"] for key in reason.sources]}
                        for reason in item.reasons],
        }

    return {"version": proposal.catalogue_version, "recommended": [row(r) for r in proposal.recommended],
            "already_open": [row(r) for r in proposal.already_open]}


# ---------------------------------------------------------------------------------------------------
# Version 1 of the catalogue (migration ``risk.0013``)
# ---------------------------------------------------------------------------------------------------
CSC, POLICE, HEALTH, VOLUNTARY, YOT = (
    "childrens_social_care", "police", "health", "voluntary_sector", "youth_offending_team")
NONE, AGREEMENT, INFORMED, VIEWS = (c.value for c in (PathwayConsent.NONE, PathwayConsent.AGREEMENT,
                                                       PathwayConsent.INFORMED, PathwayConsent.VIEWS_SOUGHT))

# Signs (indicator codes, catalogues v1 and v2) the rules look for.
SEXUAL_OFFENCE_SIGNS = ["sexual-assault-disclosed", "sexual-activity-with-adult-under-16", "image-based-abuse",
                        "online-grooming", "pregnancy-under-16"]
CRIMINAL_EXPLOITATION_SIGNS = ["county-lines", "carrying-for-others", "used-to-set-up-or-hold-weapons",
                               "debt-threats-intimidation"]
TRAFFICKING_SIGNS = [*CRIMINAL_EXPLOITATION_SIGNS, "adult-controlled-places", "missing-overnight-or-found-with-adults"]
EXPLOITATION_SIGNS = sorted({*TRAFFICKING_SIGNS, "older-boyfriend-or-associate", "picked-up-in-cars-by-unknown-adults",
                             "gifts-from-unknown-sources", "unexplained-phones-or-money", "recruiting-others",
                             "sexual-assault-disclosed", "sexual-activity-with-adult-under-16", "image-based-abuse",
                             "online-grooming"})
GANG_SIGNS = ["older-boyfriend-or-associate", "carrying-for-others", "territorial-restrictions",
              "unexplained-phones-or-money", "picked-up-in-cars-by-unknown-adults", "adult-controlled-places",
              "county-lines", "debt-threats-intimidation", "used-to-set-up-or-hold-weapons",
              "gang-association-relatives-peers-partners", "recruiting-others"]
ADULT_OF_CONCERN_SIGNS = ["older-boyfriend-or-associate", "picked-up-in-cars-by-unknown-adults",
                          "adult-controlled-places", "sexual-activity-with-adult-under-16"]
PARTNER_ABUSE_SIGNS = ["controlling-or-violent-relationship", "older-boyfriend-or-associate"]
MENTAL_HEALTH_SIGNS = ["self-harm", "suicidal-thoughts-or-attempts", "poor-mental-health"]
SEXUAL_HEALTH_SIGNS = ["repeat-sti-pregnancy-termination", "sexual-assault-disclosed",
                       "sexual-activity-with-adult-under-16", "pregnancy-under-16"]
OFFENDING_SIGNS = ["involvement-in-offending", "carrying-for-others", "county-lines"]
THREAT_SIGNS = ["debt-threats-intimidation", "used-to-set-up-or-hold-weapons"]
PERSON_OF_CONCERN_ON_MAP = ["associate_of_concern", "adult_associate_under_16", "gang_involved_partner"]

V1_SOURCES: dict[str, dict[str, str]] = {
    "wt2023": {"title": "Working Together to Safeguard Children 2023", "citation":
        "HM Government, Working Together to Safeguard Children 2023 (statutory guidance): early help "
        "(ch. 2), section 17 assessment within 45 working days and a decision on a referral within one "
        "working day, section 47 strategy discussion, initial child protection conference within 15 "
        "working days of the strategy discussion, extra-familial harm (ch. 3); a child is anyone under 18."},
    "lcpp": {"title": "London Child Protection Procedures", "citation":
        "London Safeguarding Children Partnership, London Child Protection Procedures: referral and "
        "assessment, strategy discussions and section 47 enquiries, child protection conferences, "
        "pre-birth referral and assessment (CP2(A): refer as soon as the concerns are identified)."},
    "lceop": {"title": "London Child Exploitation Operating Protocol 2021", "citation":
        "London Child Exploitation Operating Protocol 2021: multi-agency child exploitation (MACE) "
        "meetings (appendix D), reporting suspicions of exploitation to police, tactical options for "
        "disrupting adults of concern (appendix H), trafficking and the NRM (s. 15)."},
    "nrm": {"title": "Home Office NRM guidance", "citation":
        "Home Office, National Referral Mechanism guidance (child and adult first responders) and Modern "
        "Slavery Act 2015 statutory guidance: a first responder organisation (police, local authority, "
        "named charities) refers; a child does not consent to entering the NRM, an adult gives informed "
        "consent (without it, a public authority only notifies the Home Office, MS1)."},
    "care_act": {"title": "Care Act 2014 s42", "citation":
        "Care Act 2014 s42 and the Care and Support Statutory Guidance ch. 14: an enquiry when an "
        "adult with care and support needs is experiencing, or at risk of, abuse or neglect "
        "(including sexual and criminal exploitation) and cannot protect herself; her views and "
        "wishes are sought, and it may go ahead without her consent to protect her or others."},
    "leaving_care": {"title": "Children (Leaving Care) Act 2000", "citation":
        "Children Act 1989 s23C-s23CZB (Children (Leaving Care) Act 2000; Children and Social Work "
        "Act 2017): a care leaver has a personal adviser from 18, on request to 25."},
    "safelives": {"title": "SafeLives Marac criteria", "citation":
        "SafeLives, Marac guidance and the Dash risk checklist for young people: Marac considers "
        "victims of partner abuse aged 16 and over at high risk (14 or more ticks, professional "
        "judgement, or escalation); at 16-17 alongside children's services, not instead of them."},
    "havens": {"title": "The Havens", "citation":
        "The Havens (King's College Hospital NHS Foundation Trust), London's sexual assault referral "
        "centres: forensic medical examination usually within 7 days of an assault; under-13s are "
        "referred by police or children's social care; follow-up care up to 12 months."},
    "serious_violence": {"title": "Threat to life (ECHR art. 2)", "citation":
        "Police duty to protect life (European Convention on Human Rights art. 2; threat-to-life "
        "procedures, 'Osman' warnings): a real and immediate threat to her life is reported to "
        "police at once."},
    "oc_inquiry": {"title": "Children's Commissioner CSEGG inquiry", "citation":
        "Office of the Children's Commissioner, inquiry into child sexual exploitation in gangs and "
        "groups (2012-13) and the London Assembly's 2013 response: girls reach specialist services "
        "too late, often only once known to youth offending teams."},
    "yjb": {"title": "Crime and Disorder Act 1998 s39", "citation":
        "Crime and Disorder Act 1998 s39 (youth offending teams for children aged 10-17) and Youth Justice "
        "Board guidance on prevention and diversion."},
    "gillick": {"title": "Gillick and Fraser", "citation":
        "Gillick v West Norfolk AHA [1986] and the Fraser guidelines; NHS guidance on sexual health "
        "and CAMHS services for young people: a competent young person consents to her own care."},
    "contextual": {"title": "Contextual safeguarding", "citation":
        "Contextual safeguarding (Firmin, University of Durham) as adopted by Working Together 2023 "
        "(extra-familial harm): a referral about a place or peer group, not only the child."},
}


def _pathway(code: str, label: str, hint: str, group: str, kinds: list[str], receiver: str, child: str, adult: str,
             clock: dict[str, Any] | None, sources: list[str]) -> dict[str, Any]:
    return {"code": code, "label": label, "hint": hint, "group": group, "agency_kinds": kinds, "receiver": receiver,
            "consent_child": child, "consent_adult": adult, "clock": clock or {"unit": "none"}, "sources": sources}


V1_PATHWAYS: list[dict[str, Any]] = [
    # Children's social care (the seven codes of the old pathway list are kept as they were).
    _pathway("early_help", "Early help",
             "Support for her and her family before problems escalate, from a lead practitioner; voluntary.",
             "children", [CSC, VOLUNTARY], "Early help service", AGREEMENT, AGREEMENT, None, ["wt2023"]),
    _pathway("csc_assessment", "Children's social care: child in need assessment (section 17)",
             "An assessment of her needs under the Children Act 1989 s17.",
             "children", [CSC], "Children's social care", NONE, NONE,
             {"unit": "working_days", "amount": 45, "from": "acceptance"}, ["wt2023", "lcpp"]),
    _pathway("csc_strategy", "Children's social care: strategy discussion (section 47)",
             "Reasonable cause to suspect she is suffering, or likely to suffer, significant harm: children's "
             "social care, police and health decide whether to make section 47 enquiries.",
             "children", [CSC], "Children's social care, with police and health", NONE, NONE,
             {"unit": "working_days", "amount": 1, "from": "decision"}, ["wt2023", "lcpp"]),
    _pathway("cp_conference", "Initial child protection conference",
             "After section 47 enquiries find she is likely to suffer significant harm.",
             "children", [CSC], "Children's social care (conference chair)", NONE, NONE,
             {"unit": "working_days", "amount": 15, "from": "strategy_discussion"}, ["wt2023", "lcpp"]),
    _pathway("mace", "Multi-agency child exploitation (MACE) panel",
             "The borough's panel for children at risk of sexual or criminal exploitation, and the places and "
             "people involved.", "children", [CSC], "The borough's MACE panel", NONE, NONE, None, ["lceop"]),
    _pathway("nrm", "National Referral Mechanism (trafficking, modern slavery, county lines)",
             "A first responder organisation refers a potential victim of trafficking or modern slavery, "
             "including criminal exploitation through county lines.",
             "exploitation", [POLICE, CSC], "A first responder organisation (police or the local authority)",
             NONE, INFORMED, None, ["nrm", "lceop"]),
    _pathway("police_sot", "Police: sexual offences",
             "Report of a sexual offence against her to the police's specialist sexual offences team.",
             "police", [POLICE], "Police specialist sexual offences team", NONE, INFORMED, None, ["lceop", "wt2023"]),
    _pathway("police_cce", "Police: child criminal exploitation and trafficking",
             "Report of criminal exploitation or trafficking: being used to move drugs, money or weapons.",
             "police", [POLICE], "Police exploitation team", NONE, INFORMED, None, ["lceop", "nrm"]),
    _pathway("police_disruption", "Police: disruption of adults of concern",
             "Disrupting adults who pose a risk to her (for example abduction warning notices).",
             "police", [POLICE], "Police exploitation team", NONE, NONE, None, ["lceop"]),
    _pathway("police_threat", "Police: threat to life",
             "A real and immediate risk to her life: the police act at once.",
             "police", [POLICE], "Police", NONE, NONE, {"unit": "same_day", "from": "decision"},
             ["serious_violence"]),
    _pathway("specialist_cse", "Specialist service for gang-associated girls",
             "A specialist sexual exploitation or gang-exit worker for her; voluntary.",
             "specialist", [VOLUNTARY], "Specialist voluntary-sector service", AGREEMENT, AGREEMENT, None,
             ["oc_inquiry", "lceop"]),
    _pathway("youth_offending", "Youth offending service",
             "Prevention and support from the youth offending service (ages 10 to 17).",
             "specialist", [YOT], "Youth offending team", AGREEMENT, AGREEMENT, None, ["yjb", "oc_inquiry"]),
    _pathway("sexual_health", "Health: sexual health",
             "Sexual health care: testing, treatment, contraception.",
             "health", [HEALTH], "Sexual health service", AGREEMENT, AGREEMENT, None, ["gillick"]),
    _pathway("camhs", "Health: child and adolescent mental health services (CAMHS)",
             "Mental health assessment and care for a young person under 18.",
             "health", [HEALTH], "CAMHS", AGREEMENT, AGREEMENT, None, ["gillick"]),
    _pathway("havens", "Health: the Havens (sexual assault referral centre)",
             "London's sexual assault referral centres: forensic medical examination and follow-up care. "
             "Under 13, referred by police or children's social care.",
             "health", [HEALTH], "The Havens", AGREEMENT, AGREEMENT,
             {"unit": "days", "amount": 7, "from": "assault"}, ["havens"]),
    _pathway("pre_birth", "Pre-birth assessment",
             "A referral to children's social care about her unborn baby, as soon as the concern is known.",
             "children", [CSC], "Children's social care", NONE, NONE,
             {"unit": "working_days", "amount": 1, "from": "decision"}, ["lcpp", "wt2023"]),
    _pathway("marac", "Marac (partner abuse, from 16)",
             "The multi-agency risk assessment conference for victims of partner abuse at high risk; at 16-17 "
             "alongside children's services, not instead.",
             "partner_abuse", [POLICE], "The borough's Marac coordinator", NONE, VIEWS, None, ["safelives"]),
    _pathway("adult_safeguarding", "Adult safeguarding: Care Act section 42 enquiry",
             "From 18: an enquiry by the local authority's adult social care into abuse or exploitation.",
             "adult", [], "Adult social care (the local authority): no agency of this kind is set up yet",
             VIEWS, VIEWS, None, ["care_act"]),
    _pathway("leaving_care", "Leaving care: personal adviser",
             "From 18, for a young woman who was in care: her personal adviser (to 25).",
             "adult", [CSC], "Children's social care leaving-care team", INFORMED, INFORMED, None, ["leaving_care"]),
    _pathway("context", "Context referral: a place or peer group",
             "A referral about a place, a person or a group linked to several young people (contextual "
             "safeguarding), not about her alone.",
             "context", [CSC], "Children's social care (contextual safeguarding) and the MACE panel", NONE, NONE,
             None, ["contextual", "wt2023", "lceop"]),
]


def _rule(code: str, pathway: str, reason: str, sources: list[str], clock: dict[str, Any] | None = None,
          **when: Any) -> dict[str, Any]:
    return {"code": code, "pathway": pathway, "when": when, "reason": reason, "sources": sources,
            **({"clock": clock} if clock else {})}


CHILD = 18  # ``age_below``: a child's route
V1_RULES: list[dict[str, Any]] = [
    # Children's social care, by level (thresholds: Working Together 2023, London procedures).
    _rule("early-help-low", "early_help", "Her level is low: help before problems escalate.", ["wt2023"],
          max_level="low", min_level="low", age_below=CHILD),
    _rule("assessment-medium", "csc_assessment",
          "Her level is medium: she may be a child in need of an assessment (section 17).", ["wt2023", "lcpp"],
          min_level="medium", max_level="medium", age_below=CHILD),
    _rule("strategy-high", "csc_strategy",
          "Her level is high or very high: reasonable cause to suspect significant harm, so a strategy "
          "discussion (section 47).", ["wt2023", "lcpp"], min_level="high", age_below=CHILD),
    _rule("strategy-same-day-very-high", "csc_strategy",
          "Her level is very high: the strategy discussion is held the same day.", ["wt2023", "lcpp"],
          {"unit": "same_day", "from": "decision"}, min_level="very_high", age_below=CHILD),
    _rule("strategy-same-day-danger", "csc_strategy",
          "A professional believes she is in immediate danger: the strategy discussion is held the same day.",
          ["wt2023", "lcpp"], {"unit": "same_day", "from": "decision"}, any_judgement=["immediate_danger"],
          age_below=CHILD),
    _rule("conference-after-strategy", "cp_conference",
          "A strategy discussion is open and her level is still high: an initial child protection conference "
          "within 15 working days of it, if the enquiries find continuing significant harm.",
          ["wt2023", "lcpp"], open_any=["csc_strategy"], min_level="high", age_below=CHILD),
    _rule("mace-exploitation-signs", "mace",
          "Signs of sexual or criminal exploitation: the borough's MACE panel.", ["lceop"],
          any_code=EXPLOITATION_SIGNS, min_level="medium", age_below=CHILD),
    _rule("mace-person-of-concern", "mace",
          "Linked on the map to a person who may pose a risk: the MACE panel looks at the adults and places "
          "involved.", ["lceop"], any_map=PERSON_OF_CONCERN_ON_MAP, age_below=CHILD),
    # Exploitation and the police.
    _rule("nrm-trafficking-signs", "nrm",
          "Signs of trafficking or criminal exploitation (county lines, moving drugs or money, adult-controlled "
          "places, debt): a first responder considers the National Referral Mechanism. Under 18 she need not "
          "consent; from 18 she must.", ["nrm", "lceop"], any_code=TRAFFICKING_SIGNS),
    _rule("police-sexual-offence", "police_sot",
          "A sign that is a sexual offence against her (assault, an adult's sexual activity with a girl under "
          "16, images, grooming, pregnancy under 16): report to the police.", ["lceop", "wt2023"],
          any_code=SEXUAL_OFFENCE_SIGNS),
    _rule("police-criminal-exploitation", "police_cce",
          "Signs of criminal exploitation: report to the police.", ["lceop"], any_code=CRIMINAL_EXPLOITATION_SIGNS),
    _rule("police-disrupt-signs", "police_disruption",
          "An older or unknown adult around her: the police consider disrupting him.", ["lceop"],
          any_code=ADULT_OF_CONCERN_SIGNS, age_below=CHILD),
    _rule("police-disrupt-map", "police_disruption",
          "Linked on the map to a person who may pose a risk: the police consider disrupting him.", ["lceop"],
          any_map=PERSON_OF_CONCERN_ON_MAP, age_below=CHILD),
    _rule("police-threat-danger", "police_threat",
          "A professional believes she is in immediate danger: tell the police now.", ["serious_violence"],
          any_judgement=["immediate_danger"]),
    _rule("police-threat-very-high", "police_threat",
          "Her level is very high with threats, debt or weapons: a possible threat to life.", ["serious_violence"],
          min_level="very_high", any_code=THREAT_SIGNS),
    # Specialist services.
    _rule("specialist-gang-signs", "specialist_cse",
          "Gang-association signs at medium or above: a specialist worker before she is known to youth "
          "offending, not after.", ["oc_inquiry", "lceop"], any_code=GANG_SIGNS, min_level="medium"),
    _rule("specialist-map", "specialist_cse",
          "A gang-involved partner or an adult of concern on her map.", ["oc_inquiry"],
          any_map=PERSON_OF_CONCERN_ON_MAP),
    _rule("youth-offending", "youth_offending",
          "Involved in offending or made to carry for others (aged 10 to 17): prevention, alongside her "
          "safeguarding, never instead.", ["yjb", "oc_inquiry"], any_code=OFFENDING_SIGNS, age_from=10,
          age_below=CHILD),
    # Health.
    _rule("sexual-health", "sexual_health", "Signs that call for sexual health care.", ["gillick"],
          any_code=SEXUAL_HEALTH_SIGNS),
    _rule("camhs", "camhs", "Self-harm, suicidal thoughts or poor mental health (under 18).", ["gillick"],
          any_code=MENTAL_HEALTH_SIGNS, age_below=CHILD),
    _rule("havens", "havens", "She disclosed a sexual assault: the Havens (forensic window of about 7 days).",
          ["havens"], any_code=["sexual-assault-disclosed"]),
    _rule("pre-birth", "pre_birth", "Pregnant under 16: a referral about the unborn baby.", ["lcpp"],
          any_code=["pregnancy-under-16"]),
    # Partner abuse from 16; the adult routes from 18.
    _rule("marac-16-17", "marac",
          "Aged 16 or 17 with a controlling, violent or older partner: Marac alongside children's services, "
          "not instead.", ["safelives"], any_code=PARTNER_ABUSE_SIGNS, age_from=16, age_below=CHILD),
    _rule("marac-16-17-partner-on-map", "marac",
          "Aged 16 or 17 with a gang-involved partner on her map: Marac alongside children's services.",
          ["safelives"], any_map=["gang_involved_partner"], age_from=16, age_below=CHILD),
    _rule("marac-16-17-alongside", "csc_assessment",
          "Aged 16 or 17 and considered for Marac: children's services stay involved (Marac is alongside, "
          "not instead; at high, the strategy discussion is that route).", ["safelives", "wt2023"],
          any_code=PARTNER_ABUSE_SIGNS, max_level="medium", age_from=16, age_below=CHILD),
    _rule("marac-adult", "marac", "An adult with a controlling, violent or older partner: Marac.", ["safelives"],
          any_code=PARTNER_ABUSE_SIGNS, age_from=CHILD),
    _rule("adult-safeguarding", "adult_safeguarding",
          "She is 18 or over at medium or above: adult safeguarding (Care Act s42) instead of children's "
          "services; her views and consent are sought.", ["care_act"], min_level="medium", age_from=CHILD),
    _rule("leaving-care", "leaving_care",
          "She is 18 or over and has lived in residential care: her leaving-care personal adviser.",
          ["leaving_care"], any_code=["residential-care"], age_from=CHILD),
    # The map: a context, not only a girl.
    _rule("context-of-concern", "context",
          "She is linked to a person, place or group linked to several young people: refer the context.",
          ["contextual", "wt2023"], any_map=["context_of_concern"]),
]

V1_TITLE = "Referral pathways and recommendation rules: London, Working Together 2023"
V1_CATALOGUE: dict[str, Any] = {
    "version": 1, "title": V1_TITLE, "sources": V1_SOURCES, "pathways": V1_PATHWAYS, "rules": V1_RULES,
}


# ---------------------------------------------------------------------------------------------------
# Version 2 (migration ``risk.0014``) changes two things of version 1:
# - version 1 named no kind of agency for adult safeguarding, so a MASH could recommend it but route her
#   nowhere: version 2 sends it to adult social care (the local authority's safeguarding adults team,
#   Care Act 2014 s42), a kind of agency added with it;
# - version 1 proposed Marac for a girl of 16 or 17 with a gang-involved partner on her map without
#   children's services beside it (below high, where no strategy discussion is proposed), against
#   SafeLives' rule that Marac at 16-17 is alongside children's services, never instead: version 2 adds
#   the rule ``marac-16-17-partner-on-map-alongside`` (found by the property test in
#   tests/risk/test_pathway_rules.py).
# Every other pathway, rule, clock and consent rule of version 1 stands.
# ---------------------------------------------------------------------------------------------------
ADULT_SOCIAL_CARE = "adult_social_care"
V2_TITLE = "Referral pathways and recommendation rules: London, Working Together 2023 (adult social care)"


def _v2() -> dict[str, Any]:
    pathways = []
    for raw in V1_PATHWAYS:
        if raw["code"] == "adult_safeguarding":
            raw = {**raw, "agency_kinds": [ADULT_SOCIAL_CARE],
                   "receiver": "Adult social care (the local authority's safeguarding adults team)"}
        pathways.append(raw)
    rules = []
    for raw in V1_RULES:
        rules.append(raw)
        if raw["code"] == "marac-16-17-alongside":
            rules.append(_rule(
                "marac-16-17-partner-on-map-alongside", "csc_assessment",
                "Aged 16 or 17 with a gang-involved partner on her map, considered for Marac: children's services "
                "stay involved (Marac is alongside, not instead; at high, the strategy discussion is that route).",
                ["safelives", "wt2023"], any_map=["gang_involved_partner"], max_level="medium", age_from=16,
                age_below=CHILD))
    return {**V1_CATALOGUE, "version": 2, "title": V2_TITLE, "pathways": pathways, "rules": rules}


V2_CATALOGUE: dict[str, Any] = _v2()
