"""Print the data inventory (record of processing), generated from the models: Markdown or JSON.

``python manage.py data_inventory > docs/data-inventory.md`` refreshes the committed copy.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dataprotection import inventory


class Command(BaseCommand):
    help = "Print the data inventory (every model holding personal data, field by field) as Markdown or JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["markdown", "json"], default="markdown")

    def handle(self, *args: Any, format: str, **options: Any) -> None:  # noqa: A002 (the option's name)
        # An incomplete inventory is refused rather than printed: a document that silently leaves out a
        # new model or field is the drift this command exists to prevent.
        problems = inventory.gaps()
        if any(vars(problems).values()):
            raise CommandError(f"The inventory's declared tables do not match the models: {vars(problems)}")
        data = inventory.build()
        if format == "json":
            self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False))
        else:
            self.stdout.write(inventory.render_markdown(data), ending="")
