"""The scoring engine: plain data in, an explained score and level out. No ORM, no clock, no I/O.

``assess(facts, config, now)`` is a pure function so that every rule is tested as a table of scenarios
and so that the incremental path (one subject, straight after a concern) and the set-based ``rescore``
(everyone, as time passes) are the same computation over the same facts.

How a score is built (all numbers come from the versioned configuration, ``ScoringModel.config``):

* each indicator code counts once per subject; for each agency that reported it, the most recent
  observation is taken and its weight decays with age (half-life per kind: warning signs fade, e.g.
  90 days; vulnerabilities fade slowly or not at all); the strongest agency's value is the contribution;
* reported by two or more agencies within the corroboration window, the contribution is multiplied
  by the corroboration factor;
* the score is the sum of contributions; thresholds turn it into a level;
* lift rules can only raise the level, never lower it (three different warning signs in a year,
  professional judgement "seriously worried", three concerns in a year, repeated missing episodes).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from risk.choices import IndicatorKind, RiskLevel

LEVELS: tuple[str, ...] = tuple(RiskLevel.values)  # in rising order
LEVEL_RANK: dict[str, int] = {level: rank for rank, level in enumerate(LEVELS)}
WARNING_SIGN = IndicatorKind.WARNING_SIGN.value
VULNERABILITY = IndicatorKind.VULNERABILITY.value


@dataclass(frozen=True)
class ConcernFact:
    """What the engine needs to know about one concern: never a narrative or a name."""

    reference: str
    agency_id: int
    observed_on: dt.date
    seriously_worried: bool = False
    # (indicator code, indicator kind)
    indicators: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Result:
    """An explained assessment."""

    score: float
    level: str
    explanation: dict[str, Any] = field(default_factory=dict)

    @property
    def rank(self) -> int:
        return LEVEL_RANK[self.level]


def level_for_score(score: float, thresholds: Mapping[str, float]) -> str:
    """The highest level whose threshold the score reaches ("none" below the lowest)."""
    level = "none"
    for candidate in LEVELS[1:]:
        if score >= float(thresholds[candidate]):
            level = candidate
    return level


def _decayed(weight: float, age_days: int, half_life: float | None) -> float:
    if not half_life:
        return weight
    return weight * 0.5 ** (age_days / float(half_life))


def _age(observed_on: dt.date, today: dt.date) -> int:
    return max(0, (today - observed_on).days)


def assess(facts: Iterable[ConcernFact], config: Mapping[str, Any], now: dt.datetime | dt.date,
           map_facts: Iterable[Mapping[str, Any]] = ()) -> Result:
    """Score one subject's concerns (and, from model v2, her links on the association map) under one
    scoring model at ``now``; see the module docstring."""
    today = now.date() if isinstance(now, dt.datetime) else now
    concerns = sorted(facts, key=lambda c: (c.observed_on, c.reference))
    weights: Mapping[str, float] = config.get("weights", {})
    default_weight: Mapping[str, float] = config.get("default_weight", {})
    half_lives: Mapping[str, float | None] = config.get("half_life_days", {})
    max_age: Mapping[str, int | None] = config.get("max_age_days", {})
    corroboration = config.get("corroboration", {})
    corroboration_factor = float(corroboration.get("factor", 1.0))
    corroboration_window = int(corroboration.get("window_days", 365))

    # code -> agency -> (age in days, kind) of that agency's most recent observation
    latest: dict[str, dict[int, tuple[int, str]]] = {}
    for concern in concerns:
        age = _age(concern.observed_on, today)
        for code, kind in concern.indicators:
            limit = max_age.get(kind)
            if limit is not None and age > int(limit):
                continue
            by_agency = latest.setdefault(code, {})
            previous = by_agency.get(concern.agency_id)
            if previous is None or age < previous[0]:
                by_agency[concern.agency_id] = (age, kind)

    counted: list[dict[str, Any]] = []
    score = 0.0
    for code in sorted(latest):
        by_agency = latest[code]
        kind = next(iter(by_agency.values()))[1]
        weight = float(weights.get(code, default_weight.get(kind, 1.0)))
        values = {agency: _decayed(weight, age, half_lives.get(kind)) for agency, (age, _k) in by_agency.items()}
        strongest = max(sorted(values), key=lambda agency: values[agency])
        recent_agencies = sorted(a for a, (age, _k) in by_agency.items() if age <= corroboration_window)
        corroborated = len(recent_agencies) >= 2
        contribution = values[strongest] * (corroboration_factor if corroborated else 1.0)
        contribution = round(contribution, 2)
        if contribution <= 0:
            continue
        score += contribution
        counted.append({
            "code": code, "kind": kind, "agency": strongest, "agencies": sorted(by_agency),
            "age_days": by_agency[strongest][0], "weight": weight, "corroborated": corroborated,
            "contribution": contribution,
        })
    score = round(score, 2)
    thresholds = config["thresholds"]
    scored_level = level_for_score(score, thresholds)
    level = scored_level

    fired: list[dict[str, Any]] = []
    for rule in config.get("lifts", []):
        window = int(rule.get("window_days", 365))
        recent = [c for c in concerns if _age(c.observed_on, today) <= window]
        name = rule["rule"]
        if name == "distinct_warning_signs":
            value = len({code for c in recent for code, kind in c.indicators if kind == WARNING_SIGN})
        elif name == "seriously_worried":
            value = sum(1 for c in recent if c.seriously_worried)
        elif name == "concern_count":
            value = len(recent)
        elif name == "repeated_indicator":
            # Episodes, not reports: two agencies reporting the same night is one episode.
            value = len({c.observed_on for c in recent if any(code == rule["code"] for code, _k in c.indicators)})
        else:
            raise ValueError(f"Unknown lift rule {name!r} in scoring model.")
        if value >= int(rule.get("min", 1)):
            fired.append({"rule": name, "value": value, "level": rule["level"], "window_days": window,
                          **({"code": rule["code"]} if "code" in rule else {})})
            if LEVEL_RANK[rule["level"]] > LEVEL_RANK[level]:
                level = rule["level"]

    map_counted, score, level = _map_factor(map_facts, config.get("map"), score, level, thresholds)

    explanation = {
        "model_version": config.get("version"),
        "assessed_on": today.isoformat(),
        "score": score,
        "scored_level": scored_level,
        "indicators": counted,
        "lifts": fired,
        "concerns": len(concerns),
    }
    if config.get("map"):
        explanation["map"] = map_counted
    return Result(score=score, level=level, explanation=explanation)


def _map_factor(map_facts: Iterable[Mapping[str, Any]], rule: Mapping[str, Any] | None, score: float, level: str,
                thresholds: Mapping[str, float]) -> tuple[list[dict[str, Any]], float, str]:
    """Links to a context of concern or an associate of concern add to the score, but on their own they
    may lift the level only as far as ``max_level`` (medium): association must not become a label."""
    if not rule:
        return [], score, level
    weights: Mapping[str, float] = rule.get("weights", {})
    counted: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for fact in sorted(map_facts, key=lambda f: (f["kind"], f["node"])):
        key = (fact["kind"], fact["node"])
        weight = float(weights.get(fact["kind"], 0))
        if key in seen or weight <= 0:
            continue
        seen.add(key)
        counted.append({"kind": fact["kind"], "node": fact["node"], "node_type": fact.get("node_type", ""),
                        "subjects": fact.get("subjects"), "contribution": weight})
    extra = round(sum(item["contribution"] for item in counted), 2)
    if not extra:
        return counted, score, level
    with_map = level_for_score(round(score + extra, 2), thresholds)
    cap = rule.get("max_level", "medium")
    capped = with_map if LEVEL_RANK[with_map] <= LEVEL_RANK[cap] else cap
    if LEVEL_RANK[capped] > LEVEL_RANK[level]:
        level = capped
    return counted, round(score + extra, 2), level


# Version 1 of the scoring model, loaded as data by migration 0003. Later versions are new rows.
V1_CONFIG: dict[str, Any] = {
    "version": 1,
    "default_weight": {WARNING_SIGN: 3.0, VULNERABILITY: 2.0},
    "weights": {
        # Gang association and exploitation signs weigh most.
        "older-boyfriend-or-associate": 5.0,
        "carrying-for-others": 5.0,
        "unexplained-phones-or-money": 4.0,
        "gifts-from-unknown-sources": 4.0,
        "missing-from-home-or-care": 4.0,
        "recruiting-others": 4.0,
        "suicidal-thoughts-or-attempts": 4.0,
        "repeat-sti-pregnancy-termination": 4.0,
        "gang-association-relatives-peers-partners": 3.0,
    },
    "half_life_days": {WARNING_SIGN: 90, VULNERABILITY: None},
    # Old observations stop counting at all (a vulnerability never decays but is reconsidered after 2 years).
    "max_age_days": {WARNING_SIGN: 730, VULNERABILITY: 730},
    "corroboration": {"factor": 1.5, "window_days": 365},
    "thresholds": {"low": 1.0, "medium": 8.0, "high": 15.0, "very_high": 24.0},
    "lifts": [
        {"rule": "distinct_warning_signs", "min": 3, "window_days": 365, "level": "medium"},
        {"rule": "seriously_worried", "min": 1, "window_days": 365, "level": "high"},
        {"rule": "concern_count", "min": 3, "window_days": 365, "level": "medium"},
        {"rule": "repeated_indicator", "code": "missing-from-home-or-care", "min": 2, "window_days": 365,
         "level": "high"},
    ],
    "register_threshold": "medium",
    "review_cadence_days": {"very_high": 14, "high": 30, "medium": 91, "low": 91, "none": 91},
    "rescore_delta": 0.5,
    "rising_window_days": 28,
}

# Version 2 (migration 0005): v1 plus the association map. Being linked to a context of concern (a person,
# place or group linked to several young people) or to an associate who may pose a risk adds to the score,
# explained per link; on its own it can lift the level to medium at most.
V2_CONFIG: dict[str, Any] = {
    **V1_CONFIG,
    "version": 2,
    "map": {"weights": {"context_of_concern": 3.0, "associate_of_concern": 4.0}, "max_level": "medium"},
}
