"""Moves between boroughs: her home MASH asks another borough to take her on, or gives the borough where harm
happens time-limited access; the other MASH answers. Thin views: parse, restrict, call one service,
post/redirect/get with a confirmation."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from agencies import capabilities
from agencies.http import CaseRequest
from agencies.permissions import get_visible_or_404
from agencies.two_factor import step_up_redirect
from audit.api import audited_view
from audit.choices import Action, ObjectType
from referrals import boroughs
from referrals.borough_forms import BoroughTransferForm, DeclineBoroughTransferForm, HarmBoroughAccessForm
from referrals.choices import BoroughTransferStatus, SubjectStatus
from referrals.models import BoroughTransfer, Subject

LIST_LIMIT = 200
RELATED = ("subject", "from_borough", "to_borough", "started_by", "decided_by")


@require_http_methods(["GET", "POST"])
@audited_view(Action.VIEW, object_type=ObjectType.SUBJECT, reference_kwarg="reference")
def subject_boroughs(request: CaseRequest, reference: str) -> HttpResponse:
    """Her home borough, moves waiting for an answer, and other boroughs' access: her home MASH's page."""
    subject = get_visible_or_404(Subject, request.user, reference=reference, select_related=("home_borough",))
    request.audit_borough = subject.home_borough
    if not capabilities.can_move_between_boroughs(request.user, subject):
        raise PermissionDenied
    # Moving her record gives another borough all of it: ask for the second factor again, as a merge does.
    step_up = step_up_redirect(request)
    if step_up is not None:
        return step_up
    active = subject.status == SubjectStatus.ACTIVE
    action = request.POST.get("action", "") if request.method == "POST" else ""
    others = boroughs.other_boroughs(subject)
    posted = request.POST if request.method == "POST" else None
    transfer_form = BoroughTransferForm(posted if action == "transfer" else None, boroughs=others,
                                        initial={"idempotency_key": uuid.uuid4()})
    access_form = HarmBoroughAccessForm(posted if action == "grant" else None, boroughs=others)
    error = ""
    if request.method == "POST" and not active:
        error = "This record is no longer active."
    elif action == "transfer" and transfer_form.is_valid():
        data = transfer_form.cleaned_data
        try:
            transfer, created = boroughs.do_start_borough_transfer(
                subject=subject, to_borough=data["to_borough"], reason=data["reason"], note=data["note"],
                idempotency_key=data["idempotency_key"], actor=request.user)
        except ValidationError as problem:
            transfer_form.add_error(None, problem)
        except PermissionDenied:
            transfer_form.add_error(None, "This form has already been used. Start again.")
        else:
            if created:
                messages.success(request, f"Transfer {transfer.reference} has been sent to "
                                          f"{transfer.to_borough.name}'s MASH. She stays with your borough until "
                                          "they accept.")
            return redirect("subject-boroughs", reference=subject.reference)
    elif action == "grant" and access_form.is_valid():
        data = access_form.cleaned_data
        try:
            share = boroughs.do_grant_harm_borough_access(subject=subject, borough=data["borough"],
                                                          ground=data["ground"], days=data["days"],
                                                          actor=request.user)
        except ValidationError as problem:
            access_form.add_error(None, problem)
        else:
            messages.success(request, f"{data['borough'].name}'s MASH can read her record until "
                                      f"{share.expires_at:%-d %B %Y}.")
            return redirect("subject-boroughs", reference=subject.reference)
    elif action == "end":
        try:
            boroughs.do_end_harm_borough_access(subject=subject, share_id=_int(request.POST.get("share")),
                                                actor=request.user)
        except ValidationError as problem:
            error = " ".join(problem.messages)
        else:
            messages.success(request, "That borough's access to her record has ended.")
            return redirect("subject-boroughs", reference=subject.reference)
    elif request.method == "POST" and action not in ("transfer", "grant"):
        error = "This page is out of date or damaged. Reload it and try again."
    pending = BoroughTransfer.objects.restrict(request.user, "view").filter(
        subject=subject, status=BoroughTransferStatus.PENDING).select_related("to_borough").first()
    return render(request, "referrals/subject_boroughs.html", {
        "subject": subject, "active": active, "error": error, "pending": pending,
        "shares": list(boroughs.harm_borough_shares(subject)), "transfer_form": transfer_form,
        "access_form": access_form,
    }, status=400 if error else 200)


def _int(raw: str | None) -> int:
    try:
        return int(raw or "")
    except ValueError:
        return 0


@require_GET
@audited_view(Action.LIST, object_type=ObjectType.BOROUGH_TRANSFER)
def borough_transfer_list(request: CaseRequest) -> HttpResponse:
    """A MASH's moves between boroughs: asked of it, asked by it, and answered."""
    borough = capabilities.mash_borough_of(request.user)
    if borough is None:
        raise Http404
    visible = BoroughTransfer.objects.restrict(request.user, "view").select_related(*RELATED)
    sections = [
        ("Waiting for your answer", "Another borough asks your MASH to take on a young person.",
         visible.filter(to_borough_id=borough, status=BoroughTransferStatus.PENDING).order_by("started_at")),
        ("Sent by your MASH", "Young people you asked another borough to take on.",
         visible.filter(from_borough_id=borough).order_by("-started_at")),
        ("Answered by your MASH", "Transfers you accepted or declined.",
         visible.filter(to_borough_id=borough).exclude(status=BoroughTransferStatus.PENDING)
         .order_by("-decided_at")),
    ]
    rows = [{"heading": h, "hint": hint, "transfers": list(qs[:LIST_LIMIT])} for h, hint, qs in sections]
    return render(request, "referrals/borough_transfer_list.html", {"sections": rows, "borough": borough})


