"""Who may do what: the one home of every role rule (DESIGN.md §5.0).

Views, services, navigation and templates ask these predicates; nothing else tests role codes. Each
takes the user (a request's ``request.user``, or a service's ``actor``) and answers from the member's
active membership (``agencies.permissions.active_membership``, loaded once per request), so a user
without an active membership of an active agency can do nothing.

Predicates about *kinds of work* (``can_record_concerns``) decide which pages and buttons exist for a
member; which *rows* they may see is ``restrict(user, action)`` on the model (``access_rule``). A
predicate about one object (``can_refer(user, subject)``) combines both where the rule needs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agencies.choices import AgencyKind, RoleCode
from agencies.permissions import active_membership
from agencies.roles import permissions_for_roles

if TYPE_CHECKING:
    from agencies.models import Membership

RECORDERS = frozenset({RoleCode.PRACTITIONER, RoleCode.DSL})
CASE_ROLES = frozenset({
    RoleCode.PRACTITIONER, RoleCode.DSL, RoleCode.MASH_LEAD, RoleCode.RECEIVING_WORKER, RoleCode.AUDITOR,
    RoleCode.DATA_PROTECTION_OFFICER, RoleCode.PARTNERSHIP_ANALYST,
})
SUBJECT_READERS = frozenset({RoleCode.PRACTITIONER, RoleCode.DSL, RoleCode.MASH_LEAD, RoleCode.RECEIVING_WORKER})
# Who sees across agencies (identity as the record holds it, scores, explanations): DESIGN.md §5.6a.
CROSS_AGENCY_READERS = frozenset({RoleCode.MASH_LEAD, RoleCode.RECEIVING_WORKER})


def is_member(user: Any) -> bool:
    """Whether the user works for an active agency through an active membership (every signed-in page)."""
    return active_membership(user) is not None


def roles_of(user: Any) -> frozenset[str]:
    """The role codes the user holds through an active membership (empty without one)."""
    membership = active_membership(user)
    return membership.role_codes if membership is not None else frozenset()


def has_any_role(user: Any, *codes: str) -> bool:
    """Whether the user holds at least one of these roles."""
    return bool(roles_of(user) & set(codes))


def borough_of(user: Any) -> int | None:
    """The borough (id) of the user's agency, or None without an active membership."""
    membership = active_membership(user)
    return membership.agency.borough_id if membership is not None else None


def agency_of(user: Any) -> Any:
    """The user's agency, or None without an active membership."""
    membership = active_membership(user)
    return membership.agency if membership is not None else None


# ---------------------------------------------------------------------------------------------------
# The MASH
# ---------------------------------------------------------------------------------------------------
def mash_borough_of_member(membership: Membership | None) -> int | None:
    """The borough (id) whose MASH this membership leads, or None (for access rules, given a membership)."""
    if membership is None or RoleCode.MASH_LEAD not in membership.role_codes:
        return None
    return int(membership.agency.borough_id)


def mash_borough_of(user: Any) -> int | None:
    """The borough (id) whose MASH the user leads, or None: a MASH lead leads their agency's borough."""
    return mash_borough_of_member(active_membership(user))


def is_mash_lead(user: Any) -> bool:
    """Whether the user leads a MASH (the register, screening, duplicates, the map's contexts)."""
    return mash_borough_of(user) is not None


def leads_mash_of(user: Any, borough: Any) -> bool:
    """Whether the user is a MASH lead of this borough (a ``Borough`` or its id)."""
    borough_id = getattr(borough, "pk", borough)
    return borough_id is not None and mash_borough_of(user) == borough_id


# ---------------------------------------------------------------------------------------------------
# Concerns, young people, referrals
# ---------------------------------------------------------------------------------------------------
def can_record_concerns(user: Any) -> bool:
    """Practitioners and DSLs record concerns."""
    return has_any_role(user, *RECORDERS)


def is_designated_safeguarding_lead(user: Any) -> bool:
    """A DSL answers for their whole agency: its concerns, its young people and the referrals it made."""
    return has_any_role(user, RoleCode.DSL)


def sees_canonical_identity(user: Any) -> bool:
    """The MASH and receiving services see her identity as the record holds it; everyone else sees exactly
    what they (or their agency) entered, so nobody learns what other agencies recorded (DESIGN.md §5.6a)."""
    return has_any_role(user, *CROSS_AGENCY_READERS)


