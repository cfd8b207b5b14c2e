"""Statistical disclosure control (pure: no database): what may be published of a table of counts.

The rules follow the ONS and NHS Digital practice cited in README.md ("Partnership statistics"):

* **Primary suppression**: a count from 1 to ``threshold - 1`` (fewer than 10 by default) is not published.
  Zero is published: it identifies nobody.
* **Secondary (complementary) suppression**: a table is published with its totals, and a total is the sum
  of its parts (categories → the area's total; boroughs → London; months → their quarter). A suppressed
  cell must not be recoverable by subtraction, so every such relation that would leave exactly one cell
  hidden has a second one hidden too (the smallest published part, else the total); then, because several
  relations meet in one cell, an exact check solves the whole system of relations for the hidden cells
  (reduced row echelon form, over a prime field) and hides one more cell next to any it could pin down,
  until none can be.
* **Rounding**: every published count (totals too) is rounded to the nearest ``rounding_base`` (5), so a
  difference of published figures is only ever a range.
* **Rates and medians**: a percentage only from two published (unsuppressed) counts; a median or 90th
  percentile only from a group of at least ``threshold`` values.

Cells are identified by any hashable key; the caller says which cells sum to which (``Relation``).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

DEFAULT_THRESHOLD = 10
DEFAULT_ROUNDING_BASE = 5
# A Mersenne prime: arithmetic modulo it decides whether a hidden cell is determined by the relations.
_PRIME = (1 << 61) - 1
# The exact check solves each group of linked relations at once; its cost grows with the cube of the group.
# Larger groups (a measure where most cells are small all across London) keep the two-per-relation rule
# and rounding only: a known limit, README.md "Partnership statistics".
EXACT_CHECK_LIMIT = 5000

Key = Hashable


@dataclass(frozen=True)
class Relation:
    """``total`` is the sum of ``parts`` (all of them cells of the same table)."""

    total: Key
    parts: tuple[Key, ...]


@dataclass(frozen=True)
class Published:
    """What may be shown of a table: each cell's rounded count, or None where it is suppressed."""

    values: dict[Key, int | None]

    @property
    def suppressed(self) -> set[Key]:
        return {key for key, value in self.values.items() if value is None}


def round_to_base(value: int, base: int = DEFAULT_ROUNDING_BASE) -> int:
    """To the nearest multiple of ``base``, halves away from zero (12.5 → 15): NHS Digital's rounding."""
    if base <= 1:
        return value
    return int((Decimal(value) / base).quantize(Decimal(1), rounding=ROUND_HALF_UP)) * base


def primary_suppressed(value: int, threshold: int = DEFAULT_THRESHOLD) -> bool:
    """A count from 1 to ``threshold - 1`` is too small to publish."""
    return 0 < value < threshold


def _complement(relation: Relation, counts: Mapping[Key, int], hidden: set[Key]) -> Key | None:
    """The cell to hide next to a lone hidden one: the smallest published part (a non-zero one first, since
    a published zero is known anyway), else the total; None when every cell is already hidden."""
    open_parts = [part for part in relation.parts if part not in hidden]
    if open_parts:
        return min(open_parts, key=lambda part: (counts[part] == 0, counts[part], str(part)))
    return relation.total if relation.total not in hidden else None


def _one_per_relation(relations: Sequence[Relation], counts: Mapping[Key, int], hidden: set[Key]) -> None:
    """Hide cells until no relation has exactly one hidden cell."""
    changed = True
    while changed:
        changed = False
        for relation in relations:
            cells = (relation.total, *relation.parts)
            if sum(cell in hidden for cell in cells) == 1:
                extra = _complement(relation, counts, hidden)
                if extra is not None:
                    hidden.add(extra)
                    changed = True


