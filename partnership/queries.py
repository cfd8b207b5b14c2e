"""What a statistics page reads: the newest run and one area's published cells (two queries, whatever the
size of the case tables), arranged per measure with its chart, table and rates."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.safestring import SafeString

from agencies import capabilities
from agencies.models import Borough
from partnership import chart
from partnership.choices import CURRENT, MEDIAN, P90, TOTAL
from partnership.disclosure import percentage
from partnership.measures import BARS, DAYS, ENFORCEMENT, LINE, SNAPSHOT, SPECS, STACKED, UNIVERSAL, MeasureSpec
from partnership.models import PublishedCell, StatisticsRun

LONDON_SLUG = "london"
QUARTERS, MONTHS = "quarter", "month"
SUPPRESSED = "[c]"  # ONS's mark for a figure withheld to protect confidentiality
# The rates shown beside counts: (numerator category, label); the denominator is the table's total.
RATES: dict[str, tuple[tuple[str, str], ...]] = {
    "identified": ((UNIVERSAL, "First identified by universal services"),
                   (ENFORCEMENT, "First identified by youth offending or police")),
    "referral_decisions": (("within", "Decided within one working day"),),
    "strategy_discussions": (("within", "Within the clock"),),
    "register_reviews": (("on_time", "On time"),),
}


@dataclass(frozen=True)
class Area:
    """London, or one borough."""

    slug: str
    name: str
    borough_id: int | None


LONDON = Area(LONDON_SLUG, "London", None)


def default_area(user: Any) -> Area | None:
    """London for MOPAC's analysts; the borough of a borough partnership's analysts; None for others."""
    scope = capabilities.statistics_scope(user)
    if scope is None:
        return None
    if scope == capabilities.LONDON:
        return LONDON
    borough = Borough.objects.filter(pk=scope).values_list("slug", "name").first()
    return Area(borough[0], borough[1], int(scope)) if borough else LONDON


def area_named(user: Any, slug: str) -> Area | None:
    """The area a URL names, if the user may see it (None, so 404, for an unknown or someone else's)."""
    if slug == LONDON_SLUG:
        return LONDON if capabilities.can_see_statistics(user) else None
    borough = Borough.objects.filter(slug=slug).values_list("pk", "name").first()
    if borough is None or not capabilities.can_see_borough_statistics(user, borough[0]):
        return None
    return Area(slug, borough[1], borough[0])


def areas_for(user: Any) -> list[Area]:
    """The areas the user may choose between: London and their borough, or (MOPAC) every borough."""
    scope = capabilities.statistics_scope(user)
    if scope is None:
        return []
    boroughs = Borough.objects.order_by("name").values_list("slug", "name", "pk")
    if scope != capabilities.LONDON:
        boroughs = boroughs.filter(pk=scope)
    return [LONDON, *(Area(slug, name, pk) for slug, name, pk in boroughs)]


def latest_run() -> StatisticsRun | None:
    return StatisticsRun.objects.order_by("-finished_at", "-id").first()


def area_cells(run: StatisticsRun, area: Area) -> dict[tuple[str, str, str], Decimal | None]:
    """Every published cell of the area in the run: (measure, period, category) → value (None: suppressed)."""
    cells = PublishedCell.objects.filter(run=run)
    cells = cells.filter(borough__isnull=True) if area.borough_id is None else cells.filter(borough_id=area.borough_id)
    rows = cells.values_list(
        "measure", "period", "category", "value")
    return {(measure, period, category): value for measure, period, category, value in rows}


def period_label(period: str) -> str:
    """``2026-03`` → "Mar 2026"; ``2026-Q1`` → "Jan–Mar 2026"; ``current`` → "Now"."""
    if period == CURRENT:
        return "Now"
    year, rest = period.split("-")
    if rest.startswith("Q"):
        first = (int(rest[1]) - 1) * 3 + 1
        return f"{calendar.month_abbr[first]}–{calendar.month_abbr[first + 2]} {year}"
    return f"{calendar.month_abbr[int(rest)]} {year}"


def shown(value: Decimal | None) -> str:
    """A published figure as the page and the downloads write it: whole numbers without decimals."""
    if value is None:
        return SUPPRESSED
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.1f}"


@dataclass
class Row:
    period: str
    label: str
    values: list[str]
    rates: list[str] = field(default_factory=list)


@dataclass
class MeasureView:
    """One measure's section of the page."""

    spec: MeasureSpec
    columns: list[str]
    rows: list[Row]
    rate_columns: list[str]
    svg: SafeString
    chart_title: str


def _periods(cells: dict[tuple[str, str, str], Any], measure: str, by: str) -> list[str]:
    found = sorted({period for (m, period, _c) in cells if m == measure})
    if CURRENT in found:
        return [CURRENT]
    return [p for p in found if ("Q" in p) == (by == QUARTERS)]


def measure_views(cells: dict[tuple[str, str, str], Decimal | None], by: str) -> list[MeasureView]:
    views = []
    for spec in SPECS.values():
        periods = _periods(cells, spec.code, by)
        labels = [period_label(p) for p in periods]
        chart_id = f"chart-{spec.code}"
        if spec.kind == DAYS:
            columns = ["Median days", "90th percentile, days"]
            series = [("Median", [cells.get((spec.code, p, MEDIAN)) for p in periods]),
                      ("90th percentile", [cells.get((spec.code, p, P90)) for p in periods])]
            rows = [Row(p, label, [shown(series[0][1][n]), shown(series[1][1][n])])
                    for n, (p, label) in enumerate(zip(periods, labels, strict=True))]
            title = f"{spec.title}, by {by}"
            svg = chart.line_chart(chart_id, title, labels, series, "days")
            views.append(MeasureView(spec, columns, rows, [], svg, title))
            continue
        categories = spec.shown_categories
        columns = [label for _code, label in categories] + ["Total"]
        rate_specs = RATES.get(spec.code, ())
        rows = []
        for p, label in zip(periods, labels, strict=True):
            values = [cells.get((spec.code, p, code)) for code, _label in categories]
            total = cells.get((spec.code, p, TOTAL))
            rates = [percentage(cells.get((spec.code, p, code)), total) for code, _ in rate_specs]
            rows.append(Row(p, label, [shown(v) for v in [*values, total]],
                            [SUPPRESSED if r is None else f"{r}%" for r in rates]))
        leaves = [label for _code, label in spec.categories]
        title = f"{spec.title}, by {by}" if spec.periods != SNAPSHOT else spec.title
        if spec.chart == STACKED and leaves:
            matrix = [[cells.get((spec.code, p, code)) for code, _ in spec.categories] for p in periods]
            svg = chart.stacked_chart(chart_id, title, labels, leaves, matrix, "girls" if spec.code != "pathways_chosen"
                                      else "pathways")
        elif spec.chart == BARS and leaves:
            latest = periods[-1] if periods else CURRENT
            title = f"{spec.title}: {period_label(latest)}"
            svg = chart.bar_chart(chart_id, title, [label[:16] for label in leaves],
                                  [cells.get((spec.code, latest, code)) for code, _ in spec.categories], "count")
        else:
            svg = chart.line_chart(chart_id, title, labels,
                                   [("Total", [cells.get((spec.code, p, TOTAL)) for p in periods])], "count")
        assert spec.chart in (STACKED, BARS, LINE)  # noqa: S101 - every spec names a chart drawn here
        views.append(MeasureView(spec, columns, rows, [label for _c, label in rate_specs], svg, title))
    return views
