"""Her chronology page: the rows of every provider, merged, filtered by kind and agency, paginated.

Adding a provider (another app's ``items_for(user, subject)`` returning ``ChronologyItem`` rows) is one
line in ``PROVIDERS``. Opening the page is a read of her record, recorded like her page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from agencies.http import CaseRequest
from agencies.permissions import get_visible_or_404
from audit.api import audited_view
from audit.choices import Action
from casework import chronology as casework_chronology
from referrals import chronology
from referrals.chronology import ChronologyItem
from referrals.chronology_forms import ChronologyFilterForm
from referrals.models import Subject

PAGE_SIZE = 50
Provider = Callable[[Any, Subject], list[ChronologyItem]]
# Each provider filters by what the viewer may see itself.
PROVIDERS: tuple[Provider, ...] = (
    chronology.items_for,
    casework_chronology.items_for,  # strategy discussions, MACE discussions, actions, outcomes
)


@require_GET
@audited_view(Action.VIEW, object_type="subject", reference_kwarg="reference")
def subject_chronology(request: CaseRequest, reference: str) -> HttpResponse:
    """Her chronology as this viewer may see it, oldest first, 50 to a page."""
    subject = get_visible_or_404(Subject, request.user, reference=reference, select_related=("home_borough",))
    request.audit_borough = subject.home_borough
    request.audit_detail = {"page": "chronology"}
    items = sorted((item for provider in PROVIDERS for item in provider(request.user, subject)),
                   key=lambda item: item.when)
    kinds = sorted({(item.kind, item.kind_label) for item in items}, key=lambda pair: pair[1])
    agencies = sorted({(item.agency_id, item.agency_name) for item in items if item.agency_id is not None},
                      key=lambda pair: pair[1])
    form = ChronologyFilterForm({key: request.GET.get(key, "") for key in ("kind", "agency")},
                                kinds=kinds, agencies=agencies)
    shown = items
    if form.is_valid():
        kind, agency = form.cleaned_data["kind"], form.cleaned_data["agency"]
        shown = [item for item in items if (not kind or item.kind == kind)
                 and (agency is None or item.agency_id == agency)]
    page = Paginator(shown, PAGE_SIZE).get_page(request.GET.get("page"))
    query = "&".join(f"{key}={value}" for key, value in (form.cleaned_data.items() if form.is_valid() else ())
                     if value not in (None, ""))
    return render(request, "referrals/subject_chronology.html", {
        "subject": subject, "page": page, "items": list(page.object_list), "form": form,
        "filtered": len(shown) != len(items), "total": len(items), "query": query,
    })
