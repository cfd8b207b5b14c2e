"""Everything held about one subject, decrypted, for the data protection officer (a subject access
request), and the forecast of what retention will erase soon.

Read-only queries; the views record one access event per export. Associates' own identities are third
parties' personal data under their own keys, so the export names them by reference and role only.

Case work is hers too: her strategy discussions, what MACE meetings discussed about her (her
items only: another girl's discussion, or a place's or group's, at the same meeting is someone else's),
the actions of her plan and her outcomes, free text decrypted. So are the in-app notifications that name one
of her case's reference numbers: pseudonymised, but the controller can tie them to her (UK GDPR Art. 4(5),
Recital 26), and each says that a member of staff was told of a step in her case (``_notifications``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Max
from django.utils import timezone

from audit.models import AccessEvent
from casework.models import Action, AgendaItem, MaceDiscussion, MaceMeeting, Outcome, Plan, StrategyDiscussion
from dataprotection.models import BreakGlassGrant
from encryption import ERASED
from encryption.keys import prefetch_data_keys
from notifications.models import Notification
from referrals.choices import ActionTaken, SubjectStatus
from referrals.models import BoroughTransfer, Concern, Referral, SchoolTransfer, Subject, SubjectShare
from referrals.services import merged_into, subjects_due_for_erasure
from risk.map.models import Link
from risk.models import Assessment, ProtectiveFactor, RegisterEntry, RegisterReview, RiskDecision

FORECAST_DAYS = 90


def _value(value: Any) -> Any:
    if value is ERASED:
        return "Erased"
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _already_done(codes: Any) -> Any:
    """What the recorder had already done, in words (or "Erased")."""
    if codes is ERASED:
        return "Erased"
    return [ActionTaken(code).label for code in codes or () if code in ActionTaken.values]


def _user(user: Any) -> str:
    return "" if user is None else user.get_username()


def subject_access_data(subject: Subject) -> dict[str, Any]:
    """The whole record as plain data (dates as ISO 8601, London time), ready for JSON or a page."""
    if subject.status == SubjectStatus.ERASED:
        return {"reference": subject.reference, "status": "erased",
                "message": f"{subject.reference} has been erased. Nothing about her can be read any more."}
    merged = [each.reference for each in merged_into(subject)]
    data: dict[str, Any] = {
        "reference": subject.reference,
        "status": subject.status,
        "generated_at": _value(timezone.now()),
        "identity": {
            "given_name": _value(subject.given_name), "family_name": _value(subject.family_name),
            "other_names": _value(subject.other_names), "date_of_birth": _value(subject.date_of_birth),
            "age_estimate": _value(subject.age_estimate), "address": _value(subject.address),
            "identifiers": _value(subject.identifiers),
        },
        "home_borough": subject.home_borough.name,
        "merged_into": subject.merged_into.reference if subject.merged_into is not None else None,
        "records_merged_into_this": merged,
        "created_at": _value(subject.created_at),
        "retention_date": _value(subject.retention_date),
        "legal_hold": subject.legal_hold,
        # Her restriction of processing (UK GDPR Art. 18, or an objection): whether, since when and why (a code).
        "restriction": {"restricted": subject.restricted, "since": _value(subject.restricted_since),
                        "reason": subject.get_restriction_reason_display() if subject.restriction_reason else None},
    }
    concerns = (Concern.objects.filter(subject=subject).select_related("agency", "recorded_by")
                .prefetch_related("indicators").order_by("observed_on", "recorded_at"))
    data["concerns"] = [{
        "reference": c.reference, "agency": c.agency.name, "recorded_by": _user(c.recorded_by),
        "observed_on": _value(c.observed_on), "recorded_at": _value(c.recorded_at),
        "indicators": sorted(i.label for i in c.indicators.all()), "seriously_worried": c.seriously_worried,
        "narrative": _value(c.narrative), "identity_as_recorded": _value(c.subject_as_recorded),
        "already_done": _already_done(c.actions_taken),
    } for c in concerns]
    data["assessments"] = [{
        "assessed_at": _value(a.assessed_at), "score": a.score, "level": a.level,
        "model_version": a.model_version, "reason": a.reason, "explanation": a.explanation,
    } for a in Assessment.objects.filter(subject=subject).order_by("assessed_at", "id")]
    data["risk_decisions"] = [{
        "kind": d.get_kind_display(), "sign": d.indicator.label if d.indicator is not None else None,
        "level": d.level or None, "decided_on": _value(d.decided_on), "decided_by": _user(d.decided_by),
        "reason": _value(d.reason),
    } for d in RiskDecision._base_manager.filter(subject=subject).select_related("indicator", "decided_by")
        .order_by("decided_at", "id")]
    data["protective_factors"] = [{
        "kind": f.get_kind_display(), "observed_on": _value(f.observed_on), "agency": f.agency.name,
        "recorded_by": _user(f.recorded_by), "recorded_at": _value(f.recorded_at), "note": _value(f.note),
    } for f in ProtectiveFactor._base_manager.filter(subject=subject).select_related("agency", "recorded_by")
        .order_by("recorded_at", "id")]
    data["school_transfers"] = [{
        "reference": t.reference, "from": t.from_agency.name, "to": t.to_agency.name,
        "purpose": t.get_purpose_display(), "status": t.get_status_display(), "started_at": _value(t.started_at),
        "started_by": _user(t.started_by), "accepted_at": _value(t.accepted_at), "accepted_by": _user(t.accepted_by),
    } for t in SchoolTransfer._base_manager.filter(subject=subject)
        .select_related("from_agency", "to_agency", "started_by", "accepted_by").order_by("started_at", "id")]
    data["borough_transfers"] = [{
        "reference": t.reference, "from": t.from_borough.name, "to": t.to_borough.name,
        "reason": t.get_reason_display(), "note": _value(t.note), "status": t.get_status_display(),
        "started_at": _value(t.started_at), "started_by": _user(t.started_by), "decided_at": _value(t.decided_at),
        "decided_by": _user(t.decided_by), "decline_note": _value(t.decline_note),
    } for t in BoroughTransfer._base_manager.filter(subject=subject)
        .select_related("from_borough", "to_borough", "started_by", "decided_by").order_by("started_at", "id")]
    data["register"] = _register(subject)
    data["referrals"] = _referrals(subject)
    data["map_links"] = _links(subject)
    data["disclosures"] = _disclosures(subject)
    data.update(_casework(subject))
    data["emergency_access"] = [{
        "reference": g.reference, "opened_by": _user(g.user), "agency": g.agency.name,
        "opened_at": _value(g.opened_at), "until": _value(g.expires_at), "reason": _value(g.reason),
        "reviewed": g.reviewed_at is not None, "review_outcome": g.get_review_outcome_display(),
    } for g in BreakGlassGrant.objects.filter(subject=subject).select_related("user", "agency", "subject")
        .order_by("opened_at")]
    data["access_summary"] = [
        {"agency": row["actor_agency__name"] or "", "action": row["action"], "outcome": row["outcome"],
         "count": row["count"], "last": _value(row["last"])}
        for row in AccessEvent.objects.filter(object_type="subject", reference=subject.reference)
        .values("actor_agency__name", "action", "outcome").annotate(count=Count("id"), last=Max("occurred_at"))
        .order_by("actor_agency__name", "action", "outcome")
    ]
    data["notifications"] = _notifications(subject)
    return data


def _hers(subject: Subject) -> list[Any]:
    """Her record and the records merged into her: case work stays on the record it was recorded against
    (under that record's key, which her erasure shreds too)."""
    return [subject.pk, *(each.pk for each in merged_into(subject))]


def _casework(subject: Subject) -> dict[str, Any]:
    """Her case work, every row about her whoever may see it, free text decrypted. MACE: only
    the items about her (her place on an agenda, her discussion, the actions agreed for her), never the
    other items of the same meeting, which are other girls' or a place's or group's."""
    ids = _hers(subject)
    strategy = (StrategyDiscussion._base_manager.filter(subject_id__in=ids).select_related("borough", "recorded_by")
                .prefetch_related("agencies").order_by("held_at", "reference"))
    agenda = {item.meeting_id: item for item in AgendaItem._base_manager.filter(subject_id__in=ids)}
    discussions = {d.meeting_id: d for d in MaceDiscussion._base_manager.filter(subject_id__in=ids)
                   .select_related("recorded_by")}
    meetings = (MaceMeeting._base_manager.filter(pk__in={*agenda, *discussions}).select_related("borough", "chair")
                .prefetch_related("attendees").order_by("meets_on", "reference"))
    actions = (Action._base_manager.filter(subject_id__in=ids)
               .select_related("owner_agency", "owner", "created_by", "meeting", "strategy_discussion")
               .order_by("created_at", "reference"))
    outcomes = (Outcome._base_manager.filter(subject_id__in=ids).select_related("agency", "recorded_by")
                .order_by("occurred_on", "recorded_at"))
    mace = []
    for meeting in meetings:
        item, discussion = agenda.get(meeting.pk), discussions.get(meeting.pk)
        mace.append({
            "meeting": meeting.reference, "borough": meeting.borough.name, "meets_on": _value(meeting.meets_on),
            "meeting_status": meeting.get_status_display(), "chair": _user(meeting.chair),
            "agencies_present": sorted(a.name for a in meeting.attendees.all()),
            "on_agenda_because": item.get_reason_display() if item is not None else None,
            "discussed": discussion is not None,
            "record": _value(discussion.record) if discussion is not None else None,
            "decisions": _value(discussion.decisions) if discussion is not None else None,
            "recorded_by": _user(discussion.recorded_by) if discussion is not None else "",
            "recorded_at": _value(discussion.recorded_at) if discussion is not None else None,
        })
    return {
        "strategy_discussions": [{
            "reference": d.reference, "borough": d.borough.name, "held_at": _value(d.held_at),
            "due_at": _value(d.due_at), "within_clock": d.within_clock,
            "agencies": sorted(a.name for a in d.agencies.all()), "decision": d.get_decision_display(),
            "record": _value(d.record), "recorded_by": _user(d.recorded_by), "recorded_at": _value(d.recorded_at),
        } for d in strategy],
        "mace": mace,
        "plans": [{
            "kind": p.get_kind_display(), "borough": p.borough.name, "created_by": _user(p.created_by),
            "created_at": _value(p.created_at),
        } for p in Plan._base_manager.filter(subject_id__in=ids).select_related("borough", "created_by")
            .order_by("created_at")],
        "actions": [{
            "reference": a.reference, "agreed_at": a.get_source_display(),
            "meeting": a.meeting.reference if a.meeting is not None else None,
            "strategy_discussion": a.strategy_discussion.reference if a.strategy_discussion is not None else None,
            "description": _value(a.description), "owner_agency": a.owner_agency.name, "owner": _user(a.owner),
            "due_on": _value(a.due_on), "status": a.get_status_display(), "created_by": _user(a.created_by),
            "created_at": _value(a.created_at), "completed_at": _value(a.completed_at),
            "outcome_note": _value(a.outcome_note), "cancelled_at": _value(a.cancelled_at),
            "cancel_reason": a.get_cancel_reason_display() if a.cancel_reason else None,
            "cancel_note": _value(a.cancel_note),
        } for a in actions],
        "outcomes": [{
            "kind": o.get_kind_display(), "occurred_on": _value(o.occurred_on), "agency": o.agency.name,
            "note": _value(o.note), "recorded_by": _user(o.recorded_by), "recorded_at": _value(o.recorded_at),
        } for o in outcomes],
    }


def case_references(subject: Subject) -> set[str]:
    """Every reference number of her case that a notification can name: her record's (and the records merged
    into her), her concerns', referrals', transfers', strategy discussions' and actions'. A MACE meeting's
    reference is not hers: a meeting discusses several girls and contexts (her agenda item is in the export)."""
    ids = _hers(subject)
    references = set(Subject._base_manager.filter(pk__in=ids).values_list("reference", flat=True))
    for model in (Concern, Referral, SchoolTransfer, BoroughTransfer, StrategyDiscussion, Action):
        references |= set(model._base_manager.filter(subject_id__in=ids).values_list("reference", flat=True))
    return references


def _notifications(subject: Subject) -> list[dict[str, Any]]:
    """Who was told what about her case, and when (the in-app inbox): the kind, the reference, whether
    urgent and read. The recipient is a member of staff (a third party, withheld by the letter)."""
    rows = (Notification.objects.filter(reference__in=case_references(subject)).select_related("recipient")
            .order_by("created_at", "id"))
    return [{
        "at": _value(n.created_at), "kind": n.get_kind_display(), "reference": n.reference, "urgent": n.urgent,
        "recipient": _user(n.recipient), "read_at": _value(n.read_at),
    } for n in rows]


def _register(subject: Subject) -> dict[str, Any] | None:
    entry = RegisterEntry.objects.filter(subject=subject).select_related("borough").first()
    if entry is None:
        return None
    history = entry.history.order_by("history_date", "history_id").select_related("history_user")
    reviews = RegisterReview.objects.filter(entry=entry).select_related("reviewed_by").order_by("reviewed_at")
    return {
        "borough": entry.borough.name, "status": entry.status, "level": entry.level,
        "added_at": _value(entry.added_at), "next_review_on": _value(entry.next_review_on),
        "history": [{
            "at": _value(h.history_date), "change": h.get_history_type_display(), "by": _user(h.history_user),
            "status": h.status, "level": h.level, "removal_reason": h.removal_reason or "",
        } for h in history],
        "reviews": [{
            "reviewed_at": _value(r.reviewed_at), "by": _user(r.reviewed_by), "outcome": r.get_outcome_display(),
            "notes": _value(r.notes), "next_review_on": _value(r.next_review_on),
        } for r in reviews],
    }


def _referrals(subject: Subject) -> list[dict[str, Any]]:
    referrals = (Referral.objects.filter(subject=subject)
                 .select_related("from_agency", "to_agency", "receiving_agency", "referred_by", "subject")
                 .prefetch_related("transitions__actor", "pathways__receiving_agency").order_by("received_at"))
    return [{
        "reference": r.reference, "from_agency": r.from_agency.name, "referred_by": _user(r.referred_by),
        "to": r.to_agency.name, "automatic": r.automatic, "summary": _value(r.summary),
        "legal_basis": r.get_legal_basis_display(), "consent": r.get_consent_display(),
        "consent_override_reason": _value(r.consent_override_reason), "state": r.state,
        "decision": r.get_decision_display(), "pathway": r.get_pathway_display(),
        "receiving_agency": r.receiving_agency.name if r.receiving_agency is not None else "",
        "decision_reason": _value(r.decision_reason), "received_at": _value(r.received_at),
        "decided_at": _value(r.decided_at), "closed_at": _value(r.closed_at),
        "routing": [{
            "at": _value(t.at), "from": t.from_state, "to": t.to_state, "by": _user(t.actor),
            # The reason is encrypted under the referral's subject key, which is hers.
            "reason": _value(t.reason),
        } for t in r.transitions.all()],
        # Each pathway of the MASH's decision: where she was routed, its status and clock, her
        # consent where it was needed, and the reason for adding it or leaving it out (under her key).
        "pathways": [{
            "pathway": p.pathway, "catalogue_version": p.catalogue_version,
            "receiving_agency": p.receiving_agency.name if p.receiving_agency is not None else "",
            "recommended": p.recommended, "status": p.get_status_display(), "consent": p.consent or None,
            "due_at": _value(p.due_at), "responded_at": _value(p.responded_at), "reason": _value(p.reason),
        } for p in r.pathways.all()],
    } for r in referrals]


def _links(subject: Subject) -> list[dict[str, Any]]:
    links = (Link.objects.filter(subject=subject)
             .select_related("associate", "place", "group", "source_agency").order_by("first_seen", "reference"))
    rows = []
    for link in links:
        if link.associate is not None:
            other = {"kind": "associate", "reference": link.associate.reference,
                     "role": link.associate.get_role_display(), "age_band": link.associate.get_age_band_display()}
        elif link.place is not None:
            other = {"kind": "place", "reference": link.place.reference, "name": link.place.name,
                     "place_kind": link.place.get_kind_display()}
        elif link.group is not None:
            other = {"kind": "group", "reference": link.group.reference, "name": link.group.name}
        else:
            other = {"kind": "young person"}
        rows.append({
            "reference": link.reference, "type": link.get_link_type_display(), "with": other,
            "source_agency": link.source_agency.name, "first_seen": _value(link.first_seen),
            "last_seen": _value(link.last_seen), "expires_on": _value(link.expires_on), "status": link.status,
        })
    return rows


def _disclosures(subject: Subject) -> list[dict[str, Any]]:
    """Every share of her record with another agency: with whom, when, why, until when, and its end."""
    history = (SubjectShare.history.filter(content_object_id=subject.pk)
               .select_related("group__agency", "granted_by", "history_user").order_by("history_date", "history_id"))
    return [{
        "at": _value(h.history_date),
        "change": {"+": "shared", "~": "share changed", "-": "share ended"}.get(h.history_type, h.history_type),
        "agency": h.group.agency.name if hasattr(h.group, "agency") else "",
        "purpose": h.purpose, "granted_by": _user(h.granted_by), "granted_at": _value(h.granted_at),
        "until": _value(h.expires_at), "by": _user(h.history_user),
    } for h in history]


@dataclass
class ForecastRow:
    reference: str
    home_borough: str
    retention_date: dt.date
    erased_on: dt.date
    rule: str


def _rule(subject: Subject) -> str:
    years = settings.SUBJECT_RETENTION_YEARS
    if subject.date_of_birth not in (None, ERASED):
        return f"{years} years after date of birth (to the end of that month)"
    return f"{years} years after the estimated year of birth (to the end of that year)"


def forecast_rows(subjects: list[Subject], today: dt.date) -> list[ForecastRow]:
    """Rows for one page of the forecast: the date retention erases each, and the rule that applies."""
    prefetch_data_keys(s.data_key_id for s in subjects)
    return [ForecastRow(
        reference=s.reference, home_borough=s.home_borough.name, retention_date=s.retention_date,
        # apply_retention erases the day after the retention date (or at its next run if that has passed).
        erased_on=max(s.retention_date + dt.timedelta(days=1), today), rule=_rule(s),
    ) for s in subjects]


def erasure_forecast(today: dt.date | None = None, *, on_legal_hold: bool = False) -> Any:
    """Who ``apply_retention`` will erase within ``FORECAST_DAYS`` (or, ``on_legal_hold``, who it would
    but for a legal hold): the very selection the command uses, looking further ahead."""
    return subjects_due_for_erasure(today, within_days=FORECAST_DAYS, on_legal_hold=on_legal_hold).select_related(
        "home_borough")
