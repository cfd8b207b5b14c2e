"""Emergency access (MASH leads), its review (auditors), subject access exports and the erasure forecast
(the data protection officer). Views stay thin; every request is recorded by ``audited_view``."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from agencies import capabilities
from agencies.http import CaseRequest
from agencies.permissions import get_visible_or_404
from agencies.two_factor import step_up_redirect, step_up_required
from audit.api import audited_view
from audit.choices import Action
from audit.views import auditor_only
from config.csv import safe_writer
from config.routers import reads_from_replica
from dataprotection import export, letter, services
from dataprotection.breakglass import grants_for_review
from dataprotection.forms import BreakGlassForm, BreakGlassReviewForm
from referrals.models import Subject
from referrals.views_search import run_search

PAGE_SIZE = 50


def _require(allowed: bool) -> None:
    # 404, not 403: the pages' existence is not disclosed to those who cannot use them.
    if not allowed:
        raise Http404


def _require_perm(request: CaseRequest, perm: str) -> None:
    _require(request.user.has_perm(perm))


# --- Emergency access -------------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@audited_view(Action.SEARCH, object_type="break_glass")
def break_glass(request: CaseRequest) -> HttpResponse:
    """Reference and reason, then a warning to confirm; confirming opens the record for a few hours."""
    _require(capabilities.can_break_glass(request.user))
    if stale := step_up_redirect(request):  # opening a record beyond one's access: ask again
        return stale
    form = BreakGlassForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        subject = form.subject
        request.audit_borough = subject.home_borough
        if request.POST.get("stage") != "confirm":
            request.audit_detail = {"stage": "warning"}
            return render(request, "dataprotection/break_glass_confirm.html",
                          {"form": form, "subject": subject, "hours": settings.BREAK_GLASS_HOURS})
        try:
            grant = services.do_break_glass(subject, form.cleaned_data["reason"], actor=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            # The subject page itself says until when (the emergency-access banner).
            request.audit_detail = {"grant": grant.reference}
            return redirect("subject-detail", reference=subject.reference)
    return render(request, "dataprotection/break_glass_form.html", {"form": form})


@require_GET
@audited_view(Action.LIST, object_type="break_glass")
@auditor_only
@reads_from_replica
def break_glass_list(request: CaseRequest) -> HttpResponse:
    """Every emergency opening, pending reviews first when asked, 50 to a page."""
    pending_only = request.GET.get("show") == "pending"
    page = Paginator(grants_for_review(request.user, pending_only), PAGE_SIZE).get_page(request.GET.get("page"))
    pending = grants_for_review(request.user, True).count()
    return render(request, "dataprotection/break_glass_list.html",
                  {"page": page, "pending_only": pending_only, "pending": pending, "now": timezone.now()})


@require_http_methods(["GET", "POST"])
@audited_view(Action.VIEW, object_type="break_glass", reference_kwarg="reference")
@auditor_only
@step_up_required  # the page shows the stated reason
def break_glass_review(request: CaseRequest, reference: str) -> HttpResponse:
    """One emergency opening with its stated reason, and the auditor's review of it."""
    grant = get_object_or_404(grants_for_review(request.user, False), reference=reference)
    form = BreakGlassReviewForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.do_review_break_glass(grant, outcome=form.cleaned_data["outcome"], actor=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{grant.reference} is marked as reviewed.")
            return redirect("break-glass-list")
    return render(request, "dataprotection/break_glass_review.html", {"grant": grant, "form": form})


# --- Subject access requests ------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@audited_view(Action.SEARCH, object_type="subject")
def subject_access(request: CaseRequest) -> HttpResponse:
    """Find the young person by name and date of birth (POST, so nothing typed lands in a URL or log), in
    every borough; each record found opens her report."""
    _require(capabilities.can_answer_subject_access(request.user))
    if stale := step_up_redirect(request):
        return stale
    return run_search(request, action="export", template="dataprotection/subject_access_form.html")


def _subject_for_export(request: CaseRequest, reference: str) -> Subject:
    _require(capabilities.can_answer_subject_access(request.user))
    subject = get_visible_or_404(Subject, request.user, "export", reference=reference,
                                 select_related=("home_borough", "merged_into"))
    request.audit_borough = subject.home_borough
    return subject


def _third_parties(request: CaseRequest) -> bool:
    """Whether the officer chose to include other people's names (withheld unless asked)."""
    return request.GET.get("third_parties") == "include"


def _export_data(request: CaseRequest, subject: Subject) -> dict[str, Any]:
    data = export.subject_access_data(subject)
    return data if _third_parties(request) else letter.redact_third_parties(data)


@require_GET
@audited_view(Action.EXPORT, object_type="subject", reference_kwarg="reference")
@reads_from_replica
def subject_access_report(request: CaseRequest, reference: str) -> HttpResponse:
    """Everything held about her, decrypted, as a letter to her (one export event). Other people's names
    are withheld unless the officer asks for them (``?third_parties=include``, recorded on the event);
    ``?version=print`` is the same letter on its own, for printing (print styles, no script)."""
    # Step-up first, for any reference, existing or not: otherwise 302-or-404 tells whether it exists.
    _require(capabilities.can_answer_subject_access(request.user))
    if stale := step_up_redirect(request):
        return stale
    subject = _subject_for_export(request, reference)
    printable = request.GET.get("version") == "print"
    include = _third_parties(request)
    request.audit_detail = {"format": "print" if printable else "html",
                            "third_parties": "included" if include else "withheld"}
    data = letter.as_letter(_export_data(request, subject))
    return render(request, "dataprotection/subject_access_report.html", {
        "subject": subject, "data": data, "printable": printable, "third_parties_included": include,
        "base_template": "dataprotection/letter_print_base.html" if printable else "base.html",
        "today": timezone.localdate(), "withheld": letter.WITHHELD})


@require_GET
@audited_view(Action.EXPORT, object_type="subject", reference_kwarg="reference")
@reads_from_replica
def subject_access_export(request: CaseRequest, reference: str) -> HttpResponse:
    """The same as a JSON download (one export event), other people's names withheld unless asked for."""
    _require(capabilities.can_answer_subject_access(request.user))
    if stale := step_up_redirect(request):  # before the look-up, as above
        return stale
    subject = _subject_for_export(request, reference)
    request.audit_detail = {"format": "json",
                            "third_parties": "included" if _third_parties(request) else "withheld"}
    body = json.dumps(_export_data(request, subject), indent=2, ensure_ascii=False, default=str)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="subject-access-{subject.reference}.json"'
    response["Cache-Control"] = "no-store, private"
    return response


# --- Erasure forecast -------------------------------------------------------------------------------

def _forecast_context(request: CaseRequest) -> dict[str, Any]:
    today = timezone.localdate()
    due = export.erasure_forecast(today)
    page = Paginator(due, PAGE_SIZE).get_page(request.GET.get("page"))
    held = list(export.erasure_forecast(today, on_legal_hold=True)[:PAGE_SIZE * 4])
    return {
        "today": today, "days": export.FORECAST_DAYS, "page": page,
        "rows": export.forecast_rows(list(page.object_list), today),
        "held": export.forecast_rows(held, today),
    }


@require_GET
@audited_view(Action.LIST, object_type="erasure_forecast")
@reads_from_replica
def erasure_forecast(request: CaseRequest) -> HttpResponse:
    """Who the retention period will erase in the next 90 days, and who a legal hold keeps."""
    _require(capabilities.can_see_erasure_forecast(request.user))
    return render(request, "dataprotection/erasure_forecast.html", _forecast_context(request))


@require_GET
@audited_view(Action.EXPORT, object_type="erasure_forecast")
@reads_from_replica
def erasure_forecast_export(request: CaseRequest) -> HttpResponse:
    """The whole forecast as CSV, legal holds included and marked (reference numbers only)."""
    _require_perm(request, "dataprotection.view_erasure_forecast")
    if stale := step_up_redirect(request):
        return stale
    today = timezone.localdate()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="erasure-forecast-{today:%Y-%m-%d}.csv"'
    writer = safe_writer(response)
    writer.writerow(["reference", "home_borough", "retention_date", "erased_on", "rule", "legal_hold"])
    for held in (False, True):
        subjects = list(export.erasure_forecast(today, on_legal_hold=held))
        # A batch of data keys at a time: one query each, never one per subject.
        rows = [row for start in range(0, len(subjects), 500)
                for row in export.forecast_rows(subjects[start:start + 500], today)]
        for row in rows:
            writer.writerow((
                row.reference, row.home_borough, row.retention_date.isoformat(),
                "" if held else row.erased_on.isoformat(), row.rule, "yes" if held else "no"))
    return response
