"""Partnership statistics at scale: the nightly aggregation's time, and the statistics page at
full scale against the same page at a tenth of the scale (target ≤ 1.2×: the page reads only the summary
tables, so its cost must not follow the number of girls).

``python -m bench.partnership [--subjects N] [--rounds N] [--json FILE]`` loads the benchmark's synthetic
London (``bench.dataset``) into its own database; at a tenth of the subjects it aggregates and times the
page, then loads the rest, aggregates again (timed) and times the page again. The page is the view's whole
work without the middleware: the newest run, London's cells, the measures' charts and tables, the template.
``--reuse`` loads nothing: it migrates the database an earlier run left and times the aggregation and the page
on it (a change to the measures, timed at full scale without loading again).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

from bench import db


def _page() -> None:
    from django.template.loader import render_to_string

    from partnership import queries
    from partnership.measures import NOT_YET_MEASURED

    run = queries.latest_run()
    assert run is not None  # noqa: S101 - aggregated just before
    cells = queries.area_cells(run, queries.LONDON)
    render_to_string("partnership/statistics.html", {
        "area": queries.LONDON, "areas": [queries.LONDON], "run": run, "by": queries.QUARTERS,
        "by_choices": {queries.QUARTERS: "By quarter"}, "error": "", "not_yet_measured": NOT_YET_MEASURED,
        "measures": queries.measure_views(cells, queries.QUARTERS), "suppressed_mark": queries.SUPPRESSED})


def _times(rounds: int) -> list[float]:
    _page()
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        _page()
        times.append((time.perf_counter() - started) * 1000)
    return times


def _aggregate() -> dict[str, Any]:
    from partnership.services import do_aggregate_statistics

    started = time.perf_counter()
    run = do_aggregate_statistics()
    return {"seconds": round(time.perf_counter() - started, 2), "cells": run.cells, "suppressed": run.suppressed}


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def run(subjects: int, events: int, rounds: int, seed: int = 20261129) -> dict[str, Any]:
    db.setup(fresh=True)
    from bench.dataset import generate

    tenth: dict[str, Any] = {}

    def at_tenth(ds: Any) -> None:
        tenth["aggregation"] = _aggregate()
        tenth["page_ms"] = _times(rounds)

    ds = generate(subjects=subjects, events=events, seed=seed, on_tenth=at_tenth)
    full_aggregation = _aggregate()
    full = _times(rounds)
    small = tenth["page_ms"]
    return {
        "seed": seed, "subjects": ds.subjects, "concerns": ds.concerns, "map_links": ds.links,
        "referrals": ds.referrals,
        "rounds": rounds,
        "aggregation_full": full_aggregation, "aggregation_tenth": tenth["aggregation"],
        "page_full_median_ms": round(statistics.median(full), 2), "page_full_p95_ms": round(_p95(full), 2),
        "page_tenth_median_ms": round(statistics.median(small), 2), "page_tenth_p95_ms": round(_p95(small), 2),
        "ratio_median": round(statistics.median(full) / statistics.median(small), 3),
        "ratio_p95": round(_p95(full) / _p95(small), 3),
    }


def rerun(rounds: int) -> dict[str, Any]:
    """The aggregation and the page again on the database an earlier run loaded (migrated to the code as it
    is now): for timing a change to the measures at full scale without loading the data again."""
    db.setup(fresh=False)
    from referrals.models import Concern, Subject

    aggregation = _aggregate()
    times = _times(rounds)
    return {"reused": True, "subjects": Subject._base_manager.count(), "concerns": Concern._base_manager.count(),
            "rounds": rounds, "aggregation_full": aggregation,
            "page_full_median_ms": round(statistics.median(times), 2), "page_full_p95_ms": round(_p95(times), 2)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.partnership", description=__doc__.split("\n\n")[0])
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--seed", type=int, default=20261129,
                        help="the dataset's seed (the harness's own seed repeats a map-link reference at 100,000)")
    parser.add_argument("--json", help="also write the report as JSON to this file")
    parser.add_argument("--reuse", action="store_true",
                        help="do not load: aggregate and time the page on the database an earlier run left")
    args = parser.parse_args(argv)
    report = rerun(args.rounds) if args.reuse else run(args.subjects, args.events, args.rounds, args.seed)
    print(json.dumps(report, indent=2))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(report, handle, indent=2)


if __name__ == "__main__":
    main()
