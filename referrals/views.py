"""Recording concerns, subject pages and lists, and duplicate handling. Views stay thin: parse input,
restrict, call one service, render. Every page that shows case data is wrapped by ``audited_view``."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from agencies import capabilities
from agencies.http import CaseRequest
from agencies.permissions import get_visible_or_404
from agencies.two_factor import step_up_redirect
from audit.api import audit_exempt, audited_view, record
from audit.choices import Action, Outcome
from casework import queries as casework_queries
from drafts.web import draft_data, keeps_drafts
from referrals import boroughs, intake, queries, routing
from referrals.choices import ActionTaken, PathwayStatus, SubjectStatus
from referrals.forms import ConcernForm, MergeForm
from referrals.models import Concern, ReferralPathway, SchoolTransfer, Subject
from referrals.references import looks_like
from risk import queries as risk_queries
from risk.models import RegisterEntry

PAGE_SIZE = 50
JUST_RECORDED = "just_recorded_concern"


def _visible_subject(request: CaseRequest, reference: str) -> Subject | None:
    return Subject.objects.restrict(request.user, "view").filter(reference=reference).first()


def _form_context(request: CaseRequest, form: ConcernForm, subject: Subject | None) -> dict[str, Any]:
    """The concern form's page: about a known young person, her name as this recorder may see it (what they
    or their agency entered), never the reference alone."""
    identity = queries.identity_for(subject, request.user) if subject is not None else None
    return {"form": form, "subject": subject, "identity": identity}


@keeps_drafts("concern-create", label="concern",
              subject_reference=lambda request, kwargs: request.POST.get("subject", ""))
@require_http_methods(["GET", "POST"])
@audit_exempt("Shows back only what the user typed; do_record_concern records the create, and starting "
              "from a subject is recorded as a view of that subject below. A rejected form changes nothing.")
def concern_create(request: CaseRequest) -> HttpResponse:
    """Record a concern: fill in, check your answers, confirm."""
    if not capabilities.can_record_concerns(request.user):
        raise Http404
    lookup = lambda reference: _visible_subject(request, reference)  # noqa: E731
    resumed = draft_data(request)
    if request.method == "GET" and resumed is not None:
        # "Continue" on her draft: the form as she left it (checked, so her mistakes show), not sent.
        form = ConcernForm(resumed, subject_lookup=lookup)
        form.is_valid()
        return render(request, "referrals/concern_form.html", _form_context(request, form, form.subject_obj))
    if request.method == "GET":
        today = timezone.localdate()
        initial: dict[str, Any] = {
            "idempotency_key": uuid.uuid4(),
            "home_borough": request.membership.agency.borough.slug,
            # Most concerns are recorded the day the signs were seen: today, which she can change.
            "observed_day": today.day, "observed_month": today.month, "observed_year": today.year,
        }
        subject = None
        if request.GET.get("subject"):
            reference = request.GET["subject"]
            subject = lookup(reference) if looks_like("S", reference) else None
            record(Action.VIEW, actor=request.user, object_type="subject",
                   reference=reference if looks_like("S", reference) else "",
                   borough=subject.home_borough if subject else None,
                   outcome=Outcome.ALLOWED if subject else Outcome.DENIED, detail={"page": "concern_form"})
            if subject is None:
                raise Http404
            # Her record's borough is never shown to a recorder (it may come from another agency); the
            # service files the concern under the record's borough whatever the form says.
            initial["subject"] = subject.reference
        form = ConcernForm(initial=initial, subject_lookup=lookup)
        return render(request, "referrals/concern_form.html", _form_context(request, form, subject))

    form = ConcernForm(request.POST, subject_lookup=lookup)
    if not form.is_valid():
        return render(request, "referrals/concern_form.html", _form_context(request, form, form.subject_obj),
                      status=200)
    if request.POST.get("stage") == "edit":
        return render(request, "referrals/concern_form.html", _form_context(request, form, form.subject_obj))
    if request.POST.get("stage") != "confirm":
        return render(request, "referrals/concern_check.html", {**_form_context(request, form, form.subject_obj),
                                                                 "data": form.cleaned_data})
    data = form.cleaned_data
    try:
        concern, _created = intake.do_record_concern(
            details=form.subject_details(), subject=form.subject_obj,
            home_borough=form.subject_obj.home_borough if form.subject_obj else data["home_borough"],
            observed_on=data["observed_on"], indicators=data["indicators"], narrative=data.get("narrative") or "",
            seriously_worried=data["seriously_worried"], idempotency_key=data["idempotency_key"],
            actor=request.user, judgement=data.get("judgement") or "",
            actions_taken=data.get("actions_taken") or (),
        )
    except ValidationError as error:
        form.add_error(None, error)
        return render(request, "referrals/concern_form.html", _form_context(request, form, form.subject_obj))
    except PermissionDenied:
        form.add_error(None, "This form has already been used. Start again.")
        return render(request, "referrals/concern_form.html", _form_context(request, form, form.subject_obj))
    request.session[JUST_RECORDED] = concern.reference
    return redirect("concern-detail", reference=concern.reference)


@require_GET
@audited_view(Action.VIEW, object_type="concern", reference_kwarg="reference")
def concern_detail(request: CaseRequest, reference: str) -> HttpResponse:
    """One concern; straight after recording it, the confirmation panel with its reference."""
    concern = get_visible_or_404(Concern, request.user, reference=reference,
                                 select_related=("subject__home_borough", "agency", "recorded_by"))
    request.audit_borough = concern.subject.home_borough
    just_recorded = request.session.pop(JUST_RECORDED, None) == concern.reference
    chosen = (concern.subject_as_recorded or {}).get("home_borough", "") if just_recorded else ""
    done = set(concern.actions_taken) if isinstance(concern.actions_taken, list) else set()  # erased: nothing
    return render(request, "referrals/concern_detail.html", {
        "concern": concern, "indicators": list(concern.indicators.all()), "just_recorded": just_recorded,
        "actions_taken": [label for value, label in ActionTaken.choices if value in done],
        "chosen_borough": chosen,
    })


@require_GET
@audited_view(Action.VIEW, object_type="subject", reference_kwarg="reference")
def subject_detail(request: CaseRequest, reference: str) -> HttpResponse:
    """Identity (as this viewer may see it) and the chronology of the concerns they may see."""
    subject = get_visible_or_404(Subject, request.user, reference=reference,
                                 select_related=("home_borough", "merged_into"))
    request.audit_borough = subject.home_borough
    if subject.status == SubjectStatus.MERGED:
        # A forwarding record: where it went (linked only for those who may see the survivor), no actions.
        survivor = subject.merged_into
        return render(request, "referrals/subject_merged.html", {
            "subject": subject, "survivor": survivor,
            "survivor_visible": survivor is not None and Subject.objects.restrict(request.user, "view").filter(
                pk=survivor.pk).exists(),
        })
    chronology = queries.chronology(subject, request.user)
    identity = queries.identity_for(subject, request.user, chronology)
    active = subject.status == SubjectStatus.ACTIVE
    # Another borough's MASH reads her record only (emergency access, or access where harm happens).
    other_borough = capabilities.is_mash_lead(request.user) and not capabilities.leads_mash_of(
        request.user, subject.home_borough_id)
    if other_borough:
        active = False
    return render(request, "referrals/subject_detail.html", {
        "subject": subject, "identity": identity, "chronology": chronology, "other_borough": other_borough,
        "glance": _at_a_glance(request, subject) if subject.status == SubjectStatus.ACTIVE else None,
        "harm_share": boroughs.harm_borough_share_for(subject, request.user) if other_borough else None,
        "can_merge": capabilities.can_merge_subjects(request.user) and active,
        "can_rectify": capabilities.can_rectify(request.user, subject) and active,
        "can_restrict": capabilities.can_restrict(request.user, subject) and active,
        "can_record": capabilities.can_record_concerns(request.user) and active,
        "can_refer": capabilities.can_refer_to_mash(request.user) and active,
        "can_record_factor": capabilities.can_record_protective_factors(request.user) and active,
        # The level is drawn from every agency's concerns: the MASH and receiving services only (§5.6a).
        "sees_level": capabilities.sees_cross_agency_risk(request.user),
        # Her file moving between schools: the schools' DSLs see it (and the sender the receipt).
        "can_transfer": active and capabilities.can_transfer_file(request.user, subject),
        "can_move_borough": active and capabilities.can_move_between_boroughs(request.user, subject),
        "transfers": list(SchoolTransfer.objects.restrict(request.user, "view").filter(subject=subject)
                          .select_related("from_agency", "to_agency", "accepted_by").order_by("-started_at")),
        # Her open actions and outcomes, as far as this viewer may see; not on a read-only visit.
        "casework": (casework_queries.subject_summary(subject, request.user)
                     if subject.status == SubjectStatus.ACTIVE and not other_borough else None),
    })


def _at_a_glance(request: CaseRequest, subject: Subject) -> dict[str, Any]:
    """Her register status, her open referral and its pathways, each only as far as this viewer may see
    it: the register and the pathways are cross-agency (the MASH and receiving services); a DSL sees the
    status of a referral their agency made; a practitioner, nothing more than before."""
    entry = (RegisterEntry.objects.restrict(request.user, "view").filter(subject=subject).first()
             if capabilities.sees_cross_agency_risk(request.user) else None)
    referral = routing.open_referral_visible_to(subject, request.user)
    pathways: list[dict[str, Any]] = []
    if referral is not None and capabilities.sees_cross_agency_risk(request.user):
        labels = {spec.code: spec.label for spec in risk_queries.active_pathway_catalogue().pathways}
        pathways = [{"label": labels.get(p.pathway, p.pathway), "status": p.get_status_display(),
                     "agency": p.receiving_agency.name if p.receiving_agency else "", "due_at": p.due_at}
                    for p in ReferralPathway.objects.restrict(request.user, "view").filter(referral=referral)
                    .exclude(status=PathwayStatus.LEFT_OUT).select_related("receiving_agency")]
    return {"entry": entry, "referral": referral, "pathways": pathways,
            "shown": entry is not None or referral is not None}


@require_GET
@audited_view(Action.LIST, object_type="subject")
def subject_list(request: CaseRequest) -> HttpResponse:
    """The subjects this user may see, newest activity first, 50 to a page."""
    if not capabilities.can_list_subjects(request.user):
        raise Http404
    subjects = queries.visible_subjects(request.user)
    page = Paginator(subjects, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = queries.list_rows(list(page.object_list), request.user)
    return render(request, "referrals/subject_list.html", {"page": page, "rows": rows,
                                                            "heading": queries.list_heading(request.user)})


@require_GET
@audited_view(Action.LIST, object_type="duplicate")
def duplicate_list(request: CaseRequest) -> HttpResponse:
    """Candidate duplicates among the subjects of the MASH lead's borough."""
    if not capabilities.can_merge_subjects(request.user):
        raise Http404
    pairs = queries.candidate_duplicates(request.user)
    return render(request, "referrals/duplicate_list.html", {"pairs": pairs})


