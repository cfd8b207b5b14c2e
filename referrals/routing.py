"""Referral routing: every move of a referral is a service here.

The allowed moves are data (``TRANSITIONS``: from state, to state, who may make it). Each service locks
the referral, checks the caller's version against the stored one (optimistic concurrency: the loser of
a race is told, and their form is kept), checks the table, writes the new state, one
``ReferralTransition`` row and one access event, and notifies by email after commit. Reasons are kept
encrypted on the transition row, never in the access trail or an email.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from agencies import capabilities
from agencies.choices import AgencyKind, RoleCode
from agencies.models import Agency, Membership
from agencies.permissions import permitted_actions
from audit.api import audit_service, record
from audit.choices import Action
from audit.history import set_history_user
from config.text import require_plain_text
from referrals import services
from referrals.choices import (
    ConsentPosition,
    LegalBasis,
    Pathway,
    ReferralDecision,
    ReferralState,
    ShareEndReason,
)
from referrals.models import OPEN_STATES, Referral, ReferralTransition, Subject, SubjectShare
from referrals.references import new_reference
from referrals.workdays import add_working_days, working_deadline
from risk.queries import active_pathway_catalogue

S = ReferralState
MASH, RECEIVER, REFERRER = "mash", "receiver", "referrer"
# Each capacity is one action of ``Referral.access_rule``, so who stands where is decided there alone.
CAPACITY_ACTIONS = {MASH: "decide", RECEIVER: "respond", REFERRER: "withdraw"}
# What the referral pages call each move: the action form's values, and "decide" for the decision form.
MOVE_ACTIONS: dict[str, str] = {S.SCREENING: "screen", S.DECIDED: "decide", S.ACCEPTED: "accept", S.DECLINED: "decline",
                S.CLOSED: "close", S.WITHDRAWN: "withdraw"}


class Move(NamedTuple):
    """One row of the transition table: from state, to state, and the capacity that may make the move."""

    from_state: str
    to_state: str
    who: str

    @property
    def action(self) -> str:
        """What the referral pages call this move (its button, or the decision form)."""
        return MOVE_ACTIONS[self.to_state]


# Anything not listed is refused.
TRANSITIONS: list[Move] = [
    Move(S.SUBMITTED, S.SCREENING, MASH),
    Move(S.DECLINED, S.SCREENING, MASH),       # the receiving service declined: the MASH screens again
    Move(S.SCREENING, S.DECIDED, MASH),
    Move(S.DECIDED, S.ACCEPTED, RECEIVER),
    Move(S.DECIDED, S.DECLINED, RECEIVER),
    Move(S.DECIDED, S.CLOSED, MASH),           # no further action or signposting, or routing withdrawn
    Move(S.ACCEPTED, S.CLOSED, MASH),
    Move(S.ACCEPTED, S.CLOSED, RECEIVER),
    Move(S.DECLINED, S.CLOSED, MASH),
    Move(S.SUBMITTED, S.WITHDRAWN, REFERRER),
    Move(S.SCREENING, S.WITHDRAWN, REFERRER),
]
ALLOWED = {(a, b): {w for (x, y, w) in TRANSITIONS if (x, y) == (a, b)} for (a, b, _w) in TRANSITIONS}

# Which kinds of agency take each pathway is the pathway catalogue's (``risk.pathways``, versioned data);
# a decision can name the pathways of ``Pathway`` (catalogue entries under the same codes) until decisions
# into several pathways of the catalogue are built (issue 18).
def receiving_kinds(pathway: str) -> set[str]:
    """The kinds of agency that take ``pathway``, from the active pathway catalogue (one query)."""
    return active_pathway_catalogue().agency_kinds(pathway)


def decidable_pathway_kinds() -> set[str]:
    """Every kind of agency a decision can route to: those of the pathways in ``Pathway`` (one query)."""
    catalogue = active_pathway_catalogue()
    return set().union(*(catalogue.agency_kinds(code) for code in Pathway.values))


ASSESSMENT_WORKING_DAYS = 45
DECISION_WORKING_DAYS = 1

# What the access trail calls each move.
_ACTIONS: dict[str, Action] = {S.SCREENING: Action.UPDATE, S.DECIDED: Action.DECIDE, S.ACCEPTED: Action.DECIDE,
            S.DECLINED: Action.DECIDE, S.CLOSED: Action.UPDATE, S.WITHDRAWN: Action.UPDATE}


class StaleReferral(ValidationError):
    """Someone else changed the referral after the caller loaded it."""


class TransitionNotAllowed(ValidationError):
    """The move is not in the table, or not for this person."""


def capacities(referral: Referral, actor: User | None) -> set[str]:
    """In which capacities ``actor`` stands to ``referral`` as stored now (MASH lead, receiving worker,
    referrer): each is asked of ``Referral.access_rule``, all in one query."""
    allowed = permitted_actions(referral, actor, CAPACITY_ACTIONS.values())
    stands = {who for who, action in CAPACITY_ACTIONS.items() if action in allowed}
    if referral.automatic:
        # The automatic referral is the MASH's: raised by the system on its behalf, so the MASH is its
        # referrer too (it alone may withdraw it), and nobody else is (issue 15 §2).
        stands.discard(REFERRER)
        if MASH in stands:
            stands.add(REFERRER)
    return stands


def available_moves(referral: Referral, actor: User | None) -> list[Move]:
    """The moves of ``TRANSITIONS`` ``actor`` may make on ``referral`` now: from its current state, in a
    capacity they stand in. Pages offer exactly these; the services refuse anything else."""
    stands = capacities(referral, actor)
    return [move for move in TRANSITIONS if move.from_state == referral.state and move.who in stands]


def mash_for(subject: Subject) -> Agency:
    """The MASH of the subject's home borough (the MASH responsible where she lives)."""
    mash = Agency.objects.filter(borough_id=subject.home_borough_id, kind=AgencyKind.MASH,
                                 is_active=True).order_by("pk").first()
    if mash is None:
        raise ValidationError("There is no MASH set up for this young person's borough.")
    return mash


