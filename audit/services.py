"""Business actions of the audit app: verifying the trail and exporting its anchors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Max
from django.utils import timezone

from audit import chain
from audit.api import audit_service, record
from audit.choices import Action, Outcome
from audit.models import ChainCheckpoint, VerificationRun


def anchor_key() -> bytes:
    """The HMAC key that signs and checks anchors (settings refuse a missing key in production)."""
    return settings.AUDIT_ANCHOR_KEY.encode("utf-8")


@audit_service
def do_verify_trail(
    *, run_by: str, actor: AbstractBaseUser | None = None, anchor: Mapping[str, Any] | None = None,
    full: bool = False,
) -> tuple[chain.Report, VerificationRun]:
    """Walk every chain (and compare with ``anchor``, already signature-checked), keep the result and
    each intact chain's head as a checkpoint for the chain-status page and the next run, and record the
    run in the trail itself.

    Incremental unless ``full``: each chain is walked from its newest checkpoint (whose event must still
    hold the same hash), so a rewrite of events before a checkpoint is found only by a full run or
    against an anchor. A chain without a checkpoint is walked from its first event. A full run also
    requires every checkpointed event to be unchanged. The checkpoints live in the database, so someone
    who can rewrite the trail can rewrite them too: anchors kept outside are what catch that.

    The verification is read-only and the run row is written after it, so a run can never disturb what
    it checks; the audit event for it is appended to the system chain after the walk.
    """
    started = timezone.now()
    report = chain.verify_all(anchor, checkpoints=latest_checkpoints(), full=full)
    run = VerificationRun.objects.create(
        started_at=started,
        finished_at=timezone.now(),
        run_by=run_by[:150],
        intact=report.intact,
        events_checked=report.events_checked,
        chains_checked=len(report.chains),
        problem="\n".join(str(problem) for problem in report.problems),
        anchor_used=anchor is not None,
        full=report.full,
    )
    ChainCheckpoint.objects.bulk_create([
        ChainCheckpoint(run=run, chain=head.chain, sequence=head.sequence, hash=head.hash, event_id=head.event_id)
        for head in report.heads.values()
    ])
    record(
        Action.VERIFY, actor=actor, object_type="verification", reference=str(run.pk),
        outcome=Outcome.ALLOWED,
        detail={"intact": report.intact, "events": report.events_checked, "anchor": anchor is not None,
                "full": report.full},
    )
    return report, run


def latest_checkpoints() -> dict[str, chain.Checkpoint]:
    """Each chain's newest checkpoint (one query): where the next incremental verification starts."""
    newest = ChainCheckpoint.objects.values("chain").annotate(last=Max("id")).values("last")
    return {
        row.chain: chain.Checkpoint(row.chain, row.sequence, row.hash, row.event_id)
        for row in ChainCheckpoint.objects.filter(id__in=newest)
    }