@require_http_methods(["GET", "POST"])
@audited_view(Action.VIEW, object_type="subject", reference_kwarg="reference")
def subject_merge(request: CaseRequest, reference: str) -> HttpResponse:
    """Merge a duplicate into this record: choose, check both side by side, confirm."""
    if not capabilities.can_merge_subjects(request.user):
        raise Http404
    survivor = get_visible_or_404(Subject, request.user, reference=reference, status="active",
                                  select_related=("home_borough",))
    request.audit_borough = survivor.home_borough
    stale = step_up_redirect(request)  # merging is irreversible: ask again, after the 404s
    if stale is not None:
        return stale
    lookup = lambda ref: Subject.objects.restrict(request.user, "view").filter(  # noqa: E731
        reference=ref, status="active").select_related("home_borough").first()
    # Bound on every POST, even an empty one (an empty QueryDict is falsy and would skip validation).
    form = MergeForm(request.POST if request.method == "POST" else None,
                     initial={"duplicate": request.GET.get("duplicate", "")},
                     subject_lookup=lookup, survivor=survivor)
    # A valid form has found the duplicate (``clean_duplicate``).
    if request.method == "POST" and form.is_valid() and form.duplicate_obj is not None:
        duplicate = form.duplicate_obj
        if not form.cleaned_data["confirm"]:
            return render(request, "referrals/subject_merge.html", {
                "form": form, "survivor": survivor, "duplicate": duplicate, "checking": True,
                "survivor_identity": queries.identity_for(survivor, request.user),
                "duplicate_identity": queries.identity_for(duplicate, request.user),
            })
        try:
            intake.do_merge_subjects(survivor=survivor, duplicate=duplicate, reason=form.cleaned_data["reason"],
                                       actor=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{duplicate.reference} has been merged into {survivor.reference}.")
            return redirect("subject-detail", reference=survivor.reference)
    return render(request, "referrals/subject_merge.html", {"form": form, "survivor": survivor})
