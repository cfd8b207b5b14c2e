"""Fixed vocabularies of the partnership statistics."""

from django.db import models


class Measure(models.TextChoices):
    """Each measure the partnership publishes; defined in one sentence each in ``partnership.measures``."""

    IDENTIFIED = "identified", "Girls identified, by the kind of agency that raised the first concern"
    AGE_AT_IDENTIFICATION = "age_at_identification", "Ages at identification"
    DAYS_TO_DECISION = "days_to_decision", "Days from the first concern to the first MASH decision"
    DAYS_TO_PATHWAY = "days_to_pathway", "Days from the first concern to the first specialist pathway"
    REFERRAL_DECISIONS = "referral_decisions", "MASH decisions within one working day"
    PATHWAYS_CHOSEN = "pathways_chosen", "Pathways chosen"
    STRATEGY_DISCUSSIONS = "strategy_discussions", "Strategy discussions within their clock"
    REGISTER_ENTRIES = "register_entries", "Register entries, by level at entry"
    REGISTER_EXITS = "register_exits", "Register exits, by reason"
    DAYS_ON_REGISTER = "days_on_register", "Days on the register, of those who left it"
    REGISTER_LEVELS = "register_levels", "On the register at the end of the period, by level"
    REGISTER_REVIEWS = "register_reviews", "Register reviews done on time"
    REPEAT_MISSING = "repeat_missing", "Girls with repeat missing episodes"
    CONTEXTS = "contexts", "Contexts of concern, by kind"
    OUTCOMES = "outcomes", "Outcomes for girls, by kind"


CURRENT = "current"  # the period of a snapshot measure (contexts of concern as they stand)
TOTAL = ""  # the category of a table's total
MEDIAN = "median"
P90 = "p90"