def can_list_subjects(user: Any) -> bool:
    """Everyone who may read some young people's pages has the "Young people" list."""
    return has_any_role(user, *SUBJECT_READERS)


def can_refer_to_mash(user: Any) -> bool:
    """DSLs and MASH leads refer young people to the MASH."""
    return has_any_role(user, RoleCode.DSL, RoleCode.MASH_LEAD)


def can_refer(user: Any, subject: Any) -> bool:
    """Whether the user may refer this (visible, active) young person to her borough's MASH."""
    if not can_refer_to_mash(user) or getattr(subject, "status", "active") != "active":
        return False
    return type(subject).objects.restrict(user, "view").filter(pk=subject.pk).exists()


def can_merge_subjects(user: Any) -> bool:
    """MASH leads merge duplicate records (of their own borough: ``restrict`` decides which)."""
    return is_mash_lead(user)


def works_referral_inbox(user: Any) -> bool:
    """The referrals list: the MASH screens and decides; receiving services respond."""
    return has_any_role(user, RoleCode.MASH_LEAD, RoleCode.RECEIVING_WORKER)


def sees_own_referrals(user: Any) -> bool:
    """"My referrals": the referrals a member (or, for a DSL, their agency) made, status and decision only."""
    return has_any_role(user, RoleCode.PRACTITIONER, RoleCode.DSL, RoleCode.MASH_LEAD)


def is_receiving_worker(user: Any) -> bool:
    """A worker at a service referrals are routed to."""
    return has_any_role(user, RoleCode.RECEIVING_WORKER)


# ---------------------------------------------------------------------------------------------------
# School transfers: her child-protection file follows her (Keeping Children Safe in Education)
# ---------------------------------------------------------------------------------------------------
def _is_school_dsl(user: Any) -> bool:
    membership = active_membership(user)
    return (membership is not None and RoleCode.DSL in membership.role_codes
            and membership.agency.kind == AgencyKind.SCHOOL)


def can_transfer_file(user: Any, subject: Any) -> bool:
    """The old school's DSL moves her file: a school's DSL whose school recorded concerns about her, or
    received her file from another school (an active record). Which school it goes to is the DSL's
    choice; whether they see her is ``restrict``."""
    if not _is_school_dsl(user) or getattr(subject, "status", "active") != "active":
        return False
    membership = active_membership(user)
    agency_id = membership.agency_id if membership is not None else None
    # A school that received her file passes it on when she moves again, even before recording anything.
    return bool(subject.concerns.filter(agency_id=agency_id).exists()
                or subject.school_transfers.filter(to_agency_id=agency_id, status="accepted").exists())


def sees_school_transfers(user: Any) -> bool:
    """The transfers page: schools' DSLs (files coming in and going out) and MASH leads (overdue ones)."""
    return _is_school_dsl(user) or is_mash_lead(user)


def can_accept_school_transfer(user: Any, transfer: Any) -> bool:
    """The new school's DSL gives the receipt, while the transfer waits."""
    membership = active_membership(user)
    return (_is_school_dsl(user) and membership is not None and transfer.to_agency_id == membership.agency_id
            and transfer.status == "pending")


def can_cancel_school_transfer(user: Any, transfer: Any) -> bool:
    """The old school's DSL takes back a transfer the new school has not accepted yet."""
    membership = active_membership(user)
    return (_is_school_dsl(user) and membership is not None and transfer.from_agency_id == membership.agency_id
            and transfer.status == "pending")


# ---------------------------------------------------------------------------------------------------
# Moves between boroughs (referrals.boroughs)
# ---------------------------------------------------------------------------------------------------
def can_move_between_boroughs(user: Any, subject: Any) -> bool:
    """Moving her home borough, or giving the borough where harm happens time-limited access: her home
    borough's MASH leads, who are responsible for her."""
    return leads_mash_of(user, subject.home_borough_id)


def can_answer_borough_transfer(user: Any, transfer: Any) -> bool:
    """The borough asked to take her on accepts or declines, while the transfer waits."""
    return transfer.status == "pending" and leads_mash_of(user, transfer.to_borough_id)


