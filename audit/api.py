"""The one way to write to the access trail.

* ``record(...)`` is called by services inside their transaction (or by anything else; it opens its own
  transaction when there is none). It never takes personal data: references and ids only, and a small
  ``detail`` dict of short scalar values, validated here.
* ``audited_view(...)`` (function views) and ``AuditedViewMixin`` (class-based views) record exactly one
  event per request after the view has run.

Semantics of the view wrappers:

* 2xx and 3xx responses: outcome ``allowed``.
* ``Http404`` raised by the view (a restricted or missing object; the two must look the same): outcome
  ``denied`` with the *same* action (so "view denied" reads as such in the trail and the anomaly rules
  count it) and ``detail["status"] = 404``; then the 404 is re-raised. ``PermissionDenied``: the same
  with status 403. A response with status 4xx: outcome ``denied`` with its status.
* Any other exception: nothing is recorded (the request failed; the server error log has it).
* The reference comes from the URL keyword argument ``reference_kwarg``; the borough from
  ``request.audit_borough`` (a ``Borough``) if the view set it; extra detail from
  ``request.audit_detail``. A view may replace the reference with ``request.audit_reference`` (for
  example "" when the URL named nothing that exists, so that whatever was typed is not kept). Case apps
  should also match references with a strict path converter, so a name typed into a URL never reaches
  a view.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponseBase
from django.utils import timezone
from django.views import View

from audit import chain
from audit.choices import SYSTEM_CHAIN, Action, ObjectType, Outcome
from audit.context import get_current_request
from audit.models import AccessEvent

REFERENCE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$")
DETAIL_KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
DETAIL_MAX_KEYS = 12
DETAIL_MAX_TEXT = 100

# Actions that change something. Each is written by a service (``audit_service``), which the event names
# in ``detail["service"]`` (DESIGN.md §5.3): one event per change, and the trail says which rule made it.
CHANGE_ACTIONS = frozenset({
    Action.CREATE, Action.UPDATE, Action.DECIDE, Action.SHARE, Action.REVOKE, Action.MERGE, Action.ERASE,
    Action.BREAK_GLASS, Action.VERIFY,
})

_P = ParamSpec("_P")
_R = TypeVar("_R")
_current_service: ContextVar[str] = ContextVar("audit_service", default="")


def audit_service(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """Mark a business action (``do_<verb>_<noun>``): the events it records name it. A service called by
    another names its own events; the caller's name comes back when it returns."""
    name = func.__name__

    @wraps(func)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        token = _current_service.set(name)
        try:
            return func(*args, **kwargs)
        finally:
            _current_service.reset(token)

    wrapper.audit_service = name  # type: ignore[attr-defined]  # a marker read by the convention test
    return wrapper


def current_service() -> str:
    """The service running now, or "" outside any."""
    return _current_service.get()


def _check_detail(detail: Mapping[str, Any] | None) -> dict[str, Any]:
    # Short scalars only: a free-text value is where a name or a narrative would slip in.
    if not detail:
        return {}
    if len(detail) > DETAIL_MAX_KEYS:
        raise ValidationError(f"Audit detail has more than {DETAIL_MAX_KEYS} entries.")
    clean: dict[str, Any] = {}
    for key, value in detail.items():
        if not isinstance(key, str) or not DETAIL_KEY_PATTERN.match(key):
            raise ValidationError("Audit detail keys are short lower-case identifiers.")
        scalar = isinstance(value, bool) or value is None or (isinstance(value, int) and abs(value) < 2**53)
        if scalar or (isinstance(value, str) and len(value) <= DETAIL_MAX_TEXT):
            clean[key] = value
        else:
            raise ValidationError(
                f"Audit detail {key!r} must be a whole number, yes/no or text of at most {DETAIL_MAX_TEXT} "
                "characters."
            )
    return clean


