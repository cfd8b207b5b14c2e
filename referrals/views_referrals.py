"""Referral pages: refer to the MASH, the MASH inbox and the receiving agency's list, the
referral page with its timeline and actions, the decision form, and "My referrals". Thin views: parse,
restrict, call one service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agencies import capabilities
from agencies.http import CaseRequest
from agencies.permissions import get_visible_or_404
from audit.api import audited_view
from audit.choices import Action
from drafts.web import draft_data, keeps_drafts
from referrals import clocks, routing
from referrals import queries as referral_queries
from referrals.choices import LIVE_PATHWAY_STATUSES, PathwayStatus, ReferralDecision, ReferralState
from referrals.models import RECEIVER_STATES, Referral, ReferralPathway, ReferralTransition, Subject
from referrals.referral_forms import (
    DecisionForm,
    PathwayResponseForm,
    ReferralActionForm,
    ReferralForm,
    pathway_options,
)
from risk import queries as risk_queries
from risk.pathways import ADULT_FROM, STARTS

PAGE_SIZE = 50
WAITING = [ReferralState.SUBMITTED, ReferralState.SCREENING]


# What a referral page shows besides the referral itself, loaded in the same query.
RELATED = ("subject", "from_agency", "to_agency", "receiving_agency", "borough")


def _referrals(request: CaseRequest, action: str = "view"):
    return Referral.objects.restrict(request.user, action).select_related(*RELATED)


@keeps_drafts("referral-create", label="referral to the MASH",
              subject_reference=lambda request, kwargs: kwargs.get("reference", ""))
@require_http_methods(["GET", "POST"])
@audited_view(Action.VIEW, object_type="subject", reference_kwarg="reference")
def referral_create(request: CaseRequest, reference: str) -> HttpResponse:
    """Refer to MASH, from the subject page (DSLs and MASH leads)."""
    if not capabilities.can_refer_to_mash(request.user):
        raise Http404
    subject = get_visible_or_404(Subject, request.user, reference=reference, status="active",
                                 select_related=("home_borough",))
    request.audit_borough = subject.home_borough
    # Only an open referral this person may see (one their agency made, or any for the MASH): telling a DSL
    # about another agency's or the automatic referral would tell them others know her.
    existing = routing.open_referral_visible_to(subject, request.user)
    # On "Continue" from her draft, the form as she left it (not sent).
    form = ReferralForm(request.POST if request.method == "POST" else draft_data(request))
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
def referral_list(request: CaseRequest) -> HttpResponse:
    """The MASH inbox (new, overdue, awaiting the receiving agency) or the receiving agency's list."""
    if not capabilities.works_referral_inbox(request.user):
        raise Http404
    now = timezone.now()
    if capabilities.is_mash_lead(request.user):
        base = _referrals(request, "decide")
        tabs = {
            "new": ("New", base.filter(state__in=WAITING, decision_due_at__gte=now)),
            "overdue": ("Overdue", base.filter(state__in=WAITING, decision_due_at__lt=now)),
            "awaiting": ("Awaiting the receiving service",
                         base.filter(state=ReferralState.DECIDED, decision=ReferralDecision.ROUTED)),
            "pathways-overdue": ("Pathways overdue", base.filter(referral_queries.overdue_pathway(now),
                                                                 state__in=RECEIVER_STATES)),
            "declined": ("Declined", base.filter(state=ReferralState.DECLINED)),
        }
        heading = "MASH inbox"
        pathways = ReferralPathway.objects.restrict(request.user, "view")
    else:  # a receiving worker
        base = _referrals(request, "respond")
        agency = capabilities.agency_of(request.user)
        # By this service's own pathways: another service accepting hers does not answer for this one.
        tabs = {
            "to-respond": ("To accept or decline",
                           base.filter(referral_queries.agency_pathway(agency, [PathwayStatus.AWAITING]))),
            "accepted": ("Accepted", base.filter(referral_queries.agency_pathway(agency, [PathwayStatus.ACCEPTED]))),
            "pathways-overdue": ("Pathways overdue", base.filter(referral_queries.overdue_pathway(now, agency))),
        }
        heading = "Referrals to your service"
        pathways = ReferralPathway.objects.restrict(request.user, "respond")
    # Urgent pathways (the same day, or within hours) come first, with their deadline in hours.
    urgent = list(pathways.filter(urgent=True, status__in=LIVE_PATHWAY_STATUSES, referral__state__in=RECEIVER_STATES)
                  .select_related("referral", "referral__subject", "receiving_agency").order_by("due_at")[:PAGE_SIZE])
    labels = {spec.code: spec.label for spec in risk_queries.active_pathway_catalogue().pathways}
    tab = request.GET.get("tab", "")
    current = tab if tab in tabs else next(iter(tabs))
    counts = {key: qs.count() for key, (_label, qs) in tabs.items()}
    page = Paginator(tabs[current][1].annotate(pathway_overdue=referral_queries.overdue_pathway(now))
                     .order_by("decision_due_at", "reference"), PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = rows = list(page.object_list)
    for referral in rows:
        referral.pathway_label = labels.get(referral.pathway, referral.pathway)
    # MASH leads may see names: each girl's name, age and the agencies involved, a constant two queries.
    people = (referral_queries.people_for_mash([r.subject for r in rows] + [u.referral.subject for u in urgent],
                                               timezone.localdate())
              if capabilities.is_mash_lead(request.user) else {})
    # A receiving service's deadline is its own pathway's clock, not the MASH's decision deadline.
    own_due: dict[Any, Any] = {}
    if not capabilities.is_mash_lead(request.user):
        for referral_id, due in (ReferralPathway.objects.restrict(request.user, "respond")
                                 .filter(referral__in=rows, status__in=LIVE_PATHWAY_STATUSES, due_at__isnull=False)
                                 .values_list("referral_id", "due_at")):
            if due is not None and (referral_id not in own_due or due < own_due[referral_id]):
                own_due[referral_id] = due
    for referral in rows:
        referral.person = people.get(referral.subject_id)
        referral.own_due = own_due.get(referral.pk)
    return render(request, "referrals/referral_list.html", {
        "heading": heading, "page": page, "current": current, "now": now,
        "is_mash": capabilities.is_mash_lead(request.user),
        "urgent": [{"row": row, "label": labels.get(row.pathway, row.pathway),
                    "hours_left": clocks.hours_left(row.due_at, now), "person": people.get(row.referral.subject_id)}
                   for row in urgent],
        "tabs": [{"key": k, "label": label, "count": counts[k]} for k, (label, _qs) in tabs.items()],
    })


def _act(request: CaseRequest, referral: Referral, form: ReferralActionForm) -> Referral:
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
def referral_detail(request: CaseRequest, reference: str) -> HttpResponse:
    """One referral. MASH leads and the receiving service see everything; the referrer and their DSL see
    the status and decision only (not other agencies' details)."""
    referral = get_visible_or_404(Referral, request.user, reference=reference, select_related=RELATED)
    request.audit_borough = referral.borough
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
    return _render_detail(request, referral, form)


def _render_detail(request: CaseRequest, referral: Referral, form: ReferralActionForm,
                   pathway_form: PathwayResponseForm | None = None) -> HttpResponse:
    full = bool({routing.MASH, routing.RECEIVER} & routing.capacities(referral, request.user))
    transitions: list[ReferralTransition] = []
    if full:
        transitions = list(ReferralTransition.objects.restrict(request.user, "view").filter(referral=referral)
                           .select_related("actor"))
    can = {move.action for move in routing.available_moves(referral, request.user)}
    # Her pathways: every one (left out too) for the MASH; a receiving service its own; the referrer's side
    # the pathways she was referred on to (no agency, no reasons).
    rows = list(ReferralPathway.objects.restrict(request.user, "view").filter(referral=referral)
                .select_related("receiving_agency"))
    answerable = set(ReferralPathway.objects.restrict(request.user, "respond").filter(referral=referral)
                     .values_list("pk", flat=True))
    labels = {spec.code: spec.label for spec in risk_queries.active_pathway_catalogue().pathways}
    now = timezone.now()
    return render(request, "referrals/referral_detail.html", {
        "referral": referral, "full": full, "transitions": transitions, "form": form, "can": can,
        "version": referral.version, "pathway_form": pathway_form, "answers_pathways": bool(answerable),
        "pathway_rows": [{"row": row, "label": labels.get(row.pathway, row.pathway),
                          "answerable": row.pk in answerable,
                          "waiting_for": f"Its clock starts at {STARTS.get(row.clock_starts, row.clock_starts)}: "
                                         "not yet recorded here",
                          "hours_left": clocks.hours_left(row.due_at, now) if row.is_live else None,
                          "responses": [r for r, starts in routing.PATHWAY_RESPONSE_FROM.items()
                                        if row.status in starts]} for row in rows],
        "pathway_labels": [labels.get(code, code) for code in referral_queries.routed_pathway_codes(referral)],
    })


@require_POST
@audited_view(Action.VIEW, object_type="referral", reference_kwarg="reference")
def referral_pathway_respond(request: CaseRequest, reference: str) -> HttpResponse:
    """A receiving service accepts, declines or completes one pathway of the referral routed to it."""
    referral = get_visible_or_404(Referral, request.user, reference=reference, select_related=RELATED)
    request.audit_borough = referral.borough
    if not ReferralPathway.objects.restrict(request.user, "respond").filter(referral=referral).exists():
        # She is visible to them, but no pathway of hers waits for their answer (DESIGN.md §5.2).
        raise PermissionDenied
    form = PathwayResponseForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        row = ReferralPathway.objects.restrict(request.user, "respond").filter(
            referral=referral, pk=data["pathway"]).first()
        if row is None:
            form.add_error(None, "That pathway is not yours to answer for, or it has been answered already.")
        else:
            try:
                routing.do_respond_to_pathway(row, response=data["response"], reason=data.get("reason") or "",
                                              version=data["version"], actor=request.user)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"Your answer on referral {referral.reference} is recorded.")
                if Referral.objects.restrict(request.user, "view").filter(pk=referral.pk).exists():
                    return redirect("referral-detail", reference=referral.reference)
                return redirect("referral-list")
    referral.refresh_from_db()
    action_form = ReferralActionForm(initial={"version": referral.version})
    return _render_detail(request, referral, action_form, pathway_form=form)


