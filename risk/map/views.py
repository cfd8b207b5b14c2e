"""Pages of the association map. Thin: parse, restrict, call one service, render; every page audited.

Associates' names appear on pages (the people allowed to see them need them), never in URLs or the
access trail: URLs carry references and the trail records references only.
"""

from __future__ import annotations

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
from audit.choices import Action
from referrals import intake
from referrals.models import Subject
from referrals.queries import identity_for
from risk.map import queries as map_queries
from risk.map import services as map_services
from risk.map.forms import LinkForm, RemoveLinkForm
from risk.map.models import Associate, Group, Link, LinkStatus, Place

NODE_MODELS: dict[str, Any] = {"S": Subject, "A": Associate, "P": Place, "G": Group}


def _require_map_role(request: CaseRequest) -> None:
    if not capabilities.can_use_map(request.user):
        raise Http404


def _visible_node(request: CaseRequest, reference: str) -> Any:
    model = NODE_MODELS.get(reference[:1])
    if model is None:
        return None
    return model.objects.restrict(request.user, "view").filter(reference=reference).first()


@require_GET
@audited_view(Action.VIEW, object_type="subject_map", reference_kwarg="reference")
def subject_map(request: CaseRequest, reference: str) -> HttpResponse:
    """The map panel: a network graph and, beside it, an accessible list of the same links."""
    _require_map_role(request)
    subject = get_visible_or_404(Subject, request.user, reference=reference, select_related=("home_borough",))
    request.audit_borough = subject.home_borough
    hood = map_queries.neighbourhood(subject, request.user)
    is_mash = capabilities.leads_mash_of(request.user, subject.home_borough_id)
    can_add = is_mash or capabilities.can_suggest_links(request.user)
    return render(request, "risk/map/subject_map.html", {
        "subject": subject, "hood": hood, "graph": hood.graph_json(), "edge_rows": hood.rows(),
        # The borough as this viewer may see it: for a recorder, the one they chose (DESIGN.md §5.6a).
        "identity": identity_for(subject, request.user),
        "can_add": can_add and not subject.is_erased,
        "is_mash": is_mash,
        "capped": any(n.more for n in hood.nodes.values()),
    })


def _node_page(request: CaseRequest, model: Any, reference: str, kind: str) -> HttpResponse:
    _require_map_role(request)
    node = get_visible_or_404(model, request.user, reference=reference, select_related=("borough",))
    request.audit_borough = node.borough
    rows = map_queries.linked_subjects(node, request.user)
    return render(request, "risk/map/node_detail.html", {
        "node": node, "kind": kind, "rows": rows, "is_mash": capabilities.leads_mash_of(request.user, node.borough_id),
    })


@require_GET
@audited_view(Action.VIEW, object_type="associate", reference_kwarg="reference")
def associate_detail(request: CaseRequest, reference: str) -> HttpResponse:
    """One associate (person) and who they are linked to."""
    return _node_page(request, Associate, reference, "associate")


@require_GET
@audited_view(Action.VIEW, object_type="place", reference_kwarg="reference")
def place_detail(request: CaseRequest, reference: str) -> HttpResponse:
    """One place and who is linked to it."""
    return _node_page(request, Place, reference, "place")


@require_GET
@audited_view(Action.VIEW, object_type="group", reference_kwarg="reference")
def group_detail(request: CaseRequest, reference: str) -> HttpResponse:
    """One group and who is linked to it."""
    return _node_page(request, Group, reference, "group")


@require_GET
@audited_view(Action.LIST, object_type="context_of_concern")
def contexts(request: CaseRequest) -> HttpResponse:
    """Contexts of concern in the MASH lead's borough: people, places and groups linked to several girls."""
    if not capabilities.is_mash_lead(request.user):
        raise Http404
    request.audit_borough = request.membership.agency.borough
    found = map_queries.contexts_of_concern(request.user)
    return render(request, "risk/map/contexts.html", {"contexts": found})


