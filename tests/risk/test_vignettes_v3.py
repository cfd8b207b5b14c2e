"""Model v3 against case vignettes of the kind a MASH panel discusses (fictional, written for this test).

Each vignette is a dated series of concerns from named agency kinds, the level a panel would give, and the
published source the panel's reasoning rests on (full references in docs/scoring-model-v3.md):
SERAF = Barnardo's SERAF form and scoring guidance (Hampshire); CROYDON = Croydon CSE risk assessment
toolkit (2016); MERTON = Merton CSE screening tool; LONDON = London Child Exploitation Operating Protocol
(2021); DASH = SafeLives Dash risk checklist for young people and Marac criteria; OCC = Children's
Commissioner's CSEGG inquiry (2012-13); WT = Working Together to Safeguard Children (2023); CS = contextual
safeguarding (Firmin).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest

from risk.catalogue import V1_INDICATORS, V2_INDICATORS
from risk.scoring import V3_CONFIG, ConcernFact, Decision, assess

KINDS = {code: kind for code, kind, *_rest in [*V1_INDICATORS, *V2_INDICATORS]}
AGENCY = {"school": 1, "gp": 2, "police": 3, "youth_service": 4, "csc": 5, "hospital": 6, "yot": 7,
          "sexual_health": 8, "school_nurse": 9}
DAY0 = dt.date(2026, 3, 2)


@dataclass
class V:
    name: str
    concerns: list[tuple[int, str, tuple[str, ...]] | tuple[int, str, tuple[str, ...], dict[str, Any]]]
    assessed_day: int
    expected: str
    source: str
    age: int | None = 15
    map_facts: list[dict[str, Any]] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    routes: list[str] | None = None


def facts_of(v: V) -> list[ConcernFact]:
    out = []
    for n, row in enumerate(v.concerns):
        day, agency, codes = row[:3]
        extra = row[3] if len(row) > 3 else {}
        out.append(ConcernFact(reference=f"C{n:03d}", agency_id=AGENCY[agency], observed_on=DAY0 + dt.timedelta(days=day),  # noqa: E501
                               indicators=tuple(sorted((c, KINDS[c]) for c in codes)),
                               judgement=extra.get("judgement", ""), age=extra.get("age", v.age)))
    return out


VIGNETTES = [
    V("rapid escalation within 48 hours: missing, then found in a car with adults, then a disclosed assault",
      [(0, "school", ("missing-from-home-or-care", "older-boyfriend-or-associate")),
       (1, "police", ("missing-overnight-or-found-with-adults", "picked-up-in-cars-by-unknown-adults")),
       (2, "hospital", ("sexual-assault-disclosed",))], 2, "very_high",
      "SERAF: four significant indicators current (score 16+: category 4); LONDON: disclosure triggers a strategy "
      "discussion"),
    V("weak signals from four agencies that only add up together",
      [(0, "school", ("absent-from-school",)), (20, "gp", ("repeat-sti-pregnancy-termination",)),
       (35, "youth_service", ("change-in-appearance",)), (50, "police", ("drug-or-alcohol-misuse",))], 55, "medium",
      "WT 2023 and SERAF guidance: one professional's information is one piece of the puzzle; four agencies "
      "each seeing a different moderate sign call for a multi-agency plan (CROYDON: medium)"),
    V("the same weak signals from one school only", [(0, "school", ("absent-from-school",)),
      (20, "school", ("change-in-appearance",)), (35, "school", ("drug-or-alcohol-misuse",))], 40, "low",
      "SERAF: three moderate indicators score 3 (category 1); CROYDON: low"),
    V("strong signs seen by one agency only (police)",
      [(0, "police", ("picked-up-in-cars-by-unknown-adults", "adult-controlled-places", "missing-overnight-or-found-with-adults"))],  # noqa: E501
      3, "high", "MERTON: three significant indicators current; SERAF: 15 with a vulnerability-free history is "
      "category 3 at least; a panel does not wait for a second agency"),
    V("victim who is also offending: county lines, holding drugs, arrested",
      [(0, "yot", ("involvement-in-offending", "county-lines", "carrying-for-others")),
       (10, "police", ("debt-threats-intimidation",))], 12, "very_high",
      "LONDON 2021: children found in county lines are victims first (NRM), her offending does not lower her risk; "
      "SERAF: three significant indicators and a moderate one score 16 (category 4, significant risk)"),
    V("an 18-year-old: adult safeguarding route", [(0, "police", ("older-boyfriend-or-associate", "controlling-or-violent-relationship"))],  # noqa: E501
      5, "medium", "DASH/Marac and the Care Act route from 18 (the routing rules route it); SERAF: two significant "
      "indicators", age=18, routes=["adult_safeguarding"]),
    V("17-year-old in a controlling relationship with strangulation: Marac alongside children's services",
      [(0, "police", ("controlling-or-violent-relationship",), {"judgement": "seriously_worried"})], 3, "high",
      "DASH young people (16-17 at Marac): non-fatal strangulation and professional judgement mean high risk",
      age=17, routes=["partner_abuse"]),
    V("old resolved signs: nothing for fifteen months", [(0, "police", ("older-boyfriend-or-associate", "gifts-from-unknown-sources")),  # noqa: E501
      (5, "school", ("absent-from-school",))], 470, "none",
      "SERAF: significant indicators count fully for 6 months and partly to 12, then not at all (the level then "
      "steps down one review period at a time: low until day 456)"),
    V("resolved signs fourteen months on: still low, stepping down", [(0, "police", ("older-boyfriend-or-associate",
      "gifts-from-unknown-sources"))], 430, "low",
      "LONDON: risk is lowered through review; without one, one step per review period, never by a cliff"),
    V("old signs with a lifelong vulnerability: stays visible at low", [(0, "csc", ("history-of-abuse",)),
      (0, "police", ("older-boyfriend-or-associate",))], 500, "low",
      "SERAF: vulnerabilities such as past sexual abuse stay on the form"),
    V("a gang-involved partner known only from the map", [(0, "school", ("gang-neighbourhood",))], 10, "medium",
      "CS (Firmin): the context she is in; LONDON: gang-associated partner; the map alone lifts to medium at most",
      map_facts=[{"kind": "associate_link", "node": "A-1", "role": "partner", "age_band": "16_17", "gang": True,
                  "since": DAY0}]),
    V("an adult associate on the map of a 14-year-old", [(0, "school", ("low-self-esteem",))], 5, "medium",
      "CROYDON: associating with unknown adults; an adult with a girl under 16 is of concern (Sexual Offences "
      "Act 2003 age of consent, from memory)", age=14,
      map_facts=[{"kind": "associate_link", "node": "A-2", "role": "friend", "age_band": "18_24", "gang": False,
                  "since": DAY0}]),
    V("map alone cannot make high", [(0, "school", ("absent-from-school",))], 5, "medium",
      "CS: association is not a label; the map lifts to medium at most",
      map_facts=[{"kind": "context_of_concern", "node": "P-1", "since": DAY0},
                 {"kind": "associate_of_concern", "node": "A-3", "since": DAY0},
                 {"kind": "context_of_concern", "node": "G-1", "since": DAY0}]),
    V("ordinary adolescence: bereavement, new nails, one party, from one school",
      [(0, "school", ("bereavement-or-loss",)), (14, "school", ("change-in-appearance",)),
       (30, "school", ("drug-or-alcohol-misuse",))], 31, "low",
      "SERAF guidance: signs that look like ordinary adolescence are scored low (3: category 1); Pan-Bedfordshire: "
      "green or amber, no social care threshold"),
    V("ordinary adolescence, the nails explained by the MASH", [(0, "school", ("bereavement-or-loss",)),
      (14, "school", ("change-in-appearance",))], 20, "low",
      "SERAF guidance: a plausible explanation, verified, means the sign is not an indicator",
      decisions=[Decision("explained", DAY0 + dt.timedelta(days=16), code="change-in-appearance")]),
    V("a child under 13 with one moderate sign", [(0, "school", ("change-in-appearance",))], 3, "medium",
      "CROYDON: no child under 13 can be categorised as low", age=12),
    V("a child under 13 with a sexual indicator", [(0, "school_nurse", ("sexual-bullying-online-vulnerability",))], 3,
      "high", "CROYDON and LONDON: sexual activity or sexualised exploitation of a child under 13 is high risk "
      "(rape of a child under 13, Sexual Offences Act 2003 s.5, from memory)", age=12),
    V("a learning disability and one moderate sign", [(0, "csc", ("learning-disability",)),
      (10, "school", ("absent-from-school",))], 12, "medium", "CROYDON: no child with a learning disability can be low"),  # noqa: E501
    V("online grooming with images demanded, 14", [(0, "school", ("online-grooming", "image-based-abuse")),
      (3, "police", ("low-self-esteem",))], 5, "high",
      "MERTON: groomed via the internet (significant); CROYDON: being groomed on the internet is medium or above; "
      "with image-based abuse of a 14-year-old, a panel gives high"),
    V("online grooming alone", [(0, "school", ("online-grooming",))], 2, "medium",
      "MERTON: a single significant indicator; CROYDON: medium"),
    V("disclosed sexual assault, withdrawn later", [(0, "sexual_health", ("sexual-assault-disclosed",))], 40, "high",
      "SERAF: disclosure of sexual assault followed by withdrawal; OCC: assault as initiation or retaliation; "
      "floor at high while it is current"),
    V("sexual activity with an adult at 15", [(0, "gp", ("sexual-activity-with-adult-under-16", "repeat-sti-pregnancy-termination"))],  # noqa: E501
      7, "high", "WT 2023 and LONDON: a child under 16 sexually involved with an adult is a child protection matter"),
    V("immediate danger: the practitioner's judgement", [(0, "youth_service", ("gifts-from-unknown-sources",),
      {"judgement": "immediate_danger"})], 1, "very_high",
      "CROYDON and DASH: professional judgement can raise to any level; immediate danger needs an immediate response"),
    V("immediate danger three weeks on, no review: steps down one level", [(0, "youth_service", ("absent-from-school",),
      {"judgement": "immediate_danger"})], 45, "high",
      "LONDON: a level is lowered by a multi-agency review, not by the calendar; without one it falls a step per period"),  # noqa: E501
    V("repeat missing episodes: three in a month, one reported twice", [
      (0, "police", ("missing-from-home-or-care",)), (1, "csc", ("missing-from-home-or-care",)),
      (12, "police", ("missing-from-home-or-care",)), (25, "police", ("missing-from-home-or-care",))], 26, "high",
      "LONDON: three missing episodes in 90 days trigger a strategy discussion (from memory of local procedures); "
      "SERAF: persistently missing is significant; one episode reported twice is one episode"),
    V("two missing episodes, the second reported by two agencies", [(0, "police", ("missing-from-home-or-care",)),
      (30, "police", ("missing-from-home-or-care",)), (31, "school", ("missing-from-home-or-care",))], 32, "medium",
      "LONDON: repeat missing is a risk indicator; counted by episode, not report"),
    V("concerns with no signs do not count", [(0, "school", ()), (5, "gp", ()), (9, "police", ()),
      (10, "school", ("absent-from-school",))], 11, "low",
      "Honest counting: a concern with nothing ticked is not evidence (SERAF counts indicators, not forms)"),
]


@pytest.mark.parametrize("v", VIGNETTES, ids=[v.name[:60] for v in VIGNETTES])
def test_vignette(v: V):
    result = assess(facts_of(v), V3_CONFIG, DAY0 + dt.timedelta(days=v.assessed_day), v.map_facts, v.decisions)
    assert result.level == v.expected, (v.name, v.source, result.score, result.explanation)
    if v.routes is not None:
        assert result.explanation["routes"] == v.routes


def test_there_are_at_least_twenty_vignettes_each_with_a_source():
    assert len(VIGNETTES) >= 20 and all(v.source for v in VIGNETTES)