def determined_cells(relations: Sequence[Relation], hidden: set[Key]) -> set[Key]:
    """The hidden cells whose value follows from the relations and the published cells (assuming, at
    worst, that the published cells were known exactly): those whose unit vector is a row of the reduced
    row echelon form of the relations restricted to the hidden cells."""
    order = {key: n for n, key in enumerate(sorted(hidden, key=str))}
    rows: list[dict[int, int]] = []
    for relation in relations:
        row: dict[int, int] = {}
        if relation.total in order:
            row[order[relation.total]] = 1
        for part in relation.parts:
            if part in order:
                column = order[part]
                row[column] = (row.get(column, 0) - 1) % _PRIME
        row = {column: value for column, value in row.items() if value}
        if row:
            rows.append(row)
    pivots: dict[int, dict[int, int]] = {}  # pivot column → its row, reduced against the other pivots
    for row in rows:
        for column, pivot_row in pivots.items():
            if column in row:
                _eliminate(row, pivot_row, column)
        if not row:
            continue
        column = min(row)
        inverse = pow(row[column], _PRIME - 2, _PRIME)
        row = {c: (v * inverse) % _PRIME for c, v in row.items()}
        for other in pivots.values():
            if column in other:
                _eliminate(other, row, column)
        pivots[column] = row
    keys = {n: key for key, n in order.items()}
    return {keys[column] for column, row in pivots.items() if len(row) == 1}


def _eliminate(row: dict[int, int], pivot_row: dict[int, int], column: int) -> None:
    factor = row[column]
    for c, v in pivot_row.items():
        value = (row.get(c, 0) - factor * v) % _PRIME
        if value:
            row[c] = value
        else:
            row.pop(c, None)


def _components(relations: Sequence[Relation], hidden: set[Key]) -> list[list[Relation]]:
    """The relations grouped by the hidden cells they share: each group is solved on its own."""
    parent: dict[int, int] = {n: n for n in range(len(relations))}

    def find(n: int) -> int:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    first_seen: dict[Key, int] = {}
    for n, relation in enumerate(relations):
        for cell in (relation.total, *relation.parts):
            if cell in hidden:
                if cell in first_seen:
                    parent[find(n)] = find(first_seen[cell])
                else:
                    first_seen[cell] = n
    groups: dict[int, list[Relation]] = {}
    for n, relation in enumerate(relations):
        if any(cell in hidden for cell in (relation.total, *relation.parts)):
            groups.setdefault(find(n), []).append(relation)
    return list(groups.values())


def protect(counts: Mapping[Key, int], relations: Iterable[Relation], *, threshold: int = DEFAULT_THRESHOLD,
            rounding_base: int = DEFAULT_ROUNDING_BASE) -> Published:
    """Primary and secondary suppression, then rounding, of one table of counts with its relations."""
    relations = [r for r in relations if r.parts]
    hidden = {key for key, value in counts.items() if primary_suppressed(value, threshold)}
    relations_of: dict[Key, list[Relation]] = {}
    for relation in relations:
        for cell in (relation.total, *relation.parts):
            relations_of.setdefault(cell, []).append(relation)
    while True:
        _one_per_relation(relations, counts, hidden)
        pinned: set[Key] = set()
        for group in _components(relations, hidden):
            if len(group) <= EXACT_CHECK_LIMIT:
                pinned |= determined_cells(group, hidden)
        if not pinned:
            break
        progress = False
        for cell in sorted(pinned, key=str):
            # Hide one more cell of a relation through this one that still has a published cell. A cell
            # pinned by relations that are all hidden already is pinned by zeros alone: it is zero.
            for relation in relations_of.get(cell, ()):
                extra = _complement(relation, counts, hidden)
                if extra is not None:
                    hidden.add(extra)
                    progress = True
                    break
        if not progress:
            break
    return Published({key: None if key in hidden else round_to_base(value, rounding_base)
                      for key, value in counts.items()})


def percentage(numerator: Decimal | int | None, denominator: Decimal | int | None) -> Decimal | None:
    """A whole percentage of two published counts, or None when either is suppressed or the base is 0."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return (Decimal(100) * numerator / denominator).quantize(Decimal(1), rounding=ROUND_HALF_UP)


def quantile(values: Sequence[float], fraction: float, *, threshold: int = DEFAULT_THRESHOLD) -> Decimal | None:
    """The ``fraction`` quantile (0.5: the median; 0.9: the 90th percentile) of at least ``threshold``
    values, by linear interpolation between order statistics (the "type 7" rule of R and numpy), to one
    decimal place; None for a smaller group."""
    if len(values) < max(threshold, 1):
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    value = ordered[low] + (ordered[high] - ordered[low]) * (position - low)
    return Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
