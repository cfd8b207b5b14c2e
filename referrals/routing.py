"""Referral routing: every move of a referral is a service here.

The allowed moves are data (``TRANSITIONS``: from state, to state, who may make it). Each service locks
the referral, checks the caller's version against the stored one (optimistic concurrency: the loser of
a race is told, and their form is kept), checks the table, writes the new state, one
``ReferralTransition`` row and one access event, and notifies by email after commit. Reasons are kept
encrypted on the transition row, never in the access trail or an email.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
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
from notifications.choices import Kind
from notifications.services import notify
from referrals import clocks, services
from referrals.choices import (
    LIVE_PATHWAY_STATUSES,
    ConsentPosition,
    LegalBasis,
    Pathway,
    PathwayStatus,
    ReferralDecision,
    ReferralState,
    ShareEndReason,
)
from referrals.models import OPEN_STATES, Referral, ReferralPathway, ReferralTransition, Subject, SubjectShare
from referrals.references import new_reference, retried_on_reference_clash
from referrals.workdays import add_working_days, working_deadline
from risk import pathways as catalogue_rules
from risk.choices import PathwayConsent
from risk.queries import active_pathway_catalogue, age_today, pathway_proposal

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
# a decision routes her into one or more of the active catalogue's pathways.
def receiving_kinds(pathway: str) -> set[str]:
    """The kinds of agency that take ``pathway``, from the active pathway catalogue (one query)."""
    return active_pathway_catalogue().agency_kinds(pathway)


def decidable_pathway_kinds() -> set[str]:
    """Every kind of agency a decision can route to: those of the active catalogue's pathways."""
    catalogue = active_pathway_catalogue()
    return set().union(*(set(spec.agency_kinds) for spec in catalogue.pathways))


def receiving_agencies(borough_id: int) -> dict[str, list[Agency]]:
    """Per pathway of the active catalogue, the active agencies of her borough that take it (one query):
    what the decision form offers, and what the decision service accepts."""
    catalogue = active_pathway_catalogue()
    agencies = list(Agency.objects.filter(borough_id=borough_id, is_active=True,
                                          kind__in=decidable_pathway_kinds()).order_by("name", "pk"))
    return {spec.code: [a for a in agencies if a.kind in spec.agency_kinds] for spec in catalogue.pathways}


# Whose consent a pathway needs (the catalogue's rule at her age) -> the consent positions that let the
# MASH route her there. Her agreement or informed consent is hers to give: without it the pathway is left
# out (the NRM then becomes a notification to the Home Office, outside this system). Where her views are
# sought (Care Act s42, Marac), the referral may go ahead without her consent to protect her or others.
CONSENT_ALLOWED: dict[str, set[str]] = {
    PathwayConsent.AGREEMENT: {ConsentPosition.GIVEN},
    PathwayConsent.INFORMED: {ConsentPosition.GIVEN},
    PathwayConsent.VIEWS_SOUGHT: set(ConsentPosition.values),
}


# Why a recommended pathway was left out when no agency of her borough takes it in the system.
NO_SERVICE_REASON = "No service of her borough takes this pathway in the system: arrange it outside the system."


@dataclass(frozen=True)
class PathwayChoice:
    """One pathway the MASH routes her into: a catalogue code, the agency that receives it, why (needed
    when the system did not recommend it) and her consent position (needed where the catalogue asks for
    her consent at her age)."""

    pathway: str
    agency: Agency | None
    reason: str = ""
    consent: str = ""


@dataclass(frozen=True)
class _Planned:
    spec: catalogue_rules.PathwaySpec
    agency: Agency | None
    recommended: bool
    clock: catalogue_rules.Clock
    reason: str
    consent: str
    status: str


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
        # referrer too (it alone may withdraw it), and nobody else is.
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


# Which notification each state of a referral raises (the email's wording is the kind's).
KIND_FOR_STATE: dict[str, Kind] = {S.SUBMITTED: Kind.REFERRAL_SUBMITTED, S.SCREENING: Kind.REFERRAL_SCREENING,
                                    S.DECIDED: Kind.REFERRAL_DECIDED, S.ACCEPTED: Kind.REFERRAL_ACCEPTED,
                                    S.DECLINED: Kind.REFERRAL_DECLINED, S.CLOSED: Kind.REFERRAL_CLOSED,
                                    S.WITHDRAWN: Kind.REFERRAL_WITHDRAWN}


