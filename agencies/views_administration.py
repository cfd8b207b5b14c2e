"""Requests a second administrator approves (four eyes): role grants and two-factor resets.

Administrators ask for them in Django admin (memberships, users); this page lists the open ones, and
another administrator approves or refuses each, after a fresh second factor. Everyone else gets 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from agencies import capabilities, services
from agencies.choices import RequestStatus
from agencies.models import ApprovalRequest, RoleGrantRequest, TwoFactorResetRequest
from agencies.two_factor import step_up_redirect

RECENT = 20


def _administrators_only(request: HttpRequest) -> None:
    if not capabilities.can_manage_accounts(request.user):
        raise Http404


def _rows(requests: list[ApprovalRequest], request: HttpRequest, now: Any) -> list[dict[str, Any]]:
    return [{"request": item, "open": item.is_open(now),
             "may_decide": capabilities.can_decide_request(request.user, item),
             "own": item.requested_by_id == request.user.pk} for item in requests]


@require_GET
def approval_list(request: HttpRequest) -> HttpResponse:
    """Open requests, with approve and refuse buttons for those this administrator may decide."""
    _administrators_only(request)
    now = timezone.now()
    grants = RoleGrantRequest.objects.select_related("user", "requested_by", "decided_by", "role", "agency")
    resets = TwoFactorResetRequest.objects.select_related("user", "requested_by", "decided_by")
    open_filter = {"status": RequestStatus.PENDING, "expires_at__gt": now}
    return render(request, "agencies/administration/approvals.html", {
        "grants": _rows(list(grants.filter(**open_filter).order_by("requested_at")), request, now),
        "resets": _rows(list(resets.filter(**open_filter).order_by("requested_at")), request, now),
        "recent_grants": list(grants.exclude(**open_filter).order_by("-requested_at")[:RECENT]),
        "recent_resets": list(resets.exclude(**open_filter).order_by("-requested_at")[:RECENT]),
    })


def _find(reference: Any) -> ApprovalRequest:
    grant = RoleGrantRequest.objects.select_related("user", "role").filter(reference=reference).first()
    if grant is not None:
        return grant
    reset = TwoFactorResetRequest.objects.select_related("user").filter(reference=reference).first()
    if reset is None:
        raise Http404
    return reset


def _decide(request: HttpRequest, reference: Any, approve: bool) -> HttpResponse:
    _administrators_only(request)
    item = _find(reference)
    stale = step_up_redirect(request, next_url=reverse("approval-list"))
    if stale is not None:
        return stale
    grant = isinstance(item, RoleGrantRequest)
    action: Callable[..., Any]
    if grant:
        action = services.do_approve_role_grant if approve else services.do_refuse_role_grant
    else:
        action = services.do_approve_two_factor_reset if approve else services.do_refuse_two_factor_reset
    try:
        decided = action(item, actor=request.user)  # type: ignore[arg-type]
    except PermissionDenied:
        raise
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("approval-list")
    who = item.user.get_username()
    what = f"the {item.role.label} role for {who}" if grant else f"the two-factor reset for {who}"  # type: ignore[attr-defined]
    if decided.status == RequestStatus.EXPIRED:
        messages.error(request, f"The request for {what} had expired, so nothing was changed. Ask again if it is "
                                "still needed.")
    elif decided.status == RequestStatus.APPROVED:
        done = "They have the role now." if grant else (
            "Their authenticator and recovery codes are removed and their sessions ended; they set up a new "
            "authenticator when they next sign in.")
        messages.success(request, f"You approved {what}. {done}")
    else:
        messages.success(request, f"You refused {what}. Nothing was changed on the account.")
    return redirect("approval-list")


@require_POST
def approve(request: HttpRequest, reference: Any) -> HttpResponse:
    """A second administrator approves a request (never the one who asked)."""
    return _decide(request, reference, approve=True)


@require_POST
def refuse(request: HttpRequest, reference: Any) -> HttpResponse:
    """A second administrator refuses a request (never the one who asked)."""
    return _decide(request, reference, approve=False)
