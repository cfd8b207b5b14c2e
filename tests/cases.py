"""Case data for the personas, built through the services: one subject per relation the authorization
matrix needs, each with one concern.

| relation | home borough | concern by | notes |
|---|---|---|---|
| lambeth_school | Lambeth | teacher_lambeth (Lambeth school) | dsl_lambeth's agency |
| lambeth_gp | Lambeth | gp_lambeth | another agency in the same borough |
| southwark_school | Southwark | teacher_southwark | another borough |
| shared | Southwark | yot_southwark | shared with Lambeth children's social care |
| share_revoked | Southwark | yot_southwark | shared with Lambeth CSC, then revoked |
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from referrals import services
from referrals.models import Concern, Subject
from tests.factories import new_concern
from tests.personas import World

RELATIONS = ["lambeth_school", "lambeth_gp", "southwark_school", "shared", "share_revoked"]

CASES = {
    # relation: (recorder, home borough, given name, family name, date of birth)
    "lambeth_school": ("teacher_lambeth", "Lambeth", "Zainab", "Testcase", dt.date(2011, 4, 3)),
    "lambeth_gp": ("gp_lambeth", "Lambeth", "Kayla", "Fictional", dt.date(2010, 9, 21)),
    "southwark_school": ("teacher_southwark", "Southwark", "Precious", "Madeup", dt.date(2012, 1, 15)),
    "shared": ("yot_southwark", "Southwark", "Tianna", "Invented", dt.date(2009, 6, 30)),
    "share_revoked": ("yot_southwark", "Southwark", "Leah", "Synthetic", dt.date(2010, 2, 11)),
}


@dataclass
class Cases:
    subjects: dict[str, Subject] = field(default_factory=dict)
    concerns: dict[str, Concern] = field(default_factory=dict)


def build_cases(world: World) -> Cases:
    cases = Cases()
    for relation, (recorder, borough, given, family, dob) in CASES.items():
        concern = new_concern(world, recorder, given=given, family=family, dob=dob, borough=borough)
        cases.concerns[relation] = concern
        cases.subjects[relation] = concern.subject
    until = timezone.now() + dt.timedelta(days=30)
    csc = world.agencies["lambeth_csc"]
    services.do_share_subject(subject=cases.subjects["shared"], agency=csc, purpose="Strategy discussion",
                              expires_at=until, actor=world.user("mash_southwark"))
    revoked = services.do_share_subject(subject=cases.subjects["share_revoked"], agency=csc,
                                        purpose="Strategy discussion", expires_at=until,
                                        actor=world.user("mash_southwark"))
    services.do_revoke_share(share=revoked, reason="no_longer_needed", actor=world.user("mash_southwark"))
    return cases
