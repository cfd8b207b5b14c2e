"""Business actions of the audit app: verifying the trail and exporting its anchors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from audit import archive, chain, partitions
from audit.api import audit_service, record
from audit.choices import Action, Outcome
from audit.models import ArchivedPartition, ChainCheckpoint, VerificationRun


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
    report = chain.verify_all(anchor, checkpoints=latest_checkpoints(), full=full, floors=archived_heads())
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


def archived_heads() -> dict[str, chain.Checkpoint]:
    """Each chain's last event in an archived (detached) month: where what remains of it starts."""
    floors: dict[str, chain.Checkpoint] = {}
    for heads in ArchivedPartition.objects.values_list("heads", flat=True):
        for name, head in heads.items():
            if name not in floors or int(head["last_sequence"]) > floors[name].sequence:
                floors[name] = chain.Checkpoint(name, int(head["last_sequence"]), str(head["last_hash"]), 0)
    return floors


@audit_service
def do_archive_trail(*, now: datetime, actor: AbstractBaseUser | None = None) -> list[ArchivedPartition]:
    """Retention of the trail (PostgreSQL): every monthly partition wholly older than
    ``AUDIT_TRAIL_RETENTION_MONTHS`` is exported as a signed file, the file checked, and the partition
    detached and dropped, in that order, one month per transaction. Nothing when the setting is 0.

    Each chain's last archived event is kept (``ArchivedPartition.heads``) so verification of what
    remains starts from it; the signed file is the proof of what was there.
    """
    months = settings.AUDIT_TRAIL_RETENTION_MONTHS
    if connection.vendor != "postgresql" or months <= 0:
        return []
    cutoff = now.astimezone(dt.UTC).date().replace(day=1)
    for _ in range(months):
        cutoff = (cutoff - dt.timedelta(days=1)).replace(day=1)
    directory = Path(settings.AUDIT_ARCHIVE_DIR)
    archived = []
    with connection.cursor() as cursor:
        names = [name for name, _bound in partitions.partitions(cursor)]
    for name in names:
        month = archive.partition_month(name)
        if month is None or dt.date(month[0], month[1], 1) >= cutoff:
            continue
        with transaction.atomic(), connection.cursor() as cursor:
            manifest = archive.export_partition(cursor, name, directory, anchor_key(), now)
            checked, problems = archive.verify_archive(directory / f"{name}.manifest.json", anchor_key())
            if problems or checked != manifest["events"]:
                raise RuntimeError(f"The archive of {name} did not verify ({problems[:1]}); the partition is kept.")
            cursor.execute(f"ALTER TABLE {partitions.TABLE} DETACH PARTITION {partitions._quote(cursor, name)}")
            cursor.execute(f"DROP TABLE {partitions._quote(cursor, name)}")
            row = ArchivedPartition.objects.create(
                name=name, range_start=manifest["range_start"], range_end=manifest["range_end"],
                events=manifest["events"], file_name=f"{name}.manifest.json", file_sha256=manifest["sha256"],
                heads=manifest["chains"], archived_at=now,
            )
            record(Action.ERASE, actor=actor, object_type="audit_chain", reference=str(row.pk),
                   outcome=Outcome.ALLOWED, detail={"events": row.events, "months": months})
        archived.append(row)
    return archived
