"""Referral pages: refer to the MASH, the MASH inbox and the receiving agency's list, the
referral page with its timeline and actions, the decision form, and "My referrals". Thin views: parse,
restrict, call one service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from agencies.choices import RoleCode
from audit.api import audited_view
from audit.choices import Action
from referrals import routing
from referrals.choices import ReferralDecision, ReferralState
from referrals.models import Referral, ReferralTransition, Subject
from referrals.referral_forms import DecisionForm, ReferralActionForm, ReferralForm

PAGE_SIZE = 50
WAITING = [ReferralState.SUBMITTED, ReferralState.SCREENING]


def _roles(request: HttpRequest) -> frozenset[str]:
    return request.membership.role_codes  # type: ignore[attr-defined]


def _referrals(request: HttpRequest, action: str = "view"):
    return Referral.objects.restrict(request.user, action).select_related(
        "subject", "from_agency", "to_agency", "receiving_agency", "borough")


def _errors_of(error: ValidationError) -> list[str]:
    return list(error.messages)


@require_http_methods(["GET", "POST"])
@audited_view(Action.VIEW, object_type="subject", reference_kwarg="reference")
def referral_create(request: HttpRequest, reference: str) -> HttpResponse:
    """Refer to MASH, from the subject page (DSLs and MASH leads)."""
    if not {RoleCode.DSL, RoleCode.MASH_LEAD} & _roles(request):
        raise Http404
    subject = get_object_or_404(Subject.objects.restrict(request.user, "view").select_related("home_borough"),
                                reference=reference, status="active")
    request.audit_borough = subject.home_borough  # type: ignore[attr-defined]
    existing = routing.open_referral(subject)
    form = ReferralForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            referral = routing.do_make_referral(
                subject, summary=data["summary"], legal_basis=data["legal_basis"], consent=data["consent"],
                consent_override_reason=data.get("consent_override_reason") or "", actor=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(request, f"Referral {referral.reference} has been sent to the MASH. "
                                      "A decision is due within one working day.")
            return redirect("referral-detail", reference=referral.reference)
    return render(request, "referrals/referral_form.html", {"form": form, "subject": subject,
                                                            "existing": existing})


@require_GET
@audited_view(Action.LIST, object_type="referral")
def referral_list(request: HttpRequest) -> HttpResponse:
    """The MASH inbox (new, overdue, awaiting the receiving agency) or the receiving agency's list."""
    roles = _roles(request)
    now = timezone.now()
    if RoleCode.MASH_LEAD in roles:
        base = _referrals(request, "decide")
        tabs = {
            "new": ("New", base.filter(state__in=WAITING, decision_due_at__gte=now)),
            "overdue": ("Overdue", base.filter(state__in=WAITING, decision_due_at__lt=now)),
            "awaiting": ("Awaiting the receiving service",
                         base.filter(state=ReferralState.DECIDED, decision=ReferralDecision.ROUTED)),
            "declined": ("Declined", base.filter(state=ReferralState.DECLINED)),
        }
        heading = "MASH inbox"
    elif RoleCode.RECEIVING_WORKER in roles:
        base = _referrals(request, "respond")
        tabs = {
            "to-respond": ("To accept or decline", base.filter(state=ReferralState.DECIDED)),
            "accepted": ("Accepted", base.filter(state=ReferralState.ACCEPTED)),
        }
        heading = "Referrals to your service"
    else:
        raise Http404
    current = request.GET.get("tab") if request.GET.get("tab") in tabs else next(iter(tabs))
    counts = {key: qs.count() for key, (_label, qs) in tabs.items()}
    page = Paginator(tabs[current][1].order_by("decision_due_at", "reference"), PAGE_SIZE).get_page(
        request.GET.get("page"))
    return render(request, "referrals/referral_list.html", {
        "heading": heading, "page": page, "current": current, "now": now,
        "tabs": [{"key": k, "label": label, "count": counts[k]} for k, (label, _qs) in tabs.items()],
    })


def _act(request: HttpRequest, referral: Referral, form: ReferralActionForm) -> Referral:
    data = form.cleaned_data
    kwargs: dict[str, Any] = {"version": data["version"], "reason": data.get("reason") or "", "actor": request.user}
    action = data["action"]
    if action == "screen":
        return routing.do_start_screening(referral, **kwargs)
    if action in ("accept", "decline"):
        return routing.do_respond_to_referral(referral, accept=action == "accept", **kwargs)
    if action == "close":
        return routing.do_close_referral(referral, **kwargs)
    return routing.do_withdraw_referral(referral, **kwargs)


