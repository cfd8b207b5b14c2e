"""``python manage.py export_erasures [--output FILE]``: write the erasure ledger as JSON."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from encryption.ledger import export_ledger


class Command(BaseCommand):
    help = (
        "Write the erasure ledger (data key ids, dates and reason codes of every crypto-shredding; no "
        "personal data) as JSON with a SHA-256 head. Run it after anchor_audit and keep it beside the "
        "audit anchors, outside both databases; reapply_erasures --ledger FILE uses it after restoring "
        "the key store, and ERASURE_LEDGER_FILE names the newest copy for the start-up check."
    )
    # The remedy (and the ledger it reads) must run while the start-up checks refuse: they are what those
    # checks ask for (encryption.E010, dataprotection.E001).
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", help="write to this file (atomically) instead of standard output")

    def handle(self, *args: Any, **options: Any) -> None:
        text = json.dumps(export_ledger(), indent=2, sort_keys=True) + "\n"
        output = options.get("output")
        if not output:
            self.stdout.write(text, ending="")
            return
        path = Path(output)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
        self.stdout.write(f"Wrote the erasure ledger to {path}.")