def open_referral(subject: Subject) -> Referral | None:
    return Referral.objects.filter(subject=subject, state__in=OPEN_STATES).first()


def open_referral_visible_to(subject: Subject, user: User) -> Referral | None:
    """The open referral about her that ``user`` may see (for a DSL: one their agency made), if any."""
    return (Referral.objects.restrict(user, "view").filter(subject=subject, state__in=OPEN_STATES)
            .order_by("received_at").first())


def _notify(referral: Referral, users: Iterable[User]) -> None:
    """Email a reference and a link, after commit: never a name, a narrative or a reason."""
    recipients = sorted({u.email for u in users if getattr(u, "email", "")})
    if not recipients:
        return
    link = settings.SITE_URL.rstrip("/") + reverse("referral-detail", kwargs={"reference": referral.reference})
    subject_line = f"Referral {referral.reference}: {referral.get_state_display().lower()}"
    body = (f"There is an update on referral {referral.reference}.\n\n"
            f"Sign in to see it: {link}\n\n"
            "This email deliberately contains no personal details.")
    transaction.on_commit(lambda: send_mail(subject_line, body, None, recipients, fail_silently=True))


def _members(agency_ids: Iterable[int], role: str) -> list[User]:
    return [m.user for m in Membership.objects.filter(agency_id__in=list(agency_ids), is_active=True,
                                                      user__is_active=True, roles__code=role)
            .select_related("user")]


def _referrer_side(referral: Referral) -> list[User]:
    """Who is told of a decision as the referrer: the referrer and their agency's DSLs; for an automatic
    referral, the MASH it was raised for (never whoever recorded the concern that raised it)."""
    if referral.automatic:
        return _mash_leads(referral)
    users = _members([referral.from_agency_id], RoleCode.DSL)
    if referral.referred_by is not None and referral.referred_by.is_active:
        users.append(referral.referred_by)
    return users


def _mash_leads(referral: Referral) -> list[User]:
    return _members(Agency.objects.filter(borough_id=referral.borough_id, kind=AgencyKind.MASH)
                    .values_list("pk", flat=True), RoleCode.MASH_LEAD)


