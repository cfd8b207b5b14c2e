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


# The chain of events that belong to no borough: sign-ins, administration, the auditors' own reads.
SYSTEM_CHAIN = "system"
