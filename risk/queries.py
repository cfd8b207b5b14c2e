"""Read-side queries of risk, each a constant number of SQL statements whatever the number of rows."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When

from agencies import capabilities
from agencies.models import PEOPLE
from encryption.keys import prefetch_data_keys
from referrals.choices import LIVE_PATHWAY_STATUSES, Judgement, ReferralState
from referrals.models import Concern, Referral, ReferralPathway, Subject
from risk import pathways
from risk.choices import RiskLevel
from risk.models import (
    Assessment,
    Indicator,
    PathwayCatalogue,
    RegisterEntry,
    RegisterStatus,
    RiskDecision,
    SubjectRisk,
)
from risk.scoring import LEVEL_RANK, LEVELS, ConcernFact, Decision


def current_levels(subject_ids: Iterable[Any], *, within: QuerySet[SubjectRisk] | None = None) -> dict[Any, str]:
    """The current risk level of each subject (one query); subjects never assessed, or outside ``within``
    (a page passes ``SubjectRisk.objects.restrict(user, action)``; jobs pass nothing), are absent."""
    rows = SubjectRisk.objects.all() if within is None else within
    return dict(rows.filter(subject_id__in=list(subject_ids)).values_list("subject_id", "level"))


def load_facts(subject_ids: list[Any]) -> dict[Any, list[ConcernFact]]:
    """The scoring facts of many subjects in one query: their concerns, one row per indicator (a left
    join, so a concern with no indicator still counts)."""
    facts: dict[Any, list[ConcernFact]] = {pk: [] for pk in subject_ids}
    if not subject_ids:
        return facts
    concerns: dict[Any, tuple[Any, ...]] = {}
    indicators: dict[Any, list[tuple[str, str]]] = {}
    for concern_id, reference, subject_id, agency_id, observed_on, worried, judgement, age, code, kind in (
            Concern.objects.filter(subject_id__in=subject_ids).order_by().values_list(
                "id", "reference", "subject_id", "agency_id", "observed_on", "seriously_worried", "judgement",
                "age_at_observation", "indicators__code", "indicators__kind")):
        concerns[concern_id] = (reference, subject_id, agency_id, observed_on, worried, judgement, age)
        found = indicators.setdefault(concern_id, [])
        if code is not None:
            found.append((code, kind))
    for concern_id, (reference, subject_id, agency_id, observed_on, worried, judgement, age) in concerns.items():
        facts[subject_id].append(ConcernFact(
            reference=reference, agency_id=agency_id, observed_on=observed_on, seriously_worried=worried,
            indicators=tuple(sorted(indicators[concern_id])),
            # Concerns recorded before the three-step judgement: "seriously worried" is its middle step.
            judgement=judgement or (Judgement.SERIOUSLY_WORRIED.value if worried else ""), age=age))
    return facts


def load_decisions(subject_ids: list[Any]) -> dict[Any, list[Decision]]:
    """The MASH's decisions the scoring model weighs (signs explained, level reviews), per subject, in
    one query; never their reasons."""
    decisions: dict[Any, list[Decision]] = {pk: [] for pk in subject_ids}
    if not subject_ids:
        return decisions
    for subject_id, kind, code, level, on in (
            RiskDecision.objects.filter(subject_id__in=subject_ids).order_by()
            .values_list("subject_id", "kind", "indicator__code", "level", "decided_on")):
        decisions[subject_id].append(Decision(kind=kind, on=on, code=code or "", level=level or ""))
    return decisions


def timeline(subject_id: Any, *, within: QuerySet[Assessment] | None = None) -> list[Assessment]:
    """A subject's assessments, oldest first (one query); only those in ``within`` (a page passes
    ``Assessment.objects.restrict(user, "view")``) when given."""
    rows = Assessment.objects.all() if within is None else within
    return list(rows.filter(subject_id=subject_id).order_by("assessed_at", "id"))


def lead_candidates(borough_id: int) -> QuerySet[User]:
    """Users who may be named lead professional: active members of active agencies in the borough."""
    return get_user_model().objects.filter(
        PEOPLE, is_active=True, membership__is_active=True, membership__agency__is_active=True,
        membership__agency__borough_id=borough_id,
    ).order_by("last_name", "first_name", "username")


SORTS = {
    # name: (field, descending)
    "level": ("level_rank", True),
    "review": ("next_review_on", False),
    "newest": ("added_at", True),
}


def register_entries(borough_id: int, *, level: str = "", rising: bool = False, overdue: bool = False,
                     new: bool = False, lead: int | None = None, agency: int | None = None,
                     today: dt.date, now: dt.datetime, rising_days: int = 28,
                     within: QuerySet[RegisterEntry] | None = None) -> QuerySet[RegisterEntry]:
    """The borough's register (entries on it), filtered; annotated with ``rising``. Pages pass
    ``within=RegisterEntry.objects.restrict(user, "view")``; jobs and the benchmark read it whole."""
    base = RegisterEntry.objects.all() if within is None else within
    entries = (
        # Merged and erased records leave the register with their subject (their concerns, and so their
        # risk, moved to the surviving record, which is assessed in its own right).
        base.filter(borough_id=borough_id, status=RegisterStatus.ON, subject__status="active")
        .select_related("subject", "lead_professional", "subject__risk")
    )
    if level:
        entries = entries.filter(level=level)
    if rising:
        entries = entries.filter(subject_id__in=_rising_ids(borough_id, now, rising_days))
    if overdue:
        entries = entries.filter(next_review_on__lt=today)
    if new:
        entries = entries.filter(added_at__gte=now - dt.timedelta(days=7))
    if lead:
        entries = entries.filter(lead_professional_id=lead)
    if agency:
        entries = entries.filter(Exists(Concern.objects.filter(subject_id=OuterRef("subject_id"), agency_id=agency)))
    return entries


def with_register_markers(entries: QuerySet[RegisterEntry], *, now: dt.datetime) -> QuerySet[RegisterEntry]:
    """Annotate register entries, in the same query, with what each row marks: whether one of
    her referral pathways is past its clock while still the receiving service's (``pathway_overdue``),
    and the latest age recorded with a concern and when (``known_age``, ``known_age_on``) from which her
    age today is carried forward, so the register can say when she is 18 or over without a query per row
    (an age worked out from a date of birth when the concern was recorded, never the date itself)."""
    overdue = ReferralPathway._base_manager.filter(
        referral__subject_id=OuterRef("subject_id"), status__in=LIVE_PATHWAY_STATUSES, due_at__lt=now,
        referral__state__in=ROUTED_OPEN_STATES)
    latest = (Concern.objects.filter(subject_id=OuterRef("subject_id"), age_at_observation__isnull=False)
              .order_by("-observed_on", "-recorded_at"))
    return entries.annotate(pathway_overdue=Exists(overdue),
                            known_age=Subquery(latest.values("age_at_observation")[:1]),
                            known_age_on=Subquery(latest.values("observed_on")[:1]))


def register_ages(entries: list[RegisterEntry], today: dt.date) -> dict[Any, int | None]:
    """Her age today for each entry of a register page (entries from ``with_register_markers``, their
    subjects loaded): from the date of birth on her record (her data keys unwrapped in one query, so her
    birthday counts on the day), else the latest age recorded with a concern, carried forward."""
    prefetch_data_keys(entry.subject.data_key_id for entry in entries)
    ages: dict[Any, int | None] = {}
    for entry in entries:
        born = entry.subject.date_of_birth
        if born is not None:
            ages[entry.pk] = max(0, years_between(born, today))
            continue
        known, on = getattr(entry, "known_age", None), getattr(entry, "known_age_on", None)
        ages[entry.pk] = None if known is None or on is None else known + int((today - on).days // 365.25)
    return ages


def agencies_involved(subject_ids: Iterable[Any]) -> dict[Any, list[str]]:
    """The agencies that recorded concerns about each of these young people, names sorted: one query for
    a page of a MASH lead's list (the MASH sees every concern about her borough's young people)."""
    found: dict[Any, set[str]] = {}
    for subject_id, name in (Concern.objects.filter(subject_id__in=list(subject_ids))
                             .values_list("subject_id", "agency__name").distinct()):
        found.setdefault(subject_id, set()).add(name)
    return {subject_id: sorted(names) for subject_id, names in found.items()}


def _rising_ids(borough_id: int, now: dt.datetime, days: int) -> QuerySet[SubjectRisk, dict[str, Any]]:
    """Subjects whose level went up within the last ``days`` (a subquery, not a separate round trip). It
    starts from the recent level changes (indexed), not from the borough's whole register."""
    previous_rank = Case(*[When(previous_level=lvl, then=Value(rank)) for lvl, rank in LEVEL_RANK.items()],
                         output_field=IntegerField())
    return (SubjectRisk.objects.filter(level_changed_at__gte=now - dt.timedelta(days=days))
            .annotate(previous_rank=previous_rank).filter(level_rank__gt=F("previous_rank")).values("subject_id"))