def _new_referral(subject: Subject, *, from_agency: Agency, actor: User | None, automatic: bool,
                  summary: str, legal_basis: str, consent: str, consent_override_reason: str,
                  received_at: dt.datetime | None = None) -> Referral:
    now = received_at or timezone.now()
    mash = mash_for(subject)
    referral = Referral(
        reference=new_reference("R"), subject=subject, borough_id=subject.home_borough_id,
        from_agency=from_agency, referred_by=actor, to_agency=mash, automatic=automatic,
        summary=summary.strip() or None, legal_basis=legal_basis, consent=consent,
        consent_override_reason=consent_override_reason.strip() or None,
        received_at=now, decision_due_at=working_deadline(now, DECISION_WORKING_DAYS),
    )
    set_history_user(referral, actor)
    referral.save()
    ReferralTransition.objects.create(referral=referral, from_state="", to_state=S.SUBMITTED, actor=actor, at=now,
                                      reason=summary.strip() or None)
    record(Action.CREATE, actor=actor, object_type="referral", reference=referral.reference,
           borough=subject.home_borough, purpose="Referral to the MASH",
           detail={"subject": subject.reference, "automatic": automatic, "legal_basis": legal_basis,
                   "consent": consent})
    _notify(referral, _mash_leads(referral))
    return referral


@audit_service
@transaction.atomic
def do_make_referral(subject: Subject, *, summary: str, legal_basis: str, consent: str,
                     consent_override_reason: str = "", received_at: dt.datetime | None = None,
                     actor: User) -> Referral:
    """A DSL or MASH lead refers a subject to her home borough's MASH.

    Refused while a referral about her that the actor may see is open (which also makes a double submit
    harmless). A referral the actor may not see (the MASH's automatic referral, another agency's) does not
    stop theirs, and is never named to them: being told "there is already an open referral" would tell a
    DSL that other agencies know her (DESIGN.md §5.6a, issue 15 §2). Their referral is recorded as its
    own, and the MASH, which sees every open referral about her in its inbox, considers them together.
    ``received_at`` (default now) is for a referral first made by telephone and recorded afterwards;
    the one-working-day deadline runs from it.
    """
    if received_at is not None and received_at > timezone.now():
        raise ValidationError("A referral cannot be received in the future.")
    if not capabilities.can_refer_to_mash(actor):
        raise PermissionDenied("Only designated safeguarding leads and MASH leads can refer.")
    if not Subject.objects.restrict(actor, "view").filter(pk=subject.pk).exists():
        raise PermissionDenied("Not visible.")
    subject = Subject.objects.select_for_update().get(pk=subject.pk)
    if subject.status != "active":
        raise ValidationError("This record can no longer be referred.")
    if legal_basis not in LegalBasis.values:
        raise ValidationError("Choose the legal basis for sharing.")
    if consent not in ConsentPosition.values:
        raise ValidationError("Say whether consent was given.")
    if consent == ConsentPosition.OVERRIDDEN and not consent_override_reason.strip():
        raise ValidationError("Give the reason for overriding consent.")
    require_plain_text(multi_line={"summary": summary, "reason for overriding consent": consent_override_reason})
    if not summary.strip():
        raise ValidationError("Say why you are referring.")
    existing = open_referral_visible_to(subject, actor)
    if existing is not None:
        raise ValidationError(f"There is already an open referral for {subject.reference}: {existing.reference}.")
    referral = _new_referral(subject, from_agency=capabilities.agency_of(actor), actor=actor, automatic=False,
                             summary=summary, legal_basis=legal_basis, consent=consent,
                             consent_override_reason=consent_override_reason, received_at=received_at)
    if not Referral.objects.restrict(actor, "view").filter(pk=referral.pk).exists():
        raise PermissionDenied("The referral would not be visible to the person making it.")
    return referral


@audit_service
@transaction.atomic
def do_raise_automatic_referral(subject: Subject, *, actor: User | None = None) -> Referral | None:
    """Refer a subject who has reached high on the register, unless a referral is already open.

    Raised by the register on the MASH's behalf: from and to the borough MASH, lawful basis safeguarding,
    consent not sought (the MASH confirms the consent position when screening).
    """
    subject = Subject.objects.select_for_update().get(pk=subject.pk)
    # A restricted record (UK GDPR Art. 18) raises nothing by itself: the MASH lifts the restriction first.
    if subject.status != "active" or subject.restricted or open_referral(subject) is not None:
        return None
    mash = mash_for(subject)
    return _new_referral(subject, from_agency=mash, actor=actor, automatic=True, summary="",
                         legal_basis=LegalBasis.SAFEGUARDING, consent=ConsentPosition.NOT_SOUGHT_RISK,
                         consent_override_reason="")


