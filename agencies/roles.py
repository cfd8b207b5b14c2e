"""What each role may do, as data.

Model-level permissions come from here through ``agencies.backends.RoleBackend``, so a role's powers are
reviewed in one place and never drift in database group tables. Object-level shares (a referral routed
a subject to another agency) are django-guardian grants to the agency's own group (``SubjectShare``).
"""

from __future__ import annotations

from agencies.choices import RoleCode

ROLE_DESCRIPTIONS: dict[str, str] = {
    RoleCode.PRACTITIONER: (
        "Record concerns about girls and young women you are worried about, and see the subjects you "
        "raised concerns about: your own concerns, the current risk level and the outcome of referrals "
        "you made."
    ),
    RoleCode.DSL: (
        "See everything your agency has recorded, refer a subject to your borough's multi-agency "
        "safeguarding hub, and receive alerts about your agency's subjects."
    ),
    RoleCode.MASH_LEAD: (
        "Keep your borough's risk register, screen and decide referrals, merge duplicate subjects and "
        "maintain the association map."
    ),
    RoleCode.RECEIVING_WORKER: (
        "Work with the subjects referred to your agency while the referral is open or the share lasts."
    ),
    RoleCode.AUDITOR: (
        "Review the access trail and the disclosure log of every subject, by reference number only."
    ),
    RoleCode.ADMINISTRATOR: (
        "Manage agencies, users and their roles. Administrators cannot see case records."
    ),
    RoleCode.DATA_PROTECTION_OFFICER: (
        "Answer subject access requests with everything held about one young person, and see what the "
        "retention period will erase soon. Every export is recorded."
    ),
    RoleCode.PARTNERSHIP_ANALYST: (
        "See the partnership's statistics for your borough (or, at MOPAC, for all of London): aggregates "
        "with small numbers suppressed, never a reference, a name or a case page."
    ),
}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    RoleCode.PRACTITIONER: frozenset(),
    RoleCode.DSL: frozenset(),
    RoleCode.MASH_LEAD: frozenset(),
    RoleCode.RECEIVING_WORKER: frozenset(),
    RoleCode.AUDITOR: frozenset(),
    RoleCode.ADMINISTRATOR: frozenset(
        {
            "agencies.view_borough",
            "agencies.view_agency",
            "agencies.add_agency",
            "agencies.change_agency",
            "agencies.view_role",
            "agencies.view_membership",
            "agencies.add_membership",
            "agencies.change_membership",
            "auth.view_user",
            "auth.add_user",
            "auth.change_user",
            # Releasing a throttled sign-in early, for a user who has proved who they are.
            "axes.view_accessattempt",
            "axes.delete_accessattempt",
        }
    ),
    RoleCode.DATA_PROTECTION_OFFICER: frozenset(
        {
            "dataprotection.export_subject_data",
            "dataprotection.view_erasure_forecast",
        }
    ),
    RoleCode.PARTNERSHIP_ANALYST: frozenset(),
}


def permissions_for_roles(role_codes: set[str] | frozenset[str]) -> set[str]:
    """The union of the model-level permissions of the given roles."""
    granted: set[str] = set()
    for code in role_codes:
        granted |= ROLE_PERMISSIONS.get(code, frozenset())
    return granted
