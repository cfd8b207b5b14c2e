"""Re-assess every active subject as time passes (run daily, and after activating a new scoring model).

Lives with the referral use cases because a level change can raise an automatic referral
(``referrals.intake.do_rescore``)."""

from __future__ import annotations

import time
from typing import Any

from operations.runs import ScheduledCommand
from referrals.intake import do_rescore
from risk.services.assessment import BATCH_SIZE


class Command(ScheduledCommand):
    job = "rescore"
    help = ("Re-assess every active subject under the active scoring model, set-based, appending to the "
            "timeline only where something changed. Safe to run again: a second run writes nothing.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)

    def run(self, *args: Any, **options: Any) -> dict[str, int] | None:
        started = time.monotonic()
        report = do_rescore(batch_size=options["batch_size"])
        self.stdout.write(
            f"Re-assessed {report.subjects} subjects in {time.monotonic() - started:.2f}s: "
            f"{report.appended} new assessments, {report.level_changes} level changes."
        )
        return {"subjects": report.subjects, "assessments": report.appended, "level_changes": report.level_changes}
