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
    # From model v3: professional judgement in three steps ("", "worried", "seriously_worried",
    # "immediate_danger") and her age in whole years on the day the signs were seen (None: not known).
    judgement: str = ""
    age: int | None = None


@dataclass(frozen=True)
class Decision:
    """A recorded MASH decision the engine takes into account (from model v3): a sign marked explained
    and verified (``kind="explained"``, ``code``), which stops observations of that code made on or
    before ``on`` from counting; or a level review (``kind="review"``, ``level``), from which the level
    is held and falls one step per review period, and before which nothing holds it up."""

    kind: str
    on: dt.date
    code: str = ""
    level: str = ""


EXPLAINED = "explained"
REVIEW = "review"


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
    factor: float = 0.5 ** (age_days / float(half_life))  # float ** float is typed Any (it may be complex)
    return weight * factor


def _age(observed_on: dt.date, today: dt.date) -> int:
    return max(0, (today - observed_on).days)


def assess(facts: Iterable[ConcernFact], config: Mapping[str, Any], now: dt.datetime | dt.date,
           map_facts: Iterable[Mapping[str, Any]] = (), decisions: Iterable[Decision] = ()) -> Result:
    """Score one subject's concerns (and, from model v2, her links on the association map; from model v3,
    the MASH's decisions) under one scoring model at ``now``; see the module docstring."""
    if config.get("engine") == WINDOWS:
        return Evaluator(facts, config, map_facts, decisions).at(now)
    return _assess_v1(facts, config, now, map_facts)


def evaluator(facts: Iterable[ConcernFact], config: Mapping[str, Any], map_facts: Iterable[Mapping[str, Any]] = (),
              decisions: Iterable[Decision] = ()) -> Any:
    """An object whose ``at(now)`` is ``assess(facts, config, now, map_facts, decisions)``; it remembers
    what it worked out, so that asking about many days (``next_due_on``) costs little more than one."""
    if config.get("engine") == WINDOWS:
        return Evaluator(facts, config, map_facts, decisions)
    return _Plain(list(facts), config, list(map_facts))


@dataclass
class _Plain:
    facts: list[ConcernFact]
    config: Mapping[str, Any]
    map_facts: list[Mapping[str, Any]]

    def at(self, now: dt.datetime | dt.date) -> Result:
        return _assess_v1(self.facts, self.config, now, self.map_facts)


def _assess_v1(facts: Iterable[ConcernFact], config: Mapping[str, Any], now: dt.datetime | dt.date,
               map_facts: Iterable[Mapping[str, Any]] = ()) -> Result:
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


# ---------------------------------------------------------------------------------------------------
# Model v3: time windows, indicator classes, floors, judgement, honest counting, age, and a level that
# falls one step per review period. Every number is in the configuration (``V3_CONFIG``); the sources
# for each are in docs/scoring-model-v3.md.
# ---------------------------------------------------------------------------------------------------
WINDOWS = "windows"  # the ``engine`` of a configuration evaluated by ``Evaluator``
SIGN_CLASSES = ("moderate", "significant")  # the classes that are signs (not vulnerabilities)


def walk_down(rank: int, days: int, step_down_days: Mapping[str, int]) -> int:
    """The rank a level held at ``rank`` has come down to after ``days`` with nothing new: it stays for
    one review period of the level it is at, then falls one step, and so on."""
    while rank > 0:
        period = int(step_down_days[LEVELS[rank]])
        if days < period:
            return rank
        days -= period
        rank -= 1
    return 0


