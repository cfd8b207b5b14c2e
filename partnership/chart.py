"""Server-rendered SVG charts of published figures: no script and no inline styles (the strict CSP), only
presentation attributes, in GOV.UK colours. Every chart has its data table beside it in the page, and a
suppressed figure is never drawn as if it were a number: a line breaks, a bar is left out and marked."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

# GOV.UK Design System colours (govuk-frontend's colour palette), in an order where neighbours differ.
PALETTE = ["#1d70b8", "#f47738", "#28a197", "#4c2c92", "#d53880", "#00703c", "#b58840", "#6f72af", "#d4351c",
           "#505a5f", "#003078", "#912b88"]
TEXT, AXIS, GRID = "#0b0c0c", "#505a5f", "#b1b4b6"
WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 640, 300, 56, 16, 12, 100

Value = Decimal | int | float | None


def _nice_max(top: float) -> float:
    """A round upper bound for the y axis (1, 2, 2.5 or 5 times a power of ten)."""
    if top <= 0:
        return 5.0
    power = 1.0
    while power * 10 <= top:
        power *= 10
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= top:
            return step * power
    return 10 * power


def _frame(title_id: str, title: str, body: SafeString, y_max: float, labels: Sequence[str], unit: str) -> SafeString:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    ticks = [y_max * n / 4 for n in range(5)]
    grid = format_html_join(
        "", '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="1"/>'
        '<text x="{}" y="{}" font-size="12" text-anchor="end" fill="{}">{}</text>',
        ((LEFT, _y(t, y_max), LEFT + plot_w, _y(t, y_max), GRID, LEFT - 6, _y(t, y_max) + 4, TEXT, _fmt(t))
         for t in ticks))
    step = plot_w / max(len(labels), 1)
    every = max(1, len(labels) // 8)
    axis = format_html_join(
        "", '<text x="{}" y="{}" font-size="12" text-anchor="middle" fill="{}">{}</text>',
        ((round(LEFT + step * (n + 0.5), 1), TOP + plot_h + 18, TEXT, label)
         for n, label in enumerate(labels) if n % every == 0 or n == len(labels) - 1))
    return format_html(
        '<svg class="app-stat-chart" viewBox="0 0 {w} {h}" width="100%" role="img" aria-labelledby="{tid}">'
        '<title id="{tid}">{title}</title>{grid}'
        '<line x1="{l}" y1="{b}" x2="{r}" y2="{b}" stroke="{axis_colour}" stroke-width="1"/>{body}{axis}'
        '<text x="{l}" y="{unit_y}" font-size="12" fill="{axis_colour}">{unit}</text></svg>',
        w=WIDTH, h=HEIGHT, tid=title_id, title=title, grid=grid, l=LEFT, r=LEFT + plot_w, b=TOP + plot_h,
        axis_colour=AXIS, body=body, axis=axis, unit_y=HEIGHT - 8, unit=unit)


def _y(value: float, y_max: float) -> float:
    plot_h = HEIGHT - TOP - BOTTOM
    return round(TOP + plot_h - plot_h * (value / y_max if y_max else 0), 1)


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def line_chart(title_id: str, title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[Value]]],
               unit: str) -> SafeString:
    """One line per series through the published points; a suppressed point breaks its line."""
    numbers = [float(v) for _label, values in series for v in values if v is not None]
    y_max = _nice_max(max(numbers, default=0))
    step = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    parts: list[SafeString] = []
    for index, (name, values) in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        run: list[str] = []
        for n, value in enumerate([*values, None]):
            if value is not None:
                run.append(f"{round(LEFT + step * (n + 0.5), 1)},{_y(float(value), y_max)}")
                continue
            if len(run) > 1:
                parts.append(format_html('<polyline points="{}" fill="none" stroke="{}" stroke-width="3"/>',
                                         " ".join(run), colour))
            run = []
        parts.append(format_html_join(
            "", '<circle cx="{}" cy="{}" r="4" fill="{}"><title>{}: {}</title></circle>',
            ((round(LEFT + step * (n + 0.5), 1), _y(float(v), y_max), colour, name, _fmt(float(v)))
             for n, v in enumerate(values) if v is not None)))
    legend = _legend([name for name, _values in series])
    return _frame(title_id, title, mark_safe("".join([*parts, legend])), y_max, labels, unit)  # noqa: S308 - built by format_html


def stacked_chart(title_id: str, title: str, labels: Sequence[str], categories: Sequence[str],
                  values: Sequence[Sequence[Value]], unit: str) -> SafeString:
    """A bar per period stacked by category; a period with any suppressed category gets no bar, only the
    mark "c" (its figures are in the table as far as they may be published)."""
    totals = [sum(float(v) for v in row if v is not None) for row in values if all(v is not None for v in row)]
    y_max = _nice_max(max(totals, default=0))
    step = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    bar_w = round(step * 0.7, 1)
    parts: list[SafeString] = []
    for n, row in enumerate(values):
        x = round(LEFT + step * (n + 0.15), 1)
        if any(v is None for v in row):
            parts.append(format_html('<text x="{}" y="{}" font-size="12" text-anchor="middle" fill="{}">c</text>',
                                     round(LEFT + step * (n + 0.5), 1), _y(0, y_max) - 4, AXIS))
            continue
        base = 0.0
        for index, value in enumerate(row):
            height = float(value or 0)
            if height <= 0:
                continue
            top = _y(base + height, y_max)
            parts.append(format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}</title></rect>',
                x, top, bar_w, round(_y(base, y_max) - top, 1), PALETTE[index % len(PALETTE)],
                categories[index], _fmt(height)))
            base += height
    legend = _legend(categories)
    return _frame(title_id, title, mark_safe("".join([*parts, legend])), y_max, labels, unit)  # noqa: S308 - built by format_html


def bar_chart(title_id: str, title: str, categories: Sequence[str], values: Sequence[Value], unit: str) -> SafeString:
    """One vertical bar per category (its latest published figure); a suppressed one is marked "c"."""
    return stacked_chart(title_id, title, categories, ["Count"], [[v] for v in values], unit)


def _legend(names: Sequence[str]) -> SafeString:
    if len(names) < 2:
        return SafeString("")
    per_row = 3
    col_w = (WIDTH - LEFT - RIGHT) / per_row
    return format_html_join(
        "", '<rect x="{}" y="{}" width="10" height="10" fill="{}"/>'
        '<text x="{}" y="{}" font-size="11" fill="{}">{}</text>',
        ((round(LEFT + col_w * (n % per_row), 1), HEIGHT - BOTTOM + 32 + 12 * (n // per_row), PALETTE[n % len(PALETTE)],
          round(LEFT + col_w * (n % per_row) + 14, 1), HEIGHT - BOTTOM + 41 + 12 * (n // per_row), TEXT, name[:38])
         for n, name in enumerate(names)))