def _actor_context(
    actor: AbstractBaseUser | None, request: HttpRequest | None
) -> tuple[int | None, str, int | None, str]:
    """(user id, username, agency id, sorted role codes) of the actor at this moment."""
    if actor is None or isinstance(actor, AnonymousUser) or not getattr(actor, "pk", None):
        return None, "", None, ""
    membership = None
    if request is not None and getattr(request, "user", None) is not None and request.user.pk == actor.pk:
        membership = getattr(request, "membership", None)
    if membership is None:
        # The reverse one-to-one from the user (loaded once and cached on the actor): the trail sits
        # below the agencies app and names no model of it (DESIGN.md §4.1).
        try:
            membership = actor.membership  # type: ignore[attr-defined]  # reverse relation of a higher app
        except ObjectDoesNotExist:
            membership = None
    if membership is None:
        return actor.pk, actor.get_username(), None, ""
    return actor.pk, actor.get_username(), membership.agency_id, ",".join(sorted(membership.role_codes))


_batch = threading.local()


@contextmanager
def batched() -> Iterator[None]:
    """Append the events recorded inside the block together when it ends without an error: one lock, one
    read of the chain head and one INSERT per chain instead of three statements per event. Use it inside
    the service's transaction, around work that records more than one event (a concern and the
    assessment it causes). Events recorded in the block are not in the table until it ends; an error
    discards them with the transaction. Nested blocks join the outer one."""
    if getattr(_batch, "events", None) is not None:
        yield
        return
    _batch.events = []
    try:
        yield
        events, _batch.events = _batch.events, None
        if events:
            chain.append_many(events)
    finally:
        _batch.events = None


def record(
    action: str,
    *,
    actor: AbstractBaseUser | None,
    object_type: str = "",
    reference: str = "",
    borough: Any = None,
    outcome: str = Outcome.ALLOWED,
    purpose: str = "",
    detail: Mapping[str, Any] | None = None,
) -> AccessEvent:
    """Append one event to the trail and return it.

    ``borough`` is an ``agencies.models.Borough`` (its ONS code names the chain) or None (the
    ``system`` chain). Request id, client address and the actor's agency and roles come from the
    current request when there is one, otherwise from the actor's membership. Raises
    ``ValidationError`` for unknown actions or outcomes, and for references, object types or detail
    that could carry personal data.
    """
    if action not in Action.values:
        raise ValidationError(f"Unknown audit action {action!r}.")
    if outcome not in Outcome.values:
        raise ValidationError(f"Unknown audit outcome {outcome!r}.")
    reference = str(reference)
    if reference and not REFERENCE_PATTERN.match(reference):
        raise ValidationError("Audit references are reference numbers or UUIDs, never names.")
    if object_type and object_type not in ObjectType.values:
        raise ValidationError(f"Unknown audit object type {object_type!r}: add it to audit.choices.ObjectType.")
    if len(purpose) > 200:
        raise ValidationError("Audit purpose is at most 200 characters.")
    detail = _check_detail(detail)
    service = _current_service.get()
    if service:
        if detail.get("service", service) != service:
            raise ValidationError(f"Audit detail names service {detail['service']!r} inside {service!r}.")
        detail["service"] = service
    elif action in CHANGE_ACTIONS and outcome == Outcome.ALLOWED:
        raise ValidationError(f"A {action!r} event is recorded by a service marked with audit_service.")
    request = get_current_request()
    if service and request is not None:
        # Read by ``run_audited``: this request's change was recorded by the service that made it.
        request.audit_changes = getattr(request, "audit_changes", 0) + 1  # type: ignore[attr-defined]
    actor_id, username, agency_id, roles = _actor_context(actor, request)
    borough_code = borough.ons_code if borough is not None else ""
    event = AccessEvent(
        occurred_at=timezone.now(),
        actor_id=actor_id,
        actor_username=username,
        actor_agency_id=agency_id,
        actor_roles=roles,
        action=action,
        object_type=object_type,
        reference=reference,
        borough_code=borough_code,
        outcome=outcome,
        purpose=purpose,
        detail=detail,
        request_id=getattr(request, "request_id", "") if request is not None else "",
        client_address=getattr(request, "client_address", "") if request is not None else "",
        chain=borough_code or SYSTEM_CHAIN,
    )
    pending = getattr(_batch, "events", None)
    if pending is not None:
        pending.append(event)
        return event
    return chain.append(event)


