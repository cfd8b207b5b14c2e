"""School transfers for the authorization matrix and the transfer tests, built through the services.

Two schools exist only here (no persona works there), each with a DSL, so that ``dsl_lambeth`` can stand
as the old school, the new school (before and after accepting) and a school with no part in a transfer:

| relation | her file moves | state | dsl_lambeth is |
|---|---|---|---|
| transfer_out | Lambeth Test Academy → second school | pending | the old school's DSL |
| transfer_in | second school → Lambeth Test Academy | pending | the new school's DSL, before accepting |
| transfer_in_accepted | second school → Lambeth Test Academy | accepted | the new school's DSL, after |
| transfer_others | second school → third school | pending | another school's DSL |
| transfer_overdue | second school → Lambeth Test Academy | pending, past due | the new school's DSL (chased) |

Every young person lives in Lambeth; each has one concern, recorded by the school her file leaves.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any
from unittest import mock

from django.utils import timezone

from agencies import services as agency_services
from agencies.choices import AgencyKind, RoleCode
from agencies.models import Borough
from referrals import transfers
from referrals.choices import TransferPurpose
from referrals.models import Concern, SchoolTransfer, Subject
from tests.factories import new_concern
from tests.personas import PASSWORD, World

TRANSFER_RELATIONS = ["transfer_out", "transfer_in", "transfer_in_accepted", "transfer_others", "transfer_overdue"]
_numbers = itertools.count(1)


@dataclass
class TransferCases:
    subjects: dict[str, Subject] = field(default_factory=dict)
    concerns: dict[str, Concern] = field(default_factory=dict)
    transfers: dict[str, SchoolTransfer] = field(default_factory=dict)


def add_schools(world: World) -> None:
    """The second and third Lambeth schools and their DSLs (``dsl_school_2``, ``dsl_school_3``), once."""
    if "school_2" in world.agencies:
        return
    lambeth = Borough.objects.get(name="Lambeth")
    for n in (2, 3):
        agency = agency_services.do_create_agency(name=f"Lambeth Test School {n}", kind=AgencyKind.SCHOOL,
                                                  borough=lambeth, actor=None)
        world.agencies[f"school_{n}"] = agency
        world.users[f"dsl_school_{n}"] = agency_services.do_create_user(
            username=f"dsl_school_{n}", password=PASSWORD, agency=agency, roles=[RoleCode.DSL, RoleCode.PRACTITIONER],
            first_name="School", last_name=f"Dsl{n}", email=f"dsl{n}@school.test", actor=None)


def start(world: World, subject: Subject, sender: str, to: str) -> SchoolTransfer:
    transfer, _created = transfers.do_start_school_transfer(
        subject=subject, to_agency=world.agencies[to], purpose=TransferPurpose.MOVED_SCHOOL,
        idempotency_key=uuid.uuid4(), actor=world.user(sender))
    return transfer


def start_in_the_past(world: World, subject: Subject, sender: str, to: str, days_ago: int = 21) -> SchoolTransfer:
    """A transfer started ``days_ago`` calendar days ago (so past its 5 working days)."""
    then = timezone.now() - dt.timedelta(days=days_ago)
    clock = SimpleNamespace(now=lambda: then, localdate=timezone.localdate, make_aware=timezone.make_aware)
    with mock.patch.object(transfers, "timezone", clock):
        return start(world, subject, sender, to)


def her(world: World, recorder: str) -> Concern:
    n = next(_numbers)
    return new_concern(world, recorder, given=f"Transfera{n:03d}", family="Movingcase",
                       dob=dt.date(2011, 1 + n % 12, 1 + n % 28), borough="Lambeth")


def build_transfer_cases(world: World) -> TransferCases:
    add_schools(world)
    cases = TransferCases()
    plan: dict[str, tuple[str, str, str]] = {
        # relation: (recorder and sender, from school's DSL, to)
        "transfer_out": ("teacher_lambeth", "dsl_lambeth", "school_2"),
        "transfer_in": ("dsl_school_2", "dsl_school_2", "lambeth_school"),
        "transfer_in_accepted": ("dsl_school_2", "dsl_school_2", "lambeth_school"),
        "transfer_others": ("dsl_school_2", "dsl_school_2", "school_3"),
        "transfer_overdue": ("dsl_school_2", "dsl_school_2", "lambeth_school"),
    }
    for relation, (recorder, sender, to) in plan.items():
        concern = her(world, recorder)
        cases.concerns[relation] = concern
        cases.subjects[relation] = concern.subject
        if relation == "transfer_overdue":
            cases.transfers[relation] = start_in_the_past(world, concern.subject, sender, to)
        else:
            cases.transfers[relation] = start(world, concern.subject, sender, to)
    transfers.do_accept_school_transfer(transfer=cases.transfers["transfer_in_accepted"],
                                        actor=world.user("dsl_lambeth"))
    return cases


def extend(world: World, built: Any) -> None:
    """A ``CASE_EXTENSIONS`` hook of the authorization matrix."""
    built.transfer_cases = build_transfer_cases(world)
