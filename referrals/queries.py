"""Read-side queries for the referral pages, each a constant number of SQL statements."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from agencies import capabilities
from encryption.keys import prefetch_data_keys
from encryption.models import BlindIndex
from referrals.choices import LIVE_PATHWAY_STATUSES, IdentityIndex, PathwayStatus, SubjectStatus
from referrals.models import Concern, Referral, ReferralPathway, Subject
from risk.models import Indicator
from risk.queries import agencies_involved, years_between


@dataclass
class Identity:
    """Identity as one viewer may see it: canonical for MASH leads and receiving workers; otherwise
    exactly what the viewer (or their agency) entered, so nobody learns what other agencies recorded."""

    given_name: Any
    family_name: Any
    other_names: Any = ""
    date_of_birth: Any = None
    age_estimate: Any = None
    address: Any = ""
    identifiers: Any = None
    as_recorded: bool = False
    # The borough she lives in: the record's for the MASH and receiving services; for a recorder, the one
    # they (or their agency) chose when recording, never the record's (which may come from another agency).
    borough: str = ""


def chronology(subject: Subject, user: Any) -> list[Concern]:
    """The concerns about ``subject`` this user may see, in time order (three queries)."""
    return list(
        Concern.objects.restrict(user, "view")
        .filter(subject=subject)
        .select_related("agency", "recorded_by", "subject")
        .prefetch_related(Prefetch("indicators", queryset=Indicator.objects.order_by("display_order")))
        .order_by("observed_on", "recorded_at")
    )


def _from_snapshot(snapshot: dict[str, Any] | None) -> Identity | None:
    if not snapshot or not isinstance(snapshot, dict):
        return None
    dob = snapshot.get("date_of_birth")
    return Identity(
        given_name=snapshot.get("given_name", ""), family_name=snapshot.get("family_name", ""),
        other_names=snapshot.get("other_names", ""),
        date_of_birth=dt.date.fromisoformat(dob) if dob else None,
        age_estimate=snapshot.get("age_estimate"), address=snapshot.get("address", ""),
        identifiers=snapshot.get("identifiers") or None, as_recorded=True,
        borough=snapshot.get("home_borough") or "",
    )


def _canonical(subject: Subject) -> Identity:
    return Identity(
        given_name=subject.given_name, family_name=subject.family_name, other_names=subject.other_names or "",
        date_of_birth=subject.date_of_birth, age_estimate=subject.age_estimate, address=subject.address or "",
        identifiers=subject.identifiers or None, borough=subject.home_borough.name,
    )


def identity_for(subject: Subject, user: Any, visible_concerns: Iterable[Concern] | None = None) -> Identity | None:
    if subject.status == SubjectStatus.ERASED:
        return None
    if capabilities.sees_canonical_identity(user):
        return _canonical(subject)
    concerns = list(visible_concerns) if visible_concerns is not None else chronology(subject, user)
    for concern in sorted(concerns, key=lambda c: c.recorded_at, reverse=True):
        identity = _from_snapshot(concern.subject_as_recorded)
        if identity is not None:
            return identity
    return None


def visible_subjects(user: Any) -> QuerySet[Subject]:
    """The subjects this user may see, with counts of the concerns they may see, most recent first."""
    visible_concerns = Concern.objects.restrict(user, "view")
    return (
        Subject.objects.restrict(user, "view")
        .exclude(status=SubjectStatus.MERGED)
        .select_related("home_borough")
        .annotate(
            visible_concern_count=Count("concerns", filter=Q(concerns__in=visible_concerns)),
            latest_concern=Max("concerns__recorded_at", filter=Q(concerns__in=visible_concerns)),
        )
        .order_by("-latest_concern", "-created_at", "id")
    )


def list_rows(subjects: list[Subject], user: Any) -> list[dict[str, Any]]:
    """One row per subject with the name this user may see, decrypting a page with batched key loads."""
    prefetch_data_keys(s.data_key_id for s in subjects)
    canonical = capabilities.sees_canonical_identity(user)
    latest: dict[Any, Concern] = {}
    if not canonical:
        for concern in (
            Concern.objects.restrict(user, "view")
            .filter(subject__in=subjects)
            .select_related("subject")
            .order_by("subject_id", "-recorded_at")
        ):
            # The name as the viewer entered it last: a later concern recorded from her page carries no
            # details, and must not turn the row into "Erased".
            if concern.subject_id not in latest and _from_snapshot(concern.subject_as_recorded) is not None:
                latest[concern.subject_id] = concern
    rows = []
    for subject in subjects:
        if subject.status == SubjectStatus.ERASED:
            identity = None
        elif canonical:
            identity = _canonical(subject)
        else:
            last = latest.get(subject.pk)
            identity = _from_snapshot(last.subject_as_recorded) if last else None
        rows.append({"subject": subject, "identity": identity})
    return rows


def list_heading(user: Any) -> str:
    """What the "Young people" list holds for this user, in their terms."""
    if capabilities.is_mash_lead(user):
        return "Young people in your borough"
    if capabilities.is_designated_safeguarding_lead(user):
        return "Your agency's concerns"
    if capabilities.is_receiving_worker(user):
        return "Young people shared with your agency"
    return "Your concerns"


REASONS = dict(IdentityIndex.choices)


def candidate_duplicates(user: Any) -> list[dict[str, Any]]:
    """Pairs of active subjects this user may see that share a matching blind index.

    One self-join over the blind-index table, restricted to the user's visible subjects; the MASH lead
    judges each pair, nothing is merged automatically.
    """
    visible = Subject.objects.restrict(user, "view").filter(status=SubjectStatus.ACTIVE)
    # The blind indexes are in the key store, another database: ask it by id, in chunks.
    keys = list(visible.values_list("data_key_id", flat=True))
    entries: list[tuple[Any, ...]] = []
    for start in range(0, len(keys), 5000):
        entries += BlindIndex.objects.filter(data_key_id__in=keys[start:start + 5000], kind__in=list(REASONS)) \
            .values_list("kind", "digest", "data_key_id")
    by_digest: dict[tuple[str, str], list[Any]] = {}
    for kind, digest, key_id in entries:
        by_digest.setdefault((kind, digest), []).append(key_id)
    pairs: dict[tuple[Any, Any], set[str]] = {}
    for (kind, _digest), key_ids in by_digest.items():
        key_ids = sorted(set(key_ids), key=str)
        for i, first in enumerate(key_ids):
            for second in key_ids[i + 1:]:
                pairs.setdefault((first, second), set()).add(REASONS[kind])
    if not pairs:
        return []
    subjects = {s.data_key_id: s for s in visible.filter(
        data_key_id__in={k for pair in pairs for k in pair}).select_related("home_borough")}
    prefetch_data_keys(subjects)
    rows: list[dict[str, Any]] = []
    for (first, second), reasons in pairs.items():
        a, b = subjects[first], subjects[second]
        a, b = sorted((a, b), key=lambda s: s.created_at)
        rows.append({"first": a, "second": b, "reasons": sorted(reasons),
                     "first_identity": _canonical(a), "second_identity": _canonical(b)})
    rows.sort(key=lambda row: row["second"].created_at, reverse=True)
    people = people_for_mash([s for row in rows for s in (row["first"], row["second"])], timezone.localdate())
    for row in rows:
        row["first_person"], row["second_person"] = people.get(row["first"].pk), people.get(row["second"].pk)
    return rows


@dataclass(frozen=True)
class Person:
    """A young person as a MASH lead's lists show her: name, age today, and the agencies involved."""

    name: str
    age: int | None
    agencies: tuple[str, ...]


