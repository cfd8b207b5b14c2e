"""The risk trajectory as a server-rendered SVG: no script, no inline styles (CSP), presentation
attributes and classes only. An accessible table sits beside it in the template.

Points are placed at the date the signs were *seen* (the newest sign an assessment counted), not the day
the concern was recorded: a concern recorded today about last month belongs to last month.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from risk.scoring import LEVELS

WIDTH, HEIGHT, PAD_LEFT, PAD_RIGHT, PAD_BOTTOM, PAD_TOP = 640, 240, 90, 20, 40, 10
LEVEL_NAMES = {"none": "None", "low": "Low", "medium": "Medium", "high": "High", "very_high": "Very high"}
MAX_TICKS = 6


def seen_on(assessment: Any) -> dt.date:
    """When the newest sign this assessment counted was seen: its day less the sign's age in days (the
    assessment's own day when it counted no sign)."""
    explanation = assessment.explanation or {}
    on = dt.date.fromisoformat(explanation["assessed_on"]) if explanation.get("assessed_on") \
        else assessment.assessed_at.date()
    ages = [int(item["age_days"]) for item in explanation.get("indicators", ()) if item.get("age_days") is not None]
    return on - dt.timedelta(days=min(ages)) if ages else on


@dataclass(frozen=True)
class Point:
    seen: dt.date
    level: str
    score: float
    assessed_at: dt.datetime


def points(timeline: Sequence[Any]) -> list[Point]:
    """The trajectory's points in the order the signs were seen (then assessed)."""
    return sorted((Point(seen_on(a), a.level, a.score, a.assessed_at) for a in timeline),
                  key=lambda p: (p.seen, p.assessed_at))


def _ticks(start: dt.date, end: dt.date) -> list[dt.date]:
    """Up to ``MAX_TICKS`` evenly spread dates from ``start`` to ``end`` (both included)."""
    if start == end:
        return [start]
    count = min(MAX_TICKS, (end - start).days + 1)
    step = (end - start) / (count - 1)
    return sorted({start + step * n for n in range(count)})


def trajectory_svg(timeline: Sequence[Any]) -> SafeString:
    """Level over time by the date seen: one step line through every assessment, levels as labelled
    horizontal bands, dates in words along the bottom."""
    plotted = points(timeline)
    plot_w, plot_h = WIDTH - PAD_LEFT - PAD_RIGHT, HEIGHT - PAD_BOTTOM - PAD_TOP
    band = plot_h / (len(LEVELS) - 1)
    start, end = plotted[0].seen, plotted[-1].seen
    span = (end - start).days or 1

    def x(day: dt.date) -> float:
        return round(PAD_LEFT + (plot_w * (day - start).days / span if end != start else plot_w / 2), 1)

    def y(level: str) -> float:
        return round(PAD_TOP + plot_h - LEVELS.index(level) * band, 1)

    gridlines = format_html_join(
        "", '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#b1b4b6" stroke-width="1"/>'
        '<text x="{}" y="{}" font-size="13" text-anchor="end" fill="#0b0c0c">{}</text>',
        ((PAD_LEFT, y(lvl), WIDTH - PAD_RIGHT, y(lvl), PAD_LEFT - 8, y(lvl) + 4, LEVEL_NAMES.get(lvl, lvl))
         for lvl in LEVELS),
    )
    ticks = _ticks(start, end)
    anchors = ["start" if n == 0 and len(ticks) > 1 else "end" if n == len(ticks) - 1 and len(ticks) > 1
               else "middle" for n in range(len(ticks))]
    axis = format_html_join(
        "", '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#505a5f" stroke-width="1"/>'
        '<text x="{}" y="{}" font-size="13" text-anchor="{}" fill="#0b0c0c">{}</text>',
        ((x(day), PAD_TOP + plot_h, x(day), PAD_TOP + plot_h + 5, x(day), PAD_TOP + plot_h + 20, anchor,
          f"{day.day} {day:%b %Y}") for day, anchor in zip(ticks, anchors, strict=True)),
    )
    line: list[str] = []
    previous_y = None
    for point in plotted:
        px, py = x(point.seen), y(point.level)
        if previous_y is not None:
            line.append(f"{px},{previous_y}")
        line.append(f"{px},{py}")
        previous_y = py
    dots = format_html_join("", '<circle cx="{}" cy="{}" r="4" fill="#1d70b8"/>',
                            ((x(p.seen), y(p.level)) for p in plotted))
    first, last = f"{start.day} {start:%B %Y}", f"{end.day} {end:%B %Y}"
    return format_html(
        '<svg class="app-risk-chart" viewBox="0 0 {w} {h}" width="100%" role="img" aria-labelledby="risk-chart-title">'
        '<title id="risk-chart-title">Risk level by the date the signs were seen, from {first} to {last}</title>'
        '{grid}{axis}<polyline points="{points}" fill="none" stroke="#1d70b8" stroke-width="3"/>{dots}'
        '<text x="{cx}" y="{ty}" font-size="13" text-anchor="middle" fill="#505a5f">Date the signs were seen</text>'
        '</svg>',
        w=WIDTH, h=HEIGHT, first=first, last=last, grid=gridlines, axis=axis, points=" ".join(line), dots=dots,
        cx=PAD_LEFT + plot_w / 2, ty=HEIGHT - 4,
    )
