"""Mark open actions past their due date overdue, and tell each owner (urgent) and the MASH leads of the
action's borough (``casework.services.do_mark_overdue_actions``): a reference and a link only.

Run from cron (for example every morning). An action is marked and notified once; it stays on the MASH's
actions page and on the next MACE agenda until it is done or cancelled.
"""

from __future__ import annotations

from typing import Any

from casework import services
from operations.runs import ScheduledCommand


class Command(ScheduledCommand):
    job = "alert_overdue_actions"
    help = "Mark actions past their due date overdue and notify their owners and the MASH."

    def run(self, *args: Any, **options: Any) -> dict[str, int] | None:
        marked = services.do_mark_overdue_actions()
        self.stdout.write(f"{len(marked)} action(s) marked overdue.")
        return {"marked": len(marked)}
