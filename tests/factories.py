"""Test data built through the services, as people would build it: concerns (and so subjects), referrals.

One home for what the suite used to write five ways. Every factory takes the personas ``world`` and the
persona acting by name, keyword arguments with defaults that make a new, unremarkable case, and returns
what it made. Tests of ``intake.do_record_concern`` itself may still call the service directly.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Iterable

from django.utils import timezone

from agencies.models import Borough
from referrals import intake, routing
from referrals.choices import ConsentPosition, LegalBasis, Pathway, ReferralDecision
from referrals.intake import SubjectDetails
from referrals.models import Concern, Referral, Subject
from risk import queries
from risk.models import Indicator
from tests.personas import World

DEFAULT_DOB = dt.date(2011, 5, 6)
_numbers = itertools.count(1000)


def record_concern(
    world: World, recorder: str = "teacher_lambeth", *, given: str = "Test", family: str = "Subject",
    dob: dt.date | None = DEFAULT_DOB, age: int | None = None, address: str = "",
    details: SubjectDetails | None = None, subject: Subject | None = None, borough: str | Borough | None = None,
    indicators: Iterable[str] = ("missing-from-home-or-care",), narrative: str = "Seen late at night.",
    seriously_worried: bool = False, observed_on: dt.date | None = None, days_ago: int = 3,
    key: uuid.UUID | None = None,
) -> tuple[Concern, bool]:
    """``recorder`` records a concern, as ``intake.do_record_concern`` does: returns (concern, created).

    About ``subject`` (a concern from her page), or else about the girl ``details`` describe, or else
    ``given``/``family``/``dob``/``age``/``address``. Observed ``days_ago`` days before today unless
    ``observed_on`` says when; ``borough`` defaults to the subject's home borough, else Lambeth.
    """
    if subject is None and details is None:
        details = SubjectDetails(given_name=given, family_name=family, date_of_birth=dob, age_estimate=age,
                                 address=address)
    if borough is None:
        borough = subject.home_borough if subject is not None else "Lambeth"
    if isinstance(borough, str):
        borough = Borough.objects.get(name=borough)
    return intake.do_record_concern(
        details=None if subject is not None else details, subject=subject, home_borough=borough,
        observed_on=observed_on or timezone.localdate() - dt.timedelta(days=days_ago),
        indicators=list(Indicator.objects.filter(code__in=list(indicators))), narrative=narrative,
        seriously_worried=seriously_worried, idempotency_key=key or uuid.uuid4(), actor=world.user(recorder),
    )


def new_concern(world: World, recorder: str = "teacher_lambeth", **kwargs) -> Concern:
    """``record_concern``, returning only the concern (``concern.subject`` is the girl it is about)."""
    concern, _created = record_concern(world, recorder, **kwargs)
    return concern


def new_subject(world: World, n: int | None = None, *, borough: str = "Lambeth", recorder: str = "teacher_lambeth",
                **kwargs) -> Subject:
    """A fresh subject with one concern; ``n`` gives a distinct name and date of birth, so nothing matches
    (a new number is taken when none is given)."""
    n = next(_numbers) if n is None else n
    kwargs.setdefault("given", f"Referra{n}")
    kwargs.setdefault("family", "Routingcase")
    kwargs.setdefault("dob", dt.date(2010, 1 + n % 12, 1 + n % 28))
    return new_concern(world, recorder, borough=borough, **kwargs).subject


def new_referral(world: World, subject: Subject, actor: str = "dsl_lambeth", **kwargs) -> Referral:
    """``actor`` refers ``subject`` to the MASH of her borough (submitted)."""
    return routing.do_make_referral(subject, summary=kwargs.pop("summary", "Going missing overnight."),
                                    legal_basis=LegalBasis.SAFEGUARDING, consent=ConsentPosition.GIVEN,
                                    actor=world.user(actor), **kwargs)


def advance_referral(world: World, referral: Referral, to: str) -> Referral:
    """Move a Lambeth referral to ``to`` through the services, the way people would: the Lambeth MASH
    lead screens and routes it to Lambeth children's social care, who accept or decline it."""
    mash, csc, dsl = world.user("mash_lambeth"), world.user("csc_lambeth"), world.user("dsl_lambeth")
    if to == "submitted":
        return referral
    if to == "withdrawn":
        return routing.do_withdraw_referral(referral, reason="Family moved away", version=referral.version, actor=dsl)
    referral = routing.do_start_screening(referral, version=referral.version, actor=mash)
    if to == "screening":
        return referral
    referral = routing.do_decide_referral(
        referral, reason="Needs an assessment", version=referral.version, actor=mash,
        **route_to(world, referral, Pathway.CSC_ASSESSMENT))
    if to == "decided":
        return referral
    if to == "declined":
        return routing.do_respond_to_referral(referral, accept=False, reason="Already open to another team",
                                              version=referral.version, actor=csc)
    referral = routing.do_respond_to_referral(referral, accept=True, reason="", version=referral.version, actor=csc)
    if to == "accepted":
        return referral
    if to == "closed":
        return routing.do_close_referral(referral, reason="Assessment complete", version=referral.version, actor=mash)
    raise ValueError(to)


def route_to(world: World, referral: Referral, *codes: str, agency: str = "lambeth_csc", mash: str = "mash_lambeth",
             agencies: dict[str, str] | None = None, consent: str = ConsentPosition.GIVEN) -> dict:
    """``do_decide_referral`` keyword arguments routing ``referral`` into ``codes`` (each to ``agency`` unless
    ``agencies`` names another), as a MASH lead who disagrees with the recommendation would fill the form:
    a reason for each pathway the system did not recommend, and for each recommended one left out; her
    consent position ``consent`` wherever a pathway asks for it."""
    proposal = queries.pathway_proposal(referral.subject, world.user(mash), today=timezone.localdate())
    recommended = set(proposal.codes) if proposal is not None else set()
    agencies = agencies or {}
    return {
        "decision": ReferralDecision.ROUTED,
        "pathways": [routing.PathwayChoice(code, world.agencies[agencies.get(code, agency)],
                                           reason="" if code in recommended else "The MASH adds it.",
                                           consent=consent) for code in codes],
        "left_out": {code: "Not needed now." for code in recommended if code not in codes},
    }


def raise_automatic_referral(world: World, n: int = 30, recorder: str = "teacher_lambeth") -> Referral:
    """A Lambeth girl whom ``recorder``'s one concern puts at high: the register raises the automatic
    referral, by the system on the Lambeth MASH's behalf."""
    concern = new_concern(world, recorder, given=f"Automa{n}", family="Registercase",
                          dob=dt.date(2011, 3, 1 + n % 27), borough="Lambeth",
                          indicators=("older-boyfriend-or-associate",), seriously_worried=True)
    return Referral.objects.get(subject=concern.subject, automatic=True)
