"""The API's fixed vocabularies: scopes, and the role each scope needs on the client's account."""

from __future__ import annotations

from django.db import models

from agencies.choices import RoleCode


class Scope(models.TextChoices):
    """What a client may do. A token carries some of its client's scopes; each operation needs one."""

    CONCERNS_WRITE = "concerns:write", "Submit concerns"
    OUTCOMES_READ = "outcomes:read", "Read what happened to the agency's concerns"


# A client's account holds the case role that opens exactly what its scope allows, so ``restrict`` and the
# services decide what it reaches as they do for a person: submitting is what a practitioner does (the
# concern form's service); reading outcomes is what the agency's designated safeguarding lead sees
# (its concerns and the referrals it made, status and decision only). Each role is a role grant that a
# second administrator approves (four eyes, agencies.services), so a scope is live only once approved.
ROLE_FOR_SCOPE: dict[str, str] = {
    Scope.CONCERNS_WRITE: RoleCode.PRACTITIONER,
    Scope.OUTCOMES_READ: RoleCode.DSL,
}

# Usernames of client accounts start with this, so the trail and the anomalies page name them as systems.
ACCOUNT_PREFIX = "api-"