def _move(referral: Referral, to_state: str, *, version: int, reason: str, actor: User,
          require_reason: bool = False) -> tuple[Referral, str, str]:
    """Lock, check version, table and capacity; write the new state and the transition row."""
    locked = Referral.objects.select_for_update().filter(pk=referral.pk).first()
    if locked is None:
        raise ValidationError("That referral does not exist.")
    if locked.version != version:
        raise StaleReferral(
            "Someone else changed this referral while you were working on it. Your answers are kept below: "
            "check the referral's current state, then submit again if it still applies."
        )
    from_state = locked.state
    if (from_state, to_state) not in ALLOWED:
        raise TransitionNotAllowed(
            f"A referral that is {locked.get_state_display().lower()} cannot be moved to "
            f"{ReferralState(to_state).label.lower()}."
        )
    mine = {move.who for move in available_moves(locked, actor) if move.to_state == to_state}
    if not mine:
        raise TransitionNotAllowed("You cannot make that change to this referral.")
    if require_reason and not reason.strip():
        raise ValidationError("Give a reason.")
    locked.state = to_state
    locked.version += 1
    return locked, sorted(mine)[0], from_state


def _finish(referral: Referral, from_state: str, *, reason: str, actor: User, who: str,
            detail: dict[str, Any] | None = None) -> Referral:
    set_history_user(referral, actor)
    referral.save()
    ReferralTransition.objects.create(referral=referral, from_state=from_state, to_state=referral.state,
                                      actor=actor, reason=reason.strip() or None)
    record(_ACTIONS[referral.state], actor=actor, object_type="referral", reference=referral.reference,
           borough=referral.borough, purpose=f"Referral {from_state} to {referral.state}",
           detail={"from": from_state, "to": referral.state, "as": who, "version": referral.version,
                   **(detail or {})})
    return referral


def _share_days() -> int:
    return int(getattr(settings, "REFERRAL_SHARE_DAYS", 90))


def _grace_days() -> int:
    return int(getattr(settings, "REFERRAL_SHARE_GRACE_DAYS", 14))


def _share_for(referral: Referral) -> SubjectShare | None:
    if referral.receiving_agency is None:
        return None
    return SubjectShare.objects.filter(content_object_id=referral.subject_id,
                                       group_id=referral.receiving_agency.group_id).first()


@audit_service
@transaction.atomic
def do_start_screening(referral: Referral, *, version: int, actor: User, reason: str = "") -> Referral:
    """A MASH lead takes a submitted (or declined) referral into screening."""
    locked, who, from_state = _move(referral, S.SCREENING, version=version, reason=reason, actor=actor)
    if from_state == S.DECLINED:
        locked.decision, locked.pathway, locked.receiving_agency, locked.decided_at = "", "", None, None
    return _finish(locked, from_state, reason=reason, actor=actor, who=who)


