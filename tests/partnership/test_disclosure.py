"""Statistical disclosure control (partnership/disclosure.py, tables.py): suppression, rounding, medians, and
an attacker who tries to recover suppressed cells from the published totals, and fails."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partnership.choices import TOTAL
from partnership.disclosure import (
    Relation,
    determined_cells,
    percentage,
    primary_suppressed,
    protect,
    quantile,
    round_to_base,
)
from partnership.measures import SPECS
from partnership.tables import count_table, first_period, periods


@pytest.mark.parametrize(("value", "rounded"), [
    (0, 0), (2, 0), (3, 5), (7, 5), (8, 10), (10, 10), (12, 10), (13, 15), (17, 15), (18, 20), (102, 100),
    (103, 105), (12345, 12345)])
def test_rounding_to_the_nearest_five_halves_up(value, rounded):
    assert round_to_base(value, 5) == rounded


@pytest.mark.parametrize(("value", "suppressed"), [(0, False), (1, True), (9, True), (10, False), (250, False)])
def test_primary_suppression_is_one_to_nine_at_the_default_threshold(value, suppressed):
    assert primary_suppressed(value) is suppressed


def test_a_lone_small_cell_takes_the_smallest_other_part_with_it():
    # Three agency kinds and their total: 4 is primary; 12 (the smallest other part) goes with it, so that
    # 4 = total - 30 - 12 cannot be worked out.
    counts = {"a": 4, "b": 30, "c": 12, "t": 46}
    published = protect(counts, [Relation("t", ("a", "b", "c"))])
    assert published.values == {"a": None, "b": 30, "c": None, "t": 45}


def test_a_hidden_total_hides_a_part_too():
    counts = {"a": 4, "b": 3, "c": 40, "t": 47}
    published = protect(counts, [Relation("t", ("a", "b", "c"))])
    # Two parts are already hidden: nothing more is needed.
    assert published.values == {"a": None, "b": None, "c": 40, "t": 45}
    counts = {"a": 5, "t": 5}
    published = protect(counts, [Relation("t", ("a",))])
    assert published.values == {"a": None, "t": None}


def test_zero_is_published_and_never_chosen_when_a_non_zero_part_can_go():
    counts = {"a": 3, "b": 0, "c": 15, "t": 18}
    published = protect(counts, [Relation("t", ("a", "b", "c"))])
    assert published.values == {"a": None, "b": 0, "c": None, "t": 20}


def test_secondary_suppression_follows_a_cell_across_boroughs_and_months():
    # Two boroughs and London; the Lambeth cell is small: Southwark's and London's must not give it away.
    counts = {("L", "m1"): 3, ("S", "m1"): 40, ("Ldn", "m1"): 43,
              ("L", "m2"): 20, ("S", "m2"): 25, ("Ldn", "m2"): 45,
              ("L", "q"): 23, ("S", "q"): 65, ("Ldn", "q"): 88}
    relations = [Relation(("Ldn", m), (("L", m), ("S", m))) for m in ("m1", "m2", "q")]
    relations += [Relation((area, "q"), ((area, "m1"), (area, "m2"))) for area in ("L", "S", "Ldn")]
    published = protect(counts, relations)
    assert published.values[("L", "m1")] is None
    assert determined_cells(relations, published.suppressed) == set()
    # Every relation has no hidden cell or at least two.
    for relation in relations:
        hidden = [cell for cell in (relation.total, *relation.parts) if cell in published.suppressed]
        assert len(hidden) != 1, relation


def test_the_exact_check_finds_a_cell_pinned_by_two_relations():
    # x and y are each hidden in a pair, but x is the only hidden part of the relation z = x + w.
    relations = [Relation("t1", ("x", "y")), Relation("t2", ("x", "w"))]
    assert determined_cells(relations, {"x", "y"}) == {"x", "y"}
    assert determined_cells(relations, {"x", "y", "w"}) == set()


def test_percentages_only_from_published_counts():
    assert percentage(Decimal(15), Decimal(60)) == Decimal(25)
    assert percentage(None, Decimal(60)) is None
    assert percentage(Decimal(15), None) is None
    assert percentage(Decimal(0), Decimal(0)) is None


def test_medians_only_from_groups_of_at_least_the_threshold():
    assert quantile([5.0] * 9, 0.5) is None
    days = [float(n) for n in range(1, 11)]  # 1..10 days
    assert quantile(days, 0.5) == Decimal("5.5")
    assert quantile(days, 0.9) == Decimal("9.1")
    assert quantile(days, 0.5, threshold=11) is None


# ---------------------------------------------------------------------------------------------------
# The attacker: every relation the published tables obey, solved exactly over the rationals for the hidden
# cells, knowing even the *true* value of every published cell (stronger than anyone who only has the
# rounded figures). No hidden cell may come out determined.
# ---------------------------------------------------------------------------------------------------
def _attacker_recovers(relations: list[Relation], true: dict, hidden: set) -> dict:
    """Gauss–Jordan elimination with Fractions; returns {cell: value} for every hidden cell it pins down."""
    columns = sorted(hidden, key=str)
    index = {cell: n for n, cell in enumerate(columns)}
    rows = []
    for relation in relations:
        coefficients = [Fraction(0)] * len(columns)
        constant = Fraction(0)  # total - parts = 0, known cells moved to the right-hand side
        for cell, sign in [(relation.total, 1), *((part, -1) for part in relation.parts)]:
            if cell in index:
                coefficients[index[cell]] += sign
            else:
                constant -= sign * true[cell]
        if any(coefficients):
            rows.append([*coefficients, constant])
    pivot_row, pivots = 0, []
    for column in range(len(columns)):
        found = next((r for r in range(pivot_row, len(rows)) if rows[r][column] != 0), None)
        if found is None:
            continue
        rows[pivot_row], rows[found] = rows[found], rows[pivot_row]
        lead = rows[pivot_row][column]
        rows[pivot_row] = [value / lead for value in rows[pivot_row]]
        for r in range(len(rows)):
            if r != pivot_row and rows[r][column] != 0:
                factor = rows[r][column]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[pivot_row], strict=True)]
        pivots.append((pivot_row, column))
        pivot_row += 1
    recovered = {}
    for r, column in pivots:
        if all(rows[r][c] == 0 for c in range(len(columns)) if c != column):
            recovered[columns[column]] = rows[r][-1]
    return recovered


def _interval_attack(relations: list[Relation], published: dict, threshold: int, base: int) -> dict:
    """What someone with only the published figures can bound: each published count v stands for the
    integers that round to it (and that are not suppressed), each hidden cell for 0 or more; the relations
    then tighten the bounds until nothing changes."""
    half = base // 2
    bounds: dict = {}
    for cell, value in published.items():
        if value is None:
            bounds[cell] = [0, 10**9]
        elif value == 0:
            bounds[cell] = [0, 0]
        else:
            bounds[cell] = [max(value - half, threshold), value + half]
    for _ in range(50):
        changed = False
        for relation in relations:
            parts = relation.parts
            # total = sum(parts)
            low = sum(bounds[p][0] for p in parts)
            high = sum(bounds[p][1] for p in parts)
            t = bounds[relation.total]
            if low > t[0] or high < t[1]:
                t[0], t[1] = max(t[0], low), min(t[1], high)
                changed = True
            for part in parts:
                others_low = low - bounds[part][0]
                others_high = high - bounds[part][1]
                new_low = max(bounds[part][0], t[0] - others_high)
                new_high = min(bounds[part][1], t[1] - others_low)
                if (new_low, new_high) != tuple(bounds[part]):
                    low += new_low - bounds[part][0]
                    high += new_high - bounds[part][1]
                    bounds[part] = [new_low, new_high]
                    changed = True
        if not changed:
            break
    return bounds


TODAY = dt.date(2026, 11, 29)
KINDS = [code for code, _ in SPECS["identified"].categories]
events_strategy = st.lists(
    st.tuples(st.sampled_from([1, 2, 3]), st.integers(min_value=0, max_value=200), st.sampled_from(KINDS)),
    min_size=0, max_size=120)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=events_strategy, threshold=st.sampled_from([3, 5, 10]))
def test_no_suppressed_cell_can_be_recovered_from_the_published_totals(events, threshold):
    """A real table (agency kinds with their groups and total; three boroughs and London; months and
    quarters) from random first concerns: whatever the data, the attacker pins down no hidden cell."""
    since = first_period(TODAY)
    months, quarters = periods(since, TODAY)
    dated = [(borough, since + dt.timedelta(days=offset * 2), kind) for borough, offset, kind in events]
    counts, relations = count_table(SPECS["identified"], dated, [1, 2, 3], months, quarters)
    published = protect(counts, relations, threshold=threshold)
    hidden = published.suppressed
    assert not any(0 < value < threshold for key, value in counts.items() if key not in hidden)
    assert _attacker_recovers(relations, counts, hidden) == {}
    bounds = _interval_attack(relations, published.values, threshold, 5)
    for cell in hidden:
        low, high = bounds[cell]
        assert low <= counts[cell] <= high, cell  # the attack is sound: the truth stays inside its bounds
        if 0 < counts[cell] < threshold:
            assert low < high, (cell, counts[cell], bounds[cell])


def test_the_attacker_does_recover_a_cell_left_alone():
    """The attacker is not toothless: without secondary suppression it finds the small cell at once."""
    counts = {"a": 4, "b": 30, "t": 34}
    relations = [Relation("t", ("a", "b"))]
    assert _attacker_recovers(relations, counts, {"a"}) == {"a": 4}


def test_published_categories_are_agency_kinds_never_agencies():
    categories = {code for code, _ in SPECS["identified"].shown_categories}
    assert categories <= {*KINDS, "universal", "police_or_yot", "other_services"}
    counts, _relations = count_table(SPECS["identified"], [], [1], *periods(first_period(TODAY), TODAY))
    assert {key[2] for key in counts} == {*categories, TOTAL}
