"""G9 and G10: verifying the access trail, and appending to it, as it grows.

G9 (a) ``verify_audit --full``'s throughput against a bare loop over the same rows that builds the same
canonical bytes and hashes them (no ordering by chain, no checks, no run record): what the verifier adds
to the unavoidable work. The pure in-memory SHA-256 rate over those bytes is reported beside it.
G9 (b) an incremental verification after ``NEW_EVENTS`` new events, at the loaded trail and again after
it has grown ``GROWTH`` times: the cost should follow the new events, not the trail.
G10 one writer's append throughput (``audit.api.record``, one transaction per event, as requests do) at
the grown trail against the loaded one.

The loaded database is copied before it grows, so the small and the large trail exist side by side: each
is driven by its own process (``bench.trail_worker``) and their rounds alternate (small, large, then
large, small), so that a noisy machine slows both alike instead of whichever ran later.
"""

from __future__ import annotations

import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

from bench.harness import Result, _p95, compare

# Set by ``python -m bench`` (``--trail-growth``, ``--new-events``; smaller with ``--quick``).
GROWTH = 10
NEW_EVENTS = 10_000
APPENDS = 300


class Trail:
    """A ``bench.trail_worker`` process on one database."""

    def __init__(self, url: str, keys_url: str) -> None:
        from bench.db import ROOT

        # Our own interpreter and module; the URLs (passwords too) go by the environment, not the command line.
        environment = {**os.environ, "BENCH_TRAIL_URL": url, "BENCH_TRAIL_KEYS_URL": keys_url}
        self.process = subprocess.Popen([sys.executable, "-m", "bench.trail_worker"], env=environment,  # noqa: S603
                                        cwd=ROOT,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ask(self, command: str) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"trail worker stopped during {command!r} (exit {self.process.wait()})")
        return json.loads(line)

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=60)


def _alternating(trails: tuple[Trail, Trail], rounds: int, seed: int) -> tuple[
        tuple[list[float], list[float]], tuple[list[float], list[float]], tuple[int, int]]:
    """Rounds of: each trail gets NEW_EVENTS new events (not timed) and one timed incremental verification,
    then APPENDS timed appends; the order of the two trails swaps every round. Returns, per trail (small,
    large): the verification times, the per-append times, and the events the last verification checked."""
    verify: tuple[list[float], list[float]] = ([], [])
    append: tuple[list[float], list[float]] = ([], [])
    checked = [0, 0]
    for n in range(rounds):
        order = (0, 1) if n % 2 == 0 else (1, 0)
        for which in order:
            trails[which].ask(f"add {NEW_EVENTS} {seed + 2 * n + which}")
            answer = trails[which].ask("verify")
            assert not answer["full"], answer
            verify[which].append(answer["ms"])
            checked[which] = answer["checked"]
        for which in order:
            append[which].append(trails[which].ask(f"append {APPENDS}")["ms_per_append"])
    return verify, append, (checked[0], checked[1])


def g9_g10(ds: Any, rounds: int) -> list[Result]:
    from audit import chain
    from audit.models import AccessEvent

    trail_rounds = max(3, min(7, rounds // 20))
    small = AccessEvent.objects.count()

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

    # The loaded trail and a copy of it grown GROWTH times, measured side by side.
    from bench import db

    url, keys_url = os.environ["DATABASE_URL"], os.environ["KEYS_DATABASE_URL"]
    large_url = db.clone(url, "_large_trail")
    trails = (Trail(url, keys_url), Trail(large_url, keys_url))
    try:
        grow_started = time.perf_counter()
        trails[1].ask(f"add {small * (GROWTH - 1)} 100")
        grow_seconds = time.perf_counter() - grow_started
        for trail in trails:
            trail.ask("analyze")
            trail.ask("verify")  # the checkpoints the first timed round starts from
        large = trails[1].ask("count")["count"]
        # Cheap rounds (two small additions, two incremental runs, a few hundred appends): more of them.
        verify, append, checked = _alternating(trails, max(4, min(15, rounds // 10)), seed=1)
    finally:
        for trail in trails:
            trail.close()
        db.drop(large_url)
    (inc_small, inc_large), (append_small, append_large), (checked_small, checked_large) = verify, append, checked

    mi_s, mi_l = statistics.median(inc_small), statistics.median(inc_large)
    ma_s, ma_l = statistics.median(append_small), statistics.median(append_large)
    return [
        throughput,
        Result("G9", f"incremental verify after {NEW_EVENTS:,} new, at {large:,}",
               f"the same at {small:,} events", round(mi_l, 3), round(_p95(inc_large), 3), round(mi_s, 3),
               round(_p95(inc_small), 3), round(mi_l / mi_s, 3), "path time / baseline time", "≤ 1.2×",
               {"events_checked": {"small": checked_small, "large": checked_large},
                "grew_trail_seconds": round(grow_seconds, 1)}),
        Result("G10", f"append, one writer, at {large:,} events", f"the same at {small:,} events",
               round(ma_l, 3), round(_p95(append_large), 3), round(ma_s, 3), round(_p95(append_small), 3),
               round(ma_s / ma_l, 3), "path throughput / baseline throughput", "≥ 0.9×",
               {"events_per_second": {"small": round(1000 / ma_s), "large": round(1000 / ma_l)},
                "appends_per_round": APPENDS}),
    ]
