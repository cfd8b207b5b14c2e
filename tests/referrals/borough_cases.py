"""Moves between boroughs for the authorization matrix, built through the services.

| relation | her record | mash_lambeth is | mash_southwark is |
|---|---|---|---|
| moving_pending | Lambeth, asked to move to Southwark | her home MASH (asked) | the MASH asked, before answering |
| moving_accepted | moved from Lambeth to Southwark | the old MASH (its receipt only) | her home MASH now |
| harm_shared | Lambeth, shared with Southwark's MASH where harm happens | her home MASH | a harm borough (read only) |

Each young person has one concern, recorded by ``teacher_lambeth`` at Lambeth Test Academy.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from dataclasses import dataclass, field
from typing import Any

from agencies.models import Borough
from referrals import boroughs
from referrals.choices import BoroughTransferReason, HarmBoroughGround
from referrals.models import BoroughTransfer, Subject
from tests.factories import new_concern
from tests.personas import World

BOROUGH_RELATIONS = ["moving_pending", "moving_accepted", "harm_shared"]
_numbers = itertools.count(1)


@dataclass
class BoroughCases:
    subjects: dict[str, Subject] = field(default_factory=dict)
    transfers: dict[str, BoroughTransfer] = field(default_factory=dict)


def lambeth_girl(world: World) -> Subject:
    n = next(_numbers)
    return new_concern(world, "teacher_lambeth", given=f"Boroughmove{n:03d}", family="Crossingcase",
                       dob=dt.date(2010, 1 + n % 12, 1 + n % 28), borough="Lambeth").subject


def ask_southwark(world: World, subject: Subject) -> BoroughTransfer:
    transfer, _created = boroughs.do_start_borough_transfer(
        subject=subject, to_borough=Borough.objects.get(name="Southwark"), reason=BoroughTransferReason.MOVED_HOME,
        note="Moved to live with her aunt.", idempotency_key=uuid.uuid4(), actor=world.user("mash_lambeth"))
    return transfer


def build_borough_cases(world: World) -> BoroughCases:
    cases = BoroughCases()
    for relation in BOROUGH_RELATIONS:
        cases.subjects[relation] = lambeth_girl(world)
    for relation in ("moving_pending", "moving_accepted"):
        cases.transfers[relation] = ask_southwark(world, cases.subjects[relation])
    boroughs.do_accept_borough_transfer(transfer=cases.transfers["moving_accepted"],
                                        actor=world.user("mash_southwark"))
    boroughs.do_grant_harm_borough_access(
        subject=cases.subjects["harm_shared"], borough=Borough.objects.get(name="Southwark"),
        ground=HarmBoroughGround.PLACE_ON_MAP, days=30, actor=world.user("mash_lambeth"))
    return cases


def extend(world: World, built: Any) -> None:
    """A ``CASE_EXTENSIONS`` hook of the authorization matrix."""
    built.borough_cases = build_borough_cases(world)
