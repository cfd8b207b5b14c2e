"""Every notification of case work goes through ``notify``: a reference and a link, never a
name, a narrative or a reason, into the recipient's inbox and by email (``notifications.services.notify``).

Kinds: ``action_assigned``, ``action_overdue``, ``meeting_agenda_out``, ``strategy_discussion_recorded``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from notifications import services as notifications
from notifications.choices import Kind

# The kinds case work raises; their wording lives with every other kind's (notifications.choices.EMAILS).
KINDS = frozenset({Kind.ACTION_ASSIGNED, Kind.ACTION_OVERDUE, Kind.MEETING_AGENDA_OUT,
                   Kind.STRATEGY_DISCUSSION_RECORDED})


def notify(recipients: Iterable[Any], *, kind: str, reference: str, url: str, urgent: bool = False) -> None:
    """Tell ``recipients`` (users) that something about ``reference`` needs them, with a link to ``url`` (a
    path): an inbox row each and an email queued in the caller's transaction (``notifications.services``),
    with no personal details."""
    if kind not in KINDS:
        raise ValueError(f"Unknown notification kind {kind!r}.")
    notifications.notify(recipients, kind=kind, reference=reference, url=url, urgent=urgent)
