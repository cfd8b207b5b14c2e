"""Every notification of case work goes through ``notify`` (issue 19): a reference and a link, never a
name, a narrative or a reason, into the recipient's inbox and by email (``notifications.services.notify``).

Kinds: ``action_assigned``, ``action_overdue``, ``meeting_agenda_out``, ``strategy_discussion_recorded``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from notifications import services as notifications

KINDS = {
    "action_assigned": "Action {reference} has been assigned to you",
    "action_overdue": "Action {reference} is overdue",
    "meeting_agenda_out": "MACE meeting {reference}: the agenda is out",
    "strategy_discussion_recorded": "Strategy discussion {reference} has been recorded",
}


def notify(recipients: Iterable[Any], *, kind: str, reference: str, url: str, urgent: bool = False) -> None:
    """Tell ``recipients`` (users) that something about ``reference`` needs them, with a link to ``url`` (a
    path): an inbox row each and an email queued in the caller's transaction (``notifications.services``),
    with no personal details."""
    if kind not in KINDS:
        raise ValueError(f"Unknown notification kind {kind!r}.")
    notifications.notify(recipients, kind=kind, reference=reference, url=url, urgent=urgent)