@require_http_methods(["GET", "POST"])
@audited_view(Action.VIEW, object_type="map_link_form", reference_kwarg="reference")
def link_add(request: CaseRequest, reference: str) -> HttpResponse:
    """Link a young person (or a person, place or group) to someone or somewhere: added at once by the
    borough's MASH lead, or suggested by a practitioner for the MASH lead to confirm."""
    _require_map_role(request)
    # The node_ref converter admits only the prefixes NODE_MODELS knows.
    origin = get_visible_or_404(NODE_MODELS[reference[:1]], request.user, reference=reference)
    borough = origin.home_borough if isinstance(origin, Subject) else origin.borough
    request.audit_borough = borough
    is_mash = capabilities.leads_mash_of(request.user, borough)
    if not is_mash and not (isinstance(origin, Subject) and capabilities.can_suggest_links(request.user)):
        raise PermissionDenied  # visible, read-only
    form = LinkForm(request.POST if request.method == "POST" else None,
                    node_lookup=lambda ref: _visible_node(request, ref))
    back = "map-subject" if isinstance(origin, Subject) else f"map-{type(origin).__name__.lower()}"
    # "Find" shows who or where matches, with what she typed kept; it adds nothing.
    finding = request.method == "POST" and request.POST.get("action") == "find"
    found, find_error = [], ""
    if finding:  # unbound, so nothing else is checked yet: what she typed comes back as it was
        form = LinkForm(initial=request.POST.dict(), node_lookup=lambda ref: _visible_node(request, ref))
        try:
            term = LinkForm.base_fields["find"].clean(request.POST.get("find", ""))
        except ValidationError as error:
            find_error = error.messages[0]
        else:
            found = map_queries.find_nodes(request.user, term or "")
    if request.method == "POST" and not finding and form.is_valid():
        data = form.cleaned_data
        try:
            # Through the referral use cases: a link that counts at once re-assesses her at once.
            link = intake.do_add_map_link(
                ends=(origin, form.node), link_type=data["link_type"], first_seen=data["first_seen"],
                last_seen=data.get("last_seen"), confidence=data["confidence"],
                source_agency=data.get("source_agency"), expires_on=data.get("expires_on"), actor=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        except PermissionDenied:
            form.add_error(None, "You cannot link these. Check the reference.")
        else:
            verb = "added" if link.status == LinkStatus.CONFIRMED else "suggested to the MASH lead"
            messages.success(request, f"Link {link.reference} {verb}.")
            return redirect(back, reference=origin.reference)
    suggested = map_queries.suggested_nodes(origin, request.user) if isinstance(origin, Subject) else []
    return render(request, "risk/map/link_form.html", {
        "form": form, "origin": origin, "is_mash": is_mash, "back": back, "finding": finding and not find_error,
        "found": found, "find_error": find_error,
        "suggested": suggested, "target": form["target"].value() or ("existing" if finding else ""),
        "picked": form["pick"].value() or "",
    })


@require_POST
@audited_view(Action.DECIDE, object_type="map_link", reference_kwarg="reference")
def link_confirm(request: CaseRequest, reference: str) -> HttpResponse:
    """Confirm a suggested link (the borough's MASH lead)."""
    _require_map_role(request)
    link = get_visible_or_404(Link, request.user, reference=reference, select_related=("borough", "subject"))
    request.audit_borough = link.borough
    try:
        intake.do_confirm_map_link(link, actor=request.user)  # confirms, then re-assesses her at once
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, f"Link {link.reference} confirmed.")
    return _back_to(link)


def _back_to(link: Link) -> HttpResponse:
    kind, node = link.endpoints()[0]
    return redirect(map_queries.URL_NAMES[kind], reference=node.reference)


@require_http_methods(["GET", "POST"])
@audited_view(Action.VIEW, object_type="map_link", reference_kwarg="reference")
def link_remove(request: CaseRequest, reference: str) -> HttpResponse:
    """Remove a link (recorded with the reason, never deleted); or withdraw one's own suggestion."""
    _require_map_role(request)
    link = get_visible_or_404(Link, request.user, reference=reference,
                              select_related=("borough", "subject", "associate", "place", "group"))
    request.audit_borough = link.borough
    own = link.status == LinkStatus.PENDING and link.suggested_by_id == request.user.pk
    if not own and not capabilities.leads_mash_of(request.user, link.borough_id):
        raise PermissionDenied
    if link.status == LinkStatus.REMOVED:
        raise Http404
    form = RemoveLinkForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            map_services.do_remove_link(link, reason=form.cleaned_data["reason"], actor=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Link {link.reference} removed.")
            return _back_to(link)
    return render(request, "risk/map/link_remove.html", {"form": form, "link": link})
