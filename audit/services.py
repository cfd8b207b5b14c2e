"""Business actions of the audit app: verifying the trail and exporting its anchors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from audit import chain
from audit.api import audit_service, record
from audit.choices import Action, Outcome
from audit.models import VerificationRun


def anchor_key() -> bytes:
    """The HMAC key that signs and checks anchors (settings refuse a missing key in production)."""
    return settings.AUDIT_ANCHOR_KEY.encode("utf-8")


@audit_service
def do_verify_trail(
    *, run_by: str, actor: AbstractBaseUser | None = None, anchor: Mapping[str, Any] | None = None
) -> tuple[chain.Report, VerificationRun]:
    """Walk every chain (and compare with ``anchor``, already signature-checked), keep the result for
    the chain-status page, and record the run in the trail itself.

    The verification is read-only and the run row is written after it, so a run can never disturb what
    it checks; the audit event for it is appended to the system chain after the walk.
    """
    started = timezone.now()
    report = chain.verify_all(anchor)
    run = VerificationRun.objects.create(
        started_at=started,
        finished_at=timezone.now(),
        run_by=run_by[:150],
        intact=report.intact,
        events_checked=report.events_checked,
        chains_checked=len(report.chains),
        problem="\n".join(str(problem) for problem in report.problems),
        anchor_used=anchor is not None,
    )
    record(
        Action.VERIFY, actor=actor, object_type="verification", reference=str(run.pk),
        outcome=Outcome.ALLOWED,
        detail={"intact": report.intact, "events": report.events_checked, "anchor": anchor is not None},
    )
    return report, run