def can_cancel_borough_transfer(user: Any, transfer: Any) -> bool:
    """Her home borough takes back a transfer not yet answered."""
    return transfer.status == "pending" and leads_mash_of(user, transfer.from_borough_id)


# ---------------------------------------------------------------------------------------------------
# Risk and the association map
# ---------------------------------------------------------------------------------------------------
def sees_cross_agency_risk(user: Any) -> bool:
    """The score, explanation and trajectory drawn from every agency's concerns: the MASH and receiving
    services only (DESIGN.md §5.6a); practitioners and DSLs see what their own concerns say."""
    return has_any_role(user, *CROSS_AGENCY_READERS)


def can_record_protective_factors(user: Any) -> bool:
    """Practitioners, DSLs and the MASH record what keeps a young person safer (about those they see)."""
    return has_any_role(user, RoleCode.PRACTITIONER, RoleCode.DSL, RoleCode.MASH_LEAD)


def can_decide_risk(user: Any, subject: Any) -> bool:
    """Marking one of her signs explained and verified, and reviewing her level (model v3): the MASH leads
    of her home borough only; receiving services, recorders and other boroughs' MASH leads never."""
    return leads_mash_of(user, subject.home_borough_id)


def can_rectify(user: Any, subject: Any) -> bool:
    """Correcting her identity on the record (UK GDPR Art. 16): the MASH leads of her home borough, who
    hold her record as it stands; recorders keep their own copy as they entered it."""
    return leads_mash_of(user, subject.home_borough_id)


def can_restrict(user: Any, subject: Any) -> bool:
    """Restricting processing of her record, or lifting it (UK GDPR Art. 18; an objection under Art. 21 is
    recorded the same way): the MASH leads of her home borough, who decide about her. The data protection
    officer, who sees no case pages, passes a request to them."""
    return leads_mash_of(user, subject.home_borough_id)


def can_see_pathway_recommendations(user: Any, subject: Any) -> bool:
    """The pathways the system recommends for her, with their reasons (drawn from her level and every
    agency's signs): the MASH leads of her home borough, who decide referrals; never practitioners or DSLs
    (DESIGN.md §5.6a), nor receiving services or other boroughs' MASH leads."""
    return leads_mash_of(user, subject.home_borough_id)


def can_use_map(user: Any) -> bool:
    """Who opens association-map pages (which nodes and links: ``restrict``)."""
    return has_any_role(user, *SUBJECT_READERS)


def can_suggest_links(user: Any) -> bool:
    """Practitioners and DSLs suggest map links; the MASH confirms them."""
    return has_any_role(user, *RECORDERS)


# ---------------------------------------------------------------------------------------------------
# Governance
# ---------------------------------------------------------------------------------------------------
def is_auditor(user: Any) -> bool:
    """The access trail, the disclosure log, anomalies and break-glass reviews (metadata only)."""
    return has_any_role(user, RoleCode.AUDITOR)


def is_data_protection_officer(user: Any) -> bool:
    """Subject access exports and the erasure forecast."""
    return has_any_role(user, RoleCode.DATA_PROTECTION_OFFICER)


def _granted(user: Any, perm: str) -> bool:
    # What ``RoleBackend`` grants, read from the role table and the membership already loaded: asking
    # ``user.has_perm`` would cost every page (the navigation asks) a query for the same answer.
    return perm in permissions_for_roles(roles_of(user))


def can_search_subjects(user: Any) -> bool:
    """Finding a young person by name and date of birth: MASH leads (their borough's young people) and the
    data protection officer (every borough, to start a subject access request)."""
    return is_mash_lead(user) or can_answer_subject_access(user)


def can_answer_subject_access(user: Any) -> bool:
    """Subject access requests: everything held about one young person (the data protection officer)."""
    return _granted(user, "dataprotection.export_subject_data")


def can_see_erasure_forecast(user: Any) -> bool:
    """Who the retention period will erase soon, and who a legal hold keeps (the data protection officer)."""
    return _granted(user, "dataprotection.view_erasure_forecast")


def is_administrator(user: Any) -> bool:
    """Agencies, users and memberships; never case content."""
    return has_any_role(user, RoleCode.ADMINISTRATOR)


def can_manage_accounts(user: Any) -> bool:
    """Users, memberships, set-password links and the requests a second administrator approves."""
    return is_administrator(user)


