"""The borough risk register and the risk of one subject. Thin views: parse, restrict, one service, render.

The register shows reference numbers, never names: a printed or exported register that escapes is a
list of numbers (the lesson of the Gangs Violence Matrix, DESIGN.md §1). Names are one click away, on
the subject page, behind its own audited view.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from agencies import capabilities
from agencies.http import CaseRequest
from agencies.models import Agency
from agencies.permissions import get_visible_or_404
from agencies.two_factor import step_up_redirect
from audit.api import audit_exempt, audited_view
from audit.choices import Action
from config.csv import safe_writer
from config.forms import ServiceForm
from config.routers import reads_from_replica
from referrals.choices import SubjectStatus
from referrals.models import Concern, Subject
from referrals.queries import people_for_mash
from risk import pathways, queries
from risk.chart import points as chart_points
from risk.chart import trajectory_svg
from risk.choices import DecisionKind, RiskLevel
from risk.forms import LeadForm, ReasonForm, RegisterFilterForm, RemovalForm, ReviewForm
from risk.models import (
    Assessment,
    Indicator,
    ProtectiveFactor,
    RegisterEntry,
    RegisterReview,
    RiskDecision,
    ScoringModel,
    SubjectRisk,
)
from risk.pathways import ADULT_FROM
from risk.scoring import LEVELS
from risk.services import register as register_services

PAGE_SIZE = 50
EXPORT_CHUNK = 500
LEVEL_LABELS = dict(RiskLevel.choices)


def _mash_borough(request: CaseRequest) -> Any:
    """The borough whose register this MASH lead keeps (their agency's); 404 for everyone else."""
    if not capabilities.is_mash_lead(request.user):
        raise Http404
    return capabilities.agency_of(request.user).borough


def _filtered(request: CaseRequest, borough: Any) -> tuple[RegisterFilterForm, Any]:
    form = RegisterFilterForm(request.GET or None, borough=borough)
    data = form.cleaned_data if form.is_valid() else {}
    now = timezone.now()
    model = ScoringModel.objects.active()
    rising_days = int(model.config.get("rising_window_days", 28)) if model else 28
    entries = queries.register_entries(
        borough.pk, within=RegisterEntry.objects.restrict(request.user, "view"),
        level=data.get("level") or "", rising=bool(data.get("rising")),
        overdue=bool(data.get("overdue")), new=bool(data.get("new")),
        lead=data["lead"].pk if data.get("lead") else None,
        agency=data["agency"].pk if data.get("agency") else None,
        today=timezone.localdate(), now=now, rising_days=rising_days,
    )
    return form, entries


def _row(entry: RegisterEntry, now: Any, today: Any, age: int | None = None,
         agencies: list[str] | None = None) -> dict[str, Any]:
    risk = getattr(entry.subject, "risk", None)
    return {
        # The page, for MASH leads, names her (her keys already unwrapped for her age); the CSV does not.
        "name": f"{entry.subject.given_name} {entry.subject.family_name}" if agencies is not None else "",
        "age": age, "agencies": agencies or [],
        "entry": entry, "reference": entry.subject.reference, "level": entry.level,
        "level_label": LEVEL_LABELS[entry.level], "rising": queries.is_rising(risk, now),
        "new": entry.added_at >= now - dt.timedelta(days=7),
        "overdue": entry.next_review_on < today, "score": risk.score if risk else None,
        # A pathway past its clock, and an adult (her referrals then need her consent).
        "pathway_overdue": bool(getattr(entry, "pathway_overdue", False)),
        "adult": age is not None and age >= ADULT_FROM,
    }


@require_GET
@audited_view(Action.LIST, object_type="register")
def register(request: CaseRequest) -> HttpResponse:
    """The borough's risk register for its MASH leads: counts, filters, sorting, keyset pages."""
    borough = _mash_borough(request)
    request.audit_borough = borough
    form, entries = _filtered(request, borough)
    sort = request.GET.get("sort", "level")
    sort = sort if sort in queries.SORTS else "level"
    now, today = timezone.now(), timezone.localdate()
    rows, cursor = queries.keyset_page(queries.with_register_markers(entries, now=now), sort,
                                       request.GET.get("after", ""), PAGE_SIZE)
    ages = queries.register_ages(rows, today)
    agencies = queries.agencies_involved(e.subject_id for e in rows)
    counts = queries.level_counts(borough.pk, within=RegisterEntry.objects.restrict(request.user, "view"))
    params = request.GET.copy()
    params.pop("after", None)
    return render(request, "risk/register.html", {
        "borough": borough, "form": form,
        "rows": [_row(e, now, today, ages.get(e.pk), agencies.get(e.subject_id, [])) for e in rows],
        "counts": [(LEVEL_LABELS[lvl], counts.get(lvl, 0), lvl) for lvl in reversed(LEVELS) if lvl != "none"],
        "total": sum(counts.values()), "sort": sort, "next_cursor": cursor, "query": params.urlencode(),
        "first_page": not request.GET.get("after"),
    })


@require_GET
@audited_view(Action.EXPORT, object_type="register")
@reads_from_replica
def register_export(request: CaseRequest) -> HttpResponse:
    """The filtered register as CSV: references, levels and dates; with ``names=yes`` (a MASH lead's
    deliberate choice, its own link on the page, marked in the access trail) also each girl's name, age and
    the agencies involved, as the page shows them."""
    borough = _mash_borough(request)
    request.audit_borough = borough
    stale = step_up_redirect(request)  # after the 404 for anyone but the borough's MASH leads
    if stale is not None:
        return stale
    with_names = request.GET.get("names") == "yes"
    request.audit_detail = {"with_names": with_names}
    _form, entries = _filtered(request, borough)
    now, today = timezone.now(), timezone.localdate()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    named = "-with-names" if with_names else ""
    response["Content-Disposition"] = (f'attachment; filename="risk-register-{borough.slug}{named}-'
                                       f'{today.isoformat()}.csv"')
    response["Cache-Control"] = "no-store"
    writer = safe_writer(response)  # names are typed by people: escaped
    writer.writerow(["reference", *(["name", "age", "agencies involved"] if with_names else []),
                     "level", "score", "rising", "on register since", "next review",
                     "review overdue", "review cadence (days)", "lead professional"])
    rows = entries.order_by("-level_rank", "-id").iterator(chunk_size=EXPORT_CHUNK)
    while chunk := list(itertools.islice(rows, EXPORT_CHUNK)):
        # Her data keys and the agencies involved: two queries per chunk, never one per row.
        people = people_for_mash([entry.subject for entry in chunk], today) if with_names else {}
        for entry in chunk:
            row = _row(entry, now, today)
            lead = entry.lead_professional
            person = people.get(entry.subject_id)
            who = ([person.name, "" if person.age is None else person.age, "; ".join(person.agencies)]
                   if person else ["", "", ""]) if with_names else []
            writer.writerow([row["reference"], *who, row["level_label"], row["score"],
                             "yes" if row["rising"] else "no",
                             entry.added_at.date().isoformat(), entry.next_review_on.isoformat(),
                             "yes" if row["overdue"] else "no", entry.review_cadence_days,
                             (lead.get_full_name() or lead.username) if lead else ""])
    return response


@require_http_methods(["GET", "POST"])
@audited_view(Action.VIEW, object_type="register_entry", reference_kwarg="reference")
def register_entry(request: CaseRequest, reference: str) -> HttpResponse:
    """One subject's register entry: level, cadence, reviews, history; review, remove, reinstate, lead."""
    borough = _mash_borough(request)
    subject = get_visible_or_404(Subject, request.user, reference=reference, home_borough=borough,
                                 select_related=("home_borough",))
    request.audit_borough = borough
    # Reviewing, removing, reinstating and naming the lead professional change the entry.
    entry = (RegisterEntry.objects.restrict(request.user, "change" if request.method == "POST" else "view")
             .filter(subject=subject).select_related("lead_professional", "subject").first())
    forms: dict[str, Any] = {
        "review_form": ReviewForm(), "remove_form": RemovalForm(prefix="remove"),
        "reinstate_form": ReasonForm(prefix="reinstate"),
        "lead_form": LeadForm(borough=borough, initial={"lead": entry.lead_professional_id if entry else None}),
    }
    if request.method == "POST":
        if entry is None:
            raise Http404
        action = request.POST.get("action")
        form: ServiceForm | None = None
        try:
            if action == "review":
                form = forms["review_form"] = ReviewForm(request.POST)
                if form.is_valid():
                    register_services.do_record_review(entry=entry, outcome=form.cleaned_data["outcome"],
                                              notes=form.cleaned_data["notes"], actor=request.user)
                    messages.success(request, "Review recorded.")
                    return redirect("register-entry", reference=reference)
            elif action == "remove":
                form = forms["remove_form"] = RemovalForm(request.POST, prefix="remove")
                if form.is_valid():
                    register_services.do_remove_from_register(
                        entry=entry, reason_code=form.cleaned_data["reason_code"],
                        reason=form.cleaned_data["reason"], actor=request.user)
                    messages.success(request, "Removed from the register.")
                    return redirect("register-entry", reference=reference)
            elif action == "reinstate":
                form = forms["reinstate_form"] = ReasonForm(request.POST, prefix="reinstate")
                if form.is_valid():
                    register_services.do_reinstate_register_entry(entry=entry, reason=form.cleaned_data["reason"],
                                                                  actor=request.user)
                    messages.success(request, "Back on the register.")
                    return redirect("register-entry", reference=reference)
            elif action == "lead":
                form = forms["lead_form"] = LeadForm(request.POST, borough=borough)
                if form.is_valid():
                    register_services.do_set_lead_professional(entry=entry, lead=form.cleaned_data["lead"],
                                                      actor=request.user)
                    messages.success(request, "Lead professional updated.")
                    return redirect("register-entry", reference=reference)
            else:
                messages.error(request, "Choose what to do.")
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, "; ".join(getattr(error, "messages", [str(error)])))
        # The form that was posted, for the error summary at the top of the page.
        forms["posted_form"] = form
    reviews: list[RegisterReview] = []
    if entry is not None:
        reviews = list(RegisterReview.objects.restrict(request.user, "view").filter(entry=entry)
                       .select_related("reviewed_by"))
    history = (_what_changed(list(entry.history.select_related("history_user", "lead_professional", "borough")
                                  .order_by("-history_date", "-history_id")[:21]))[:20] if entry else [])
    return render(request, "risk/register_entry.html", {
        "subject": subject, "entry": entry, "reviews": reviews, "history": history,
        "overdue": bool(entry and entry.is_on and entry.next_review_on < timezone.localdate()),
        "risk": SubjectRisk.objects.restrict(request.user, "view").filter(subject=subject).first(), **forms,
    })


