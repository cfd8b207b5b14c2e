"""G9 and G10: verifying the access trail, and appending to it, as it grows.

G9 (a) ``verify_audit --full``'s throughput against a bare loop over the same rows that builds the same
canonical bytes and hashes them (no ordering by chain, no checks, no run record): what the verifier adds
to the unavoidable work. The pure in-memory SHA-256 rate over those bytes is reported beside it.
G9 (b) an incremental verification after ``NEW_EVENTS`` new events, at the loaded trail and again after
it has grown ``GROWTH`` times: the cost should follow the new events, not the trail.
G10 one writer's append throughput (``audit.api.record``, one transaction per event, as requests do) at
the grown trail against the loaded one.

The small and large measurements cannot be interleaved (the trail only grows), so each is the median
of its own rounds, taken one after the other on the same database.
"""

from __future__ import annotations

import hashlib
import random
import statistics
import time
from typing import Any

from bench.harness import Result, compare

# Set by ``python -m bench`` (``--trail-growth``, ``--new-events``; smaller with ``--quick``).
GROWTH = 10
NEW_EVENTS = 10_000
APPENDS = 300


def _add_events(ds: Any, count: int, seed: int) -> None:
    from agencies.models import Borough
    from bench.dataset import _load_trail

    _load_trail(random.Random(seed), count, list(Borough.objects.order_by("ons_code")), ds)


def _incremental_ms(ds: Any, rounds: int, seed: int) -> tuple[list[float], int]:
    """Rounds of: add NEW_EVENTS events (not timed), then time one incremental verification."""
    from audit.services import do_verify_trail

    do_verify_trail(run_by="bench")  # the checkpoints the first timed round starts from
    times, checked = [], 0
    for n in range(rounds):
        _add_events(ds, NEW_EVENTS, seed + n)
        started = time.perf_counter()
        report, _run = do_verify_trail(run_by="bench")
        times.append((time.perf_counter() - started) * 1000)
        assert report.intact and not report.full, report.problems[:1]
        checked = report.events_checked
    return times, checked


def _append_ms(rounds: int) -> list[float]:
    """Milliseconds per append, one writer, one transaction per event (median over rounds)."""
    from agencies.models import Borough
    from audit.api import record
    from audit.choices import Action

    borough = Borough.objects.order_by("ons_code").first()
    per_round = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(APPENDS):
            record(Action.VIEW, actor=None, object_type="subject", reference="S-BNCH-0000", borough=borough)
        per_round.append((time.perf_counter() - started) * 1000 / APPENDS)
    return per_round


def _count() -> int:
    from audit.models import AccessEvent

    return AccessEvent.objects.count()


def g9_g10(ds: Any, rounds: int) -> list[Result]:
    from audit import chain
    from audit.models import AccessEvent

    trail_rounds = max(3, min(7, rounds // 20))
    small = _count()

    def verify_full() -> None:
        report = chain.verify_all(full=True)
        assert report.intact, report.problems[:1]

    def bare_loop() -> None:
        rows = AccessEvent.objects.order_by("id").values_list(*chain.CANONICAL_COLUMNS).iterator(chunk_size=5000)
        for row in rows:
            hashlib.sha256(chain.canonical_row(*row)).hexdigest()

    throughput = compare("G9", f"verify_audit --full, {small:,} events", "bare loop: same rows, bytes, SHA-256",
                         verify_full, bare_loop, trail_rounds, throughput=True, goal="≥ 0.5×")
    built = [chain.canonical_row(*row) for row in
             AccessEvent.objects.order_by("id").values_list(*chain.CANONICAL_COLUMNS)[:100_000]]
    started = time.perf_counter()
    for data in built:
        hashlib.sha256(data).hexdigest()
    hash_only = len(built) / (time.perf_counter() - started)
    verify_rate = small / (throughput.path_median_ms / 1000)
    throughput.extra = {
        "events_per_second": {"verify_full": round(verify_rate),
                              "bare_loop": round(small / (throughput.base_median_ms / 1000)),
                              "sha256_of_prebuilt_bytes_only": round(hash_only)},
        "vs_sha256_only": round(verify_rate / hash_only, 3),
    }

    inc_small, checked_small = _incremental_ms(ds, trail_rounds, seed=1)
    append_small = _append_ms(trail_rounds)
    grow_started = time.perf_counter()
    _add_events(ds, small * (GROWTH - 1), seed=100)
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE audit_accessevent")
    grow_seconds = time.perf_counter() - grow_started
    large = _count()
    inc_large, checked_large = _incremental_ms(ds, trail_rounds, seed=200)
    append_large = _append_ms(trail_rounds)

    def p95(values: list[float]) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]

    mi_s, mi_l = statistics.median(inc_small), statistics.median(inc_large)
    ma_s, ma_l = statistics.median(append_small), statistics.median(append_large)
    return [
        throughput,
        Result("G9", f"incremental verify after {NEW_EVENTS:,} new, at {large:,}",
               f"the same at {small:,} events", round(mi_l, 3), round(p95(inc_large), 3), round(mi_s, 3),
               round(p95(inc_small), 3), round(mi_l / mi_s, 3), "path time / baseline time", "≤ 1.2×",
               {"events_checked": {"small": checked_small, "large": checked_large},
                "grew_trail_seconds": round(grow_seconds, 1)}),
        Result("G10", f"append, one writer, at {large:,} events", f"the same at {small:,} events",
               round(ma_l, 3), round(p95(append_large), 3), round(ma_s, 3), round(p95(append_small), 3),
               round(ma_s / ma_l, 3), "path throughput / baseline throughput", "≥ 0.9×",
               {"events_per_second": {"small": round(1000 / ma_s), "large": round(1000 / ma_l)},
                "appends_per_round": APPENDS}),
    ]
