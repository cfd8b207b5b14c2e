"""Fixed vocabularies of case work: codes in the database and the trail, labels on the pages."""

from django.db import models


class StrategyDecision(models.TextChoices):
    """What a strategy discussion decided (Working Together to Safeguard Children 2023, ch. 2 and 3)."""

    SECTION_47 = "section_47", "Section 47 enquiry"
    CONFERENCE = "conference", "Section 47 enquiry and an initial child protection conference"
    SECTION_17 = "section_17", "Child in need assessment (section 17), not section 47"
    OTHER_PATHWAY = "other_pathway", "Another pathway (for example the MACE panel or a specialist service)"
    NO_FURTHER_ACTION = "nfa", "No further action"


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    OVERDUE = "overdue", "Overdue"
    CANCELLED = "cancelled", "Cancelled"


# An action still to be done: open, or past its due date and not done.
LIVE_ACTION_STATUSES = (ActionStatus.OPEN, ActionStatus.OVERDUE)


class CancelReason(models.TextChoices):
    """Why an action was cancelled: a code for the trail; any detail typed is encrypted on the action."""

    NOT_NEEDED = "not_needed", "No longer needed"
    SUPERSEDED = "superseded", "Replaced by another action"
    MOVED_AWAY = "moved_away", "She moved out of the borough"
    DECLINED = "declined", "She or her family declined it"
    OTHER = "other", "Another reason"


class ActionSource(models.TextChoices):
    """Where an action was agreed."""

    PLAN = "plan", "Her plan"
    STRATEGY = "strategy", "A strategy discussion"
    MACE = "mace", "A MACE meeting"
    REGISTER_REVIEW = "register_review", "A register review"


class PlanKind(models.TextChoices):
    SAFETY = "safety", "Safety plan (for her)"
    DISRUPTION = "disruption", "Disruption plan (a place or a group)"


class OutcomeKind(models.TextChoices):
    """What changed for her, dated and by agency; partnership statistics count these codes."""

    ENGAGED_SPECIALIST = "engaged_specialist", "Engaged with the specialist service"
    MISSING_STOPPED = "missing_stopped", "Missing episodes stopped"
    LEFT_RELATIONSHIP = "left_relationship", "Left the exploitative relationship"
    MOVED_PLACEMENT = "moved_placement", "Moved placement"
    BACK_IN_EDUCATION = "back_in_education", "Back in education"
    PROSECUTION = "prosecution", "Prosecution of an adult"
    PLACE_DISRUPTED = "place_disrupted", "Disruption of a place"
    OTHER = "other", "Another outcome"


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", "Agenda being prepared"
    AGENDA_OUT = "agenda_out", "Agenda sent"
    HELD = "held", "Held: minutes recorded"


class AgendaReason(models.TextChoices):
    """Why an item is on a MACE agenda, in the order the agenda lists them."""

    VERY_HIGH = "very_high", "Very high risk"
    HIGH = "high", "High risk"
    RISING = "rising", "Risk rising"
    OVERDUE_REVIEW = "overdue_review", "Register review overdue"
    OVERDUE_ACTION = "overdue_action", "Action overdue"
    NEW_ENTRY = "new_entry", "New on the register"
    CONTEXT = "context", "Context of concern"
    CHAIR = "chair", "Added by the chair"


AGENDA_ORDER = {reason: rank for rank, reason in enumerate(AgendaReason.values)}