@require_GET
@audited_view(Action.VIEW, object_type="risk", reference_kwarg="reference")
def subject_risk(request: CaseRequest, reference: str) -> HttpResponse:
    """A subject's current level and, for those who see the whole record, the score, its explanation and
    the trajectory. Practitioners and DSLs see only the signs in the concerns they may see, never the level:
    it is drawn from every agency's concerns, so it would tell them others are involved (DESIGN.md §5.6a)."""
    subject = get_visible_or_404(Subject, request.user, reference=reference, select_related=("home_borough",))
    request.audit_borough = subject.home_borough
    full = capabilities.sees_cross_agency_risk(request.user)
    risk = SubjectRisk.objects.restrict(request.user, "view").filter(subject=subject).first() if full else None
    timeline = queries.timeline(subject.pk, within=Assessment.objects.restrict(request.user, "view")) if full else []
    latest = timeline[-1] if timeline else None
    explanation = (latest.explanation if latest else {}) if full else {}
    items = explanation.get("indicators", [])
    agency_ids = {a for item in items for a in item.get("agencies", [])}
    agencies = dict(Agency.objects.filter(pk__in=agency_ids).values_list("pk", "name")) if agency_ids else {}
    labels = dict(_indicator_labels({item["code"] for item in items}))
    explained = [{**item, "label": labels.get(item["code"], item["code"]),
                  "agency_name": agencies.get(item["agency"], ""),
                  "other_agencies": [agencies.get(a, "") for a in item.get("agencies", []) if a != item["agency"]]}
                 for item in items]
    own_signs: list[str] = []
    if not full:
        own_signs = _visible_signs(subject, request.user)
    # Shown beside the score, never subtracted from it (model v3); the MASH review weighs them. A
    # practitioner or DSL sees the ones they (or their agency) recorded: the access rule says which.
    protective = list(ProtectiveFactor.objects.restrict(request.user, "view").filter(subject=subject)
                      .select_related("agency", "recorded_by"))
    # The MASH's decisions (signs explained and verified, level reviews), with who made them and when: one
    # query, whatever their number.
    decided = (list(RiskDecision.objects.restrict(request.user, "view").filter(subject=subject)
                    .select_related("indicator", "decided_by").order_by("decided_at")) if full else [])
    reviews = [d for d in decided if d.kind == DecisionKind.REVIEW]
    active = subject.status == SubjectStatus.ACTIVE
    # The pathways the system recommends, from what this page has already loaded (her borough's MASH leads
    # only; None for everyone else, so nothing derived from her level reaches a recorder).
    recommendations = (queries.pathway_recommendations(
        subject, request.user, today=timezone.localdate(), level=risk.level if risk else None,
        explanation=explanation, sign_labels=labels) if full and active else None)
    return render(request, "risk/subject_risk.html", {
        "subject": subject, "risk": risk, "full": full, "timeline": timeline, "explanation": explanation,
        "explained": explained, "chart": trajectory_svg(timeline) if full and timeline else "",
        "points": list(reversed(chart_points(timeline))) if full else [],
        "thresholds": _thresholds(explanation, risk.level if risk else ""),
        "own_signs": own_signs, "level_labels": LEVEL_LABELS, "protective": protective,
        "signs_explained": [d for d in reversed(decided) if d.kind == DecisionKind.EXPLAINED],
        "latest_review": reviews[-1] if reviews else None,
        "on_register": full and RegisterEntry.objects.restrict(request.user, "view").filter(
            subject=subject, status="on").exists(),
        "is_mash": capabilities.leads_mash_of(request.user, subject.home_borough_id),
        "can_decide": active and capabilities.can_decide_risk(request.user, subject),
        # Another borough's MASH reads her risk (emergency access, or where harm happens); it records nothing.
        "can_record_factor": active and capabilities.can_record_protective_factors(request.user) and not (
            capabilities.is_mash_lead(request.user)
            and not capabilities.leads_mash_of(request.user, subject.home_borough_id)),
        "pathways": recommendations,
    })


