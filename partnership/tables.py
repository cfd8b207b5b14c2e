"""From events to published figures (pure: no database): count each measure by area, period and
category, state how its cells add up, and put every table through disclosure control.

Areas are the boroughs (by id) and London (``None``). Periods are months (``2026-03``) and quarters
(``2026-Q1``); a snapshot measure has the one period ``current``. The relations a reader could subtract
along are all declared, so secondary suppression protects every one of them at once:

* within an area and period: the groups are sums of their categories, and the total the sum of groups;
* across areas: London is the sum of the boroughs;
* across time: a quarter is the sum of its months (except for a stock, such as the level mix at the end of
  a period, whose quarter is its last month-end).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from partnership.choices import CURRENT, MEDIAN, P90, TOTAL, Measure
from partnership.disclosure import Relation, protect, quantile
from partnership.measures import COUNT, DAYS, SNAPSHOT, SPECS, Events, MeasureSpec

LONDON = None
STOCKS = frozenset({Measure.REGISTER_LEVELS})


@dataclass(frozen=True)
class Cell:
    """One figure as published: ``value`` None where it is suppressed."""

    measure: str
    borough_id: int | None
    period: str
    category: str
    value: Decimal | None


def month_code(day: dt.date) -> str:
    return f"{day.year}-{day.month:02d}"


def quarter_code(day: dt.date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def first_period(today: dt.date, quarters: int = 5) -> dt.date:
    """The first day of the quarter ``quarters - 1`` quarters before today's: five quarters are published
    (this one so far and the four before it), every month of them up to today's."""
    index = today.year * 4 + (today.month - 1) // 3 - (quarters - 1)
    return dt.date(index // 4, (index % 4) * 3 + 1, 1)


def periods(since: dt.date, today: dt.date) -> tuple[list[str], dict[str, list[str]]]:
    """The months from ``since`` to today's, and each quarter's months among them."""
    months: list[str] = []
    quarters: dict[str, list[str]] = {}
    day = since.replace(day=1)
    while day <= today:
        months.append(month_code(day))
        quarters.setdefault(quarter_code(day), []).append(month_code(day))
        day = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return months, quarters


def _categories(spec: MeasureSpec) -> list[str]:
    return [*(code for code, _ in spec.categories), *(code for code, _, _ in spec.groups), TOTAL]


def _within_relations(spec: MeasureSpec, area: Any, period: str) -> list[Relation]:
    leaves = [code for code, _ in spec.categories]
    if not leaves:
        return []
    if spec.groups:
        relations = [Relation((area, period, code), tuple((area, period, leaf) for leaf in members))
                     for code, _label, members in spec.groups]
        relations.append(Relation((area, period, TOTAL), tuple((area, period, code) for code, _, _ in spec.groups)))
        return relations
    return [Relation((area, period, TOTAL), tuple((area, period, leaf) for leaf in leaves))]


def count_table(spec: MeasureSpec, events: Iterable[tuple[int, Any, str]], boroughs: Sequence[int],
                months: list[str], quarters: dict[str, list[str]]) -> tuple[dict[Any, int], list[Relation]]:
    """The raw counts of one count measure, keyed (area, period, category), and its relations."""
    categories = _categories(spec)
    group_of = spec.group_of()
    snapshot = spec.periods == SNAPSHOT
    period_list = [CURRENT] if snapshot else [*months, *(q for q in quarters if spec.measure not in STOCKS)]
    counts: Counter[Any] = Counter()
    known = set(boroughs)
    for borough, day, category in events:
        if borough not in known:
            continue
        if snapshot:
            keys = [CURRENT]
        else:
            month = month_code(day) if isinstance(day, dt.date) else str(day)
            if month not in months:
                continue
            keys = [month] if spec.measure in STOCKS else [month, quarter_code(day)]
        shown = [category] if spec.categories else []
        if category in group_of:
            shown.append(group_of[category])
        for period in keys:
            for area in (borough, LONDON):
                for code in [*shown, TOTAL]:
                    counts[(area, period, code)] += 1
    table = {(area, period, code): counts[(area, period, code)]
             for area in [*boroughs, LONDON] for period in period_list for code in categories}
    relations: list[Relation] = []
    for period in period_list:
        for area in [*boroughs, LONDON]:
            relations.extend(_within_relations(spec, area, period))
        for code in categories:
            relations.append(Relation((LONDON, period, code), tuple((b, period, code) for b in boroughs)))
    if not snapshot and spec.measure not in STOCKS:
        for quarter, its_months in quarters.items():
            for area in [*boroughs, LONDON]:
                for code in categories:
                    relations.append(Relation((area, quarter, code), tuple((area, m, code) for m in its_months)))
    return dict(table), relations


def publish_counts(spec: MeasureSpec, events: Iterable[tuple[int, Any, str]], boroughs: Sequence[int],
                   months: list[str], quarters: dict[str, list[str]], *, threshold: int,
                   rounding_base: int) -> list[Cell]:
    counts, relations = count_table(spec, events, boroughs, months, quarters)
    published = protect(counts, relations, threshold=threshold, rounding_base=rounding_base)
    cells = []
    for key, value in published.values.items():
        area, period, code = cast(tuple[int | None, str, str], key)  # count_table's keys
        cells.append(Cell(spec.code, area, period, code, None if value is None else Decimal(value)))
    if spec.measure in STOCKS:  # a quarter's stock is its last month's
        for quarter, its_months in quarters.items():
            for area in [*boroughs, LONDON]:
                for code in _categories(spec):
                    value = published.values[(area, its_months[-1], code)]
                    cells.append(Cell(spec.code, area, quarter, code, None if value is None else Decimal(value)))
    return cells


def publish_durations(spec: MeasureSpec, events: Iterable[tuple[int, Any, float]], boroughs: Sequence[int],
                      months: list[str], *, threshold: int) -> list[Cell]:
    """Median and 90th percentile days per area and period, only for groups of at least ``threshold``."""
    values: dict[tuple[Any, str], list[float]] = defaultdict(list)
    known = set(boroughs)
    for borough, day, days in events:
        if borough not in known or month_code(day) not in months:
            continue
        for period in (month_code(day), quarter_code(day)):
            for area in (borough, LONDON):
                values[(area, period)].append(days)
    quarters = list(dict.fromkeys(quarter_code(dt.date(int(m[:4]), int(m[5:]), 1)) for m in months))
    cells = []
    for area in [*boroughs, LONDON]:
        for period in [*months, *quarters]:
            group = values.get((area, period), [])
            cells.append(Cell(spec.code, area, period, MEDIAN, quantile(group, 0.5, threshold=threshold)))
            cells.append(Cell(spec.code, area, period, P90, quantile(group, 0.9, threshold=threshold)))
    return cells


def publish_all(events: Events, boroughs: Sequence[int], since: dt.date, today: dt.date, *, threshold: int,
                rounding_base: int) -> list[Cell]:
    """Every measure's published cells."""
    months, quarters = periods(since, today)
    cells: list[Cell] = []
    for spec in SPECS.values():
        if spec.kind == DAYS:
            cells += publish_durations(spec, events.durations.get(spec.code, []), boroughs, months,
                                       threshold=threshold)
        elif spec.kind == COUNT and spec.periods == SNAPSHOT:
            snapshot = [(borough, None, category) for borough, category in events.snapshot.get(spec.code, [])]
            cells += publish_counts(spec, snapshot, boroughs, months, quarters, threshold=threshold,
                                    rounding_base=rounding_base)
        else:
            cells += publish_counts(spec, events.counts.get(spec.code, []), boroughs, months, quarters,
                                    threshold=threshold, rounding_base=rounding_base)
    return cells
