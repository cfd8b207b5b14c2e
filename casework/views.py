"""Case work pages. Thin views: parse, ``restrict``, one service, redirect (post/redirect/get).

Not visible answers 404; visible but not theirs to change answers 403 (DESIGN.md §5.2). An action's owner
who cannot otherwise see her reads the action and what it needs, never her record (her reference is shown,
linked only for those who may open her page).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from agencies import capabilities
from agencies.http import CaseRequest
from agencies.permissions import get_visible_or_404
from audit.api import audited_view
from audit.choices import Action as Act
from audit.choices import ObjectType
from casework import queries, services
from casework.choices import LIVE_ACTION_STATUSES, ActionSource, MeetingStatus
from casework.forms import (
    ActionForm,
    ActionUpdateForm,
    DiscussionForm,
    MeetingChangeForm,
    MeetingForm,
    OutcomeForm,
    StrategyDiscussionForm,
    agency_choices,
)
from casework.models import Action, AgendaItem, MaceDiscussion, MaceMeeting, StrategyDiscussion
from referrals.choices import SubjectStatus
from referrals.models import ReferralPathway, Subject
from risk.map.models import Group, Place


def _subject(request: CaseRequest, reference: str) -> Subject:
    subject: Subject = get_visible_or_404(Subject, request.user, reference=reference,
                                          select_related=("home_borough",))
    request.audit_borough = subject.home_borough
    if subject.status != SubjectStatus.ACTIVE:
        raise Http404
    return subject


def _data(request: CaseRequest) -> Any:
    return request.POST if request.method == "POST" else None


# ---------------------------------------------------------------------------------------------------
# Her case work
# ---------------------------------------------------------------------------------------------------
@require_GET
@audited_view(Act.VIEW, object_type=ObjectType.SUBJECT, reference_kwarg="reference")
def subject_casework(request: CaseRequest, reference: str) -> HttpResponse:
    """Her strategy discussions, plan, MACE discussions and outcomes, each as far as this viewer may see."""
    subject = _subject(request, reference)
    runs = capabilities.runs_casework_for(request.user, subject.home_borough_id)
    return render(request, "casework/subject_casework.html", {
        "subject": subject, **queries.casework_for(subject, request.user), "runs": runs,
        "can_record_outcome": capabilities.can_record_outcome(request.user, subject)})


@require_http_methods(["GET", "POST"])
@audited_view(Act.VIEW, object_type=ObjectType.STRATEGY_DISCUSSION, reference_kwarg="reference")
def strategy_discussion_create(request: CaseRequest, reference: str) -> HttpResponse:
    """Her borough's MASH lead records a strategy discussion."""
    subject = _subject(request, reference)
    if not capabilities.runs_casework_for(request.user, subject.home_borough_id):
        raise PermissionDenied
    pathways = ReferralPathway.objects.restrict(request.user, "view").filter(
        pk__in=[row.pk for row in services.strategy_pathways(subject)]).select_related("referral", "receiving_agency")
    form = StrategyDiscussionForm(_data(request), pathways=pathways, agencies=agency_choices(subject.home_borough_id))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            discussion = services.do_record_strategy_discussion(
                subject=subject, held_at=data["held_at"], agencies=list(data["agencies"]), decision=data["decision"],
                record_text=data["record_text"], pathway=data.get("pathway"), actor=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Strategy discussion {discussion.reference} is recorded.")
            return redirect("strategy-discussion-detail", reference=discussion.reference)
    return render(request, "casework/form.html", {
        "subject": subject, "form": form, "title": "Record a strategy discussion", "button": "Record it",
        "intro": "Section 47 of the Children Act 1989: children's social care, police and health decide whether to "
                 "make enquiries. Recording it starts the clocks that run from it."})


@require_GET
@audited_view(Act.VIEW, object_type=ObjectType.STRATEGY_DISCUSSION, reference_kwarg="reference")
def strategy_discussion_detail(request: CaseRequest, reference: str) -> HttpResponse:
    discussion = get_visible_or_404(StrategyDiscussion, request.user, reference=reference,
                                    select_related=("subject", "borough", "pathway__referral", "recorded_by"))
    request.audit_borough = discussion.borough
    if discussion.subject.status == SubjectStatus.ERASED:
        raise Http404
    return render(request, "casework/strategy_discussion.html", {
        "discussion": discussion, "agencies": discussion.agencies.order_by("name"),
        "actions": Action.objects.restrict(request.user, "view").filter(strategy_discussion=discussion)
        .select_related("owner_agency", "owner"),
        "subject_visible": Subject.objects.restrict(request.user, "view").filter(pk=discussion.subject_id).exists()})


# ---------------------------------------------------------------------------------------------------
# Actions
# ---------------------------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@audited_view(Act.VIEW, object_type=ObjectType.PLAN_ACTION, reference_kwarg="reference")
def action_create(request: CaseRequest, reference: str) -> HttpResponse:
    """Her borough's MASH lead adds an action to her plan."""
    subject = _subject(request, reference)
    if not capabilities.runs_casework_for(request.user, subject.home_borough_id):
        raise PermissionDenied
    form = ActionForm(_data(request), owners=services.owner_candidates(subject.home_borough_id))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            action = services.do_add_action(
                target=services.Target(subject=subject), description=data["description"], owner=data["owner"],
                due_on=data["due_on"], from_review=data["from_review"], source=ActionSource.PLAN, actor=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Action {action.reference} is added to her plan; its owner has been told.")
            return redirect("casework-subject", reference=subject.reference)
    return render(request, "casework/form.html", {
        "subject": subject, "form": form, "title": "Add an action to her plan", "button": "Add the action",
        "intro": "An action has one owner: a person at an agency, who sees it and marks it done."})


@require_GET
@audited_view(Act.LIST, object_type=ObjectType.PLAN_ACTION)
def action_list(request: CaseRequest) -> HttpResponse:
    """The actions this member may see: their own first, then their agency's, then (the MASH) the borough's
    overdue and open ones."""
    if not capabilities.sees_actions(request.user):
        raise Http404
    return render(request, "casework/action_list.html", queries.action_lists(request.user))


@require_http_methods(["GET", "POST"])
@audited_view(Act.VIEW, object_type=ObjectType.PLAN_ACTION, reference_kwarg="reference")
def action_detail(request: CaseRequest, reference: str) -> HttpResponse:
    """One action: what it needs, who owns it, when it is due; its owner (or the MASH) marks it done, the
    MASH cancels it."""
    action = get_visible_or_404(Action, request.user, reference=reference,
                                select_related=("borough", "owner_agency", "owner", "subject", "place", "group",
                                                "meeting"))
    request.audit_borough = action.borough
    if action.subject is not None and action.subject.status == SubjectStatus.ERASED:
        raise Http404
    allowed = queries.action_permissions(action, request.user)
    form = ActionUpdateForm(_data(request), initial={"version": action.version})
    if request.method == "POST":
        if not allowed:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                if data["change"] == "done":
                    services.do_complete_action(action, outcome_note=data["outcome_note"], version=data["version"],
                                                actor=request.user)
                elif "cancel" not in allowed:
                    form.add_error("change", "Only the MASH cancels an action.")
                else:
                    services.do_cancel_action(action, reason=data["cancel_reason"], note=data["cancel_note"],
                                              version=data["version"], actor=request.user)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                if not form.errors:
                    messages.success(request, f"Action {action.reference} is updated.")
                    return redirect("action-detail", reference=action.reference)
    return render(request, "casework/action_detail.html", {
        "action": action, "form": form, "allowed": allowed and action.status in LIVE_ACTION_STATUSES,
        "can_cancel": "cancel" in allowed,
        "subject_visible": action.subject_id is not None and Subject.objects.restrict(request.user, "view").filter(
            pk=action.subject_id).exists(),
        "overdue": action.is_overdue})


# ---------------------------------------------------------------------------------------------------
# Outcomes
# ---------------------------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@audited_view(Act.VIEW, object_type=ObjectType.OUTCOME, reference_kwarg="reference")
def outcome_create(request: CaseRequest, reference: str) -> HttpResponse:
    subject = _subject(request, reference)
    if not capabilities.can_record_outcome(request.user, subject):
        raise PermissionDenied
    form = OutcomeForm(_data(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.do_record_outcome(subject=subject, kind=data["kind"], occurred_on=data["occurred_on"],
                                       note=data["note"], actor=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "The outcome is recorded.")
            return redirect("casework-subject", reference=subject.reference)
    return render(request, "casework/form.html", {
        "subject": subject, "form": form, "title": "Record an outcome", "button": "Record it",
        "intro": "What changed for her, when, as your agency saw it."})


# ---------------------------------------------------------------------------------------------------
# MACE meetings
# ---------------------------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@audited_view(Act.LIST, object_type=ObjectType.MACE_MEETING)
def mace_list(request: CaseRequest) -> HttpResponse:
    """The borough's MACE meetings, and the form that schedules the next one (its agenda from the register)."""
    if not capabilities.runs_mace(request.user):
        raise Http404
    form = MeetingForm(_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.do_schedule_meeting(meets_on=form.cleaned_data["meets_on"], actor=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"MACE meeting {meeting.reference} is scheduled; its agenda is built from the "
                                      "register.")
            return redirect("mace-detail", reference=meeting.reference)
    meetings = MaceMeeting.objects.restrict(request.user, "manage").order_by("-meets_on")[:50]
    return render(request, "casework/mace_list.html", {"meetings": meetings, "form": form})


def _item_target(meeting: MaceMeeting, request: CaseRequest, reference: str) -> services.Target:
    """The young person, place or group a reference names, of the meeting's borough, as the chair sees it."""
    if reference.startswith("S-"):
        subject = Subject.objects.restrict(request.user, "view").filter(
            reference=reference, home_borough_id=meeting.borough_id).first()
        if subject is not None:
            return services.Target(subject=subject)
    elif reference.startswith("P-"):
        place = Place.objects.restrict(request.user, "view").filter(reference=reference,
                                                                    borough_id=meeting.borough_id).first()
        if place is not None:
            return services.Target(place=place)
    elif reference.startswith("G-"):
        group = Group.objects.restrict(request.user, "view").filter(reference=reference,
                                                                    borough_id=meeting.borough_id).first()
        if group is not None:
            return services.Target(group=group)
    raise ValidationError("There is no young person, place or group of this borough with that reference.")


@require_http_methods(["GET", "POST"])
@audited_view(Act.VIEW, object_type=ObjectType.MACE_MEETING, reference_kwarg="reference")
def mace_detail(request: CaseRequest, reference: str) -> HttpResponse:
    """The chair's page: the agenda (editable), attendance, sending the agenda, each item's discussion, the
    minutes. Members of an invited agency see only its date, status and the link to the minutes."""
    meeting = get_visible_or_404(MaceMeeting, request.user, reference=reference, select_related=("borough", "chair"))
    request.audit_borough = meeting.borough
    manages = MaceMeeting.objects.restrict(request.user, "manage").filter(pk=meeting.pk).exists()
    agencies = agency_choices(meeting.borough_id)
    form = MeetingChangeForm(_data(request), agencies=agencies,
                             initial={"version": meeting.version, "agencies": list(meeting.attendees.all())})
    if request.method == "POST":
        if not manages:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                _change_meeting(request, meeting, data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"MACE meeting {meeting.reference} is updated.")
                return redirect("mace-detail", reference=meeting.reference)
    context: dict[str, Any] = {"meeting": meeting, "manages": manages, "form": form,
                               "attendees": meeting.attendees.order_by("name"), "agencies": agencies}
    if manages:
        context.update(queries.agenda(meeting, request.user))
    return render(request, "casework/mace_detail.html", context)


def _change_meeting(request: CaseRequest, meeting: MaceMeeting, data: dict[str, Any]) -> None:
    change, version = data["change"], data["version"]
    if change == "attendance":
        services.do_set_attendance(meeting, agencies=list(data["agencies"]), version=version, actor=request.user)
    elif change == "add":
        services.do_add_agenda_item(meeting, target=_item_target(meeting, request, data["item"]), actor=request.user)
    elif change == "remove":
        target = _item_target(meeting, request, data["item"])
        item = AgendaItem.objects.restrict(request.user, "view").filter(meeting=meeting, **target.filter()).first()
        if item is None:
            raise ValidationError("That is not on the agenda.")
        services.do_remove_agenda_item(meeting, item=item, actor=request.user)
    elif change == "send":
        services.do_send_agenda(meeting, version=version, actor=request.user)
    else:
        services.do_record_minutes(meeting, version=version, actor=request.user)


@require_http_methods(["GET", "POST"])
@audited_view(Act.VIEW, object_type=ObjectType.MACE_MEETING, reference_kwarg="reference")
def mace_discuss(request: CaseRequest, reference: str, item: str) -> HttpResponse:
    """The chair records the discussion of one agenda item and the actions agreed."""
    meeting = get_visible_or_404(MaceMeeting, request.user, reference=reference, select_related=("borough",))
    request.audit_borough = meeting.borough
    if not MaceMeeting.objects.restrict(request.user, "manage").filter(pk=meeting.pk).exists():
        raise PermissionDenied
    try:
        target = _item_target(meeting, request, item)
    except ValidationError:
        raise Http404 from None
    if not AgendaItem.objects.restrict(request.user, "view").filter(meeting=meeting, **target.filter()).exists():
        raise Http404
    if target.subject is not None and target.subject.status != SubjectStatus.ACTIVE:
        raise Http404  # merged or erased: nothing of her is shown or recorded here
    done = MaceDiscussion.objects.restrict(request.user, "view").filter(meeting=meeting, **target.filter()).first()
    form = DiscussionForm(_data(request), owners=services.owner_candidates(meeting.borough_id))
    if request.method == "POST" and done is None and form.is_valid():
        data = form.cleaned_data
        try:
            services.do_record_discussion(
                meeting, target=target, record_text=data["record_text"], decisions=data["decisions"],
                actions=[services.AgreedAction(description=d, owner=o, due_on=due) for d, o, due in data["rows"]],
                actor=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"The discussion of {target.reference} is recorded.")
            return redirect("mace-detail", reference=meeting.reference)
    elif request.method == "POST" and done is not None:
        form.add_error(None, "Its discussion is already recorded.")
    return render(request, "casework/mace_discuss.html", {
        "meeting": meeting, "target": target, "form": form, "done": done,
        "actions": Action.objects.restrict(request.user, "view").filter(meeting=meeting, **target.filter())
        .select_related("owner_agency", "owner")})


@require_GET
@audited_view(Act.VIEW, object_type=ObjectType.MACE_MEETING, reference_kwarg="reference")
def mace_minutes(request: CaseRequest, reference: str) -> HttpResponse:
    """The minutes as a printable page (the browser's print stylesheet), marked OFFICIAL-SENSITIVE: each
    discussion and action only if this reader may see it. Before the meeting is held, the MASH only."""
    meeting = get_visible_or_404(MaceMeeting, request.user, reference=reference, select_related=("borough", "chair"))
    request.audit_borough = meeting.borough
    manages = MaceMeeting.objects.restrict(request.user, "manage").filter(pk=meeting.pk).exists()
    if meeting.status != MeetingStatus.HELD and not manages:
        raise PermissionDenied
    return render(request, "casework/mace_minutes.html", {
        "meeting": meeting, "attendees": meeting.attendees.order_by("name"),
        **queries.minutes(meeting, request.user), "printed_at": timezone.now()})