def _person(user: Any) -> str:
    return (user.get_full_name() or user.username) if user is not None else "not named"


def _what_changed(rows: list[Any]) -> list[dict[str, Any]]:
    """Each history row of a register entry (newest first) with what changed since the row before it, in
    words ("Level: medium to high"); the oldest row is the entry being added."""
    described = []
    for n, row in enumerate(rows):
        before = rows[n + 1] if n + 1 < len(rows) else None
        if before is None:
            changes = [f"Added to the register at {row.get_level_display().lower()}"]
        else:
            changes = []
            if row.status != before.status:
                changes.append("Removed from the register" if row.status == "removed" else "Back on the register")
            if row.level != before.level:
                changes.append(f"Level: {before.get_level_display().lower()} to {row.get_level_display().lower()}")
            if row.next_review_on != before.next_review_on:
                changes.append(f"Next review: {before.next_review_on:%-d %b %Y} to {row.next_review_on:%-d %b %Y}")
            if row.review_cadence_days != before.review_cadence_days:
                changes.append(f"Review every {before.review_cadence_days} to {row.review_cadence_days} days")
            if row.lead_professional_id != before.lead_professional_id:
                changes.append(f"Lead professional: {_person(before.lead_professional)} to "
                               f"{_person(row.lead_professional)}")
            if row.borough_id != before.borough_id:
                changes.append(f"Moved from {before.borough.name} to {row.borough.name}")
        described.append({"row": row, "changes": changes or ["Saved with no change shown here"]})
    return described


