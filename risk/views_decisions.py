"""The MASH's decisions about a young person's risk, and protective factors (scoring model v3).
Thin views: parse, restrict, one use case, redirect (post/redirect/get).

* Marking a sign explained and verified, and reviewing her level: her home borough's MASH leads
  (``capabilities.can_decide_risk``). Through ``referrals.intake``, which follows up a level change.
* Recording a protective factor: practitioners, DSLs and MASH leads (``can_record_protective_factors``)
  about a young person they may see.

Not visible answers 404; visible but not theirs to decide answers 403 (DESIGN.md §5.2). Each form carries
a one-time key, so a double click or a retry records once and shows the same confirmation.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from agencies import capabilities
from agencies.http import CaseRequest
from agencies.permissions import get_visible_or_404
from audit.api import audited_view
from audit.choices import Action, ObjectType
from referrals import intake
from referrals.choices import SubjectStatus
from referrals.models import Concern, Subject
from risk.forms import ExplainSignForm, ProtectiveFactorForm, ReviewLevelForm
from risk.models import Indicator
from risk.services import decisions


def _subject(request: CaseRequest, reference: str) -> Subject:
    subject: Subject = get_visible_or_404(Subject, request.user, reference=reference,
                                          select_related=("home_borough",))
    request.audit_borough = subject.home_borough
    return subject


def _data(request: CaseRequest) -> Any:
    return request.POST if request.method == "POST" else None


def _page(request: CaseRequest, subject: Subject, form: Any, **context: Any) -> HttpResponse:
    return render(request, "risk/decision_form.html", {
        "subject": subject, "form": form, "active": subject.status == SubjectStatus.ACTIVE, **context})


def _fresh_key() -> dict[str, Any]:
    return {"idempotency_key": uuid.uuid4()}


@require_http_methods(["GET", "POST"])
@audited_view(Action.VIEW, object_type=ObjectType.RISK_DECISION, reference_kwarg="reference")
def explain_sign(request: CaseRequest, reference: str) -> HttpResponse:
    """Her borough's MASH lead marks one of her signs explained and verified, with the reason."""
    subject = _subject(request, reference)
    if not capabilities.can_decide_risk(request.user, subject):
        raise PermissionDenied
    # The signs in concerns about her (the MASH lead's restrict sees them all).
    signs = (Indicator.objects.filter(concerns__in=Concern.objects.restrict(request.user, "view")
                                      .filter(subject=subject)).distinct().order_by("label"))
    form = ExplainSignForm(_data(request), signs=signs, initial=_fresh_key())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            intake.do_mark_sign_explained(subject=subject, indicator=data["indicator"], reason=data["reason"],
                                          idempotency_key=data["idempotency_key"], actor=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{data['indicator'].label}: marked explained and verified. "
                                      "It no longer counts towards her level.")
            return redirect("subject-risk", reference=subject.reference)
    return _page(request, subject, form, title="Mark a sign explained and verified",
                 intro="An explained sign stops counting from today. If she is seen with it again, the new "
                       "concern counts as usual.", button="Mark as explained", has_signs=signs.exists())


@require_http_methods(["GET", "POST"])
@audited_view(Action.VIEW, object_type=ObjectType.RISK_DECISION, reference_kwarg="reference")
def review_level(request: CaseRequest, reference: str) -> HttpResponse:
    """Her borough's MASH lead records a review of her level, with the reason."""
    subject = _subject(request, reference)
    if not capabilities.can_decide_risk(request.user, subject):
        raise PermissionDenied
    form = ReviewLevelForm(_data(request), initial=_fresh_key())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            intake.do_review_risk_level(subject=subject, level=data["level"], reason=data["reason"],
                                        idempotency_key=data["idempotency_key"], actor=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Review recorded. Her level has been worked out again.")
            return redirect("subject-risk", reference=subject.reference)
    return _page(request, subject, form, title="Review her risk level",
                 intro="Without a review her level falls one step per review period. A review can lower it at "
                       "once to what her current signs support, or hold it higher.", button="Record the review",
                 has_signs=True)


@require_http_methods(["GET", "POST"])
@audited_view(Action.VIEW, object_type=ObjectType.PROTECTIVE_FACTOR, reference_kwarg="reference")
def protective_factor_create(request: CaseRequest, reference: str) -> HttpResponse:
    """A practitioner, DSL or MASH lead records something that keeps her safer."""
    subject = _subject(request, reference)
    if not capabilities.can_record_protective_factors(request.user):
        raise PermissionDenied
    form = ProtectiveFactorForm(_data(request), initial=_fresh_key())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            decisions.do_record_protective_factor(
                subject=subject, kind=data["kind"], note=data["note"], observed_on=data["observed_on"],
                idempotency_key=data["idempotency_key"], actor=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Protective factor recorded. It is shown beside her risk for those who "
                                      "weigh it; it never lowers her score.")
            return redirect("subject-risk", reference=subject.reference)
    return _page(request, subject, form, title="Record a protective factor",
                 intro="Something that keeps her safer: a trusted adult, attending school, a stable placement, "
                       "engaging with a service.", button="Record it", has_signs=True)