def _request_actor(request: HttpRequest) -> AbstractBaseUser | None:
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def _record_for_request(
    request: HttpRequest, action: str, object_type: str, reference: str, outcome: str, status: int
) -> None:
    detail = dict(getattr(request, "audit_detail", None) or {})
    reference = getattr(request, "audit_reference", reference)
    if outcome == Outcome.DENIED:
        detail["status"] = status
    if getattr(request, "break_glass", None) is not None:
        # Read under emergency access (dataprotection.middleware): the auditors' reviews look for this.
        detail["break_glass"] = True
    record(
        action,
        actor=_request_actor(request),
        object_type=object_type,
        reference=reference if REFERENCE_PATTERN.match(reference or "-") else "",
        borough=getattr(request, "audit_borough", None),
        outcome=outcome,
        detail=detail,
    )


def run_audited(
    request: HttpRequest,
    call: Callable[[], HttpResponseBase],
    *,
    action: str,
    object_type: str,
    reference: str,
) -> HttpResponseBase:
    """Run ``call`` (the view) and record one event for it; shared by the decorator and the mixin."""
    try:
        response = call()
    except Http404:
        _record_for_request(request, action, object_type, reference, Outcome.DENIED, 404)
        raise
    except PermissionDenied:
        _record_for_request(request, action, object_type, reference, Outcome.DENIED, 403)
        raise
    status = response.status_code
    outcome = Outcome.ALLOWED if status < 400 else Outcome.DENIED
    if outcome == Outcome.ALLOWED and action in CHANGE_ACTIONS:
        if getattr(request, "audit_changes", 0):
            return response  # the service that made the change recorded it: one event per change
        # Nothing changed (the service refused: a form sent back, or a redirect with a message): the
        # attempt is recorded as refused, so the auditors still see it.
        request.audit_detail = {  # type: ignore[attr-defined]  # the wrappers' own request attribute
            **(getattr(request, "audit_detail", None) or {}), "unchanged": True}
        outcome = Outcome.DENIED
    _record_for_request(request, action, object_type, reference, outcome, status)
    return response


def audited_view(
    action: str, *, object_type: str, reference_kwarg: str | None = None
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Decorate a function view so that every request to it is recorded (see the module docstring).

    Put it outermost (above access checks) so that refusals are recorded too.
    """
    if action not in Action.values:
        raise ValueError(f"Unknown audit action {action!r}.")

    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            reference = str(kwargs.get(reference_kwarg, "")) if reference_kwarg else ""
            return run_audited(
                request, lambda: view(request, *args, **kwargs),
                action=action, object_type=object_type, reference=reference,
            )

        wrapper.audited = True  # type: ignore[attr-defined]  # a marker on the function, read by is_audited
        return wrapper

    return decorator


def audit_exempt(reason: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a view in an audited app as showing no case data, with the reason (checked by a test)."""
    if not reason.strip():
        raise ValueError("Say why the view needs no audit event.")

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        view.audit_exempt = reason  # type: ignore[attr-defined]  # a marker on the function, read by is_audited
        return view

    return decorator


if TYPE_CHECKING:
    _MixinBase = View  # the mixin is always combined with a View, whose dispatch it wraps
else:
    _MixinBase = object


class AuditedViewMixin(_MixinBase):
    """Class-based equivalent of ``audited_view``: set ``audit_action``, ``audit_object_type`` and
    optionally ``audit_reference_kwarg``; put it first among the bases so refusals are recorded too."""

    audit_action: str = ""
    audit_object_type: str = ""
    audit_reference_kwarg: str | None = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        reference = str(kwargs.get(self.audit_reference_kwarg, "")) if self.audit_reference_kwarg else ""
        return run_audited(
            request, lambda: super(AuditedViewMixin, self).dispatch(request, *args, **kwargs),
            action=self.audit_action, object_type=self.audit_object_type, reference=reference,
        )


def is_audited(callback: Callable[..., Any]) -> bool:
    """Whether a URL callback records an event (decorated, or a class-based view with the mixin)."""
    if getattr(callback, "audited", False) or getattr(callback, "audit_exempt", None):
        return True
    view_class = getattr(callback, "view_class", None)
    return view_class is not None and (
        issubclass(view_class, AuditedViewMixin) or bool(getattr(view_class, "audit_exempt", None))
    )
