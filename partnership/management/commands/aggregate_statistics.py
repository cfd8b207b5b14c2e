"""Compute the partnership statistics into the summary tables (run nightly, like ``rescore``)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import CommandError

from operations.runs import ScheduledCommand
from partnership.services import do_aggregate_statistics


class Command(ScheduledCommand):
    job = "aggregate_statistics"
    help = ("Compute every partnership measure for the last five quarters, under disclosure control, into "
            "the summary tables the statistics pages read. Safe to run again: each run replaces the last.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--threshold", type=int, default=None,
                            help="Suppress counts from 1 to one less than this (default: the setting, 10).")

    def run(self, *args: Any, **options: Any) -> dict[str, int] | None:
        if options["threshold"] is not None and options["threshold"] < 2:
            raise CommandError("The threshold must be at least 2.")
        started = time.monotonic()
        run = do_aggregate_statistics(threshold=options["threshold"])
        self.stdout.write(
            f"Published {run.cells} cells ({run.suppressed} suppressed) from {run.first_period} to {run.last_day} "
            f"in {time.monotonic() - started:.2f}s.")
        return {"cells": run.cells, "suppressed": run.suppressed}