def _age_on(concerns: list[ConcernFact], day: dt.date) -> int | None:
    """Her age on ``day``, from the latest observation that recorded it."""
    known = [c for c in concerns if c.age is not None and c.observed_on <= day]
    if not known:
        return None
    latest = max(known, key=lambda c: (c.observed_on, c.reference))
    assert latest.age is not None
    return latest.age + int((day - latest.observed_on).days // 365.25)


def _matching(edges: dict[int, set[str]]) -> int:
    """The largest number of agencies that can each be paired with a different sign they reported (a
    maximum bipartite matching): different agencies seeing different signs. Adding a report never
    lowers it, and the same sign reported by many agencies pairs with one of them only."""
    owner: dict[str, int] = {}

    def augment(agency: int, seen: set[str]) -> bool:
        for sign in sorted(edges[agency]):
            if sign in seen:
                continue
            seen.add(sign)
            if sign not in owner or augment(owner[sign], seen):
                owner[sign] = agency
                return True
        return False

    return sum(1 for agency in sorted(edges) if augment(agency, set()))


# Reports of the same sign this many days apart or closer describe one episode (the night and the morning
# after; two agencies the same day).
EPISODE_GAP_DAYS = 1


def _episode_ages(ages: list[int], gap: int) -> dict[int, int]:
    """Age in days of each report -> the age of the latest report of its episode."""
    latest: dict[int, int] = {}
    group: list[int] = []
    for age in sorted(set(ages)):
        if group and age - group[-1] > gap:
            latest.update(dict.fromkeys(group, group[0]))
            group = []
        group.append(age)
    latest.update(dict.fromkeys(group, group[0]) if group else {})
    return latest


def _episodes(days: list[dt.date], gap: int) -> int:
    """Missing episodes: reports whose dates are within ``gap`` days of the previous one are one episode."""
    count, last = 0, None
    for day in sorted(set(days)):
        if last is None or (day - last).days > gap:
            count += 1
        last = day
    return count


class Evaluator:
    """Model v3 for one subject: ``at(now)`` gives the explained result. The level on any day is the
    highest of (a) the level her evidence supports that day (``raw``: score, rules, floors, judgement)
    and (b) every earlier level walked down one step per review period from the last day the evidence
    supported it (or from the MASH's last level review, before which nothing holds the level up). So
    time alone never drops a level by a cliff, and a level falls faster only through a recorded review.
    ``raw`` is remembered per day: ``next_due_on`` asks about many days of the same facts."""

    def __init__(self, facts: Iterable[ConcernFact], config: Mapping[str, Any],
                 map_facts: Iterable[Mapping[str, Any]] = (), decisions: Iterable[Decision] = ()) -> None:
        self.config = config
        self.concerns = sorted(facts, key=lambda c: (c.observed_on, c.reference))
        self.map_facts = sorted(map_facts, key=lambda f: (f["kind"], f["node"]))
        ordered = sorted(decisions, key=lambda d: (d.on, d.kind, d.code, d.level))
        self.explained: dict[str, dt.date] = {}
        for decision in ordered:
            if decision.kind == EXPLAINED:
                self.explained[decision.code] = max(decision.on, self.explained.get(decision.code, decision.on))
        self.reviews = [d for d in ordered if d.kind == REVIEW and d.level in LEVEL_RANK]
        self.changes = sorted({c.observed_on for c in self.concerns}
                              | {f["since"] for f in self.map_facts if isinstance(f.get("since"), dt.date)})
        self._raw: dict[dt.date, Result] = {}
        # (segment start, level rank) -> the first day the evidence no longer supported that level. Evidence
        # only weakens inside a segment, so the day holds for any later ``at``: ``next_due_on`` asks about
        # a dozen days, and without this each of them searched the same segment again.
        self._fell: dict[tuple[dt.date, int], dt.date] = {}

    # -- the level her evidence supports on one day ------------------------------------------------------
    def raw(self, day: dt.date) -> Result:
        if day not in self._raw:
            self._raw[day] = self._evaluate(day)
        return self._raw[day]

    def _class(self, code: str, kind: str) -> str:
        return str(self.config["classes"].get(code, self.config["default_class"][kind]))

    def _evaluate(self, day: dt.date) -> Result:
        cfg = self.config
        concerns = [c for c in self.concerns if c.observed_on <= day]
        lifelong = set(cfg.get("lifelong", ()))
        windows: Mapping[str, Mapping[str, Any]] = cfg["class_weights"]
        # code -> [(age in days, agency, concern)] of the observations that still count
        seen: dict[str, list[tuple[int, int, ConcernFact]]] = {}
        discounted: set[str] = set()
        with_signs = 0
        for concern in concerns:
            if concern.indicators:
                with_signs += 1
            for code, _kind in concern.indicators:
                if code in self.explained and concern.observed_on <= self.explained[code]:
                    discounted.add(code)
                    continue
                seen.setdefault(code, []).append((_age(concern.observed_on, day), concern.agency_id, concern))

        counted: list[dict[str, Any]] = []
        current_codes: dict[str, list[ConcernFact]] = {}  # code -> concerns in which it is current
        by_agency: dict[int, set[str]] = {}  # current signs per agency, for the whole-picture rule
        score = 0.0
        for code in sorted(seen):
            # Each code counts once, however many reports: the same episode reported twice adds nothing.
            observations = seen[code]
            kind = _kind_of(observations[0][2], code)
            cls = self._class(code, kind)
            spec = windows[cls]
            current_days = None if code in lifelong else spec.get("current_days")
            # Windows are about episodes, not report dates: reports a day apart are one episode, dated by
            # its latest report, so one episode reported twice never counts as "current and recent".
            episode_age = _episode_ages([o[0] for o in observations], EPISODE_GAP_DAYS)
            current = [o for o in observations
                       if current_days is None or episode_age[o[0]] <= int(current_days)]
            recent_days = spec.get("recent_days")
            recent = [o for o in observations if current_days is not None and recent_days is not None
                      and int(current_days) < episode_age[o[0]] <= int(recent_days)]
            contribution = ((float(spec["current"]) if current else 0.0)
                            + (float(spec.get("recent", 0)) if recent else 0.0))
            if contribution <= 0:
                continue
            counting = current or recent
            newest = min(counting, key=lambda o: (o[0], o[1]))
            if current:
                current_codes[code] = [o[2] for o in current]
                if cls in SIGN_CLASSES:
                    for _age_days, agency, _c in current:
                        by_agency.setdefault(agency, set()).add(code)
            window = ("lifelong" if current_days is None else
                      "current and recent" if current and recent else "current" if current else "recent")
            score += contribution
            counted.append({
                "code": code, "kind": kind, "class": cls, "window": window, "agency": newest[1],
                "agencies": sorted({o[1] for o in counting}), "age_days": newest[0],
                "weight": float(spec["current"]), "corroborated": len({o[1] for o in counting}) >= 2,
                "contribution": round(contribution, 2),
            })

        # Corroboration: different agencies seeing different signs, not the same code repeated.
        corroboration = cfg.get("corroboration", {})
        picture = _matching(by_agency)
        bonus = min(float(corroboration.get("max", 0)),
                    float(corroboration.get("per_agency", 0)) * max(0, picture - 1))
        score += bonus
        evidence = round(score, 2)
        thresholds = cfg["thresholds"]
        age_now = _age_on(concerns, day)
        map_counted, map_points = self._map(day, age_now, evidence, thresholds)
        score = round(evidence + map_points, 2)
        scored_level = level_for_score(score, thresholds)
        rank = LEVEL_RANK[scored_level]
        raised: list[dict[str, Any]] = []

        def lift(level: str, **why: Any) -> None:
            nonlocal rank
            raised.append({"level": level, **why})
            rank = max(rank, LEVEL_RANK[level])

        for rule in cfg.get("lifts", []):
            name = rule["rule"]
            window_days = int(rule.get("window_days", 365))
            if name == "missing_episodes":
                days = [c.observed_on for c in concerns if _age(c.observed_on, day) <= window_days
                        and any(code in rule["codes"] and not (code in self.explained
                                                               and c.observed_on <= self.explained[code])
                                for code, _k in c.indicators)]
                value = _episodes(days, int(rule.get("gap_days", 1)))
            elif name == "agencies_with_different_signs":
                value = picture
            else:
                raise ValueError(f"Unknown lift rule {name!r} in scoring model.")
            if value >= int(rule["min"]):
                lift(rule["level"], rule=name, value=value, window_days=window_days)

        judgement = cfg.get("judgement", {})
        for concern in concerns:
            if concern.judgement and concern.judgement in judgement.get("levels", {}) and \
                    _age(concern.observed_on, day) <= int(judgement.get("window_days", 28)):
                lift(judgement["levels"][concern.judgement], rule="judgement", judgement=concern.judgement,
                     concern=concern.reference, window_days=int(judgement.get("window_days", 28)))

        for floor in cfg.get("floors", []):
            name = floor["rule"]
            codes = set(floor.get("codes", ()))
            if name == "sign":
                hits = sorted(code for code in current_codes if code in codes)
                if hits:
                    lift(floor["level"], rule=name, codes=hits)
            elif name == "under_age_sign":
                below = int(floor["age_below"])
                hits = sorted(code for code, cs in current_codes.items()
                              if (not codes or code in codes)
                              and self._class(code, _kind_of(cs[0], code)) in SIGN_CLASSES
                              and any(c.age is not None and c.age < below for c in cs))
                if hits:
                    lift(floor["level"], rule=name, age_below=below, codes=hits)
            elif name == "vulnerability_and_sign":
                has_sign = any(self._class(code, _kind_of(cs[0], code)) in SIGN_CLASSES
                               for code, cs in current_codes.items())
                if floor["code"] in current_codes and has_sign:
                    lift(floor["level"], rule=name, code=floor["code"])
            else:
                raise ValueError(f"Unknown floor {name!r} in scoring model.")

        routes = []
        age_rules = cfg.get("age_routes", {})
        if age_now is not None and age_now >= int(age_rules.get("adult_from", 18)):
            routes.append("adult_safeguarding")
        elif age_now is not None and age_now >= int(age_rules.get("partner_abuse_from", 16)) and \
                set(age_rules.get("partner_abuse_codes", ())) & set(current_codes):
            routes.append("partner_abuse")
        explanation = {
            "model_version": cfg.get("version"),
            "assessed_on": day.isoformat(),
            "score": score,
            "evidence_score": evidence,
            "scored_level": scored_level,
            "thresholds": dict(thresholds),
            "indicators": counted,
            "explained_and_verified": sorted(discounted),
            "corroboration": {"agencies_with_different_signs": picture, "bonus": bonus},
            "lifts": raised,
            "map": map_counted,
            "age": age_now,
            "routes": routes,
            "concerns": with_signs,
            "concerns_without_signs": len(concerns) - with_signs,
        }
        return Result(score=score, level=LEVELS[rank], explanation=explanation)

    def _map(self, day: dt.date, age: int | None, evidence: float,
             thresholds: Mapping[str, float]) -> tuple[list[dict[str, Any]], float]:
        """Links on the map, one per person, place or group (its strongest reason). On their own they may
        take the score no further than just below the threshold above ``max_level``: the points shown are
        the points the level is worked out from."""
        rule = self.config.get("map")
        if not rule:
            return [], 0.0
        weights: Mapping[str, float] = rule.get("weights", {})
        adults = set(rule.get("adult_age_bands", ()))
        under = int(rule.get("adult_associate_below_age", 16))
        best: dict[str, dict[str, Any]] = {}
        for fact in self.map_facts:
            since = fact.get("since")
            if isinstance(since, dt.date) and since > day:
                continue
            kind = fact["kind"]
            if kind == "associate_link":
                if fact.get("role") == "partner" and fact.get("gang"):
                    kind = "gang_involved_partner"
                elif fact.get("age_band") in adults and age is not None and age < under:
                    kind = "adult_associate_under_16"
                else:
                    continue
            weight = float(weights.get(kind, 0))
            if weight <= 0:
                continue
            if fact["node"] not in best or weight > best[fact["node"]]["weight"]:
                best[fact["node"]] = {"kind": kind, "node": fact["node"], "node_type": fact.get("node_type", ""),
                                      "subjects": fact.get("subjects"), "weight": weight}
        items = [best[node] for node in sorted(best)]
        offered = sum(item["weight"] for item in items)
        above = LEVELS[min(LEVEL_RANK[rule.get("max_level", "medium")] + 1, len(LEVELS) - 1)]
        room = max(0.0, float(thresholds[above]) - float(rule.get("below_by", 1)) - evidence)
        points = min(offered, room)
        for item in items:
            item["contribution"] = item["weight"]
        return ([{**item, "capped": points < offered} for item in items], round(points, 2))

    # -- the level on a day, with the hold --------------------------------------------------------------
    def at(self, now: dt.datetime | dt.date) -> Result:
        today = now.date() if isinstance(now, dt.datetime) else now
        raw = self.raw(today)
        steps: Mapping[str, int] = self.config["step_down_days"]
        rank = raw.rank
        held: dict[str, Any] | None = None
        reviews = [r for r in self.reviews if r.on <= today]
        review = reviews[-1] if reviews else None
        start = review.on if review else None
        if review is not None:
            walked = walk_down(LEVEL_RANK[review.level], (today - review.on).days, steps)
            if walked > rank:
                rank, held = walked, {"from": "review", "level": review.level, "on": review.on.isoformat()}
        starts = sorted(({start} if start else set())
                        | {d for d in self.changes if d <= today and (start is None or d >= start)})
        segments = [(a, (starts[i + 1] if i + 1 < len(starts) else today) - dt.timedelta(days=1))
                    for i, a in enumerate(starts)]
        segments = [(a, b) for a, b in segments if b >= a]
        for level_rank in range(len(LEVELS) - 1, rank, -1):
            for first, last in reversed(segments):
                if walk_down(level_rank, (today - last).days, steps) <= rank:
                    break  # this segment and every earlier one are too long ago to hold her above ``rank``
                if self.raw(first).rank < level_rank:
                    continue
                fell = self._fell.get((first, level_rank))
                if fell is not None and fell <= last:
                    day = fell - dt.timedelta(days=1)
                elif self.raw(last).rank >= level_rank:
                    day = last
                else:  # the evidence falls below this level inside the segment: find the last day it held
                    low, high = first, last
                    while (high - low).days > 1:
                        middle = low + dt.timedelta(days=(high - low).days // 2)
                        if self.raw(middle).rank >= level_rank:
                            low = middle
                        else:
                            high = middle
                    self._fell[(first, level_rank)] = high
                    day = low
                walked = walk_down(level_rank, (today - day).days, steps)
                if walked > rank:
                    rank, held = walked, {"from": "evidence", "level": LEVELS[level_rank],
                                          "last_supported_on": day.isoformat()}
                break
        explanation = {**raw.explanation, "step_down_days": dict(steps), "held": held,
                       "review": ({"on": review.on.isoformat(), "level": review.level} if review else None)}
        return Result(score=raw.score, level=LEVELS[rank], explanation=explanation)


def _kind_of(concern: ConcernFact, code: str) -> str:
    return next(kind for c, kind in concern.indicators if c == code)


def _v3_config() -> dict[str, Any]:
    from risk.catalogue import INDICATOR_CLASSES

    missing = ["missing-from-home-or-care", "missing-overnight-or-found-with-adults"]
    sexual = ["repeat-sti-pregnancy-termination", "sexual-bullying-online-vulnerability",
              "older-boyfriend-or-associate",
              "sexual-assault-disclosed", "sexual-activity-with-adult-under-16", "image-based-abuse",
              "pregnancy-under-16", "online-grooming", "picked-up-in-cars-by-unknown-adults", "adult-controlled-places"]
    return {
        "version": 3,
        "engine": WINDOWS,
        "classes": dict(sorted(INDICATOR_CLASSES.items())),
        "default_class": {WARNING_SIGN: "moderate", VULNERABILITY: "vulnerability"},
        # SERAF scoring guidance: a significant indicator scores 5 when current (within 6 months) and 1
        # more when also present 6-12 months ago (1 alone); moderate indicators and vulnerabilities 1.
        "class_weights": {
            "significant": {"current": 5.0, "current_days": 183, "recent": 1.0, "recent_days": 365},
            "moderate": {"current": 1.0, "current_days": 183},
            "vulnerability": {"current": 1.0, "current_days": 365},
        },
        # Vulnerabilities that describe who she is or what has happened to her never expire.
        "lifelong": ["learning-disability", "history-of-abuse", "residential-care"],
        "corroboration": {"per_agency": 1.0, "max": 3.0},
        "thresholds": {"low": 1.0, "medium": 5.0, "high": 11.0, "very_high": 16.0},
        "lifts": [
            {"rule": "missing_episodes", "codes": missing,
             "gap_days": 1, "min": 2, "window_days": 183, "level": "medium"},
            {"rule": "missing_episodes", "codes": missing,
             "gap_days": 1, "min": 3, "window_days": 91, "level": "high"},
            {"rule": "agencies_with_different_signs", "min": 3, "window_days": 183, "level": "medium"},
        ],
        "judgement": {"levels": {"worried": "low", "seriously_worried": "high", "immediate_danger": "very_high"},
                      "window_days": 28},
        "floors": [
            {"rule": "sign", "codes": ["sexual-assault-disclosed", "sexual-activity-with-adult-under-16"],
             "level": "high"},
            {"rule": "under_age_sign", "age_below": 13, "codes": sexual, "level": "high"},
            {"rule": "under_age_sign", "age_below": 13, "codes": [], "level": "medium"},
            {"rule": "vulnerability_and_sign", "code": "learning-disability", "level": "medium"},
        ],
        "age_routes": {"partner_abuse_from": 16, "adult_from": 18,
                       "partner_abuse_codes": ["controlling-or-violent-relationship", "older-boyfriend-or-associate"]},
        # A person on the map weighs one less than a significant sign seen by a practitioner (4), a place or
        # group linked to several young people 2: with any vulnerability, a person of concern makes medium.
        "map": {"weights": {"context_of_concern": 2.0, "associate_of_concern": 4.0, "gang_involved_partner": 4.0,
                            "adult_associate_under_16": 4.0},
                "adult_age_bands": ["18_24", "25_plus"], "adult_associate_below_age": 16,
                "max_level": "medium", "below_by": 1.0},
        "step_down_days": {"very_high": 14, "high": 30, "medium": 91, "low": 91},
        # For ``next_due_on``: no sign counts after a year; lifelong vulnerabilities never stop.
        "max_age_days": {WARNING_SIGN: 365, VULNERABILITY: None},
        "register_threshold": "medium",
        "review_cadence_days": {"very_high": 14, "high": 30, "medium": 91, "low": 91, "none": 91},
        "rescore_delta": 0.5,
        "rising_window_days": 28,
    }


V3_CONFIG: dict[str, Any] = _v3_config()