def _thresholds(explanation: dict[str, Any], level: str) -> list[dict[str, Any]]:
    """The model's thresholds as the page lists them beside the score, her level marked."""
    return [{"level": name, "label": RiskLevel(name).label, "from": score, "current": name == level}
            for name, score in (explanation.get("thresholds") or {}).items() if name in RiskLevel.values]


def _indicator_labels(codes: set[str]) -> list[tuple[str, str]]:
    return list(Indicator.objects.filter(code__in=codes).values_list("code", "label")) if codes else []


def _visible_signs(subject: Subject, user: Any) -> list[str]:
    concerns = Concern.objects.restrict(user, "view").filter(subject=subject)
    return list(Indicator.objects.filter(concerns__in=concerns).distinct().values_list("label", flat=True))



@require_GET
@audit_exempt("The scoring model's documentation: configuration and sources, no young person's data.")
def scoring_model(request: CaseRequest) -> HttpResponse:
    """The active scoring model explained for those who see cross-agency scores (the MASH and receiving
    services): every weight, window, floor and rule, from the model's own configuration, with its source
    (docs/scoring-model-v3.md). Not case data; 404 for everyone else, like the pages they cannot see."""
    if not capabilities.sees_cross_agency_risk(request.user):
        raise Http404
    model = ScoringModel.objects.active()
    config = model.config if model else {}
    labels = dict(Indicator.objects.values_list("code", "label"))
    classes = sorted(((cls, labels.get(code, code)) for code, cls in config.get("classes", {}).items()),
                     key=lambda row: (["significant", "moderate", "vulnerability"].index(row[0])
                                      if row[0] in ("significant", "moderate", "vulnerability") else 3, row[1]))
    return render(request, "risk/scoring_model.html", {
        "model": model, "config": config, "classes": classes, "level_labels": LEVEL_LABELS,
        "lifelong": [labels.get(code, code) for code in config.get("lifelong", [])],
    })