@require_http_methods(["GET", "POST"])
@audited_view(Action.VIEW, object_type=ObjectType.BOROUGH_TRANSFER, reference_kwarg="reference")
def borough_transfer_detail(request: CaseRequest, reference: str) -> HttpResponse:
    """One transfer: the asking MASH's reasons, and (while it waits) who she is, so the borough asked can
    check whether it already knows her; accept, decline (with a reason) or cancel."""
    transfer = get_visible_or_404(BoroughTransfer, request.user, reference=reference, select_related=RELATED)
    request.audit_borough = transfer.from_borough
    answering = capabilities.can_answer_borough_transfer(request.user, transfer)
    cancelling = capabilities.can_cancel_borough_transfer(request.user, transfer)
    decline_form = DeclineBoroughTransferForm(request.POST if request.POST.get("action") == "decline" else None)
    error = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action not in ("accept", "decline", "cancel"):
            error = "This page is out of date or damaged. Reload it and try again."
        elif (action == "cancel" and not cancelling) or (action != "cancel" and not answering):
            if transfer.status != BoroughTransferStatus.PENDING:
                error = boroughs.already_answered(transfer)
            else:
                raise PermissionDenied
        elif action == "accept" and (stale := step_up_redirect(request, next_url=request.path)) is not None:
            # Accepting gives her whole record to this borough: fresh proof, as asking for the move needs.
            return stale
        elif action == "decline" and not decline_form.is_valid():
            pass
        else:
            try:
                if action == "accept":
                    boroughs.do_accept_borough_transfer(transfer=transfer, actor=request.user)
                    messages.success(request, f"{transfer.subject.reference} is now a young person of your borough: "
                                              "her record, register entry and open referrals have moved to you.")
                    return redirect("subject-detail", reference=transfer.subject.reference)
                if action == "decline":
                    boroughs.do_decline_borough_transfer(transfer=transfer, note=decline_form.cleaned_data["note"],
                                                         actor=request.user)
                    messages.success(request, f"Transfer {transfer.reference} has been declined. Her home MASH "
                                              "has been told.")
                else:
                    boroughs.do_cancel_borough_transfer(transfer=transfer, actor=request.user)
                    messages.success(request, f"Transfer {transfer.reference} has been cancelled.")
                return redirect("borough-transfer-list")
            except ValidationError as problem:
                error = " ".join(problem.messages)
    identity = None
    if answering:  # the borough asked sees who she is, to check whether it already knows her
        subject = transfer.subject
        identity = {"name": f"{subject.given_name} {subject.family_name}", "date_of_birth": subject.date_of_birth,
                    "age_estimate": subject.age_estimate}
    return render(request, "referrals/borough_transfer_detail.html", {
        "transfer": transfer, "answering": answering, "cancelling": cancelling, "identity": identity,
        "decline_form": decline_form, "error": error,
    }, status=400 if error else 200)
