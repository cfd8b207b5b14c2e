"""The auditors' pages: the trail, its export, disclosure logs, anomalies and chain status.

Only auditors reach them; everyone else gets 404 (not 403), so the pages' existence is not disclosed.
Every request, including refused ones, is itself recorded (``audited_view`` sits outermost).
Pages show events only: references, codes, account names and agencies, never a subject's details.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.db.models import Count, Max
from django.http import Http404, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from agencies import capabilities
from agencies.http import CaseRequest
from agencies.models import Borough
from agencies.two_factor import step_up_required
from audit.anomalies import find_anomalies
from audit.api import REFERENCE_PATTERN, audited_view
from audit.choices import SYSTEM_CHAIN, Action, ObjectType
from audit.forms import ObjectLookupForm, TrailFilterForm
from audit.models import AccessEvent, VerificationRun
from audit.services import do_verify_trail
from config.csv import safe_writer
from config.routers import reads_from_replica

CSV_COLUMNS = [
    "id", "occurred_at", "actor_id", "actor_username", "actor_agency_id", "actor_roles", "action",
    "object_type", "reference", "borough_code", "outcome", "purpose", "request_id", "client_address",
    "chain", "sequence", "prev_hash", "hash",
]


def auditor_only(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """404 for anyone without the auditor role."""

    @wraps(view)
    def wrapper(request: CaseRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not capabilities.is_auditor(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _page(events: Any, before: int | None) -> tuple[list[AccessEvent], int | None]:
    # Keyset pagination on the primary key: constant cost per page however deep, and stable while
    # new events arrive.
    size = settings.AUDIT_PAGE_SIZE
    if before:
        events = events.filter(id__lt=before)
    rows = list(events.select_related("actor_agency").order_by("-id")[: size + 1])
    next_before = rows[size - 1].pk if len(rows) > size else None
    return rows[:size], next_before


def _query_without_cursor(request: CaseRequest, **extra: Any) -> str:
    params = [(k, v) for k, v in request.GET.items() if k != "before" and v]
    params += list(extra.items())
    return urlencode(params)


@audited_view(Action.LIST, object_type="access_event")
@auditor_only
@require_GET
@reads_from_replica
def trail(request: CaseRequest) -> HttpResponse:
    """The whole trail, newest first, with filters and keyset pagination."""
    form = TrailFilterForm(request.GET or None)
    events: list[AccessEvent] = []
    next_before = None
    status = 200
    if form.is_bound and not form.is_valid():
        status = 400
    else:
        cleaned = form.cleaned_data if form.is_bound else {}
        queryset = form.filter(AccessEvent.objects.all()) if form.is_bound else AccessEvent.objects.all()
        events, next_before = _page(queryset, cleaned.get("before"))
        if form.is_bound:
            request.audit_detail = {"filters": form.used_filters()}
    context = {
        "form": form,
        "events": events,
        "next_query": _query_without_cursor(request, before=next_before) if next_before else "",
        "first_query": _query_without_cursor(request) if request.GET.get("before") else None,
        "export_query": _query_without_cursor(request),
    }
    return render(request, "audit/trail.html", context, status=status)


@audited_view(Action.EXPORT, object_type="access_event")
@auditor_only
@step_up_required
@require_GET
@reads_from_replica
def export(request: CaseRequest) -> HttpResponseBase:
    """The filtered trail as CSV, streamed (the export itself is an audited event)."""
    form = TrailFilterForm(request.GET)
    if not form.is_valid():
        return render(request, "audit/trail.html", {"form": form, "events": []}, status=400)
    request.audit_detail = {"filters": form.used_filters()}
    queryset = form.filter(AccessEvent.objects.all()).order_by("id").values_list(*CSV_COLUMNS)
    writer = safe_writer()

    def rows() -> Iterator[str]:
        yield writer.writerow(CSV_COLUMNS)
        for row in queryset.iterator(chunk_size=2000):
            yield writer.writerow(row)

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    response["Content-Disposition"] = f'attachment; filename="access-trail-{stamp}.csv"'
    return response


@audited_view(Action.SEARCH, object_type="disclosure_log")
@auditor_only
@require_GET
@reads_from_replica
def object_lookup(request: CaseRequest) -> HttpResponse:
    """Ask for an object type and reference, then show that object's disclosure log."""
    form = ObjectLookupForm(request.GET or None)
    if form.is_bound and form.is_valid():
        return redirect("audit-object", object_type=form.cleaned_data["object_type"],
                        reference=form.cleaned_data["reference"])
    return render(request, "audit/object_lookup.html", {"form": form}, status=400 if form.is_bound else 200)


@audited_view(Action.VIEW, object_type="disclosure_log", reference_kwarg="reference")
@auditor_only
@require_GET
@reads_from_replica
def object_log(request: CaseRequest, object_type: str, reference: str) -> HttpResponse:
    """Who has seen, changed or been sent one object: every event about it, newest first."""
    if object_type not in ObjectType.values or not REFERENCE_PATTERN.match(reference):
        raise Http404
    request.audit_detail = {"object_type": object_type}
    about = AccessEvent.objects.filter(object_type=object_type, reference=reference)
    if not about.exists():
        # Nothing was ever recorded about it: it may be a mistyped name, so the trail keeps no copy.
        request.audit_reference = ""
        request.audit_detail["found"] = False
    before = request.GET.get("before", "")
    if before and not before.isdigit():
        raise Http404
    events, next_before = _page(about, int(before) if before else None)
    summary = list(
        about.values("actor_agency__name", "action", "outcome")
        .annotate(count=Count("id"), last=Max("occurred_at"))
        .order_by("actor_agency__name", "action", "outcome")
    )
    context = {
        "object_type": object_type, "reference": reference, "events": events, "summary": summary,
        "next_query": urlencode({"before": next_before}) if next_before else "",
    }
    return render(request, "audit/object_log.html", context)


@audited_view(Action.VIEW, object_type="anomalies")
@auditor_only
@require_GET
@reads_from_replica
def anomalies(request: CaseRequest) -> HttpResponse:
    """Events that the configured rules flag for an auditor's attention."""
    return render(request, "audit/anomalies.html", {"found": find_anomalies(timezone.now())})


@audited_view(Action.VIEW, object_type="audit_chain")
@auditor_only
@require_GET
@reads_from_replica
def chain_status(request: CaseRequest) -> HttpResponse:
    """Every chain's length and head, and the recent verification runs."""
    chains = list(
        AccessEvent.objects.values("chain")
        .annotate(events=Count("id"), head=Max("sequence"), last=Max("occurred_at"))
        .order_by("chain")
    )
    names = dict(Borough.objects.values_list("ons_code", "name"))
    for row in chains:
        system = row["chain"] == SYSTEM_CHAIN
        row["name"] = "System events" if system else names.get(row["chain"], row["chain"])
    runs = list(VerificationRun.objects.order_by("-started_at", "-id")[:10])
    return render(request, "audit/chain_status.html", {"chains": chains, "runs": runs})


@audited_view(Action.VERIFY, object_type="audit_chain")
@auditor_only
@require_POST
def verify_now(request: CaseRequest) -> HttpResponse:
    """Verify every chain now (incrementally, from the last checkpoints), as this auditor, and show the
    result on the chain-status page."""
    report, _run = do_verify_trail(run_by=request.user.get_username(), actor=request.user)
    if report.intact:
        messages.success(request, f"The trail is intact: {report.events_checked} events checked since the "
                                  "last verified checkpoints.")
    else:
        messages.error(request, f"The trail has been altered: {report.problems[0]}")
    return redirect("audit-chain")