@require_GET
@audit_exempt("The pathway catalogue's documentation: pathways, rules and sources, no young person's data.")
def pathway_catalogue(request: CaseRequest) -> HttpResponse:
    """The active pathway catalogue explained for those who see cross-agency risk (the MASH and receiving
    services), like the scoring model's page: every pathway (receiving agency, consent, clock, sources) and
    every recommendation rule in plain English, from the catalogue's own data. 404 for everyone else."""
    if not capabilities.sees_cross_agency_risk(request.user):
        raise Http404
    catalogue = queries.active_pathway_catalogue()
    signs = dict(Indicator.objects.values_list("code", "label"))
    names = {p.code: p.label for p in catalogue.pathways}
    return render(request, "risk/pathway_catalogue.html", {
        "catalogue": catalogue,
        "pathways": [{"spec": spec, "clock": spec.clock.label,
                      "consent_child": pathways.CONSENT_LABELS[spec.consent_child],
                      "consent_adult": pathways.CONSENT_LABELS[spec.consent_adult],
                      "sources": [catalogue.sources[key]["title"] for key in spec.sources],
                      "rules": [{"code": rule.code, "reason": rule.reason,
                                 "when": pathways.describe_conditions(rule.when, signs, names),
                                 "clock": rule.clock.label if rule.clock else "",
                                 "sources": [catalogue.sources[key]["title"] for key in rule.sources]}
                                for rule in catalogue.rules if rule.pathway == spec.code]}
                     for spec in catalogue.pathways],
        "sources": sorted(catalogue.sources.values(), key=lambda cite: cite["title"]),
    })