def _notify(referral: Referral, users: Iterable[User], *, urgent: bool = False) -> None:
    """Tell them in their inbox and by email after commit: a reference and a link, never a name, a
    narrative or a reason. ``urgent``: a pathway routed to the recipients must be acted on the same day or
    within hours."""
    notify(users, kind=Kind.PATHWAY_URGENT if urgent else KIND_FOR_STATE[referral.state],
           reference=referral.reference, url=reverse("referral-detail", kwargs={"reference": referral.reference}),
           urgent=urgent)


def _members(agency_ids: Iterable[int], role: str) -> list[User]:
    return [m.user for m in Membership.objects.people().filter(agency_id__in=list(agency_ids), is_active=True,
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


@retried_on_reference_clash
@audit_service
@transaction.atomic
def do_make_referral(subject: Subject, *, summary: str, legal_basis: str, consent: str,
                     consent_override_reason: str = "", received_at: dt.datetime | None = None,
                     actor: User) -> Referral:
    """A DSL or MASH lead refers a subject to her home borough's MASH.

    Refused while a referral about her that the actor may see is open (which also makes a double submit
    harmless). A referral the actor may not see (the MASH's automatic referral, another agency's) does not
    stop theirs, and is never named to them: being told "there is already an open referral" would tell a
    DSL that other agencies know her (DESIGN.md §5.6a). Their referral is recorded as its
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


@retried_on_reference_clash
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


@audit_service
@transaction.atomic
def do_start_screening(referral: Referral, *, version: int, actor: User, reason: str = "") -> Referral:
    """A MASH lead takes a submitted (or declined) referral into screening."""
    locked, who, from_state = _move(referral, S.SCREENING, version=version, reason=reason, actor=actor)
    if from_state == S.DECLINED:
        locked.decision, locked.pathway, locked.receiving_agency, locked.decided_at = "", "", None, None
    return _finish(locked, from_state, reason=reason, actor=actor, who=who)


def _plan_pathways(subject: Subject, choices: Sequence[PathwayChoice], left_out: Mapping[str, str], *,
                   actor: User) -> tuple[int, list[_Planned]]:
    """Check a routed decision against the active catalogue and what the system recommends for her now:
    every pathway known, each to an active agency of her borough that takes it; a reason for each pathway
    added though not recommended and for each recommended one left out; her consent where the catalogue
    asks for it at her age. Every problem is reported at once, keyed by the decision form's fields."""
    catalogue = active_pathway_catalogue()
    today = timezone.localdate()
    proposal = pathway_proposal(subject, actor, today=today, catalogue=catalogue)
    recommended = {item.pathway.code: item for item in proposal.recommended} if proposal is not None else {}
    age = age_today(subject, actor, today)
    errors: dict[str, list[str]] = {}

    def refuse(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    if not choices:
        refuse(NON_FIELD_ERRORS, "Choose at least one pathway to refer her on to.")
    planned: list[_Planned] = []
    chosen: set[str] = set()
    for choice in choices:
        spec = catalogue.pathway(choice.pathway)
        if spec is None:
            refuse(NON_FIELD_ERRORS, "Choose the pathway.")
            continue
        if spec.code in chosen:
            refuse(NON_FIELD_ERRORS, f"\u201c{spec.label}\u201d is chosen twice.")
            continue
        chosen.add(spec.code)
        agency = choice.agency
        if agency is None or not agency.is_active:
            refuse(f"agency-{spec.code}", f"Choose the service to refer to for \u201c{spec.label}\u201d.")
        elif agency.kind not in spec.agency_kinds:
            refuse(f"agency-{spec.code}", f"{agency.name} does not take the pathway \u201c{spec.label}\u201d. "
                                          "Choose another service or pathway.")
        elif agency.borough_id != subject.home_borough_id:
            refuse(f"agency-{spec.code}", f"{agency.name} is not in her borough: choose a service of "
                                          "the borough she lives in.")
        item = recommended.get(spec.code)
        if item is None and not choice.reason.strip():
            refuse(f"why-{spec.code}", f"Say why you are adding \u201c{spec.label}\u201d: the system did not "
                                       "recommend it.")
        needs = spec.consent_for(age)
        consent = ""
        if needs != PathwayConsent.NONE:
            consent = choice.consent
            if consent not in CONSENT_ALLOWED.get(needs, set()):
                refuse(f"consent-{spec.code}",
                       f"\u201c{spec.label}\u201d needs her consent ({catalogue_rules.CONSENT_LABELS[needs].lower()}): "
                       "record her consent, or leave it out with a reason."
                       if needs != PathwayConsent.VIEWS_SOUGHT else
                       f"Record her consent position for \u201c{spec.label}\u201d (her views are sought).")
        planned.append(_Planned(
            spec=spec, agency=agency, recommended=item is not None,
            clock=item.clock if item is not None else spec.clock,
            reason="" if item is not None else choice.reason.strip(), consent=consent,
            status=PathwayStatus.AWAITING))
    services = receiving_agencies(subject.home_borough_id) if set(recommended) - chosen else {}
    for code, item in recommended.items():
        if code in chosen:
            continue
        why = (left_out.get(code) or "").strip()
        if not why and not services.get(code):
            # Nothing to route to: no agency of her borough takes it in the system. Kept as left out, saying so.
            why = NO_SERVICE_REASON
        if not why:
            refuse(f"why-{code}", f"Say why you are leaving out \u201c{item.pathway.label}\u201d, which the system "
                                  "recommended.")
            continue
        planned.append(_Planned(spec=item.pathway, agency=None, recommended=True, clock=item.clock, reason=why,
                                consent="", status=PathwayStatus.LEFT_OUT))
    if errors:
        raise ValidationError(errors)
    return catalogue.version, planned


def _codes(codes: Iterable[str]) -> str:
    """Pathway codes for the trail's detail (short text: codes only, never a reason)."""
    return ",".join(codes)[:100]


def _share_purpose(reference: str, labels: list[str]) -> str:
    return f"Referral {reference}: {'; '.join(labels)}"[:200]


def _route(referral: Referral, planned: list[_Planned], version: int, *, now: dt.datetime,
           actor: User) -> list[ReferralPathway]:
    """Write the decision's pathway rows and one share per receiving agency (purpose: the referral and
    its pathways there; expiry as for every referral)."""
    rows = []
    for plan in planned:
        row = ReferralPathway(
            referral=referral, pathway=plan.spec.code, catalogue_version=version, receiving_agency=plan.agency,
            recommended=plan.recommended, status=plan.status, consent=plan.consent, reason=plan.reason or None,
            clock_unit=plan.clock.unit, clock_amount=plan.clock.amount, clock_starts=plan.clock.starts,
            urgent=plan.status == PathwayStatus.AWAITING and plan.clock.unit in ("same_day", "hours"),
            due_at=clocks.due_at_event(plan.clock, "decision", now) if plan.status == PathwayStatus.AWAITING
            else None,
            decided_at=now)
        set_history_user(row, actor)
        row.save()
        rows.append(row)
    by_agency: dict[int, list[ReferralPathway]] = {}
    for row in rows:
        if row.receiving_agency_id is not None:
            by_agency.setdefault(row.receiving_agency_id, []).append(row)
    labels = {plan.spec.code: plan.spec.label for plan in planned}
    for agency_rows in by_agency.values():
        agency = agency_rows[0].receiving_agency
        assert agency is not None  # grouped by it
        share = services.do_share_subject(
            subject=referral.subject, agency=agency,
            purpose=_share_purpose(referral.reference, [labels[row.pathway] for row in agency_rows]),
            expires_at=now + dt.timedelta(days=_share_days()), actor=actor)
        for row in agency_rows:
            row.share = share
            set_history_user(row, actor)
            row.save(update_fields=["share"])
    return rows


@audit_service
@transaction.atomic
def do_decide_referral(referral: Referral, *, decision: str, reason: str, version: int, actor: User,
                       pathway: str = "", receiving_agency: Agency | None = None,
                       pathways: Sequence[PathwayChoice] = (), left_out: Mapping[str, str] | None = None,
                       ) -> Referral:
    """The MASH decides: route her into one or more pathways of the active catalogue (each to an agency of
    her borough that takes it, each shared with that agency for a stated purpose until an expiry, each with
    its own clock and status), no further action, or signposting. A reason is always required.

    When routing, what the system recommends for her now is the default: a pathway added though not
    recommended needs its reason, and so does each recommended pathway left out (kept as a ``left_out``
    row); a pathway that needs her consent at her age needs her consent position. ``pathway`` and
    ``receiving_agency`` name a single pathway (the decision of old). For no further action or
    signposting, the decision's reason says why none of the recommended pathways was taken.
    Urgent pathways (the same day, or within hours) are notified at once, marked urgent."""
    if decision not in ReferralDecision.values:
        raise ValidationError("Choose a decision.")
    if not reason.strip():
        raise ValidationError("Give the reason for the decision.")
    choices = list(pathways)
    if pathway or receiving_agency is not None:
        choices.append(PathwayChoice(pathway, receiving_agency))
    left_out = dict(left_out or {})
    require_plain_text(multi_line={"reason": reason, **{f"reason for {c.pathway}": c.reason for c in choices},
                                   **{f"reason for leaving out {code}": why for code, why in left_out.items()}})
    if decision != ReferralDecision.ROUTED and choices:
        raise ValidationError("Only a referral on to a service has a pathway.")
    locked, who, from_state = _move(referral, S.DECIDED, version=version, reason=reason, actor=actor,
                                    require_reason=True)
    catalogue_version, planned = (_plan_pathways(locked.subject, choices, left_out, actor=actor)
                                  if decision == ReferralDecision.ROUTED else (0, []))
    now = timezone.now()
    routed = [plan for plan in planned if plan.status == PathwayStatus.AWAITING]
    locked.decision, locked.decision_reason, locked.decided_at = decision, reason.strip(), now
    # The first pathway stays on the referral itself, as before several could be chosen.
    locked.pathway = routed[0].spec.code if routed else ""
    locked.receiving_agency = routed[0].agency if routed else None
    urgent = sorted(plan.spec.code for plan in routed if plan.clock.unit in ("same_day", "hours"))
    _finish(locked, from_state, reason=reason, actor=actor, who=who,
            detail={"decision": decision, "pathway": locked.pathway,
                    "pathways": _codes(plan.spec.code for plan in routed),
                    "added": _codes(plan.spec.code for plan in routed if not plan.recommended),
                    "left_out": _codes(plan.spec.code for plan in planned if plan.status == PathwayStatus.LEFT_OUT),
                    "urgent": _codes(urgent), "catalogue": catalogue_version})
    rows = _route(locked, planned, catalogue_version, now=now, actor=actor) if routed else []
    recipients = _referrer_side(locked)
    urgent_agencies = {row.receiving_agency_id for row in rows if row.urgent and row.receiving_agency_id is not None}
    other_agencies = {row.receiving_agency_id for row in rows if row.receiving_agency_id is not None} - urgent_agencies
    recipients += _members(other_agencies, RoleCode.RECEIVING_WORKER)
    _notify(locked, recipients)
    if urgent_agencies:
        _notify(locked, _members(urgent_agencies, RoleCode.RECEIVING_WORKER), urgent=True)
    if not Referral.objects.restrict(actor, "view").filter(pk=locked.pk).exists():
        raise PermissionDenied("The referral would not be visible to the MASH lead deciding it.")
    return locked


def _set_referral_state(referral: Referral, to_state: str, *, actor: User, reason: str) -> None:
    """Move the referral itself as its pathways' responses say (the table allows it: the receiving side's
    moves), with its transition row; the pathway service records the one access event."""
    from_state = referral.state
    if from_state == to_state:
        return
    referral.state = to_state
    referral.version += 1
    if to_state in (S.ACCEPTED, S.DECLINED):
        referral.responded_at = timezone.now()
    set_history_user(referral, actor)
    referral.save()
    ReferralTransition.objects.create(referral=referral, from_state=from_state, to_state=to_state, actor=actor,
                                      reason=reason.strip() or None)


def _end_agency_share(referral: Referral, agency: Agency, *, at_once: bool, actor: User) -> None:
    """When no live pathway of this referral is left with ``agency``, its share ends: at once (declined)
    or after the grace period (completed or closed)."""
    if ReferralPathway.objects.filter(referral=referral, receiving_agency=agency,
                                      status__in=LIVE_PATHWAY_STATUSES).exists():
        return
    share = SubjectShare.objects.filter(content_object_id=referral.subject_id, group_id=agency.group_id).first()
    if share is None:
        return
    grace = _grace_days()
    if at_once or grace <= 0:
        services.do_revoke_share(share=share, reason=(ShareEndReason.REFERRAL_DECLINED if at_once
                                                      else ShareEndReason.REFERRAL_CLOSED), actor=actor)
        return
    ends = timezone.now() + dt.timedelta(days=grace)
    if share.expires_at > ends:
        services.do_share_subject(subject=referral.subject, agency=agency, purpose=share.purpose, expires_at=ends,
                                  actor=actor)


PATHWAY_RESPONSES = {"accept": PathwayStatus.ACCEPTED, "decline": PathwayStatus.DECLINED,
                     "complete": PathwayStatus.COMPLETED}
# From which status each response may be made.
PATHWAY_RESPONSE_FROM = {"accept": {PathwayStatus.AWAITING}, "decline": {PathwayStatus.AWAITING},
                         "complete": {PathwayStatus.ACCEPTED}}


def _respond(row: ReferralPathway, response: str, *, reason: str, actor: User) -> ReferralPathway:
    """Record one receiving service's response on one pathway (locked by the caller), move the referral
    as its pathways now say, and end the agency's share when it has nothing live left."""
    now = timezone.now()
    row.status = PATHWAY_RESPONSES[response]
    row.responded_at = row.responded_at or now
    row.responded_by = actor
    row.version += 1
    if response == "accept":
        clock = catalogue_rules.Clock(unit=row.clock_unit or "none", amount=row.clock_amount, starts=row.clock_starts)
        row.due_at = clocks.due_at_event(clock, "acceptance", now) or row.due_at
    elif response == "complete":
        row.completed_at = now
        row.urgent = False
    else:
        row.urgent = False
    set_history_user(row, actor)
    row.save()
    referral = Referral.objects.select_for_update().get(pk=row.referral_id)
    if response == "accept":
        if referral.state == S.DECIDED:
            _set_referral_state(referral, S.ACCEPTED, actor=actor, reason=reason)
        if row.pathway == Pathway.CSC_ASSESSMENT and referral.assessment_due_on is None:
            referral.assessment_due_on = add_working_days(timezone.localdate(), ASSESSMENT_WORKING_DAYS)
            set_history_user(referral, actor)
            referral.save(update_fields=["assessment_due_on"])
    elif response == "decline":
        # Declined by everyone it was routed to: back to the MASH, which screens it again.
        still = ReferralPathway.objects.filter(referral=referral).exclude(status__in=[
            PathwayStatus.DECLINED, PathwayStatus.LEFT_OUT, PathwayStatus.CLOSED])
        if referral.state == S.DECIDED and not still.exists():
            _set_referral_state(referral, S.DECLINED, actor=actor, reason=reason)
    assert row.receiving_agency is not None  # only routed pathways are responded to
    _end_agency_share(referral, row.receiving_agency, at_once=response == "decline", actor=actor)
    return row


@audit_service
@transaction.atomic
def do_respond_to_pathway(row: ReferralPathway, *, response: str, reason: str, version: int,
                          actor: User) -> ReferralPathway:
    """A receiving service answers for one pathway routed to it: accept (its clock may start now),
    decline (a reason is required; its share ends at once when nothing else of the referral is live with
    that agency; declined by every service, the referral goes back to the MASH) or complete an accepted
    pathway (its share ends after the grace period). ``version`` is the pathway's as the page was loaded."""
    if response not in PATHWAY_RESPONSES:
        raise ValidationError("Choose what to do.")
    require_plain_text(multi_line={"reason": reason})
    locked = ReferralPathway.objects.select_for_update(of=("self",)).filter(pk=row.pk).select_related(
        "referral", "receiving_agency").first()
    if locked is None:
        raise ValidationError("That pathway does not exist.")
    if locked.version != version:
        raise StaleReferral("Someone else answered for this pathway while you were working on it. Check its "
                            "current status, then submit again if it still applies.")
    if not ReferralPathway.objects.restrict(actor, "respond").filter(pk=locked.pk).exists():
        raise TransitionNotAllowed("You cannot answer for that pathway.")
    if locked.status not in PATHWAY_RESPONSE_FROM[response]:
        raise TransitionNotAllowed(f"A pathway that is {locked.get_status_display().lower()} cannot be "
                                   f"{'accepted' if response == 'accept' else response + 'd'}.")
    if response == "decline" and not reason.strip():
        raise ValidationError("Give the reason for declining.")
    referral = locked.referral
    _respond(locked, response, reason=reason, actor=actor)
    referral.refresh_from_db()
    record(Action.DECIDE if response != "complete" else Action.UPDATE, actor=actor, object_type="referral",
           reference=referral.reference, borough=referral.borough, purpose=f"Pathway {response}",
           detail={"pathway": locked.pathway, "response": response, "status": locked.status,
                   "version": locked.version})
    _notify(referral, _mash_leads(referral) + _referrer_side(referral))
    return locked


@audit_service
@transaction.atomic
def do_respond_to_referral(referral: Referral, *, accept: bool, reason: str, version: int,
                           actor: User) -> Referral:
    """The receiving service accepts (a children's social care assessment is then due in 45 working days)
    or declines (reason required) every pathway of the referral routed to it, in one answer: the referral
    page's answer when one service holds the whole referral. Declined, its share ends at once."""
    locked, who, from_state = _move(referral, S.ACCEPTED if accept else S.DECLINED, version=version, reason=reason,
                                    actor=actor, require_reason=not accept)
    agency = capabilities.agency_of(actor)
    mine = list(ReferralPathway.objects.select_for_update().filter(
        referral=locked, receiving_agency=agency, status=PathwayStatus.AWAITING))
    others = ReferralPathway.objects.filter(referral=locked, status__in=LIVE_PATHWAY_STATUSES).exclude(
        receiving_agency=agency)
    if not accept and others.exists():
        # Other services still hold pathways of it: the referral stays with them; this service declines its own.
        raise ValidationError("Other services still hold pathways of this referral: decline your own pathways "
                              "one by one below.")
    locked.responded_at = timezone.now()
    if accept and any(row.pathway == Pathway.CSC_ASSESSMENT for row in mine):
        locked.assessment_due_on = add_working_days(timezone.localdate(), ASSESSMENT_WORKING_DAYS)
    _finish(locked, from_state, reason=reason, actor=actor, who=who,
            detail={"pathways": _codes(sorted(row.pathway for row in mine))})
    now = timezone.now()
    for row in mine:
        row.status = PathwayStatus.ACCEPTED if accept else PathwayStatus.DECLINED
        row.responded_at, row.responded_by = now, actor
        row.version += 1
        if accept:
            clock = catalogue_rules.Clock(unit=row.clock_unit or "none", amount=row.clock_amount,
                                          starts=row.clock_starts)
            row.due_at = clocks.due_at_event(clock, "acceptance", now) or row.due_at
        else:
            row.urgent = False
        set_history_user(row, actor)
        row.save()
    if not accept and agency is not None:
        _end_agency_share(locked, agency, at_once=True, actor=actor)
    _notify(locked, _referrer_side(locked) + _mash_leads(locked))
    return locked


@audit_service
@transaction.atomic
def do_close_referral(referral: Referral, *, reason: str, version: int, actor: User) -> Referral:
    """Close a referral and its pathways still live; each receiving agency's share ends after the grace
    period (``REFERRAL_SHARE_GRACE_DAYS``, at once when 0)."""
    locked, who, from_state = _move(referral, S.CLOSED, version=version, reason=reason, actor=actor,
                                    require_reason=True)
    locked.closed_at = timezone.now()
    _finish(locked, from_state, reason=reason, actor=actor, who=who)
    agencies: dict[int, Agency] = {}
    for row in (ReferralPathway.objects.select_for_update(of=("self",)).filter(referral=locked)
                .select_related("receiving_agency")):
        if row.status in LIVE_PATHWAY_STATUSES:
            row.status, row.urgent = PathwayStatus.CLOSED, False
            row.version += 1
            set_history_user(row, actor)
            row.save()
        if row.receiving_agency is not None and row.status != PathwayStatus.DECLINED:
            agencies[row.receiving_agency.pk] = row.receiving_agency
    for agency in agencies.values():
        _end_agency_share(locked, agency, at_once=False, actor=actor)
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


def overdue_pathways() -> QuerySet[ReferralPathway]:
    """Pathways whose clock has run out while still the receiving service's (unrestricted: for the alert
    job), oldest deadline first."""
    return (ReferralPathway.objects.filter(status__in=LIVE_PATHWAY_STATUSES, due_at__lt=timezone.now(),
                                           referral__state__in=[S.DECIDED, S.ACCEPTED])
            .select_related("referral").order_by("due_at"))
