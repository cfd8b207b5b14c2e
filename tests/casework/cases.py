"""Case work, built through the services, for the case-work tests and the authorization matrix.

One Lambeth girl at high (her teacher seriously worried; the automatic referral), routed by the Lambeth MASH
into a strategy discussion (children's social care, which accepts it), police disruption and the specialist
service, with the MACE panel left out. Then, by the Lambeth MASH lead:

| relation | what |
|---|---|
| cw | the girl: her case-work page and its forms |
| cw_discussion | the strategy discussion recorded against her csc_strategy pathway |
| cw_police_action | an action of her plan owned by police_lambeth (Lambeth police) |
| cw_school_action | an action of her plan owned by dsl_lambeth (her school) |
| cw_meeting_held | a MACE meeting (school, police and social care present) that discussed her, minutes recorded |
| cw_meeting_planned | a MACE meeting with her on its agenda, not yet held (same agencies invited) |

police_lambeth owns an action but cannot otherwise see her; csc_lambeth reads her through its accepted pathway.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from casework import services
from casework.models import Action, MaceMeeting, StrategyDiscussion
from referrals.models import Referral, Subject
from tests.personas import World
from tests.referrals.pathway_cases import ALL_THREE, LEFT_OUT_MACE, add_services, decide, high_girl, respond, row

CASEWORK_RELATIONS = ["cw", "cw_discussion", "cw_police_action", "cw_school_action", "cw_meeting_held",
                      "cw_meeting_planned"]


@dataclass
class CaseworkCases:
    subject: Subject | None = None
    referral: Referral | None = None
    subjects: dict[str, Subject] = field(default_factory=dict)
    discussions: dict[str, StrategyDiscussion] = field(default_factory=dict)
    actions: dict[str, Action] = field(default_factory=dict)
    meetings: dict[str, MaceMeeting] = field(default_factory=dict)


def routed_girl(world: World) -> Referral:
    """A Lambeth girl at high routed into a strategy discussion (accepted by Lambeth children's social care),
    police disruption and the specialist service."""
    add_services(world)
    referral = decide(world, high_girl(world), ALL_THREE, left_out=LEFT_OUT_MACE)
    respond(world, referral, "csc_strategy", "accept")
    referral.refresh_from_db()
    return referral


def strategy_discussion(world: World, referral: Referral, *, hours_ago: int = 2) -> StrategyDiscussion:
    return services.do_record_strategy_discussion(
        subject=referral.subject, held_at=timezone.now() - dt.timedelta(hours=hours_ago),
        agencies=[world.agencies["lambeth_csc"], world.agencies["lambeth_police"], world.agencies["lambeth_school"]],
        decision="conference", record_text="Police and school shared what they know; enquiries to start.",
        pathway=row(referral, "csc_strategy"), actor=world.user("mash_lambeth"))


def add_action(world: World, subject: Subject, owner: str, *, days: int = 7, text: str = "Trace the adult.",
               **kwargs: Any) -> Action:
    return services.do_add_action(target=services.Target(subject=subject), description=text,
                                  owner=world.user(owner), due_on=timezone.localdate() + dt.timedelta(days=days),
                                  actor=world.user("mash_lambeth"), **kwargs)


def meeting_about(world: World, subject: Subject, *, hold: bool) -> MaceMeeting:
    """A Lambeth MACE meeting with her on the agenda and her school, the police and social care invited;
    held (her discussion and one action for the police recorded, minutes closed) when ``hold``."""
    mash = world.user("mash_lambeth")
    meeting = services.do_schedule_meeting(meets_on=timezone.localdate(), actor=mash)
    if not meeting.items.filter(subject=subject).exists():
        services.do_add_agenda_item(meeting, target=services.Target(subject=subject), actor=mash)
    meeting.refresh_from_db()
    services.do_set_attendance(meeting, agencies=[world.agencies[k] for k in ("lambeth_school", "lambeth_police",
                                                                              "lambeth_csc")],
                               version=meeting.version, actor=mash)
    if hold:
        services.do_record_discussion(
            meeting, target=services.Target(subject=subject), record_text="Seen with older men at the station.",
            decisions="Police to disrupt; school to keep her attendance up.",
            actions=[services.AgreedAction("Visit the station at night.", world.user("police_lambeth"),
                                           timezone.localdate() + dt.timedelta(days=14))], actor=mash)
        meeting.refresh_from_db()
        services.do_record_minutes(meeting, version=meeting.version, actor=mash)
    meeting.refresh_from_db()
    return meeting


def build_casework_cases(world: World) -> CaseworkCases:
    cases = CaseworkCases()
    referral = routed_girl(world)
    subject = referral.subject
    cases.subject, cases.referral = subject, referral
    cases.subjects["cw"] = subject
    cases.discussions["cw_discussion"] = strategy_discussion(world, referral)
    cases.actions["cw_police_action"] = add_action(world, subject, "police_lambeth")
    cases.actions["cw_school_action"] = add_action(world, subject, "dsl_lambeth", text="Keep her attendance up.")
    cases.meetings["cw_meeting_held"] = meeting_about(world, subject, hold=True)
    cases.meetings["cw_meeting_planned"] = meeting_about(world, subject, hold=False)
    return cases


def extend(world: World, built: Any) -> None:
    """A ``CASE_EXTENSIONS`` hook of the authorization matrix."""
    built.casework_cases = build_casework_cases(world)