def people_for_mash(subjects: Iterable[Subject], today: dt.date) -> dict[Any, Person]:
    """Name, age and agencies involved for the young people of one page of a MASH lead's list: their data
    keys in one query, the agencies in one more, whatever the page's length. Only for MASH leads, who see
    every concern about their borough's young people and may see names."""
    subjects = [s for s in subjects if s.status == SubjectStatus.ACTIVE]
    if not subjects:
        return {}
    prefetch_data_keys([s.data_key_id for s in subjects])
    involved = agencies_involved(s.pk for s in subjects)
    people = {}
    for subject in subjects:
        born = subject.date_of_birth
        people[subject.pk] = Person(f"{subject.given_name} {subject.family_name}",
                                    years_between(born, today) if born else None,
                                    tuple(involved.get(subject.pk, ())))
    return people


# ---------------------------------------------------------------------------------------------------
# Pathways of a MASH decision
# ---------------------------------------------------------------------------------------------------
def overdue_pathway(now: dt.datetime, agency: Any = None) -> Exists:
    """For a referral queryset (``OuterRef("pk")``): one of its pathways (``agency``'s, when given) is
    past its clock while still the receiving service's. The referral was restricted already; this reads
    only its own pathways' status and deadline."""
    rows = ReferralPathway._base_manager.filter(referral_id=OuterRef("pk"), status__in=LIVE_PATHWAY_STATUSES,
                                                due_at__lt=now)
    if agency is not None:
        rows = rows.filter(receiving_agency=agency)
    return Exists(rows)


def agency_pathway(agency: Any, statuses: Iterable[str]) -> Exists:
    """For a referral queryset: one of its pathways routed to ``agency`` is in one of ``statuses``."""
    return Exists(ReferralPathway._base_manager.filter(referral_id=OuterRef("pk"), receiving_agency=agency,
                                                       status__in=list(statuses)))


def routed_pathway_codes(referral: Referral) -> list[str]:
    """The pathways a referral (already visible to the viewer) was routed into, for the referrer's side,
    who sees the decision but not who received it or why."""
    return list(ReferralPathway._base_manager.filter(referral=referral).exclude(status=PathwayStatus.LEFT_OUT)
                .order_by("decided_at", "pathway").values_list("pathway", flat=True))
