"""Demo case work in Lambeth: Demoiya's strategy discussion, her plan with open, done and overdue
actions, her outcomes, and a MACE meeting with minutes. Synthetic, plainly fictional; run once (a girl
with a plan is left as she is)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone

from agencies.models import Agency
from casework import services
from casework.models import Plan
from referrals.demo import _demo_subject

User = get_user_model()


def seed_casework() -> int:
    """Record the demo case work if not yet recorded; return how many actions were made."""
    subject = _demo_subject("lam-1a")
    if subject is None or Plan.objects.filter(subject=subject).exists():
        return 0
    users = {u.username: u for u in User.objects.filter(username__in=[
        "mash.lambeth", "police.lambeth", "dsl.lambeth", "nurse.lambeth", "csc.lambeth"])}
    if len(users) < 5:
        return 0
    mash, today = users["mash.lambeth"], timezone.localdate()
    lambeth = Agency.objects.filter(borough=subject.home_borough, is_active=True).exclude(kind="governance")
    pathways = services.strategy_pathways(subject)
    discussion = services.do_record_strategy_discussion(
        subject=subject, held_at=timezone.now() - dt.timedelta(days=3, hours=2),
        agencies=list(lambeth.filter(kind__in=["childrens_social_care", "police", "school", "health",
                                               "school_nursing"])),
        decision="section_47", record_text="Police shared the car's registration; school and nurse shared what "
        "they had seen. Section 47 enquiries to start; her social worker to visit within the week.",
        pathway=pathways[0] if pathways else None, actor=mash)
    target = services.Target(subject=subject)
    made = 0
    services.do_add_action(target=target, description="Trace the adult driver of the car and consider an "
                           "abduction warning notice.", owner=users["police.lambeth"],
                           due_on=today + dt.timedelta(days=10), source="strategy", strategy_discussion=discussion,
                           actor=mash)
    done = services.do_add_action(target=target, description="Daily attendance check; call home by 10:00 on any "
                                  "absence.", owner=users["dsl.lambeth"], due_on=today + dt.timedelta(days=2),
                                  actor=mash)
    services.do_complete_action(done, outcome_note="In place since Monday; two absences followed up the same day.",
                                version=done.version, actor=users["dsl.lambeth"])
    services.do_add_action(target=target, description="Sexual health review at the drop-in.",
                           owner=users["nurse.lambeth"], due_on=today - dt.timedelta(days=3), actor=mash,
                           today=today - dt.timedelta(days=14))
    services.do_mark_overdue_actions()
    made += 3
    services.do_record_outcome(subject=subject, kind="engaged_specialist", occurred_on=today - dt.timedelta(days=1),
                               note="Met the exploitation worker twice.", actor=users["csc.lambeth"])
    services.do_record_outcome(subject=subject, kind="missing_stopped", occurred_on=today,
                               note="No missing episodes for two weeks.", actor=mash)
    meeting = services.do_schedule_meeting(meets_on=today, actor=mash)
    if not meeting.items.filter(subject=subject).exists():
        services.do_add_agenda_item(meeting, target=target, actor=mash)
    meeting.refresh_from_db()
    meeting = services.do_set_attendance(meeting, agencies=list(lambeth.exclude(kind="mash")), version=meeting.version,
                                         actor=mash)
    meeting = services.do_send_agenda(meeting, version=meeting.version, actor=mash)
    services.do_record_discussion(
        meeting, target=target, record_text="Missing episodes have stopped since the police visit; she is "
        "engaging with the exploitation worker. The car has been seen near the school gates twice.",
        decisions="Stay on the register at high; review in four weeks.",
        actions=[services.AgreedAction("Patrol the school gates at home time for two weeks.", users["police.lambeth"],
                                       today + dt.timedelta(days=14)),
                 services.AgreedAction("Safety plan for the walk home, agreed with her.", users["dsl.lambeth"],
                                       today + dt.timedelta(days=7))], actor=mash)
    meeting.refresh_from_db()
    services.do_record_minutes(meeting, version=meeting.version, actor=mash)
    return made + 2
