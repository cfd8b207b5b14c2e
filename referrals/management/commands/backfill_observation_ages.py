"""Give concerns recorded before ages were stored her age on the day the signs were seen (run once after
upgrading to scoring model v3, then ``rescore``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from referrals.intake import do_backfill_observation_ages


class Command(BaseCommand):
    help = ("Work out her age on the day of each concern recorded without one (from the date of birth or "
            "age entered, else her record's), and make those young people due for the next rescore. Safe "
            "to run again.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        filled = do_backfill_observation_ages(batch_size=options["batch_size"])
        self.stdout.write(f"Gave {filled} concerns her age on the day; run `rescore` next.")
