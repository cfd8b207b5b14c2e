"""Assertions about the access trail, for every app's tests.

``assert_audit`` looks only at events written since the last checkpoint: the start of the test, the end
of the ``world`` fixture, or the previous ``assert_audit`` call (which moves the checkpoint on), so each
call checks exactly what the code under test has just written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.contrib.auth.models import AbstractBaseUser

from audit.api import audit_service
from audit.models import AccessEvent

_T = TypeVar("_T")

_checkpoint: dict[str, int] = {"id": 0}


def audit_checkpoint() -> int:
    """Forget every event written so far; later assertions see only newer ones."""
    _checkpoint["id"] = AccessEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    return _checkpoint["id"]


def new_audit_events() -> list[AccessEvent]:
    """The events written since the last checkpoint, oldest first."""
    return list(AccessEvent.objects.filter(id__gt=_checkpoint["id"]).order_by("id"))


def assert_audit(
    action: str,
    *,
    actor: AbstractBaseUser | None = None,
    object_type: str | None = None,
    reference: str | int | None = None,
    outcome: str = "allowed",
    service: str | None = None,
    only: bool = False,
) -> AccessEvent:
    """Assert that exactly one new event matches (``None`` filters match anything); return it.

    ``service`` is the business action the event must name (``detail["service"]``); ``only=True`` also
    asserts that nothing else was written (one event per change, DESIGN.md §5.3). The checkpoint then
    moves past every event seen, so the next call checks only later writes.
    """
    events = new_audit_events()
    matching = [
        event for event in events
        if event.action == action
        and event.outcome == outcome
        and (actor is None or event.actor_id == actor.pk)
        and (object_type is None or event.object_type == object_type)
        and (reference is None or event.reference == str(reference))
        and (service is None or event.detail.get("service") == service)
    ]
    summary = [(e.action, e.outcome, e.actor_username, e.object_type, e.reference, e.detail.get("service"))
               for e in events]
    assert len(matching) == 1, (
        f"expected exactly one new {action}/{outcome} event for {object_type}:{reference}"
        f"{f' by {service}' if service else ''}, found {len(matching)} among {summary}"
    )
    if only:
        assert len(events) == 1, f"expected only that event, found {summary}"
    audit_checkpoint()
    return matching[0]


def as_service(name: str, call: Callable[[], _T]) -> _T:
    """Run ``call`` as the service ``name``: how a test writes a change event without a real service."""
    def run() -> _T:
        return call()

    run.__name__ = name
    return audit_service(run)()
