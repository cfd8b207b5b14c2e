"""Case work for the subject access and erasure tests: one Lambeth girl with a strategy discussion, a plan, an
outcome, and a held MACE meeting that discussed her and another girl (each with an agreed action)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from casework import services
from tests.audit_helpers import audit_checkpoint
from tests.casework.cases import add_action, routed_girl, strategy_discussion
from tests.personas import World
from tests.referrals.pathway_cases import high_girl

HERS = "She was seen getting into a car outside the chicken shop."
HER_DECISIONS = "Police to disrupt the car; school to keep her attendance up."
OTHERS = "Her friend Zenobia spoke about a flat on the estate."
OTHER_DECISIONS = "Refer Zenobia to the specialist service."
OTHER_ACTION = "Speak to Zenobia's aunt."


def two_girls_at_one_meeting(world: World) -> tuple[Any, Any, Any]:
    """A Lambeth girl with a strategy discussion, a plan, an outcome, and a held MACE meeting that discussed
    her and another girl (each with an agreed action)."""
    mash = world.user("mash_lambeth")
    referral = routed_girl(world)
    her = referral.subject
    other = high_girl(world).subject
    strategy_discussion(world, referral)
    add_action(world, her, "dsl_lambeth", text="Keep her attendance up.")
    services.do_record_outcome(subject=her, kind="back_in_education", occurred_on=timezone.localdate(),
                               note="Back at school full time.", actor=mash)
    meeting = services.do_schedule_meeting(meets_on=timezone.localdate(), actor=mash)
    for girl in (her, other):
        if not meeting.items.filter(subject=girl).exists():
            services.do_add_agenda_item(meeting, target=services.Target(subject=girl), actor=mash)
    due = timezone.localdate() + dt.timedelta(days=14)
    services.do_record_discussion(meeting, target=services.Target(subject=her), record_text=HERS,
                                  decisions=HER_DECISIONS, actor=mash, actions=[
                                      services.AgreedAction("Visit the car park at night.",
                                                            world.user("police_lambeth"), due)])
    services.do_record_discussion(meeting, target=services.Target(subject=other), record_text=OTHERS,
                                  decisions=OTHER_DECISIONS, actor=mash, actions=[
                                      services.AgreedAction(OTHER_ACTION, world.user("police_lambeth"), due)])
    meeting.refresh_from_db()
    services.do_record_minutes(meeting, version=meeting.version, actor=mash)
    meeting.refresh_from_db()
    audit_checkpoint()
    return her, other, meeting