def is_rising(risk: SubjectRisk | None, now: dt.datetime, days: int = 28) -> bool:
    return bool(risk and risk.level_changed_at and risk.level_changed_at >= now - dt.timedelta(days=days)
                and risk.level_rank > LEVEL_RANK[risk.previous_level])


def level_counts(borough_id: int, *, within: QuerySet[RegisterEntry] | None = None) -> dict[str, int]:
    """How many entries are on the borough's register at each level (two small queries); only entries in
    ``within`` (a page passes ``RegisterEntry.objects.restrict(user, "view")``) when given.

    Counted from the register's own index (no look-up of each entry's subject, which grew with the
    register), less the entries of the few merged or erased records, found from their partial index."""
    base = RegisterEntry.objects.all() if within is None else within
    on = base.filter(borough_id=borough_id, status=RegisterStatus.ON)
    counts = Counter({row["level_rank"]: row["n"]
                      for row in on.order_by().values("level_rank").annotate(n=Count("pk"))})
    gone = (on.filter(subject_id__in=Subject.objects.exclude(status="active").values("pk"))
            .order_by().values("level_rank").annotate(n=Count("pk")))
    counts.subtract({row["level_rank"]: row["n"] for row in gone})
    return {LEVELS[rank]: n for rank, n in counts.items() if n > 0}


