"""Reads the case tables for the nightly aggregation: one set-based query per source, never one per girl.

This is a job, not a page: it reads every borough's rows (``_base_manager``, no viewer), keeps no
reference, name or free text (only borough ids, days, codes), and returns ``measures.Events`` for
``partnership.tables`` to count. Merged and erased records are left out: a merged record's concerns are
counted under the record that survives it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.db.models import Count, Min, OuterRef, Subquery
from django.utils import timezone

from casework.models import Outcome, StrategyDiscussion
from partnership.choices import Measure
from partnership.measures import (
    FIRST_KINDS,
    MISSING_SIGNS,
    NOT_SPECIALIST,
    PATHWAY_FAMILIES,
    STRATEGY_PATHWAY,
    Events,
)
from referrals.choices import PathwayStatus, SubjectStatus
from referrals.models import Concern, Referral, ReferralPathway, Subject
from risk.choices import RemovalReason
from risk.map.models import Link, active_links_q
from risk.models import RegisterEntry, RegisterReview, RegisterStatus

_KNOWN_KINDS = {code for code, _label in FIRST_KINDS}
_FAMILY = {code: family for family, codes in PATHWAY_FAMILIES.items() for code in codes}


def _day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def age_band(age: int | None) -> str:
    if age is None:
        return "unknown"
    if age < 13:
        return "under_13"
    if age < 16:
        return "13_15"
    if age < 18:
        return "16_17"
    return "18_plus"


def read_events(since: dt.date, today: dt.date) -> Events:
    """Every event from ``since`` to ``today`` that a measure counts (and, for durations, the start of
    each girl's clock, however long ago)."""
    events = Events()
    start = timezone.make_aware(dt.datetime.combine(since, dt.time.min))
    _identification(events, start)
    _referrals(events, start)
    _register(events, since, start, today)
    _missing(events, since)
    _contexts(events, today)
    _outcomes(events, since)
    return events


def _identification(events: Events, start: dt.datetime) -> None:
    first = Concern._base_manager.filter(subject_id=OuterRef("pk")).order_by("recorded_at", "id")
    subjects = (Subject._base_manager.filter(status=SubjectStatus.ACTIVE)
                .annotate(first_at=Subquery(first.values("recorded_at")[:1]),
                          first_kind=Subquery(first.values("agency__kind")[:1]),
                          first_age=Subquery(first.values("age_at_observation")[:1]),
                          first_seen=Min("concerns__observed_on"))
                .values_list("pk", "home_borough_id", "first_at", "first_kind", "first_age", "first_seen"))
    clocks: dict[Any, tuple[int, dt.date]] = {}
    identified, ages = [], []
    for pk, borough, first_at, kind, age, first_seen in subjects.iterator(chunk_size=5000):
        if first_at is None:
            continue
        clocks[pk] = (borough, first_seen)
        if first_at >= start:
            day = _day(first_at)
            identified.append((borough, day, kind if kind in _KNOWN_KINDS else "other"))
            ages.append((borough, day, age_band(age)))
    events.counts[Measure.IDENTIFIED] = identified
    events.counts[Measure.AGE_AT_IDENTIFICATION] = ages
    # Clocks from the day the first signs were seen: to her first MASH decision, to her first specialist
    # pathway. Counted in the period of the decision.
    decisions = (Referral._base_manager.filter(decided_at__isnull=False).values("subject_id")
                 .annotate(first=Min("decided_at")).filter(first__gte=start).values_list("subject_id", "first"))
    events.durations[Measure.DAYS_TO_DECISION] = [
        (clocks[pk][0], _day(at), float((_day(at) - clocks[pk][1]).days))
        for pk, at in decisions if pk in clocks]
    pathways = (ReferralPathway._base_manager.exclude(status=PathwayStatus.LEFT_OUT)
                .exclude(pathway__in=NOT_SPECIALIST).values("referral__subject_id")
                .annotate(first=Min("decided_at")).filter(first__gte=start)
                .values_list("referral__subject_id", "first"))
    events.durations[Measure.DAYS_TO_PATHWAY] = [
        (clocks[pk][0], _day(at), float((_day(at) - clocks[pk][1]).days))
        for pk, at in pathways if pk in clocks]


def _referrals(events: Events, start: dt.datetime) -> None:
    now = timezone.now()
    decided = Referral._base_manager.filter(decided_at__gte=start, subject__status=SubjectStatus.ACTIVE)
    events.counts[Measure.REFERRAL_DECISIONS] = [
        (borough, _day(at), "within" if at <= due else "later")
        for borough, at, due in decided.values_list("borough_id", "decided_at", "decision_due_at") if at is not None]
    # The first strategy discussion held for each pathway that called one (case work records them).
    held = (StrategyDiscussion._base_manager.filter(pathway_id=OuterRef("pk")).order_by("held_at")
            .values("held_at")[:1])
    rows = (ReferralPathway._base_manager.filter(decided_at__gte=start,
                                                 referral__subject__status=SubjectStatus.ACTIVE)
            .exclude(status=PathwayStatus.LEFT_OUT)
            .annotate(held_at=Subquery(held))
            .values_list("referral__borough_id", "decided_at", "pathway", "due_at", "held_at"))
    chosen, strategy = [], []
    for borough, at, pathway, due, held_at in rows:
        chosen.append((borough, _day(at), _FAMILY.get(pathway, "other")))
        if pathway != STRATEGY_PATHWAY:
            continue
        if held_at is not None:
            outcome = "within" if due is None or held_at <= due else "outside"
        else:
            outcome = "running" if due is None or due > now else "outside"
        strategy.append((borough, _day(at), outcome))
    events.counts[Measure.PATHWAYS_CHOSEN] = chosen
    events.counts[Measure.STRATEGY_DISCUSSIONS] = strategy


def _register(events: Events, since: dt.date, start: dt.datetime, today: dt.date) -> None:
    """Entries, exits, the level mix at each month's end and reviews, from the register's row history
    (simple-history keeps every change of level and status, with when it happened)."""
    active = {"subject__status": SubjectStatus.ACTIVE}
    entries = {pk: (borough, added, cadence) for pk, borough, added, cadence in
               RegisterEntry._base_manager.filter(**active)
               .values_list("pk", "borough_id", "added_at", "review_cadence_days")}
    history = (RegisterEntry.history.filter(id__in=list(entries))
               .order_by("id", "history_date", "history_id")
               .values_list("id", "history_date", "status", "level", "removed_at", "removal_reason_code"))
    entered, exits, stays = [], [], []
    # Per entry: its (from, until, level) spells on the register, to read the level mix at each month end.
    spells: dict[int, list[tuple[dt.datetime, dt.datetime | None, str]]] = defaultdict(list)
    previous: dict[int, tuple[str, dt.datetime, str]] = {}  # id → (status, since, level)
    for pk, when, status, level, removed_at, reason in history.iterator(chunk_size=5000):
        borough = entries[pk][0]
        before = previous.get(pk)
        if status == RegisterStatus.ON:
            if before is None or before[0] != RegisterStatus.ON:
                since_at = entries[pk][1] if before is None else when
                if since_at >= start:
                    entered.append((borough, _day(since_at), level))
                previous[pk] = (status, since_at, level)
            else:
                # A change of level while on: the spell so far ends at the old level.
                spells[pk].append((before[1], when, before[2]))
                previous[pk] = (status, when, level)
        elif before is not None and before[0] == RegisterStatus.ON:
            left = removed_at or when
            spells[pk].append((before[1], left, before[2]))
            if left >= start:
                exits.append((borough, _day(left), reason or RemovalReason.NOT_RECORDED))
                began = _entry_start(spells[pk], before[1])
                stays.append((borough, _day(left), float((_day(left) - _day(began)).days)))
            previous[pk] = (status, left, level)
    for pk, (status, since_at, level) in previous.items():
        if status == RegisterStatus.ON:
            spells[pk].append((since_at, None, level))
    events.counts[Measure.REGISTER_ENTRIES] = entered
    events.counts[Measure.REGISTER_EXITS] = exits
    events.durations[Measure.DAYS_ON_REGISTER] = stays
    events.counts[Measure.REGISTER_LEVELS] = _levels_at_month_ends(spells, entries, since, today)
    events.counts[Measure.REGISTER_REVIEWS] = _reviews(entries, start)


def _entry_start(spells: list[tuple[dt.datetime, dt.datetime | None, str]], last_from: dt.datetime) -> dt.datetime:
    """When the stay that just ended began: back through spells that follow each other without a gap."""
    began = last_from
    for spell_from, spell_until, _level in reversed(spells[:-1]):
        if spell_until == began:
            began = spell_from
        else:
            break
    return began


def month_ends(since: dt.date, today: dt.date) -> list[dt.date]:
    """The last day of each month from ``since`` up to today (today itself for the current month)."""
    ends, first = [], since.replace(day=1)
    while first <= today:
        following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        ends.append(min(following - dt.timedelta(days=1), today))
        first = following
    return ends


def _levels_at_month_ends(spells: dict[int, list[tuple[dt.datetime, dt.datetime | None, str]]],
                          entries: dict[int, tuple[int, dt.datetime, int]], since: dt.date,
                          today: dt.date) -> list[tuple[int, Any, str]]:
    counted: list[tuple[int, Any, str]] = []
    for end in month_ends(since, today):
        moment = timezone.make_aware(dt.datetime.combine(end, dt.time.max))
        for pk, own in spells.items():
            for spell_from, spell_until, level in own:
                if spell_from <= moment and (spell_until is None or spell_until > moment):
                    counted.append((entries[pk][0], end, level))
                    break
    return counted


def _reviews(entries: dict[int, tuple[int, dt.datetime, int]], start: dt.datetime) -> list[tuple[int, Any, str]]:
    """Each review on time or late: due on the date the previous review set, or one cadence after entry."""
    rows = (RegisterReview._base_manager.filter(entry_id__in=list(entries))
            .order_by("entry_id", "reviewed_at").values_list("entry_id", "reviewed_at", "next_review_on"))
    counted: list[tuple[int, Any, str]] = []
    due_on: dict[int, dt.date] = {}
    for pk, reviewed_at, next_on in rows:
        borough, added, cadence = entries[pk]
        due = due_on.get(pk, _day(added) + dt.timedelta(days=cadence))
        if reviewed_at >= start:
            counted.append((borough, _day(reviewed_at), "on_time" if _day(reviewed_at) <= due else "late"))
        due_on[pk] = next_on
    return counted


def _missing(events: Events, since: dt.date) -> None:
    """Girls with two or more concerns about going missing seen in the same month."""
    rows = (Concern._base_manager.filter(observed_on__gte=since, indicators__code__in=MISSING_SIGNS,
                                         subject__status=SubjectStatus.ACTIVE)
            .values_list("id", "subject_id", "subject__home_borough_id", "observed_on").distinct())
    by_girl_month: dict[tuple[Any, dt.date], set[Any]] = defaultdict(set)
    borough_of: dict[Any, int] = {}
    for concern, subject, borough, observed in rows:
        by_girl_month[(subject, observed.replace(day=1))].add(concern)
        borough_of[subject] = borough
    events.counts[Measure.REPEAT_MISSING] = [
        (borough_of[subject], month, "") for (subject, month), concerns in by_girl_month.items()
        if len(concerns) >= 2]


def _contexts(events: Events, today: dt.date) -> None:
    """People, places and groups linked to the map's threshold of girls or more (one query per kind)."""
    threshold = settings.MAP_CONTEXT_THRESHOLD
    counting = Link._base_manager.filter(active_links_q(today=today), subject__isnull=False,
                                         subject__status=SubjectStatus.ACTIVE)
    found = []
    for kind in ("associate", "place", "group"):
        column = f"{kind}_id"
        for _node, borough, _n in (counting.filter(**{f"{column}__isnull": False}).values(column)
                                   .annotate(n=Count("subject_id", distinct=True), borough=Min("borough_id"))
                                   .filter(n__gte=threshold).values_list(column, "borough", "n")):
            found.append((borough, kind))
    events.snapshot[Measure.CONTEXTS] = found


def _outcomes(events: Events, since: dt.date) -> None:
    """Case work's coded outcomes, on the day they happened, in her home borough (the note is never read)."""
    rows = (Outcome._base_manager.filter(occurred_on__gte=since, subject__status=SubjectStatus.ACTIVE)
            .values_list("subject__home_borough_id", "occurred_on", "kind"))
    events.counts[Measure.OUTCOMES] = [(borough, day, kind) for borough, day, kind in rows.iterator(chunk_size=5000)]
