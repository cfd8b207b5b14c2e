"""School transfer pages: start moving her file (old school's DSL), the transfers page (files coming in
and going out for a school's DSLs; overdue ones for the MASH), and accept or cancel. Thin views: parse,
restrict, call one service, redirect with a message."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agencies import capabilities
from agencies.http import CaseRequest
from agencies.permissions import get_visible_or_404
from audit.api import audited_view
from audit.choices import Action, ObjectType
from referrals import transfers
from referrals.choices import TransferStatus
from referrals.models import SchoolTransfer, Subject
from referrals.transfer_forms import SchoolTransferForm

RELATED = ("subject", "from_agency", "to_agency", "started_by", "accepted_by")
LIST_LIMIT = 200


@require_http_methods(["GET", "POST"])
@audited_view(Action.VIEW, object_type=ObjectType.SUBJECT, reference_kwarg="reference")
def school_transfer_create(request: CaseRequest, reference: str) -> HttpResponse:
    """Send her child-protection file to her new school (the old school's DSL)."""
    subject = get_visible_or_404(Subject, request.user, reference=reference, status="active",
                                 select_related=("home_borough",))
    request.audit_borough = subject.home_borough
    if not capabilities.can_transfer_file(request.user, subject):
        raise PermissionDenied
    schools = transfers.receiving_schools(request.user)
    if request.method == "POST":
        form = SchoolTransferForm(request.POST, schools=schools)
        if form.is_valid():
            data = form.cleaned_data
            try:
                transfer, created = transfers.do_start_school_transfer(
                    subject=subject, to_agency=data["to_agency"], purpose=data["purpose"],
                    idempotency_key=data["idempotency_key"], actor=request.user)
            except ValidationError as error:
                form.add_error(None, error)
            except PermissionDenied:
                form.add_error(None, "This form has already been used. Start again.")
            else:
                if created:
                    messages.success(request, f"Transfer {transfer.reference} has been sent to "
                                              f"{transfer.to_agency.name}. It is due by {transfer.due_on:%-d %B %Y}.")
                return redirect("subject-detail", reference=subject.reference)
    else:
        form = SchoolTransferForm(initial={"idempotency_key": uuid.uuid4()}, schools=schools)
    return render(request, "referrals/school_transfer_form.html", {"form": form, "subject": subject})


@require_GET
@audited_view(Action.LIST, object_type=ObjectType.SCHOOL_TRANSFER)
def school_transfer_list(request: CaseRequest) -> HttpResponse:
    """A school's DSLs: files waiting for them, and the files they sent with their receipts. The MASH:
    transfers of her borough's young people still waiting past their due day."""
    if not capabilities.sees_school_transfers(request.user):
        raise Http404
    visible = SchoolTransfer.objects.restrict(request.user, "view").select_related(*RELATED)
    agency = capabilities.agency_of(request.user)
    sections = []
    if capabilities.is_mash_lead(request.user):
        sections.append(("Overdue transfers", "Files a school has not yet accepted after 5 school days.",
                         visible.filter(status=TransferStatus.PENDING).order_by("due_on", "reference")))
    else:
        sections.append(("Waiting for you", "Accept a file to confirm you have received it.",
                         visible.filter(to_agency=agency, status=TransferStatus.PENDING).order_by("due_on")))
        sections.append(("Sent by your school", "Files you sent, and who received them.",
                         visible.filter(from_agency=agency).order_by("-started_at")))
        sections.append(("Received", "Files your school accepted.",
                         visible.filter(to_agency=agency, status=TransferStatus.ACCEPTED).order_by("-accepted_at")))
    rows = [{"heading": h, "hint": hint, "transfers": list(qs[:LIST_LIMIT])} for h, hint, qs in sections]
    return render(request, "referrals/school_transfer_list.html", {
        "sections": rows, "agency": agency, "is_mash": capabilities.is_mash_lead(request.user)})


def _act(request: CaseRequest, reference: str, allowed: Callable[[Any, SchoolTransfer], bool],
         service: Callable[..., SchoolTransfer], done: str) -> HttpResponse:
    transfer = get_visible_or_404(SchoolTransfer, request.user, reference=reference,
                                  select_related=("subject__home_borough", "to_agency", "from_agency"))
    request.audit_borough = transfer.subject.home_borough
    if not allowed(request.user, transfer):
        raise PermissionDenied
    try:
        service(transfer=transfer, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done.format(transfer=transfer))
    return redirect("school-transfer-list")


@require_POST
@audited_view(Action.VIEW, object_type=ObjectType.SCHOOL_TRANSFER, reference_kwarg="reference")
def school_transfer_accept(request: CaseRequest, reference: str) -> HttpResponse:
    """Confirm receipt of her file (the new school's DSL): her page then shows the old school's concerns."""
    return _act(request, reference, capabilities.can_accept_school_transfer, transfers.do_accept_school_transfer,
                "You have received {transfer.subject.reference}'s file ({transfer.reference}). "
                "{transfer.from_agency.name} can see your receipt.")


@require_POST
@audited_view(Action.VIEW, object_type=ObjectType.SCHOOL_TRANSFER, reference_kwarg="reference")
def school_transfer_cancel(request: CaseRequest, reference: str) -> HttpResponse:
    """Take back a transfer the new school has not accepted (the old school's DSL)."""
    return _act(request, reference, capabilities.can_cancel_school_transfer, transfers.do_cancel_school_transfer,
                "Transfer {transfer.reference} has been cancelled. Nothing was shared.")
