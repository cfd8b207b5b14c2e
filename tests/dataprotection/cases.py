"""Emergency-access fixtures for the authorization matrix: per case relation, a grant on that relation's
subject opened by the MASH lead of the other borough (through the service), then run out, so it opens
nothing and only its review pages are exercised.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from dataprotection.models import BreakGlassGrant
from dataprotection.services import do_break_glass
from tests.personas import World

OTHER_MASH = {"Lambeth": "mash_southwark", "Southwark": "mash_lambeth"}
REASON = "Found in our borough tonight after a missing episode; need her history to plan a safe return."


def open_grant(world: World, persona: str, subject: Any, reason: str = REASON) -> BreakGlassGrant:
    return do_break_glass(subject, reason, actor=world.user(persona))


def expire(grant: BreakGlassGrant) -> BreakGlassGrant:
    """Move a grant's end into the past, as the clock would."""
    BreakGlassGrant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    grant.refresh_from_db()
    return grant


def extend(world: World, cases: Any) -> None:
    """Add a ``grants`` collection (by relation) to ``cases``."""
    cases.grants = {}
    for relation, subject in cases.subjects.items():
        cases.grants[relation] = expire(open_grant(world, OTHER_MASH[subject.home_borough.name], subject))