@require_http_methods(["GET", "POST"])
@audited_view(Action.VIEW, object_type="referral", reference_kwarg="reference")
def referral_decide(request: CaseRequest, reference: str) -> HttpResponse:
    """The MASH's decision form: the recommended pathways ticked already, each with its service; leaving
    one out or adding another asks why. A stale form keeps what the lead typed and says what changed."""
    if not capabilities.is_mash_lead(request.user):
        raise Http404
    referral = get_visible_or_404(Referral, request.user, "decide", reference=reference, select_related=RELATED)
    request.audit_borough = referral.borough
    subject = referral.subject
    active = subject.status == "active"
    today = timezone.localdate()
    catalogue = risk_queries.active_pathway_catalogue()
    proposal = (risk_queries.pathway_proposal(subject, request.user, today=today, catalogue=catalogue)
                if active else None)
    age = risk_queries.age_today(subject, request.user, today) if active else None
    options = pathway_options(catalogue, proposal, routing.receiving_agencies(subject.home_borough_id), age)
    form = DecisionForm(request.POST if request.method == "POST" else None, options=options,
                        initial={"version": referral.version})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        routed = data["decision"] == ReferralDecision.ROUTED
        try:
            routing.do_decide_referral(
                referral, decision=data["decision"], reason=data["reason"], version=data["version"],
                pathways=form.chosen() if routed else [], left_out=form.left_out() if routed else {},
                actor=request.user)
        except routing.StaleReferral as error:
            referral.refresh_from_db()
            # Keep everything typed; only the version moves on, so a deliberate resubmission can succeed.
            form = DecisionForm({**request.POST.dict(), "version": referral.version}, options=options)
            form.is_valid()
            form.add_error(None, error)
        except ValidationError as error:
            _add_errors(form, error)
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(request, f"Decision recorded on referral {referral.reference}.")
            return redirect("referral-detail", reference=referral.reference)
    ready = any(move.to_state == ReferralState.DECIDED for move in routing.available_moves(referral, request.user))
    # What the system recommends for her, with reasons (her borough's MASH leads only; None otherwise).
    recommendations = (risk_queries.describe_proposal(proposal, catalogue) if proposal is not None else None)
    return render(request, "referrals/referral_decide.html", {
        "referral": referral, "form": form, "ready": ready, "pathways": recommendations, "age": age,
        "adult": age is not None and age >= ADULT_FROM})


def _add_errors(form: DecisionForm, error: ValidationError) -> None:
    """The decision service's problems beside the pathway each is about (``agency-``, ``why-``,
    ``consent-`` fields), or above the form for anything the page does not show."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for key, errors in error.error_dict.items():
        form.add_error(key if key in form.fields else None, errors)


@require_GET
@audited_view(Action.LIST, object_type="referral")
def my_referrals(request: CaseRequest) -> HttpResponse:
    """The referrals this user made (and, for a DSL, their agency made): status and decision only."""
    if not capabilities.sees_own_referrals(request.user):
        raise Http404
    mine = Q(referred_by=request.user)
    if capabilities.is_designated_safeguarding_lead(request.user):
        mine |= Q(from_agency=capabilities.agency_of(request.user))
    # Never the automatic referral: it is the MASH's, not the recorder's whose concern raised it.
    referrals = (Referral.objects.restrict(request.user, "view").filter(mine, automatic=False)
                 .select_related("subject").order_by("-received_at", "reference"))
    page = Paginator(referrals, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "referrals/my_referrals.html", {"page": page})
