"""The risk trajectory as a server-rendered SVG: no script, no inline styles (CSP), presentation
attributes and classes only. An accessible table sits beside it in the template."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from risk.scoring import LEVELS

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 640, 220, 90, 30, 10


def trajectory_svg(timeline: Sequence[Any]) -> SafeString:
    """Level over time: one step line through every assessment, levels as horizontal bands."""
    plot_w, plot_h = WIDTH - PAD_LEFT - 10, HEIGHT - PAD_BOTTOM - PAD_TOP
    band = plot_h / (len(LEVELS) - 1)
    times = [a.assessed_at.timestamp() for a in timeline]
    start, end = min(times), max(times)
    span = (end - start) or 1.0

    def x(t: float) -> float:
        return round(PAD_LEFT + (plot_w * (t - start) / span if len(timeline) > 1 else plot_w / 2), 1)

    def y(level: str) -> float:
        return round(PAD_TOP + plot_h - LEVELS.index(level) * band, 1)

    gridlines = format_html_join(
        "", '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#b1b4b6" stroke-width="1"/>'
        '<text x="{}" y="{}" font-size="12" text-anchor="end" fill="#0b0c0c">{}</text>',
        ((PAD_LEFT, y(lvl), WIDTH - 10, y(lvl), PAD_LEFT - 6, y(lvl) + 4, lvl.replace("_", " ").capitalize())
         for lvl in LEVELS),
    )
    points: list[str] = []
    previous_y = None
    for assessment, t in zip(timeline, times, strict=True):
        px, py = x(t), y(assessment.level)
        if previous_y is not None:
            points.append(f"{px},{previous_y}")
        points.append(f"{px},{py}")
        previous_y = py
    dots = format_html_join("", '<circle cx="{}" cy="{}" r="4" fill="#1d70b8"/>',
                            ((x(t), y(a.level)) for a, t in zip(timeline, times, strict=True)))
    first = timeline[0].assessed_at.date().isoformat()
    last = timeline[-1].assessed_at.date().isoformat()
    return format_html(
        '<svg class="app-risk-chart" viewBox="0 0 {w} {h}" width="100%" role="img" aria-labelledby="risk-chart-title">'
        '<title id="risk-chart-title">Risk level over time, from {first} to {last}</title>{grid}'
        '<polyline points="{points}" fill="none" stroke="#1d70b8" stroke-width="3"/>{dots}'
        '<text x="{lx}" y="{ty}" font-size="12" fill="#0b0c0c">{first}</text>'
        '<text x="{rx}" y="{ty}" font-size="12" text-anchor="end" fill="#0b0c0c">{last}</text></svg>',
        w=WIDTH, h=HEIGHT, first=first, last=last, grid=gridlines, points=" ".join(points), dots=dots,
        lx=PAD_LEFT, rx=WIDTH - 10, ty=HEIGHT - 8,
    )
