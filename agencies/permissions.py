"""Need-to-know access: ``restrict(user, action)`` on every manager of case data (DESIGN.md §5.1).

A model whose rows are case data uses ``RestrictedQuerySet.as_manager()`` and defines a classmethod
``access_rule(membership, action) -> Q``: the structural rule (own concerns, own agency, MASH borough,
explicit shares) for the member's roles. ``restrict`` returns ``filter(pk__in=subquery)`` so that joins
through concerns or grants never duplicate rows and callers can keep chaining.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Self, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import Http404

from audit.context import get_current_request

if TYPE_CHECKING:
    from agencies.models import Membership

NOTHING = models.Q(pk__in=[])

_M = TypeVar("_M", bound=models.Model)


def active_membership(user: Any) -> Membership | None:
    """The user's active membership of an active agency, with roles, or None.

    Uses the membership the request middleware already loaded when there is one, so a page pays for it
    once.
    """
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    from agencies.models import Membership

    cached = user._state.fields_cache.get("membership")
    if cached is not None:
        membership = cached
    else:
        membership = (
            Membership.objects.select_related("agency__borough")
            .prefetch_related("roles")
            .filter(user=user)
            .first()
        )
        if membership is not None:
            user._state.fields_cache["membership"] = membership
    if membership is None or not membership.is_active or not membership.agency.is_active:
        return None
    return membership


class RestrictedQuerySet(models.QuerySet[_M]):
    """A queryset that can be narrowed to what one user may do."""

    def restrict(self, user: Any, action: str = "view") -> Self:
        """Only the rows ``user`` may ``action``; nothing at all for a user without an active membership."""
        membership = active_membership(user)
        if membership is None:
            return self.none()
        rule = self.model.access_rule(membership, action)  # type: ignore[attr-defined]  # case models define it
        if rule is None or rule == NOTHING:
            return self.none()
        allowed = self.model._base_manager.filter(rule).values("pk")
        return self.filter(pk__in=allowed)


def permitted_actions(obj: models.Model, user: Any, actions: Iterable[str]) -> set[str]:
    """Which of ``actions`` ``user`` may take on ``obj`` as stored now: ``restrict`` asked about one row
    for several actions at once, in one query."""
    membership = active_membership(user)
    if membership is None:
        return set()
    model = type(obj)
    # Case models define access_rule (see the module docstring); type[Model] cannot say so.
    rules = {action: model.access_rule(membership, action) for action in actions}  # type: ignore[attr-defined]
    rules = {action: rule for action, rule in rules.items() if rule is not None and rule != NOTHING}
    if not rules:
        return set()
    base = model._base_manager
    checks = {f"may_{i}": Exists(base.filter(rule, pk=OuterRef("pk"))) for i, rule in enumerate(rules.values())}
    row = base.filter(pk=obj.pk).annotate(**checks).values_list(*checks).first()
    return {action for action, allowed in zip(rules, row or (), strict=False) if allowed}


def _restricted(model: type[models.Model], user: Any, action: str) -> RestrictedQuerySet[Any]:
    # A case model's default manager is made from RestrictedQuerySet; type[Model] cannot say so.
    return model._default_manager.restrict(user, action)  # type: ignore[attr-defined]


def get_visible_or_404(
    model: type[models.Model], user: Any, action: str = "view", *, select_related: Sequence[str] = (), **lookup: Any
) -> Any:
    """The one row of ``model`` matching ``lookup`` that ``user`` may ``action``, or Http404.

    Restricts first, then looks up, so a row the user may not see and a row that does not exist answer
    alike (DESIGN.md §5.2). ``select_related`` follows foreign keys in the same query.
    """
    queryset = _restricted(model, user, action)
    if select_related:
        queryset = queryset.select_related(*select_related)
    try:
        return queryset.get(**lookup)
    except ObjectDoesNotExist:  # the model's own DoesNotExist, the only one get() raises
        raise Http404(f"No {model._meta.verbose_name} found.") from None


def restricted_prefetch(
    lookup: str, model: type[models.Model], user: Any, action: str = "view", *,
    select_related: Sequence[str] = (), to_attr: str | None = None,
) -> Prefetch:
    """A ``Prefetch`` of ``lookup`` that loads only the ``model`` rows ``user`` may ``action``: related
    case rows reached through an object the user may see are still case rows, each behind its own rule."""
    queryset = _restricted(model, user, action)
    if select_related:
        queryset = queryset.select_related(*select_related)
    return Prefetch(lookup, queryset=queryset, to_attr=to_attr)


# ---------------------------------------------------------------------------------------------------
# Emergency (break-glass) access: the clause a read-only page opened under a grant adds to the rules
# ---------------------------------------------------------------------------------------------------
# It lives here, below the case models that call it from their ``access_rule``, and reads only the
# request: ``dataprotection.middleware.BreakGlassMiddleware`` (a higher layer) puts an active grant of
# this very user on a read-only page's request. So emergency access never reaches a form, a POST, a
# list, a service run outside a request, or any subject but the one the page is about.
# The read-only case pages: emergency access and a harm borough's time-limited access read only these, and
# only by GET or HEAD (url name -> the prefix of the reference the page names).
READ_ONLY_CASE_PAGES: dict[str, str] = {
    "subject-detail": "S",
    "subject-risk": "S",
    "map-subject": "S",
    "concern-detail": "C",
    "referral-detail": "R",
    "subject-chronology": "S",  # her chronology: her record, read only
}


def reading_case_page() -> bool:
    """Whether the current request reads one of ``READ_ONLY_CASE_PAGES`` (GET or HEAD)."""
    request = get_current_request()
    if request is None or request.method not in ("GET", "HEAD"):
        return False
    match = getattr(request, "resolver_match", None)
    return match is not None and match.url_name in READ_ONLY_CASE_PAGES


def current_grant(membership: Any) -> Any:
    """The active break-glass grant this request reads under, for this member, or None."""
    request = get_current_request()
    grant = getattr(request, "break_glass", None) if request is not None else None
    if grant is None or grant.user_id != membership.user_id or not grant.is_active:
        return None
    return grant


def break_glass_rule(membership: Any, subject_field: str) -> Q:
    """``Q(<subject_field>=<the granted subject>)`` while a grant applies, otherwise nothing."""
    grant = current_grant(membership)
    if grant is None:
        return NOTHING
    return Q(**{subject_field: grant.subject_id})