@audit_service
@transaction.atomic
def do_decide_referral(referral: Referral, *, decision: str, reason: str, version: int, actor: User,
                       pathway: str = "", receiving_agency: Agency | None = None) -> Referral:
    """The MASH decides: route to a pathway (sharing the subject with the receiving agency for a stated
    purpose until an expiry), no further action, or signposting. A reason is always required."""
    if decision not in ReferralDecision.values:
        raise ValidationError("Choose a decision.")
    if not reason.strip():
        raise ValidationError("Give the reason for the decision.")
    locked, who, from_state = _move(referral, S.DECIDED, version=version, reason=reason, actor=actor,
                                    require_reason=True)
    if decision == ReferralDecision.ROUTED:
        if pathway not in Pathway.values:
            raise ValidationError("Choose the pathway.")
        if receiving_agency is None or not receiving_agency.is_active:
            raise ValidationError("Choose the service to refer to.")
        if receiving_agency.kind not in receiving_kinds(pathway):
            raise ValidationError(f"{receiving_agency.name} does not take the pathway "
                                  f"\u201c{Pathway(pathway).label}\u201d. Choose another service or pathway.")
    elif pathway or receiving_agency is not None:
        raise ValidationError("Only a referral on to a service has a pathway.")
    now = timezone.now()
    locked.decision, locked.decision_reason, locked.decided_at = decision, reason.strip(), now
    locked.pathway = pathway if decision == ReferralDecision.ROUTED else ""
    locked.receiving_agency = receiving_agency if decision == ReferralDecision.ROUTED else None
    _finish(locked, from_state, reason=reason, actor=actor, who=who,
            detail={"decision": decision, "pathway": locked.pathway})
    recipients = _referrer_side(locked)
    if decision == ReferralDecision.ROUTED and receiving_agency is not None:  # checked above when routed
        services.do_share_subject(
            subject=locked.subject, agency=receiving_agency,
            purpose=f"Referral {locked.reference}: {Pathway(pathway).label}",
            expires_at=now + dt.timedelta(days=_share_days()), actor=actor)
        recipients += _members([receiving_agency.pk], RoleCode.RECEIVING_WORKER)
    _notify(locked, recipients)
    return locked


@audit_service
@transaction.atomic
def do_respond_to_referral(referral: Referral, *, accept: bool, reason: str, version: int,
                           actor: User) -> Referral:
    """The receiving service accepts (a children's social care assessment is then due in 45 working days)
    or declines (reason required; the share ends at once)."""
    locked, who, from_state = _move(referral, S.ACCEPTED if accept else S.DECLINED, version=version, reason=reason,
                        actor=actor, require_reason=not accept)
    locked.responded_at = timezone.now()
    if accept and locked.pathway == Pathway.CSC_ASSESSMENT:
        locked.assessment_due_on = add_working_days(timezone.localdate(), ASSESSMENT_WORKING_DAYS)
    _finish(locked, from_state, reason=reason, actor=actor, who=who)
    if not accept:
        share = _share_for(locked)
        if share is not None:
            services.do_revoke_share(share=share, reason=ShareEndReason.REFERRAL_DECLINED, actor=actor)
    _notify(locked, _referrer_side(locked) + _mash_leads(locked))
    return locked


@audit_service
@transaction.atomic
def do_close_referral(referral: Referral, *, reason: str, version: int, actor: User) -> Referral:
    """Close a referral; the receiving agency's share ends after the grace period
    (``REFERRAL_SHARE_GRACE_DAYS``, at once when 0)."""
    locked, who, from_state = _move(referral, S.CLOSED, version=version, reason=reason, actor=actor,
                                    require_reason=True)
    locked.closed_at = timezone.now()
    _finish(locked, from_state, reason=reason, actor=actor, who=who)
    share = _share_for(locked) if locked.decision == ReferralDecision.ROUTED else None
    if share is not None:
        grace = _grace_days()
        ends = locked.closed_at + dt.timedelta(days=grace)
        if grace <= 0:
            services.do_revoke_share(share=share, reason=ShareEndReason.REFERRAL_CLOSED, actor=actor)
        elif share.expires_at > ends and locked.receiving_agency is not None:  # a share means an agency
            services.do_share_subject(subject=locked.subject, agency=locked.receiving_agency,
                                      purpose=share.purpose, expires_at=ends, actor=actor)
    _notify(locked, _referrer_side(locked))
    return locked


@audit_service
@transaction.atomic
def do_withdraw_referral(referral: Referral, *, reason: str, version: int, actor: User) -> Referral:
    """The referrer (or their DSL) withdraws a referral the MASH has not yet decided; an automatic
    referral only the MASH may withdraw."""
    locked, who, from_state = _move(referral, S.WITHDRAWN, version=version, reason=reason, actor=actor,
                                    require_reason=True)
    locked.closed_at = timezone.now()
    _finish(locked, from_state, reason=reason, actor=actor, who=who)
    _notify(locked, _mash_leads(locked))
    return locked


def overdue_referrals() -> QuerySet[Referral]:
    """Referrals still waiting for the MASH's decision after their deadline (unrestricted: for the alert job)."""
    return Referral.objects.filter(state__in=[S.SUBMITTED, S.SCREENING], decision_due_at__lt=timezone.now())
