"""Fixed vocabularies of the access trail."""

from django.db import models


class Action(models.TextChoices):
    """What was done. Services and views pick the most specific action; ``denied`` is for refusals that
    have no more specific action (a denied read keeps its own action, e.g. ``view``, with outcome denied)."""

    VIEW = "view", "View"
    LIST = "list", "List"
    SEARCH = "search", "Search"
    EXPORT = "export", "Export"
    CREATE = "create", "Create"
    UPDATE = "update", "Update"
    DECIDE = "decide", "Decide"
    SHARE = "share", "Share"
    REVOKE = "revoke", "Revoke"
    MERGE = "merge", "Merge"
    ERASE = "erase", "Erase"
    LOGIN = "login", "Sign in"
    LOGIN_FAILED = "login_failed", "Failed sign-in"
    LOGOUT = "logout", "Sign out"
    DENIED = "denied", "Denied"
    BREAK_GLASS = "break_glass", "Break-glass access"
    VERIFY = "verify", "Verify the trail"


class Outcome(models.TextChoices):
    """Whether the action was allowed or refused."""

    ALLOWED = "allowed", "Allowed"
    DENIED = "denied", "Denied"


class ObjectType(models.TextChoices):
    """What an event is about. ``audit.api.record`` refuses any other value, so a new kind of object is
    added here first (with a label the auditors' pages show)."""

    ACCESS_EVENT = "access_event", "Access trail"
    AGENCY = "agency", "Agency"
    ANOMALIES = "anomalies", "Anomalies"
    API_CLIENT = "api_client", "API client (an agency system)"
    ASSOCIATE = "associate", "Associate (association map)"
    AUDIT_CHAIN = "audit_chain", "Audit chain"
    BOROUGH_TRANSFER = "borough_transfer", "Borough transfer (her home borough)"
    BREAK_GLASS = "break_glass", "Emergency access"
    CONCERN = "concern", "Concern"
    CONTEXT_OF_CONCERN = "context_of_concern", "Contexts of concern"
    DATA_KEY = "data_key", "Data key"
    DISCLOSURE_LOG = "disclosure_log", "Disclosure log"
    DRAFT = "draft", "Draft (a form kept when the session ended)"
    DUPLICATE = "duplicate", "Possible duplicates"
    ERASURE_FORECAST = "erasure_forecast", "Erasure forecast"
    GROUP = "group", "Group (association map)"
    INDICATOR_CATALOGUE = "indicator_catalogue", "Indicator catalogue"
    INVITATION = "invitation", "Set-password link"
    MAP_LINK = "map_link", "Map link"
    MAP_LINK_FORM = "map_link_form", "Map link form"
    MEMBERSHIP = "membership", "Membership"
    NOTIFICATION = "notification", "Notification (the user's own inbox)"
    PATHWAY_CATALOGUE = "pathway_catalogue", "Pathway catalogue"
    PLACE = "place", "Place (association map)"
    PROTECTIVE_FACTOR = "protective_factor", "Protective factor"
    RECOVERY_CODES = "recovery_codes", "Recovery codes"
    REFERRAL = "referral", "Referral"
    REGISTER = "register", "Risk register"
    REGISTER_ENTRY = "register_entry", "Register entry"
    RISK = "risk", "Risk assessment"
    ROLE_GRANT = "role_grant", "Role grant request"
    SCHOOL_TRANSFER = "school_transfer", "School transfer (child-protection file)"
    RISK_DECISION = "risk_decision", "Risk decision (sign explained, level reviewed)"
    SCORING_MODEL = "scoring_model", "Scoring model"
    STATISTICS = "statistics", "Partnership statistics (aggregates)"
    SUBJECT = "subject", "Young person"
    SUBJECT_MAP = "subject_map", "Young person's map"
    TOTP_DEVICE = "totp_device", "Authenticator"
    TWO_FACTOR = "two_factor", "Two-factor authentication"
    TWO_FACTOR_RESET = "two_factor_reset", "Two-factor reset request"
    USER = "user", "User"
    VERIFICATION = "verification", "Trail verification"
    # Case work after the decision.
    STRATEGY_DISCUSSION = "strategy_discussion", "Strategy discussion"
    MACE_MEETING = "mace_meeting", "MACE meeting"
    PLAN_ACTION = "plan_action", "Plan action"
    OUTCOME = "outcome", "Outcome"


# The chain of events that belong to no borough: sign-ins, administration, the auditors' own reads.
SYSTEM_CHAIN = "system"