def keyset_page(entries: QuerySet[RegisterEntry], sort: str, after: str, size: int) -> tuple[list[RegisterEntry], str]:
    """One page after the cursor ``after`` ("value~id"); returns the rows and the next cursor ("" at the end).

    Keyset pagination on (sort field, id): the cost of a page does not grow with how far one has paged.
    """
    field, descending = SORTS.get(sort, SORTS["level"])
    order = [f"-{field}", "-id"] if descending else [field, "id"]
    if after and "~" in after:
        raw_value, _sep, raw_id = after.rpartition("~")
        try:
            last_id = int(raw_id)
            value: Any = _parse(field, raw_value)
        except ValueError:
            value = None
        if value is not None:
            if descending:
                entries = entries.filter(Q(**{f"{field}__lt": value}) | Q(**{field: value, "id__lt": last_id}))
            else:
                entries = entries.filter(Q(**{f"{field}__gt": value}) | Q(**{field: value, "id__gt": last_id}))
    rows = list(entries.order_by(*order)[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    cursor = ""
    if more and rows:
        last = rows[-1]
        raw = getattr(last, field)
        cursor = f"{raw.isoformat() if hasattr(raw, 'isoformat') else raw}~{last.pk}"
    return rows, cursor


def _parse(field: str, raw: str) -> Any:
    if field == "level_rank":
        return int(raw)
    if field == "next_review_on":
        return dt.date.fromisoformat(raw)
    parsed = dt.datetime.fromisoformat(raw)
    if parsed.tzinfo is None:
        raise ValueError("naive cursor")
    return parsed


# ---------------------------------------------------------------------------------------------------
# Pathway recommendations (``risk.pathways``)
# ---------------------------------------------------------------------------------------------------
# A referral names a pathway that is open for her once the MASH has routed it, until it is closed or
# declined (a declined referral goes back to screening without its pathway).
ROUTED_OPEN_STATES = (ReferralState.DECIDED, ReferralState.ACCEPTED)


# The active catalogue, cached per process like the active scoring model: every MASH page that shows
# recommendations would otherwise read and check it again. Activating a version (or any save of one)
# clears this process's copy at once; other processes follow within ACTIVE_CATALOGUE_SECONDS.
ACTIVE_CATALOGUE_SECONDS = 30.0
_catalogue_cache: tuple[float, pathways.Catalogue] | None = None


def active_pathway_catalogue() -> pathways.Catalogue:
    """The active pathway catalogue, checked (one query unless this process read it in the last
    ``ACTIVE_CATALOGUE_SECONDS``); version 1 from code before migration 0013."""
    global _catalogue_cache
    cached = _catalogue_cache
    if cached is not None and time.monotonic() - cached[0] < ACTIVE_CATALOGUE_SECONDS:
        return cached[1]
    row = PathwayCatalogue.objects.active()
    catalogue = pathways.load(row.config if row is not None else pathways.V1_CATALOGUE)
    _catalogue_cache = (time.monotonic(), catalogue)
    return catalogue


def forget_active_pathway_catalogue(**_kwargs: Any) -> None:
    """Drop this process's copy of the active pathway catalogue (on activation, or any save of one)."""
    global _catalogue_cache
    _catalogue_cache = None


def years_between(born: dt.date, on: dt.date) -> int:
    """Whole years from ``born`` to ``on`` (her age on that day)."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def age_today(subject: Subject, user: Any, today: dt.date) -> int | None:
    """Her age today: from the date of birth on her record, else from the latest age recorded with a
    concern the viewer may see (``Concern.age_at_observation``), carried forward to today; None when
    nobody knows (the rules then treat her as a child)."""
    born = subject.date_of_birth
    if born is not None:
        return max(0, years_between(born, today))
    latest = (Concern.objects.restrict(user, "view").filter(subject=subject, age_at_observation__isnull=False)
              .order_by("-observed_on", "-reference").values_list("age_at_observation", "observed_on").first())
    if latest is None:
        return None
    age, observed_on = latest
    if age is None:
        return None
    return age + int((today - observed_on).days // 365.25)


def open_pathways(subject: Subject, user: Any) -> set[str]:
    """The pathways live for her (awaiting or accepted by the receiving service) among the referrals the
    viewer may see (one query)."""
    visible = Referral.objects.restrict(user, "view").filter(subject=subject, state__in=ROUTED_OPEN_STATES)
    return set(ReferralPathway.objects.filter(referral__in=visible, status__in=LIVE_PATHWAY_STATUSES)
               .values_list("pathway", flat=True))


def pathway_proposal(subject: Subject, user: Any, *, today: dt.date, level: str | None = None,
                     explanation: dict[str, Any] | None = None,
                     catalogue: pathways.Catalogue | None = None) -> pathways.Proposal | None:
    """The pathways the active catalogue recommends for her, with reasons, or None for anyone who may not
    see them (``capabilities.can_see_pathway_recommendations``: her borough's MASH leads). Her facts are
    read through ``restrict``; a page that has already loaded her level and latest explanation passes them
    so that nothing is read twice. A constant number of queries: at most five."""
    if not capabilities.can_see_pathway_recommendations(user, subject):
        return None
    if level is None or explanation is None:
        risk = SubjectRisk.objects.restrict(user, "view").filter(subject=subject).first()
        latest = Assessment.objects.restrict(user, "view").filter(subject=subject).order_by(
            "-assessed_at", "-id").first()
        level = risk.level if risk is not None else RiskLevel.NONE.value
        explanation = latest.explanation if latest is not None else {}
    facts = pathways.facts_from_assessment(level, explanation, age=age_today(subject, user, today),
                                           open_pathways=open_pathways(subject, user))
    return pathways.recommend(facts, catalogue or active_pathway_catalogue())


def pathway_recommendations(subject: Subject, user: Any, *, today: dt.date, level: str | None = None,
                            explanation: dict[str, Any] | None = None,
                            sign_labels: dict[str, str] | None = None) -> dict[str, Any] | None:
    """``pathway_proposal`` described for a page (``pathways.describe``), or None for anyone who may not
    see it. Sign labels are read in one query unless the page passes them."""
    if not capabilities.can_see_pathway_recommendations(user, subject):
        return None
    catalogue = active_pathway_catalogue()
    proposal = pathway_proposal(subject, user, today=today, level=level, explanation=explanation,
                                catalogue=catalogue)
    if proposal is None:
        return None
    return describe_proposal(proposal, catalogue, sign_labels=sign_labels)


def describe_proposal(proposal: pathways.Proposal, catalogue: pathways.Catalogue, *,
                      sign_labels: dict[str, str] | None = None) -> dict[str, Any]:
    """A proposal described for a page (``pathways.describe``): the labels of the signs it names are read
    in one query unless the page passes them."""
    if sign_labels is None:
        codes = {code for item in (*proposal.recommended, *proposal.already_open) for reason in item.reasons
                 for code in reason.matched.get("codes", ())}
        sign_labels = dict(Indicator.objects.filter(code__in=codes).values_list("code", "label")) if codes else {}
    return pathways.describe(proposal, catalogue, sign_labels)
