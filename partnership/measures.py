"""What each measure counts, as data: its question, its one-sentence definition (numerator and
denominator), its categories and how they nest, and how it is drawn. README.md repeats the definitions.

Agency kinds are the only breakdown by who recorded: never an agency's name (no school's reputation is at
stake, and the report found some schools hold back for fear for it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agencies.choices import AgencyKind
from casework.choices import OutcomeKind
from partnership.choices import Measure
from risk.choices import RemovalReason, RiskLevel

COUNT, DAYS = "count", "days"
MONTHLY, SNAPSHOT = "monthly", "snapshot"
STACKED, LINE, BARS, NONE = "stacked", "line", "bars", "none"


@dataclass(frozen=True)
class MeasureSpec:
    """One measure. ``categories`` are the leaves ((code, label)); ``groups`` are sums of leaves shown and
    protected with them ((code, label, leaf codes)); a count measure's total is the sum of its groups, or
    of its leaves when it has none. A ``DAYS`` measure publishes a median and a 90th percentile."""

    measure: Measure
    question: str
    definition: str
    kind: str = COUNT
    categories: tuple[tuple[str, str], ...] = ()
    groups: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    periods: str = MONTHLY
    chart: str = LINE
    by: str = "her home borough"

    @property
    def title(self) -> str:
        return str(self.measure.label)

    @property
    def code(self) -> str:
        return str(self.measure.value)

    def label_of(self, category: str) -> str:
        labels = dict(self.categories) | {code: label for code, label, _ in self.groups}
        return labels.get(category, "Total" if category == "" else category)

    @property
    def shown_categories(self) -> list[tuple[str, str]]:
        """Leaves then groups, as the tables list them (the total last)."""
        return [*self.categories, *((code, label) for code, label, _ in self.groups)]

    def group_of(self) -> dict[str, str]:
        return {leaf: code for code, _label, leaves in self.groups for leaf in leaves}


# The kinds of agency a first concern comes from, as the report groups them: universal services (schools,
# GPs, school nursing) see the signs first; youth offending and police often meet her late.
FIRST_KINDS: tuple[tuple[str, str], ...] = (
    (AgencyKind.SCHOOL, "School"),
    (AgencyKind.GP_PRACTICE, "GP practice"),
    (AgencyKind.SCHOOL_NURSING, "School nursing"),
    (AgencyKind.HEALTH, "Other health services"),
    (AgencyKind.POLICE, "Police"),
    (AgencyKind.YOUTH_OFFENDING_TEAM, "Youth offending team"),
    (AgencyKind.CHILDRENS_SOCIAL_CARE, "Children's social care"),
    (AgencyKind.VOLUNTARY_SECTOR, "Voluntary sector"),
    ("other", "Other (MASH, adult social care)"),
)
UNIVERSAL, ENFORCEMENT, OTHER_SERVICES = "universal", "police_or_yot", "other_services"
KIND_GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (UNIVERSAL, "Universal services (school, GP, school nursing)",
     (AgencyKind.SCHOOL, AgencyKind.GP_PRACTICE, AgencyKind.SCHOOL_NURSING)),
    (ENFORCEMENT, "Youth offending or police", (AgencyKind.POLICE, AgencyKind.YOUTH_OFFENDING_TEAM)),
    (OTHER_SERVICES, "Other services",
     (AgencyKind.HEALTH, AgencyKind.CHILDRENS_SOCIAL_CARE, AgencyKind.VOLUNTARY_SECTOR, "other")),
)
AGE_BANDS: tuple[tuple[str, str], ...] = (
    ("under_13", "Under 13"), ("13_15", "13 to 15"), ("16_17", "16 or 17"), ("18_plus", "18 or over"),
    ("unknown", "Age not known"),
)
LEVELS: tuple[tuple[str, str], ...] = tuple(
    (level.value, str(level.label)) for level in RiskLevel if level != RiskLevel.NONE) + (("none", "None"),)
# Pathways (codes of risk.pathways' catalogue) in the families a partnership plans services by.
PATHWAY_FAMILIES: dict[str, tuple[str, ...]] = {
    "social_care": ("early_help", "csc_assessment", "csc_strategy", "cp_conference", "pre_birth", "leaving_care",
                    "adult_safeguarding", "csc"),
    "specialist": ("specialist_cse", "mace", "marac", "context"),
    "police": ("police_sot", "police_cce", "police_disruption", "police_threat", "nrm", "police"),
    "health": ("sexual_health", "camhs", "havens", "health"),
    "youth_offending": ("youth_offending",),
}
PATHWAY_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("social_care", "Social care and early help"), ("specialist", "Specialist exploitation services and panels"),
    ("police", "Police and the National Referral Mechanism"), ("health", "Health"),
    ("youth_offending", "Youth offending"), ("other", "Other"),
)
# The pathways that are specialist services for "the first specialist pathway": every family but
# universal early help.
NOT_SPECIALIST = frozenset({"early_help"})
STRATEGY_PATHWAY = "csc_strategy"
MISSING_SIGNS = ("missing-from-home-or-care", "missing-overnight-or-found-with-adults")
EXIT_REASONS: tuple[tuple[str, str], ...] = tuple((r.value, str(r.label)) for r in RemovalReason)
OUTCOME_KINDS: tuple[tuple[str, str], ...] = tuple((k.value, str(k.label)) for k in OutcomeKind)
CONTEXT_KINDS: tuple[tuple[str, str], ...] = (
    ("associate", "A person"), ("place", "A place"), ("group", "A group"),
)

SPECS: dict[str, MeasureSpec] = {spec.code: spec for spec in [
    MeasureSpec(
        Measure.IDENTIFIED, "Are universal services finding them?",
        "Girls whose first concern on record was recorded in the period (numerator), by the kind of agency "
        "that recorded it, out of all girls first identified in the period (denominator).",
        categories=FIRST_KINDS, groups=KIND_GROUPS, chart=STACKED),
    MeasureSpec(
        Measure.AGE_AT_IDENTIFICATION, "How old are girls when they are first identified?",
        "Girls first identified in the period (numerator) by their age on the day the signs of the first "
        "concern were seen, out of all girls first identified in the period (denominator).",
        categories=AGE_BANDS, chart=BARS),
    MeasureSpec(
        Measure.DAYS_TO_DECISION, "Are they referred too late?",
        "For girls whose first MASH decision was made in the period, the median and 90th percentile of the "
        "days from the day the signs of her earliest concern were seen to that decision (published for groups "
        "of at least the threshold).",
        kind=DAYS, chart=LINE),
    MeasureSpec(
        Measure.DAYS_TO_PATHWAY, "How long until a specialist service is asked to act?",
        "For girls whose first specialist pathway (any pathway of a MASH decision but early help, and not "
        "one left out) was decided in the period, the median and 90th percentile of the days from the day "
        "the signs of her earliest concern were seen to it.",
        kind=DAYS, chart=LINE),
    MeasureSpec(
        Measure.REFERRAL_DECISIONS, "Does the MASH decide within one working day?",
        "MASH decisions made in the period by their deadline of one working day after receipt "
        "(numerator), out of all MASH decisions made in the period (denominator).",
        categories=(("within", "Within one working day"), ("later", "Later")), chart=STACKED,
        by="the borough whose MASH decided"),
    MeasureSpec(
        Measure.PATHWAYS_CHOSEN, "Where does the MASH send them?",
        "Pathways decided in the period (each pathway of each MASH decision, left-out recommendations not "
        "counted), by family of pathway, out of all pathways decided in the period.",
        categories=PATHWAY_CATEGORIES, chart=STACKED, by="the borough whose MASH decided"),
    MeasureSpec(
        Measure.STRATEGY_DISCUSSIONS, "Are strategy discussions held within their clock?",
        "Strategy-discussion pathways decided in the period whose strategy discussion was held by the end of "
        "the pathway's clock (numerator), out of all strategy-discussion pathways decided in the period "
        "(denominator; those with no discussion yet and their clock still running counted apart).",
        categories=(("within", "Held within the clock"), ("outside", "Held after the clock, or not held"),
                    ("running", "Not held yet, clock still running")),
        chart=STACKED, by="the borough whose MASH decided"),
    MeasureSpec(
        Measure.REGISTER_ENTRIES, "Who comes onto the register?",
        "Entries onto a borough's risk register in the period (first entries and reinstatements), by the "
        "level she entered at, out of all entries in the period.",
        categories=LEVELS, chart=STACKED, by="the register's borough"),
    MeasureSpec(
        Measure.REGISTER_EXITS, "Why do girls leave the register?",
        "Removals from a borough's risk register in the period (numerator), by the reason the MASH lead "
        "chose (a code; removals from before reasons were coded count as not recorded), out of all removals "
        "in the period (denominator).",
        categories=EXIT_REASONS, chart=STACKED, by="the register's borough"),
    MeasureSpec(
        Measure.DAYS_ON_REGISTER, "How long do girls stay on the register?",
        "For removals in the period, the median and 90th percentile of the days from entry (or the last "
        "reinstatement) to removal.",
        kind=DAYS, chart=LINE, by="the register's borough"),
    MeasureSpec(
        Measure.REGISTER_LEVELS, "What is the level mix on the register?",
        "Girls on a borough's risk register at the end of the period (or today, for the current month), by "
        "level, out of everyone on it then.",
        categories=LEVELS, chart=STACKED, by="the register's borough"),
    MeasureSpec(
        Measure.REGISTER_REVIEWS, "Are reviews done on time?",
        "Register reviews recorded in the period on or before the day they were due (numerator), out of all "
        "reviews recorded in the period (denominator); the first review is due one cadence after entry.",
        categories=(("on_time", "On time"), ("late", "Late")), chart=STACKED, by="the register's borough"),
    MeasureSpec(
        Measure.REPEAT_MISSING, "How many go missing again and again?",
        "Girls with two or more concerns whose signs include going missing from home or care, seen in the "
        "same calendar month (counted in that month; a quarter adds up its months).",
        chart=LINE),
    MeasureSpec(
        Measure.CONTEXTS, "Where is harm shared between girls?",
        "People, places and groups on the association map linked by current links to at least the map's "
        "threshold of girls (a context of concern), by kind; never which place, person or group.",
        categories=CONTEXT_KINDS, periods=SNAPSHOT, chart=BARS, by="the borough whose MASH keeps the links"),
    MeasureSpec(
        Measure.OUTCOMES, "What changes for girls?",
        "Outcomes recorded for girls (case work's coded outcomes: engaged with the specialist service, missing "
        "episodes stopped, ...) that happened in the period (numerator), by kind, out of all outcomes that "
        "happened in the period (denominator); counted on the day they happened, which may be before the day "
        "they were recorded.",
        categories=OUTCOME_KINDS, chart=STACKED),
]}

# What the partnership cannot see here yet (the page says so).
NOT_YET_MEASURED = ("MACE panels, plans and their actions (case work records them) are not counted here yet.")

assert set(SPECS) == set(Measure.values)  # noqa: S101 - every measure has its definition


@dataclass
class Events:
    """What the sources read, per measure: count events ``(borough id, day, category)`` and duration events
    ``(borough id, day, days)``; snapshot counts ``(borough id, category)``."""

    counts: dict[str, list[tuple[int, Any, str]]] = field(default_factory=dict)
    durations: dict[str, list[tuple[int, Any, float]]] = field(default_factory=dict)
    snapshot: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
