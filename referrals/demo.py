"""Demo subjects and concerns: synthetic, plainly fictional young people in each demo borough.

Each concern has a fixed idempotency key, so running the seed again records nothing new.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.contrib.auth import get_user_model
from django.utils import timezone

from agencies.models import Agency, Borough
from referrals import routing
from referrals.choices import ConsentPosition, LegalBasis, Pathway, ReferralDecision
from referrals.intake import SubjectDetails, do_record_concern, find_exact_subject
from risk import queries as risk_queries
from risk.models import Indicator

User = get_user_model()
NAMESPACE = uuid.UUID("6f1d2a44-9a0e-4f7e-9d8e-0c6a4d7d1e10")

# (demo id, recorder, given, family, date of birth, borough, days ago, indicators, seriously worried, narrative)
DEMO_CONCERNS = [
    ("lam-1a", "teacher.lambeth", "Demoiya", "Fictionson", dt.date(2011, 3, 14), "Lambeth", 40,
     ["absent-from-school", "change-in-appearance"], False,
     "Attendance has dropped to 60% this half term. New designer trainers and nails."),
    ("lam-1b", "nurse.lambeth", "Demoiya", "Fictionson", dt.date(2011, 3, 14), "Lambeth", 21,
     ["repeat-sti-pregnancy-termination", "low-self-esteem"], False,
     "Second drop-in visit this term asking about emergency contraception."),
    ("lam-1c", "police.lambeth", "Demoiya", "Fictionson", dt.date(2011, 3, 14), "Lambeth", 5,
     ["missing-from-home-or-care", "older-boyfriend-or-associate"], True,
     "Found at 02:00 in a car with two adult males after being reported missing."),
    ("lam-2a", "gp.lambeth", "Testina", "Madeup", dt.date(2009, 11, 2), "Lambeth", 12,
     ["self-harm", "drug-or-alcohol-misuse"], False, "Presented with fresh cuts to forearms; smelled of cannabis."),
    ("lam-3a", "dsl.lambeth", "Samplea", "Notreal", dt.date(2012, 6, 30), "Lambeth", 3,
     ["gang-association-relatives-peers-partners"], False, "Older brother known to be involved with a local gang."),
    ("sou-1a", "teacher.southwark", "Exampla", "Imaginary", dt.date(2010, 8, 19), "Southwark", 30,
     ["unexplained-phones-or-money", "absent-from-school"], False, "Has two phones and cash she will not explain."),
    ("sou-1b", "yot.southwark", "Exampla", "Imaginary", dt.date(2010, 8, 19), "Southwark", 9,
     ["carrying-for-others", "involvement-in-offending"], False,
     "Arrested with a package she said she was holding for a friend."),
    ("hac-1a", "teacher.hackney", "Fakeira", "Placeholder", dt.date(2011, 1, 7), "Hackney", 14,
     ["territorial-restrictions", "estranged-from-family"], False,
     "Refuses to walk home through the estate; staying with an aunt."),
    # Her teacher believes she is in immediate danger: the strategy discussion is held the same day.
    ("lam-4a", "teacher.lambeth", "Urgentia", "Sameday", dt.date(2010, 2, 3), "Lambeth", 0,
     ["missing-from-home-or-care", "older-boyfriend-or-associate"], True,
     "Seen getting into a car with an adult who has threatened her before."),
]
# Recorders' judgements beyond "seriously worried" (``Judgement``), by demo id.
JUDGEMENTS = {"lam-4a": "immediate_danger"}


def seed_cases() -> int:
    """Record the demo concerns not yet recorded; return how many were new."""
    created_count = 0
    today = timezone.localdate()
    for demo_id, username, given, family, dob, borough, days_ago, codes, worried, narrative in DEMO_CONCERNS:
        actor = User.objects.get(username=username)
        _concern, created = do_record_concern(
            details=SubjectDetails(given_name=given, family_name=family, date_of_birth=dob),
            home_borough=Borough.objects.get(name=borough),
            observed_on=today - dt.timedelta(days=days_ago),
            indicators=list(Indicator.objects.filter(code__in=codes)),
            narrative=narrative, seriously_worried=worried, judgement=JUDGEMENTS.get(demo_id, ""),
            idempotency_key=uuid.uuid5(NAMESPACE, demo_id), actor=actor,
        )
        created_count += int(created)
    return created_count


# ---------------------------------------------------------------------------------------------------
# Demo referrals: one in every state, two overdue. A demo subject that already has any
# referral is left alone, so a second run changes nothing.
# ---------------------------------------------------------------------------------------------------

def _demo_subject(demo_id: str):
    for row in DEMO_CONCERNS:
        if row[0] == demo_id:
            return find_exact_subject(SubjectDetails(given_name=row[2], family_name=row[3], date_of_birth=row[4]))
    raise KeyError(demo_id)


def seed_referrals() -> int:
    """Make the demo referrals not yet made; return how many were new."""
    users = {u.username: u for u in User.objects.filter(username__in=[
        "dsl.lambeth", "mash.lambeth", "csc.lambeth", "mash.southwark", "mash.hackney"])}
    agency = {a.name: a for a in Agency.objects.filter(name__in=[
        "Lambeth Children's Social Care", "Hackney Children and Families Service"])}
    now = timezone.now()
    made = 0

    def refer(subject, actor, summary, *, days_ago=0, consent=ConsentPosition.GIVEN, override=""):
        return routing.do_make_referral(subject, summary=summary, legal_basis=LegalBasis.SAFEGUARDING,
                                        consent=consent, consent_override_reason=override,
                                        received_at=now - dt.timedelta(days=days_ago), actor=users[actor])

    def screen(referral, actor):
        return routing.do_start_screening(referral, version=referral.version, actor=users[actor])

    def proposal_for(referral, actor):
        return risk_queries.pathway_proposal(referral.subject, users[actor], today=timezone.localdate())

    def route(referral, actor, pathway, receiving, reason):
        """Route to one pathway, leaving out (with a reason) whatever else the system recommends."""
        proposal = proposal_for(referral, actor)
        recommended = set(proposal.codes) if proposal is not None else set()
        return routing.do_decide_referral(
            referral, decision=ReferralDecision.ROUTED, reason=reason, version=referral.version, actor=users[actor],
            pathways=[routing.PathwayChoice(pathway, agency[receiving], consent=ConsentPosition.GIVEN,
                                            reason="" if pathway in recommended else reason)],
            left_out={code: "Not now: one pathway at a time for her." for code in recommended if code != pathway})

    def accept_recommendation(referral, actor, reason, leave_out=None):
        """Accept what the system recommends (each pathway to the first service of her borough that takes
        it), leaving out those in ``leave_out`` and those no service of her borough takes yet."""
        proposal = proposal_for(referral, actor)
        services = routing.receiving_agencies(referral.subject.home_borough_id)
        choices, left = [], {}
        for item in proposal.recommended if proposal is not None else ():
            code = item.pathway.code
            if code in (leave_out or {}) or not services.get(code):
                left[code] = (leave_out or {}).get(code, "No service of this kind is set up in her borough.")
                continue
            choices.append(routing.PathwayChoice(code, services[code][0], consent=ConsentPosition.GIVEN))
        return routing.do_decide_referral(referral, decision=ReferralDecision.ROUTED, reason=reason,
                                          version=referral.version, actor=users[actor], pathways=choices,
                                          left_out=left)

    lam1 = _demo_subject("lam-1a")
    # Her third concern took her to high, which raised an automatic referral: the MASH takes that one on.
    if lam1 is not None and not lam1.referrals.exclude(state="submitted").exists():
        accepted = lam1.referrals.filter(state="submitted").first() or refer(
            lam1, "dsl.lambeth", "Found in a car with two adult men after going missing.", days_ago=4,
            consent=ConsentPosition.NOT_SOUGHT_RISK)
        accepted = screen(accepted, "mash.lambeth")
        # A decision into several pathways: the system's recommendation, accepted but for one left out.
        accepted = accept_recommendation(
            accepted, "mash.lambeth", "Escalating missing episodes with adults of concern.",
            leave_out={"sexual_health": "The school nurse is already seeing her."})
        routing.do_respond_to_referral(accepted, accept=True, reason="Allocated to the exploitation team.",
                                       version=accepted.version, actor=users["csc.lambeth"])
        made += 1
    lam2 = _demo_subject("lam-2a")
    if lam2 is not None and not lam2.referrals.exists():
        closed = screen(refer(lam2, "mash.lambeth", "Self-harm and cannabis use.", days_ago=10), "mash.lambeth")
        closed = routing.do_decide_referral(closed, decision=ReferralDecision.SIGNPOSTED,
                                            reason="GP and school counsellor already involved.",
                                            version=closed.version, actor=users["mash.lambeth"])
        routing.do_close_referral(closed, reason="Signposted; no further MASH action.", version=closed.version,
                                  actor=users["mash.lambeth"])
        withdrawn = refer(lam2, "mash.lambeth", "Worried about a new older friend.", days_ago=6)
        routing.do_withdraw_referral(withdrawn, reason="Made in error: the friend is a cousin.",
                                     version=withdrawn.version, actor=users["mash.lambeth"])
        refer(lam2, "mash.lambeth", "New self-harm presentation.", days_ago=3)  # submitted, overdue
        made += 2
    lam3 = _demo_subject("lam-3a")
    if lam3 is not None and not lam3.referrals.exists():
        declined = screen(refer(lam3, "dsl.lambeth", "Brother's gang involvement; she is being asked to carry.",
                                days_ago=2, consent=ConsentPosition.OVERRIDDEN,
                                override="Parent refused; risk of significant harm."), "mash.lambeth")
        declined = route(declined, "mash.lambeth", Pathway.EARLY_HELP, "Lambeth Children's Social Care",
                         "Family support first.")
        routing.do_respond_to_referral(declined, accept=False, reason="Threshold for statutory work met instead.",
                                       version=declined.version, actor=users["csc.lambeth"])
        made += 1
    sou1 = _demo_subject("sou-1a")
    # Under model v3 her significant signs may already have raised an automatic referral: screen that one.
    if sou1 is not None and not sou1.referrals.exclude(state="submitted").exists():
        screen(sou1.referrals.filter(state="submitted").first()
               or refer(sou1, "mash.southwark", "Carrying packages for others; two phones.", days_ago=6),
               "mash.southwark")  # screening, overdue
        made += 1
    hac1 = _demo_subject("hac-1a")
    if hac1 is not None and not hac1.referrals.exists():
        routed = screen(refer(hac1, "mash.hackney", "Territorial restrictions; estranged from family."),
                        "mash.hackney")
        route(routed, "mash.hackney", Pathway.CSC_STRATEGY, "Hackney Children and Families Service",
              "Strategy discussion within the day.")  # decided, awaiting the receiving service
        made += 1
    # A girl in immediate danger: the strategy discussion is due the same day (urgent, top of both inboxes).
    lam4 = _demo_subject("lam-4a")
    if lam4 is not None and not lam4.referrals.exclude(state="submitted").exists():
        urgent = screen(lam4.referrals.filter(state="submitted").first()
                        or refer(lam4, "mash.lambeth", "Immediate danger: in a car with an adult who threatened her."),
                        "mash.lambeth")
        accept_recommendation(urgent, "mash.lambeth", "Immediate danger: strategy discussion today.")
        made += 1
    return made


# ---------------------------------------------------------------------------------------------------
# Moves between boroughs: a Lambeth girl Lambeth's MASH asks Southwark to take on (waiting in Southwark's
# borough transfers), and Lambeth's highest-risk girl shared with Southwark's MASH, where she was found.
# ---------------------------------------------------------------------------------------------------
def seed_borough_moves() -> int:
    """Make the demo's borough transfer and harm-borough share if not yet made; return how many were new."""
    from referrals import boroughs
    from referrals.choices import BoroughTransferReason, HarmBoroughGround
    from referrals.models import BoroughTransfer

    lead = User.objects.filter(username="mash.lambeth").first()
    southwark = Borough.objects.filter(name="Southwark").first()
    if lead is None or southwark is None:
        return 0
    made = 0
    moving = _demo_subject("lam-3a")
    if moving is not None and not BoroughTransfer.objects.filter(subject=moving).exists():
        boroughs.do_start_borough_transfer(
            subject=moving, to_borough=southwark, reason=BoroughTransferReason.MOVED_HOME,
            note="Moved with her mother to a refuge in Southwark last week; the school place is being arranged.",
            idempotency_key=uuid.uuid5(NAMESPACE, "borough-move-lam-3a"), actor=lead)
        made += 1
    found = _demo_subject("lam-1a")
    if found is not None and not boroughs.harm_borough_shares(found).exists():
        boroughs.do_grant_harm_borough_access(subject=found, borough=southwark, ground=HarmBoroughGround.FOUND_THERE,
                                              days=28, actor=lead)
        made += 1
    return made