@require_http_methods(["GET", "POST"])
@audited_view(Action.VIEW, object_type="referral", reference_kwarg="reference")
def referral_detail(request: HttpRequest, reference: str) -> HttpResponse:
    """One referral. MASH leads and the receiving service see everything; the referrer and their DSL see
    the status and decision only (not other agencies' details)."""
    referral = get_object_or_404(_referrals(request), reference=reference)
    request.audit_borough = referral.borough  # type: ignore[attr-defined]
    capacities = routing.capacities(referral, request.user)
    full = bool({routing.MASH, routing.RECEIVER} & capacities)
    form = ReferralActionForm(request.POST if request.method == "POST" else None,
                              initial={"version": referral.version})
    if request.method == "POST":
        if form.is_valid():
            try:
                referral = _act(request, referral, form)
            except ValidationError as error:
                form.add_error(None, error)
            except PermissionDenied:
                form.add_error(None, "You cannot make that change to this referral.")
            else:
                messages.success(request, f"Referral {referral.reference} is now "
                                          f"{referral.get_state_display().lower()}.")
                if Referral.objects.restrict(request.user, "view").filter(pk=referral.pk).exists():
                    return redirect("referral-detail", reference=referral.reference)
                return redirect("referral-list")
        referral.refresh_from_db()
    transitions = (list(ReferralTransition.objects.restrict(request.user, "view").filter(referral=referral)
                        .select_related("actor")) if full else [])
    moves = {(a, b): w for (a, b), w in routing.ALLOWED.items()}
    can = {
        "screen": any(w & capacities for (a, b), w in moves.items() if a == referral.state and b == "screening"),
        "decide": referral.state == ReferralState.SCREENING and routing.MASH in capacities,
        "respond": referral.state == ReferralState.DECIDED and routing.RECEIVER in capacities,
        "close": any(w & capacities for (a, b), w in moves.items() if a == referral.state and b == "closed"),
        "withdraw": any(w & capacities for (a, b), w in moves.items() if a == referral.state and b == "withdrawn"),
    }
    return render(request, "referrals/referral_detail.html", {
        "referral": referral, "full": full, "transitions": transitions, "form": form, "can": can,
        "version": referral.version,
    })


@require_http_methods(["GET", "POST"])
@audited_view(Action.VIEW, object_type="referral", reference_kwarg="reference")
def referral_decide(request: HttpRequest, reference: str) -> HttpResponse:
    """The MASH's decision form. A stale form keeps what the lead typed and says what changed."""
    if RoleCode.MASH_LEAD not in _roles(request):
        raise Http404
    referral = get_object_or_404(_referrals(request, "decide"), reference=reference)
    request.audit_borough = referral.borough  # type: ignore[attr-defined]
    form = DecisionForm(request.POST if request.method == "POST" else None, initial={"version": referral.version})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            routing.do_decide_referral(
                referral, decision=data["decision"], reason=data["reason"], version=data["version"],
                pathway=data.get("pathway") or "", receiving_agency=data.get("receiving_agency"), actor=request.user)
        except routing.StaleReferral as error:
            referral.refresh_from_db()
            # Keep everything typed; only the version moves on, so a deliberate resubmission can succeed.
            form = DecisionForm({**request.POST.dict(), "version": referral.version})
            form.is_valid()
            form.add_error(None, error)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Decision recorded on referral {referral.reference}.")
            return redirect("referral-detail", reference=referral.reference)
    return render(request, "referrals/referral_decide.html", {
        "referral": referral, "form": form, "ready": referral.state == ReferralState.SCREENING,
    })


@require_GET
@audited_view(Action.LIST, object_type="referral")
def my_referrals(request: HttpRequest) -> HttpResponse:
    """The referrals this user made (and, for a DSL, their agency made): status and decision only."""
    roles = _roles(request)
    if not {RoleCode.PRACTITIONER, RoleCode.DSL, RoleCode.MASH_LEAD} & roles:
        raise Http404
    mine = Q(referred_by=request.user)
    if RoleCode.DSL in roles:
        mine |= Q(from_agency_id=request.membership.agency_id)  # type: ignore[attr-defined]
    referrals = (Referral.objects.restrict(request.user, "view").filter(mine).select_related("subject")
                 .order_by("-received_at", "reference"))
    page = Paginator(referrals, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "referrals/my_referrals.html", {"page": page})