def is_case_role(code: str) -> bool:
    """A role that opens case data or the trail about it (everything but administrator)."""
    return code in CASE_ROLES


def may_hold_together(role_codes: Any) -> bool:
    """Separation of duties: no membership ever holds the administrator role and a case role at once."""
    codes = set(role_codes)
    return not (RoleCode.ADMINISTRATOR in codes and codes & CASE_ROLES)


def case_role_refusal(actor: Any, account: Any, *, held: Any, wanted: Any) -> str | None:
    """Why ``actor`` may not ask for case roles in ``wanted`` on ``account`` (whose roles now are ``held``),
    or None when a second administrator may be asked to approve them.

    Never on the actor's own account, never on an account that holds (or would hold) the administrator
    role: an administrator cannot give themselves, or another administrator, case access.
    """
    adding = {code for code in set(wanted) - set(held) if is_case_role(code)}
    if not adding:
        return None
    if actor is not None and getattr(actor, "pk", None) == getattr(account, "pk", None):
        return "own_account"
    if RoleCode.ADMINISTRATOR in set(held) | set(wanted):
        return "administrator_account"
    return None


def can_decide_request(user: Any, request: Any) -> bool:
    """Four eyes: an administrator other than the one who asked, and never about their own account."""
    return (
        is_administrator(user)
        and user.pk != request.requested_by_id
        and user.pk != request.user_id
    )


# ---------------------------------------------------------------------------------------------------
# Partnership statistics: aggregates only, with small numbers suppressed
# ---------------------------------------------------------------------------------------------------
LONDON = "london"


def statistics_scope(user: Any) -> str | int | None:
    """What a partnership analyst may see: ``LONDON`` (every borough and London) at MOPAC, their agency's
    borough (id, beside London's totals) at a borough's safeguarding partnership, None for everyone else.
    A MASH lead, a DSL or any other role sees no statistics pages: they have their own registers."""
    membership = active_membership(user)
    if membership is None or RoleCode.PARTNERSHIP_ANALYST not in membership.role_codes:
        return None
    if membership.agency.kind == AgencyKind.MOPAC:
        return LONDON
    if membership.agency.kind == AgencyKind.SAFEGUARDING_PARTNERSHIP:
        return int(membership.agency.borough_id)
    return None


def can_see_statistics(user: Any) -> bool:
    """The partnership's statistics pages and their downloads."""
    return statistics_scope(user) is not None


def can_see_borough_statistics(user: Any, borough_id: int | None) -> bool:
    """One area's figures: London's (``None``) for every analyst; a borough's for MOPAC and that borough's
    own partnership."""
    scope = statistics_scope(user)
    if scope is None:
        return False
    return borough_id is None or scope in (LONDON, borough_id)


def can_break_glass(user: Any) -> bool:
    """Emergency access to one record outside normal access: MASH leads."""
    return is_mash_lead(user)


# ---------------------------------------------------------------------------------------------------
# Case work after the decision: strategy discussions, MACE, plans and actions, outcomes
# ---------------------------------------------------------------------------------------------------
def runs_casework_for(user: Any, borough: Any) -> bool:
    """Strategy discussions, her plan's actions and the MACE panel: the MASH leads of her (or the
    context's) borough (a ``Borough`` or its id)."""
    return leads_mash_of(user, borough)


def runs_mace(user: Any) -> bool:
    """The MACE meetings page: MASH leads (their borough's series)."""
    return is_mash_lead(user)


def sees_actions(user: Any) -> bool:
    """The actions page: owners (any case worker can be given one), their agencies' DSLs and practitioners,
    receiving services and the MASH."""
    return has_any_role(user, *SUBJECT_READERS)


def can_record_outcome(user: Any, subject: Any) -> bool:
    """What changed for her, by agency: her borough's MASH leads, a receiving service she is shared with,
    and a DSL whose agency works with her (whether they see her is ``restrict``)."""
    if getattr(subject, "status", "active") != "active":
        return False
    if leads_mash_of(user, subject.home_borough_id):
        return True
    if not has_any_role(user, RoleCode.RECEIVING_WORKER, RoleCode.DSL) or is_mash_lead(user):
        return False
    return type(subject).objects.restrict(user, "view").filter(pk=subject.pk).exists()
