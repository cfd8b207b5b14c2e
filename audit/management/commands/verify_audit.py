"""Walk every audit chain; exit 0 when intact, non-zero naming the first bad event of each broken chain."""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.archive import verify_archive
from audit.chain import AnchorError, check_anchor
from audit.services import anchor_key, do_verify_trail


class Command(BaseCommand):
    help = (
        "Verify the hash chains of the access trail, from each chain's last verified checkpoint (--full: "
        "from the first event). With --anchor FILE (from anchor_audit), also detect "
        "events removed from the end of a chain since that anchor. Exits 1 when anything is wrong."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--anchor", type=Path, help="A signed anchor file written by anchor_audit.")
        parser.add_argument("--archive", type=Path,
                            help="Check an archived month instead: its signed manifest (.manifest.json).")
        parser.add_argument(
            "--full", action="store_true",
            help="Walk every chain from its first event. Without it each chain is walked from the head the "
                 "last run verified (its checkpoint), which must still hold the same hash.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["archive"] is not None:
            checked, problems = verify_archive(options["archive"], anchor_key())
            if problems:
                for line in problems:
                    self.stderr.write(f"BROKEN {line}")
                raise CommandError(f"The archived month does not verify. First problem: {problems[0]}")
            self.stdout.write(f"Intact: {checked} archived events match the signed manifest.")
            return
        anchor = None
        if options["anchor"] is not None:
            try:
                document = json.loads(options["anchor"].read_text(encoding="utf-8"))
                anchor = check_anchor(document, anchor_key())
            except (OSError, ValueError) as exc:
                # AnchorError is a ValueError; a forged or unreadable anchor is itself a failure.
                message = str(exc) if isinstance(exc, AnchorError) else f"Cannot read the anchor: {exc}"
                raise CommandError(message) from exc
        try:
            who = getpass.getuser()
        except (KeyError, OSError):
            who = "unknown"
        report, run = do_verify_trail(run_by=f"verify_audit command ({who})", anchor=anchor,
                                      full=options["full"])
        if report.intact:
            self.stdout.write(
                f"Intact: {report.events_checked} events in {len(report.chains)} chains"
                + ("" if report.full else " checked since the last checkpoints")
                + (" match the anchor." if anchor else ".")
            )
            return
        for problem in report.problems:
            self.stderr.write(f"BROKEN {problem}")
        raise CommandError(f"The access trail has been altered. First problem: {report.problems[0]}")
