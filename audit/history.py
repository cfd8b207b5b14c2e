"""The second layer of history (DESIGN.md §5.5): django-simple-history keeps row state.

Services name who made a change explicitly instead of relying on a thread-local request, so management
commands, scheduled jobs and services called from anywhere record the right person (or ``None`` for the
system).
"""

from __future__ import annotations

from typing import Any


def set_history_user(instance: Any, actor: Any) -> None:
    """Make ``actor`` the author of the history row the next ``save()``/``delete()`` of ``instance`` writes."""
    instance._history_user = actor
