"""Create the access trail's partitions for this month and the next, and archive the months past the
trail's retention (PostgreSQL; SQLite has one table)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser
from django.db import connection, transaction
from django.utils import timezone

from audit import partitions
from audit.services import do_archive_trail
from operations.runs import ScheduledCommand


class Command(ScheduledCommand):
    job = "create_audit_partitions"
    help = (
        "Create the monthly partitions of the access trail for this month and the next, each with the "
        "append-only triggers and the trail's grants, so appends never wait for one; then, when "
        "AUDIT_TRAIL_RETENTION_MONTHS is set, export each older month as a signed file to AUDIT_ARCHIVE_DIR "
        "and detach it. Nothing on SQLite."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--months-ahead", type=int, default=1, choices=range(1, 13), metavar="1-12",
                            help="How many months after this one to create (default 1: next month).")

    def run(self, *args: Any, **options: Any) -> dict[str, int]:
        if connection.vendor != "postgresql":
            self.stdout.write("SQLite keeps the trail in one table: no partitions to create.")
            return {"created": 0}
        today = timezone.now().date()
        last = today
        for _ in range(options["months_ahead"]):
            last = partitions.next_month(last.replace(day=1))
        with transaction.atomic(), connection.cursor() as cursor:
            if not partitions.is_partitioned(cursor):
                self.stderr.write("The trail is not partitioned: run migrate.")
                return {"created": 0}
            created = partitions.ensure_months(cursor, today, last)
            with_rows = partitions.default_rows(cursor)
        for name in created:
            self.stdout.write(f"Created {name}.")
        self.stdout.write(f"Partitions exist to the end of {last:%B %Y}.")
        if with_rows:
            self.stderr.write(f"{with_rows} events are in the default partition (outside every month).")
        archived = do_archive_trail(now=timezone.now())
        for row in archived:
            self.stdout.write(f"Archived {row.name}: {row.events} events, {row.file_name}.")
        return {"created": len(created), "default_partition_rows": with_rows, "archived": len(archived)}
