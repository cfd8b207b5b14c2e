"""Print the head of every audit chain as HMAC-signed JSON, to be kept outside the database."""

from __future__ import annotations

import json
from typing import Any

from django.utils import timezone

from audit.chain import make_anchor
from audit.services import anchor_key
from operations.runs import ScheduledCommand


class Command(ScheduledCommand):
    job = "anchor_audit"
    help = (
        "Print the current head (sequence and hash) of every audit chain as JSON signed with "
        "AUDIT_ANCHOR_KEY. Store it somewhere the database's administrators cannot write (WORM storage, "
        "another organisation); verify_audit --anchor FILE then detects a shortened or rewritten chain."
    )

    def run(self, *args: Any, **options: Any) -> dict[str, int] | None:
        anchor = make_anchor(anchor_key(), timezone.now())
        self.stdout.write(json.dumps(anchor, indent=2, sort_keys=True))
        return {"chains": len(anchor.get("chains", {}))}
