"""Fixed vocabularies of the risk app."""

from django.db import models


class IndicatorKind(models.TextChoices):
    """Whether an indicator describes who she is and where she lives, or something seen happening."""

    VULNERABILITY = "vulnerability", "Vulnerability"
    WARNING_SIGN = "warning_sign", "Warning sign"


class IndicatorCategory(models.TextChoices):
    """Groups shown together on the record-a-concern page."""

    HOME_AND_FAMILY = "home_and_family", "Home and family"
    PEERS_AND_RELATIONSHIPS = "peers_and_relationships", "Peers and relationships"
    WELLBEING_AND_DEVELOPMENT = "wellbeing_and_development", "Wellbeing and development"
    WHERE_SHE_LIVES = "where_she_lives", "Where she lives"
    MISSING_AND_EDUCATION = "missing_and_education", "Missing and education"
    HEALTH = "health", "Health"
    BEHAVIOUR = "behaviour", "Behaviour and appearance"
    ONLINE_AND_GIFTS = "online_and_gifts", "Online, gifts and exploitation of others"
    GANG_ASSOCIATION = "gang_association", "Gang association"


class RiskLevel(models.TextChoices):
    """A subject's risk level, in rising order (``risk.scoring.LEVEL_RANK`` ranks them)."""

    NONE = "none", "None"
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    VERY_HIGH = "very_high", "Very high"


class IndicatorClass(models.TextChoices):
    """How much an indicator weighs (SERAF): a vulnerability, a moderate or a significant risk indicator."""

    VULNERABILITY = "vulnerability", "Vulnerability"
    MODERATE = "moderate", "Moderate risk indicator"
    SIGNIFICANT = "significant", "Significant risk indicator"


class DecisionKind(models.TextChoices):
    """A MASH decision the scoring model takes into account."""

    EXPLAINED = "explained", "Sign explained and verified"
    REVIEW = "review", "Level reviewed"


class ProtectiveFactorKind(models.TextChoices):
    """Protective factors (Pan-Bedfordshire CSE risk identification tool; SERAF guidance). Shown beside
    the score and weighed by the MASH review, never subtracted automatically."""

    TRUSTED_ADULT = "trusted_adult", "A trusted adult she talks to"
    ATTENDING_EDUCATION = "attending_education", "Attending school, college or training"
    STABLE_PLACEMENT = "stable_placement", "A stable home or placement"
    ENGAGING_WITH_SERVICE = "engaging_with_service", "Engaging with a service or worker"
    POSITIVE_ACTIVITIES = "positive_activities", "Positive activities or friendships"
    OTHER = "other", "Something else"


class PathwayConsent(models.TextChoices):
    """Whose agreement a pathway needs before she is referred to it (pathway catalogue, ``risk.pathways``).

    A safeguarding referral about a child needs nobody's consent (Working Together 2023: information is
    shared to protect a child without it, though she and her family are told unless that raises the
    risk); a voluntary service works only with her agreement; an adult decides for herself where the law
    asks (the National Referral Mechanism), and is asked for her views where the law lets an enquiry go
    on without her consent (Care Act 2014 s42, Marac)."""

    NONE = "none", "No consent needed: a safeguarding referral"
    AGREEMENT = "agreement", "She (or her family) must agree to take part"
    INFORMED = "informed", "Her informed consent is needed"
    VIEWS_SOUGHT = "views_sought", (
        "Her views and consent are sought; the referral can go ahead without them to protect her or others")


class ClockUnit(models.TextChoices):
    """How a pathway's clock is counted (pathway catalogue)."""

    NONE = "none", "No statutory clock"
    SAME_DAY = "same_day", "The same day"
    HOURS = "hours", "Hours"
    DAYS = "days", "Calendar days"
    WORKING_DAYS = "working_days", "Working days"


class RemovalReason(models.TextChoices):
    """Why she came off the register: a code, for the trail and the partnership statistics (exits by
    reason); the MASH's own words stay encrypted beside it (``RegisterEntry.removal_reason``)."""

    RISK_REDUCED = "risk_reduced", "Risk reduced: the plan's support is in place"
    MOVED_AWAY = "moved_away", "Moved out of the borough"
    ADULT_SERVICES = "adult_services", "Turned 18: passed to adult safeguarding"
    ANOTHER_PLAN = "another_plan", "Safeguarded under another plan (for example child protection)"
    IN_ERROR = "in_error", "Added in error"
    OTHER = "other", "Another reason"
    # Only for removals recorded before reasons were coded; never chosen on the page.
    NOT_RECORDED = "not_recorded", "Not recorded (removed before reasons were coded)"


# The reasons a MASH lead may choose (the page, the service).
CHOSEN_REMOVAL_REASONS = tuple(r for r in RemovalReason if r != RemovalReason.NOT_RECORDED)
